// harness.hpp -- what every gort twin of a comparison pair shares with its Go twin
// (bench/go/internal/harness): the command line, the RESULT protocol, RSS, and the
// helpers whose results must match bit for bit across the twins (SplitMix64, percentile).
//
// The protocol (read by bench/compare.py): a measurement is one stdout line
//     RESULT <metric> <value> <unit>
// with the same metric name and unit in both twins.  Anything else a twin prints is
// ignored; diagnostics go to stderr (--verbose prints gort::stats() there).
//
// Flags are given as --name=value or --name value, the form Go's flag package also
// accepts, so compare.py passes one argument list to both twins.  Only integer flags
// and the boolean --verbose exist; an unknown flag ends the program with status 2.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <map>
#include <string>
#include <vector>

#include <gort/stats.hpp>

namespace bench {

// Integer flags with defaults, plus --verbose.
class Flags {
 public:
  Flags(int argc, char** argv, std::initializer_list<std::pair<const std::string, std::int64_t>> defaults)
      : values_(defaults) {
    for (int i = 1; i < argc; ++i) {
      std::string arg = argv[i];
      if (arg.rfind("--", 0) != 0) usage(argv[0], arg);
      arg.erase(0, 2);
      if (arg == "verbose") {
        verbose_ = true;
        continue;
      }
      std::string value;
      if (auto eq = arg.find('='); eq != std::string::npos) {
        value = arg.substr(eq + 1);
        arg.erase(eq);
      } else if (i + 1 < argc) {
        value = argv[++i];
      }
      auto it = values_.find(arg);
      char* end = nullptr;
      if (it == values_.end() || value.empty()) usage(argv[0], arg);
      it->second = std::strtoll(value.c_str(), &end, 10);
      if (*end != '\0') usage(argv[0], arg);
    }
  }

  std::int64_t operator[](const std::string& name) const { return values_.at(name); }
  bool verbose() const { return verbose_; }

 private:
  [[noreturn]] void usage(const char* prog, const std::string& bad) const {
    std::fprintf(stderr, "%s: bad flag '%s'; flags:", prog, bad.c_str());
    for (const auto& [name, def] : values_) std::fprintf(stderr, " --%s=N (default %lld)", name.c_str(),
                                                         static_cast<long long>(def));
    std::fprintf(stderr, " --verbose\n");
    std::exit(2);
  }

  std::map<std::string, std::int64_t> values_;
  bool verbose_ = false;
};

inline void result(const char* metric, double value, const char* unit) {
  std::printf("RESULT %s %.6g %s\n", metric, value, unit);
  std::fflush(stdout);
}

inline std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Resident set size: the second field of /proc/self/statm, in pages.  Counts only
// pages that were touched (a reserved but unused stack costs nothing here).
inline std::int64_t rss_bytes() {
  long pages = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    long size = 0;
    if (std::fscanf(f, "%ld %ld", &size, &pages) != 2) pages = 0;
    std::fclose(f);
  }
  return static_cast<std::int64_t>(pages) * sysconf(_SC_PAGESIZE);
}

// Page-table memory (VmPTE in /proc/self/status), which RSS does not include: a
// million touched stack pages spread over gigabytes of reservation cost page tables too.
inline std::int64_t page_table_bytes() {
  std::int64_t kib = 0;
  if (FILE* f = std::fopen("/proc/self/status", "r")) {
    char line[256];
    while (std::fgets(line, sizeof line, f) != nullptr)
      if (std::strncmp(line, "VmPTE:", 6) == 0) kib = std::strtoll(line + 6, nullptr, 10);
    std::fclose(f);
  }
  return kib * 1024;
}

// A deterministic pseudo-random sequence, bit for bit the same as the Go twin's
// harness.SplitMix64, so both twins of a pair draw the same numbers from one seed.
class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // A number in [lo, hi]: next() modulo the width (the bias is negligible here).
  std::int64_t between(std::int64_t lo, std::int64_t hi) {
    return lo + static_cast<std::int64_t>(next() % static_cast<std::uint64_t>(hi - lo + 1));
  }

 private:
  std::uint64_t state_;
};

// The p-th percentile (0 < p <= 100) by nearest rank: the smallest sample with at
// least p% of the samples at or below it.  Sorts `xs`.  Same rule as harness.Percentile.
inline std::int64_t percentile(std::vector<std::int64_t>& xs, double p) {
  if (xs.empty()) return 0;
  std::sort(xs.begin(), xs.end());
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(xs.size())));
  rank = std::clamp<std::size_t>(rank, 1, xs.size());
  return xs[rank - 1];
}

// One line of gort::stats() on stderr, tagged with where in the program it was taken.
inline void print_stats(const char* when) {
  gort::Stats s = gort::stats();
  std::fprintf(stderr,
               "gort.stats[%s] goroutines=%d procs=%d threads=%d idle_threads=%d spawned=%llu "
               "switches=%llu steals=%llu parks=%llu global_runq=%zu local_runq=%zu "
               "stacks_reserved=%zu stacks_pooled=%zu guard=%s rss=%lld KiB pte=%lld KiB\n",
               when, s.goroutines, s.procs, s.threads, s.idle_threads,
               static_cast<unsigned long long>(s.spawned), static_cast<unsigned long long>(s.context_switches),
               static_cast<unsigned long long>(s.steals), static_cast<unsigned long long>(s.parks), s.global_runq,
               s.local_runq, s.stacks_reserved, s.stacks_pooled, s.stack_guard,
               static_cast<long long>(rss_bytes() / 1024), static_cast<long long>(page_table_bytes() / 1024));
}

}  // namespace bench
