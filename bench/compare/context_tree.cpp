// context_tree.cpp -- a wide context tree: create n children, cancel them all at once
// (twin: go/context_tree/main.go).
//
// main makes one with_cancel parent of background(), then n with_cancel children of
// it, keeping every child's Context and CancelFunc in a vector reserved beforehand
// (each creation allocates the node and the CancelFunc's state and adds the child to
// the parent's child set under the parent's lock).  Then it calls the parent's
// CancelFunc, which cancels every child, and checks each child: its done() channel
// is closed (a select with a default case takes the receive) and its err() is
// errc::canceled.  No child's done() was asked for before the cancel, so cancelling
// closes no channel and done() afterwards hands out the shared closed channel, in
// both twins.  Reported: the creation loop's time divided by n, and the time of the
// cancel call plus the checks, in ms.
//
//   context_tree [--procs=N] [--n=N] [--verbose]
//   RESULT ns_per_child_create <ns> ns
//   RESULT cancel_ms <ms> ms
#include <cstdint>
#include <cstdio>
#include <utility>
#include <vector>

#include <gort/context.hpp>
#include <gort/runtime.hpp>
#include <gort/select.hpp>

#include "harness.hpp"

namespace {
constexpr std::int64_t kDefaultChildren = 100'000;
}

int main(int argc, char** argv) {
  const bench::Flags flags(argc, argv, {{"procs", 1}, {"n", kDefaultChildren}});
  const std::int64_t n = flags["n"];
  return gort::run(
      [&]() -> int {
        auto [parent, cancel_parent] = gort::with_cancel(gort::background());
        std::vector<std::pair<gort::Context, gort::CancelFunc>> children;
        children.reserve(static_cast<std::size_t>(n));

        std::int64_t start = bench::now_ns();
        for (std::int64_t i = 0; i < n; ++i) children.push_back(gort::with_cancel(parent));
        const std::int64_t create = bench::now_ns() - start;

        std::int64_t bad = 0;  // children not cancelled (must stay 0)
        start = bench::now_ns();
        cancel_parent();
        for (const auto& entry : children) {
          const gort::Context& child = entry.first;
          const bool closed = gort::select(gort::on_recv(child.done()), gort::on_default()) == 0;
          if (!closed || child.err() != gort::errc::canceled) ++bad;
        }
        const std::int64_t cancel = bench::now_ns() - start;

        if (bad != 0) {
          std::fprintf(stderr, "context_tree: %lld of %lld children not cancelled\n", static_cast<long long>(bad),
                       static_cast<long long>(n));
          return 1;
        }
        bench::result("ns_per_child_create", static_cast<double>(create) / static_cast<double>(n), "ns");
        bench::result("cancel_ms", static_cast<double>(cancel) / 1e6, "ms");
        if (flags.verbose()) bench::print_stats("cancelled");
        for (const auto& entry : children) entry.second();  // as Go's vet wants; untimed
        return 0;
      },
      gort::Options{.max_procs = static_cast<int>(flags["procs"])});
}
