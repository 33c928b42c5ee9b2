// context.cpp -- gort::Context (Go's context.go): a tree of cancellable nodes.
//
// A Context is a handle to a refcounted ContextNode (background() is the null node:
// it never ends, so it needs no state).  A child registers in its parent's child set,
// an intrusive doubly linked list threaded through the children themselves, so that
// creating a child allocates only the node, and leaving the set is O(1).
//
// Ownership.  A node is cancelled only by its CancelFunc, its parent or its deadline
// (API.md 12.14), never because handles went away; but once nobody can observe it
// any more it may go quietly.  Two reference counts, as strong/weak pointers have:
//   strong  the node's observers: Context handles, CancelFuncs, registered children
//           (a child that can still be cancelled through this node keeps it in its
//           own parent's set); handles to its done channel count too (below).  When
//           the last of them goes nobody can see the node end: it is retired -- its
//           timer stopped and taken out of its parent's set, NOT cancelled (there is
//           nobody to tell).  Never back up from there: new observers come only from
//           existing ones (a copy, a child made from a Context, done() on a Context).
//   weak    the node's memory (and its done channel's): one unit until it retires,
//           each child (its `parent` link, for life), the parent's child list while
//           the node is on it, and the armed deadline timer (then the goroutine that
//           timer starts).  The node is freed when weak reaches zero, then its
//           parent's weak is released.
// Both release paths are loops, not recursions: freeing a chain of 100,000 nodes, or
// retiring ancestors that only a retired child kept alive, needs no stack depth.
//
// The done channel.  Its handles are observers too, counted by the channel itself
// (hchan refs), not one by one in strong.  The node keeps the channel's memory (a
// kept channel, hchan::kept in chan.hpp: freed with the node, so a canceller can
// still close it late) and holds one reference of its own while another observer
// lives; strong's top bit (kDoneRef) records that the channel was made.  Two ways
// for the last observer to go, one atomic decision between them:
//   * The other observers go first: the one that takes strong down to kDoneRef (no
//     Context, CancelFunc or child left) drops the node's reference.  If it was the
//     channel's last, nobody observes the node: it retires it there and then.
//   * The channel's handles go last: the hook (on_release) of its last reference
//     retires the node.
// Both decrement the same count, refs, so exactly one of them sees it reach zero, and
// that state is final: a new handle or observer is made only from an existing one,
// and there is none (done() needs a Context).  While a Context lives the node's
// reference does too, so done() is one lock-free load and a handle copy, and a loop
// that takes and drops done() (a select over ctx.done(), each turn) never reaches
// the hook.  Hence, with only done() held: the timer stays armed and the registration
// stays, up the whole chain of ancestors (each holds a strong unit on its parent), so
// the deadline or a cancelled ancestor closes the channel with the right err(); and a
// node whose handles, channel handles and children are all gone leaves its parent at
// once, so a long-lived parent does not grow with dropped children.
//
// Cancellation (the state machine is next to kLive below).  cancel_one(n) takes n.mu,
// moves n from live to cancelled, closes done (if it was ever made: with or without
// handles, it is the same channel) and takes n's whole child list; nothing else is
// done under the lock.  From then on the list belongs to the canceller alone: a child
// leaving the set (unregister) first checks, under the parent's lock, that the parent
// is live, and otherwise leaves the links alone.  So the canceller walks the detached
// subtree with no lock held, depth first through the children's own links (descend
// into a node's detached list, climb back through `parent` when a list ends),
// cancelling each node under its own lock and then dropping the registration it held
// (the list's weak unit on the child, the child's strong unit on its parent).  Linear
// in the subtree, no allocation, no recursion; each node is cancelled exactly once
// (cancel_one is the only live->cancelled edge).  A retired node may still be
// cancelled by a canceller that detached it first, or by a timer that fired before
// release could stop it: that is harmless, nobody sees it.
//
// Deadlines.  A node gets a timer of its own only if its deadline is earlier than its
// parent's (otherwise the parent's expiry reaches it first: Go's rule); that node is a
// DeadlineNode, the runtime timer embedded in the same allocation.  The timer fires
// with its heap's lock held, where cancelling is not allowed (a subtree may hold timers
// in other heaps: deltimer there could deadlock), so the callback only starts a
// goroutine that cancels (as Go's time.AfterFunc does); the armed weak reference moves
// into that goroutine.  A teardown that discards the timer drops the reference.
//
// done() is made on first use (most contexts are only passed down, or polled with
// err()) and published with one release store; afterwards done() is one lock-free
// load and one fetch_add, as copying a channel handle is.  A node cancelled before
// anyone asked hands out one shared closed channel instead.
//
// Lock order: a node's mu -> the done channel's lock -> scheduler locks (closechan
// readies waiters); a node's mu -> a timer heap's lock (arming).  Never two node locks
// at once: cancel takes one node lock at a time, and registration takes only the
// parent's.  The done channel's hook runs where its last handle is dropped, never
// under a channel or heap lock (as sleep.cpp's channel timers rely on too), and
// releases like a dropped Context.  No lock is held across anything that blocks.
//
// Rejected alternatives:
//   * Go's own layout (children in a map, cancel recursing under the parent's lock):
//     a map costs an allocation per insertion, and the recursion holds a whole
//     subtree's locks at once and needs stack depth proportional to the tree.
//   * std::shared_ptr / std::weak_ptr: a control block per node (or make_shared's
//     bigger blocks), and weak_ptr::lock on every cancellation step.
//   * Children never leaving the parent until it is cancelled (Go without the cancel
//     call, and what `go vet` warns about): a long-lived parent with many short-lived
//     children then grows without bound.  Releasing when nobody observes fixes that.
//   * Releasing on the last Context or CancelFunc and cancelling then (this file's
//     previous design): a done() channel still held closed at once, long before the
//     deadline or the parent's cancel that Go would wait for.
//   * The node pointing at a channel it does not keep, done() taking a reference with
//     an increment-if-not-zero: the channel may be freed between the load and the
//     increment, so every done() would need the node's lock (or hazard pointers).
//     Keeping the memory turns zero handles into a state instead of a death.
//   * A new channel per round of handles: done() would stop being one channel (Go's
//     is), and the old one would need freeing somewhere.
//   * A strong unit taken by done() whenever refs goes 0 -> 1 and dropped by the hook
//     at each 1 -> 0: a select over ctx.done() in a loop then pays two more atomic
//     operations on the node each turn (measured 21 -> 38 ns per done() and drop).
//     Keeping that unit while other observers live, and letting the hook and the
//     last observer's release each read the other's count behind a fence (Dekker),
//     still put the fence on every turn (30 -> 48 ns, in one run) and took two counts
//     to reason about; the node's own reference makes it one count, and the loop
//     costs what it did before done() handles counted (21 ns).
//   * The hook also handling the node's own last reference (chan_release instead of
//     chan_release_kept): the hook would retire the parent in a nested call, a
//     recursion as deep as a chain of contexts whose done() was made.
//   * The node holding a counted handle and a hook at refs 2 -> 1: a test in every
//     chan_release of every channel.
//   * Cancelling in the timer callback itself: see Deadlines.
//   * after_func for deadlines: a second allocation (its core and std::function) per
//     deadline context, where an embedded runtime timer costs none.
#include <gort/context.hpp>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>

#include <gort/go.hpp>

#include "chan.hpp"
#include "check.hpp"
#include "fatal.hpp"
#include "lock_futex.hpp"
#include "proc.hpp"
#include "time.hpp"

namespace gort::detail {

namespace {

// ContextNode::state, one byte.  The low bits hold the errc of a cancelled node.
//
//   kLive --cancel_one, under mu--> code --still under mu, done closed--> code|kFinished
//
// Only cancel_one makes these transitions, once per node (a node born cancelled
// starts at code|kFinished).  err() reads the byte lock-free; seeing a code without
// kFinished it takes mu once, so that err() != {} implies done() is closed.
constexpr std::uint8_t kLive = 0;
constexpr std::uint8_t kCodeMask = 0x3;  // holds errc::canceled / errc::deadline_exceeded
constexpr std::uint8_t kFinished = 0x4;
static_assert(static_cast<std::uint8_t>(errc::deadline_exceeded) <= kCodeMask);

// ContextNode::strong's top bit: the node holds a reference to its done channel
// (top of this file).  Set when the channel is made, for good; the observers count
// in the bits below it.
constexpr std::uint32_t kDoneRef = std::uint32_t{1} << 31;

// deadline value of a node without one (nanoseconds on Clock's epoch).  Requested
// deadlines saturate one below it.
constexpr std::int64_t kNoDeadline = INT64_MAX;
constexpr std::int64_t kLatestDeadline = kNoDeadline - 1;

}  // namespace

struct ContextNode {
  ContextNode(ContextNode* p, std::int64_t dl, bool timer, std::uint32_t users)
      : strong(users), has_timer(timer), parent(p), deadline(dl) {}
  ContextNode(const ContextNode&) = delete;
  ContextNode& operator=(const ContextNode&) = delete;
  ~ContextNode() {
    if (hchan* c = done.load(std::memory_order_relaxed)) chan_free(c);  // kept: no handle left
  }

  [[no_unique_address]] LiveCounted<LiveKind::kContextNodes> live;
  std::atomic<std::uint32_t> strong;    // observers (see the top of this file); atomics only
  std::atomic<std::uint32_t> weak{1};   // memory; the 1 is held until the node retires
  Lock mu;                              // guards the fields marked "mu"
  std::atomic<std::uint8_t> state{kLive};  // mu to write (or before n is shared); read lock-free
  bool registered = false;              // parent->mu: on the parent's child list
  const bool has_timer;                 // immutable: this is a DeadlineNode
  ContextNode* const parent;            // immutable; null under background().  Holds a weak unit
  ContextNode* prev = nullptr;          // parent->mu while registered and the parent is live;
  ContextNode* next = nullptr;          //   then the parent's canceller's alone
  ContextNode* children GORT_GUARDED_BY(mu) = nullptr;  // head of the child list; taken by cancel_one
  std::atomic<hchan*> done{nullptr};    // mu to write, once (release); the kept done channel, freed with n
  const std::int64_t deadline;          // immutable: ns on Clock's epoch, or kNoDeadline

  static Context handle(ContextNode* adopt) noexcept { return Context(adopt); }
  static ContextNode* of(const Context& c) noexcept { return c.node_; }
};

// One cache line on 64-bit targets: creating a child allocates this block only.
static_assert(sizeof(ContextNode) <= 64, "ContextNode grew past a cache line");

// A node with a deadline earlier than its parent's: it has its own timer.
struct DeadlineNode : ContextNode {
  using ContextNode::ContextNode;
  timer t;  // armed under mu while live; t.arg is this node
};

namespace {

void retain_strong(ContextNode* n) noexcept { n->strong.fetch_add(1, std::memory_order_relaxed); }
void retain_weak(ContextNode* n) noexcept { n->weak.fetch_add(1, std::memory_order_relaxed); }

void release_weak(ContextNode* n) noexcept {
  while (n != nullptr && n->weak.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    ContextNode* p = n->parent;
    // Its last weak unit is gone, so no list holds it and no child links to it: the
    // child list of a live parent holds a unit of each member (a cancelled parent's
    // list was detached by its canceller, which leaves `registered` as it was), and a
    // child holds a unit of its parent.  (Nobody else can take n->mu now: the check
    // takes it only because `children` is read under it everywhere.)
    if constexpr (kDebugChecks) {
      LockGuard lk(n->mu);
      GORT_CHECK(!(n->registered && p != nullptr && p->state.load(std::memory_order_relaxed) == kLive) &&
                     n->children == nullptr && (n->strong.load(std::memory_order_relaxed) & ~kDoneRef) == 0,
                 "context: node %p freed while on its live parent's list (%d), with children (%p) or %u observers",
                 static_cast<void*>(n), n->registered, static_cast<void*>(n->children),
                 n->strong.load(std::memory_order_relaxed) & ~kDoneRef);
    }
    if (n->has_timer) {
      // The goroutine fire_deadline started may drop the last unit before fire_deadline
      // returned: deltimer waits for that delivery to let go of the timer.
      auto* dn = static_cast<DeadlineNode*>(n);
      deltimer(&dn->t);
      delete dn;
    } else
      delete n;
    n = p;  // the child's link to its parent
  }
}

// Owns one weak unit: the reference an armed timer hands to its goroutine.
class WeakRef {
 public:
  explicit WeakRef(ContextNode* adopt) noexcept : n_(adopt) {}
  WeakRef(WeakRef&& o) noexcept : n_(std::exchange(o.n_, nullptr)) {}
  WeakRef(const WeakRef&) = delete;
  WeakRef& operator=(const WeakRef&) = delete;
  ~WeakRef() { release_weak(n_); }
  ContextNode* get() const noexcept { return n_; }

 private:
  ContextNode* n_;
};

// The closed channel that done() hands out for a node cancelled before anyone asked
// for its channel.  Never freed (it is reachable, so leak checkers do not mind).
const Chan<Done>& closed_done() {
  static const Chan<Done>* const closed = [] {
    auto* c = new Chan<Done>(make_chan<Done>());
    c->close();
    live_add(LiveKind::kChannels, -1);  // lives as long as the process: not a leak
    return c;
  }();
  return *closed;
}

struct Cancelled {
  bool now;               // this call cancelled the node (false: it was already)
  ContextNode* children;  // its detached child list, now the caller's
};

// The node's only live -> cancelled transition.
Cancelled cancel_one(ContextNode* n, errc code) noexcept {
  n->mu.lock();
  if (n->state.load(std::memory_order_relaxed) != kLive) {
    n->mu.unlock();
    return {false, nullptr};
  }
  const auto c = static_cast<std::uint8_t>(code);
  n->state.store(c, std::memory_order_release);  // before the close: a woken receiver sees err()
  // Not the shared closed channel: that one is handed out only once the node is cancelled.
  if (hchan* d = n->done.load(std::memory_order_relaxed)) closechan(d);
  ContextNode* kids = std::exchange(n->children, nullptr);
  n->state.store(c | kFinished, std::memory_order_release);
  n->mu.unlock();
  return {true, kids};
}

void stop_timer(ContextNode* n) noexcept {
  if (n->has_timer && deltimer(&static_cast<DeadlineNode*>(n)->t)) release_weak(n);  // it was armed
}

// Takes n off its parent's child list if it is on it and the parent is live (a
// cancelled parent's canceller owns the list).  True if this call did: the caller
// then drops the registration (the list's weak unit on n, n's strong unit on the parent).
bool unregister(ContextNode* n) noexcept {
  ContextNode* p = n->parent;
  if (p == nullptr || p->state.load(std::memory_order_acquire) != kLive) return false;
  p->mu.lock();
  const bool unlink = n->registered && p->state.load(std::memory_order_relaxed) == kLive;
  if (unlink) {
    if (n->prev != nullptr)
      n->prev->next = n->next;
    else
      p->children = n->next;
    if (n->next != nullptr) n->next->prev = n->prev;
    n->prev = n->next = nullptr;
    n->registered = false;
  }
  p->mu.unlock();
  return unlink;
}

void release_strong(ContextNode* n) noexcept;

// Drops n's registration in its parent once n left the list (unregister or a canceller).
void drop_registration(ContextNode* n) noexcept {
  ContextNode* p = n->parent;
  release_weak(n);  // never the last unit: the caller holds n
  release_strong(p);
}

// n's last observer went (release_strong, done_released): n goes quietly, uncancelled.
// (A canceller that detached n first, or a timer that had fired, may still cancel
// it: unseen.)  Returns the parent whose strong unit n held, if any.
ContextNode* retire(ContextNode* n) noexcept {
  ContextNode* up = nullptr;
  n->mu.lock();
  const bool orphans = n->children != nullptr;  // each registered child is a strong unit
  n->mu.unlock();
  if (orphans) fatal("context: retired with children registered");
  stop_timer(n);
  if (unregister(n)) {
    up = n->parent;
    release_weak(n);  // the list's unit (the strong unit is still held)
  }
  // (unregister false: n was born cancelled, a canceller took it off the list, or its
  // parent is cancelled and its canceller owns the list.)
  release_weak(n);  // the strong unit
  return up;
}

void release_strong(ContextNode* n) noexcept {
  // A loop: retiring n may drop the last observer of its parent (a parent only n kept
  // registered), and so on up the chain.
  while (n != nullptr) {
    const std::uint32_t was = n->strong.fetch_sub(1, std::memory_order_acq_rel);
    if (was == kDoneRef + 1) {
      // The last observer but the done channel's handles: the node lets its own
      // reference go.  Without chan_release (whose hook would retire n in a nested
      // call, a recursion up the chain): if it was the last, retire n here instead.
      if (!chan_release_kept(n->done.load(std::memory_order_acquire))) return;  // the hook will
    } else if (was != 1) {
      return;
    }
    n = retire(n);  // n's strong unit on its parent
  }
}

// The done channel's hook: its last handle went, after the node's own reference
// (release_strong), so nobody observes n any more.
void done_released(void* node) {
  auto* n = static_cast<ContextNode*>(node);
  if (n->strong.load(std::memory_order_relaxed) != kDoneRef) fatal("context: done channel released while observed");
  release_strong(retire(n));
}

// A handle to n's done channel c, for a caller that holds a Context: the node's own
// reference is still held (refs > 0), as for any copy of a handle.
RecvChan<Done> done_handle(hchan* c) noexcept {
  chan_retain(c);
  RecvChan<Done> h;
  ChanAccess::adopt(h, c);
  return h;
}

// done()'s first call: makes the channel (or hands out the shared closed one).
RecvChan<Done> make_done(ContextNode* n) {
  // Cancelled before anyone asked: no channel will be made now (only a live node
  // makes one), and the lock is not needed to say so.
  if ((n->state.load(std::memory_order_acquire) & kFinished) != 0 && n->done.load(std::memory_order_acquire) == nullptr)
    return closed_done();
  LockGuard lk(n->mu);
  if (hchan* c = n->done.load(std::memory_order_relaxed)) return done_handle(c);  // made meanwhile
  if (n->state.load(std::memory_order_relaxed) != kLive) return closed_done();
  hchan* c = makechan(&ChanElem<Done>::type, 0);  // refs 1: the node's own
  c->on_release = done_released;
  c->on_release_arg = n;
  c->kept = true;
  n->done.store(c, std::memory_order_release);
  // After the store: whoever finds kDoneRef in strong finds the channel too.
  n->strong.fetch_add(kDoneRef, std::memory_order_release);
  return done_handle(c);
}

// Cancels the detached child list `first` of `root` and every subtree under it,
// depth first through the nodes' own links; see the top of this file.
void cancel_children(ContextNode* root, ContextNode* first, errc code) noexcept {
  ContextNode* c = first;
  while (c != nullptr) {
    Cancelled r = cancel_one(c, code);
    if (r.now) stop_timer(c);
    if (r.children != nullptr) {  // descend; c is retired when its list is done
      c = r.children;
      continue;
    }
    // c's subtree is done: retire c, then go on with its next sibling, climbing to
    // (and retiring) each parent whose list is exhausted, up to root.
    for (;;) {
      ContextNode* next = c->next;
      ContextNode* p = c->parent;
      drop_registration(c);  // p stays: held by its own list, or root by the caller
      if (next != nullptr) {
        c = next;
        break;
      }
      if (p == root) {
        c = nullptr;
        break;
      }
      c = p;
    }
  }
}

// Cancels n and its subtree, and takes n out of its parent's child set.  The caller
// holds a reference to n (strong or weak).
void cancel(ContextNode* n, errc code) noexcept {
  Cancelled c = cancel_one(n, code);
  if (!c.now) return;
  stop_timer(n);
  if (unregister(n)) drop_registration(n);
  cancel_children(n, c.children, code);
}

// A CancelFunc's state: one strong unit.
class Canceller {
 public:
  explicit Canceller(ContextNode* adopt) noexcept : n_(adopt) {}
  Canceller(const Canceller& o) noexcept : n_(o.n_) { retain_strong(n_); }
  Canceller(Canceller&& o) noexcept : n_(std::exchange(o.n_, nullptr)) {}
  Canceller& operator=(const Canceller&) = delete;
  ~Canceller() {
    if (n_ != nullptr) release_strong(n_);
  }
  void operator()() const noexcept { cancel(n_, errc::canceled); }

 private:
  ContextNode* n_;
};

// Runs with the timer heap's lock held: only starts the goroutine that cancels.
void fire_deadline(timer* t, std::int64_t) {
  WeakRef ref(static_cast<ContextNode*>(t->arg));  // the armed unit
  gort::go([ref = std::move(ref)] { cancel(ref.get(), errc::deadline_exceeded); });
}

void discard_deadline(timer* t) { release_weak(static_cast<ContextNode*>(t->arg)); }

bool runtime_running() { return sched.running.load(std::memory_order_acquire) && !sched.allp.empty(); }

std::int64_t now_ns() { return Clock::now().time_since_epoch().count(); }

// A new child of parent with its own deadline `dl` (kNoDeadline: none), held by
// `users` strong units that the caller hands out.
ContextNode* new_child(const Context& parent_ctx, std::int64_t dl, std::uint32_t users, const char* what) {
  ContextNode* p = ContextNode::of(parent_ctx);
  const std::int64_t parent_dl = p != nullptr ? p->deadline : kNoDeadline;
  const bool own_deadline = dl < parent_dl;  // else the parent's comes first: no timer
  if (!own_deadline) dl = parent_dl;
  const bool expired = own_deadline && dl <= now_ns();
  const bool needs_timer = own_deadline && !expired;
  if (needs_timer && !runtime_running())
    throw std::logic_error(std::string("gort::") + what + ": a deadline needs a running gort::run");

  ContextNode* n = needs_timer ? new DeadlineNode(p, dl, true, users) : new ContextNode(p, dl, false, users);
  if (p != nullptr) {
    retain_weak(p);  // n's link, for life
    p->mu.lock();
    const std::uint8_t ps = p->state.load(std::memory_order_relaxed);
    if (ps == kLive) {
      n->next = p->children;
      if (n->next != nullptr) n->next->prev = n;
      p->children = n;
      n->registered = true;
      retain_weak(n);    // the list's unit
      retain_strong(p);  // n keeps p in p's parent's set
    }
    p->mu.unlock();
    if (ps != kLive) {  // born cancelled, with the parent's cause; nobody else sees n yet
      n->state.store((ps & kCodeMask) | kFinished, std::memory_order_relaxed);
      return n;
    }
  }
  if (expired) {
    cancel(n, errc::deadline_exceeded);
  } else if (needs_timer) {
    auto* dn = static_cast<DeadlineNode*>(n);
    dn->t.f = fire_deadline;
    dn->t.on_discard = discard_deadline;
    dn->t.arg = n;
    // Under mu: a parent cancelled meanwhile has cancelled n, and then nothing arms.
    LockGuard lk(n->mu);
    if (n->state.load(std::memory_order_relaxed) == kLive) {
      retain_weak(n);  // the armed unit
      addtimer(&dn->t, dl);
    }
  }
  return n;
}

std::pair<Context, CancelFunc> make_pair_for(ContextNode* n) {
  Context ctx = ContextNode::handle(n);  // strong unit 1
  return {std::move(ctx), CancelFunc(Canceller(n))};  // strong unit 2 (released if this throws)
}

std::int64_t saturate(Clock::time_point t) {
  return std::min(t.time_since_epoch().count(), kLatestDeadline);
}

}  // namespace

Context context_with_cancel(const Context& parent) {
  return ContextNode::handle(new_child(parent, kNoDeadline, 1, "Group"));
}

void context_cancel(const Context& ctx) noexcept {
  if (ContextNode* n = ContextNode::of(ctx)) cancel(n, errc::canceled);
}

std::size_t context_child_count(const Context& ctx) {
  ContextNode* n = ContextNode::of(ctx);
  if (n == nullptr) return 0;
  LockGuard lk(n->mu);
  std::size_t k = 0;
  for (ContextNode* c = n->children; c != nullptr; c = c->next) ++k;
  return k;
}

}  // namespace gort::detail

namespace gort {

using detail::ContextNode;

namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "gort"; }
  std::string message(int code) const override {
    switch (static_cast<errc>(code)) {
      case errc::canceled:
        return "context canceled";  // Go's texts
      case errc::deadline_exceeded:
        return "context deadline exceeded";
    }
    return "unknown gort error";
  }
  // So that generic code can test for a timeout or a cancellation.
  std::error_condition default_error_condition(int code) const noexcept override {
    switch (static_cast<errc>(code)) {
      case errc::canceled:
        return std::errc::operation_canceled;
      case errc::deadline_exceeded:
        return std::errc::timed_out;
    }
    return {code, *this};
  }
};

}  // namespace

const std::error_category& gort_category() noexcept {
  static const Category category;  // trivially destructible state: safe after exit begins
  return category;
}

Context::Context(const Context& other) noexcept : node_(other.node_) {
  if (node_ != nullptr) detail::retain_strong(node_);
}

Context::~Context() {
  if (node_ != nullptr) detail::release_strong(node_);
}

RecvChan<Done> Context::done() const {
  ContextNode* n = node_;
  if (n == nullptr) return {};
  if (detail::hchan* c = n->done.load(std::memory_order_acquire)) return detail::done_handle(c);
  return detail::make_done(n);
}

std::error_code Context::err() const {
  ContextNode* n = node_;
  if (n == nullptr) return {};
  std::uint8_t s = n->state.load(std::memory_order_acquire);
  if (s == detail::kLive) return {};
  if ((s & detail::kFinished) == 0) {  // the canceller is closing done(): wait for it
    n->mu.lock();
    n->mu.unlock();
  }
  return make_error_code(static_cast<errc>(s & detail::kCodeMask));
}

std::optional<Clock::time_point> Context::deadline() const {
  if (node_ == nullptr || node_->deadline == detail::kNoDeadline) return std::nullopt;
  return Clock::time_point(Clock::duration(node_->deadline));
}

std::pair<Context, CancelFunc> with_cancel(const Context& parent) {
  return detail::make_pair_for(detail::new_child(parent, detail::kNoDeadline, 2, "with_cancel"));
}

std::pair<Context, CancelFunc> with_deadline(const Context& parent, Clock::time_point t) {
  return detail::make_pair_for(detail::new_child(parent, detail::saturate(t), 2, "with_deadline"));
}

std::pair<Context, CancelFunc> with_timeout(const Context& parent, Clock::duration d) {
  const Clock::time_point now = Clock::now();
  const Clock::duration since = now.time_since_epoch();  // >= 0: the epoch is in the past
  Clock::time_point t;
  if (d > Clock::duration::max() - since)  // saturate instead of wrapping around
    t = Clock::time_point::max();
  else if (d < Clock::duration::min() + since)
    t = Clock::time_point::min();
  else
    t = now + d;
  return detail::make_pair_for(detail::new_child(parent, detail::saturate(t), 2, "with_timeout"));
}

}  // namespace gort
