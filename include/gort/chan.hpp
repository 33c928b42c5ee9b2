// chan.hpp -- channels: gort::Chan<T>, SendChan<T>, RecvChan<T>, make_chan<T>.
//
//   auto jobs = gort::make_chan<Job>(16);      // buffered: 16 values
//   auto done = gort::make_chan<int>();        // unbuffered: a rendezvous
//   gort::go([jobs, done] {                    // handles are shared: copy = same channel
//     int n = 0;
//     for (Job j : jobs) { run(j); ++n; }      // receives until closed and drained
//     done.send(n);
//   });
//   for (auto& j : batch) jobs.send(std::move(j));
//   jobs.close();
//   int processed = done.recv().value();
//
// Semantics are Go's (chan.go):
// - send(v) blocks until a receiver takes v (unbuffered) or there is room in the
//   buffer.  On a closed channel, or when the channel is closed while it waits, it
//   panics "send on closed channel" (a gort::Panic).
// - recv() blocks until a value comes; it returns std::nullopt once the channel is
//   closed and every buffered value has been received.
// - try_send(v) / try_recv() never block: Go's select with a default case.
//   try_send returns false and leaves v untouched when the value cannot be taken at
//   once; on a closed channel it panics like send.  try_recv returns nullopt when no
//   value is ready, or when the channel is closed and drained.
// - close() wakes every waiter: receivers drain the buffer, then get nullopt; waiting
//   senders panic.  Closing a closed or nil channel panics "close of closed channel" /
//   "close of nil channel".  Only senders should close (SendChan has close(), RecvChan
//   does not).
// - Chan<T>{} is the nil channel: send and recv block forever, try_* fail, its select
//   cases are never ready, close panics.  operator bool tells nil from made channels.
// - A Chan is a shared handle, like shared_ptr: copying it is cheap, == compares
//   identity, and the channel (with any values still buffered) is destroyed with its
//   last handle.  Handle objects themselves are not synchronised: share the channel
//   by giving each goroutine its own copy, not by sharing one handle object.
// - SendChan<T> (Go's chan<- T) and RecvChan<T> (<-chan T) convert implicitly from
//   Chan<T> and expose only their half; using the other half is a compile error
//   that says "send-only channel" / "receive-only channel".
// - All operations work from threads that are not goroutines (and inside
//   gort::blocking): they block the thread instead of parking a goroutine.
//
// T must be a move-constructible object type; it may be move-only or have no default
// constructor.  Values are moved, never copied, through the channel.  T's move
// constructor should not throw: one that throws inside a channel operation ends the
// process (std::terminate).  An unbuffered channel hands the value from the sender's
// frame straight to the receiver's; a buffered one keeps a ring of capacity() values.
// Empty trivially copyable types (the usual "signal" type) take no buffer memory.
#pragma once

#include <cstddef>
#include <functional>
#include <iterator>
#include <memory>
#include <new>
#include <optional>
#include <type_traits>
#include <utility>

#include "detail/chan_core.hpp"

namespace gort {

template <class T>
class Chan;
template <class T>
class SendChan;
template <class T>
class RecvChan;
template <class T>
Chan<T> make_chan(std::size_t capacity = 0);

namespace detail {

// Raw storage for one T that the core constructs into.
template <class T>
struct ElemSlot {
  alignas(T) unsigned char bytes[sizeof(T)];
  void* addr() noexcept { return bytes; }
  T* get() noexcept { return std::launder(reinterpret_cast<T*>(bytes)); }
  // Moves the T the core constructed here into `out`, and destroys it.
  void move_into(std::optional<T>& out) {
    struct Destroy {
      T* p;
      ~Destroy() { p->~T(); }
    } destroy{get()};
    out.emplace(std::move(*destroy.p));
  }
};

// Receives into out (which must be empty); returns the core's status.
template <class T>
ChanStatus recv_into(hchan* c, std::optional<T>& out, bool block) {
  ElemSlot<T> slot;
  ChanStatus st = chanrecv(c, slot.addr(), block);
  if (st == ChanStatus::kOk) slot.move_into(out);
  return st;
}

// range-for over a channel: an input iterator whose end is std::default_sentinel.
template <class T>
class ChanIterator {
 public:
  using value_type = T;
  using difference_type = std::ptrdiff_t;
  using reference = T&&;
  using iterator_concept = std::input_iterator_tag;
  using iterator_category = std::input_iterator_tag;

  ChanIterator() = default;
  explicit ChanIterator(hchan* c) : c_(c) { ++*this; }

  // The received value, to be moved from: `for (T v : ch)` works for move-only T.
  T&& operator*() const { return std::move(*cur_); }
  ChanIterator& operator++() {
    cur_.reset();
    recv_into(c_, cur_, true);
    return *this;
  }
  void operator++(int) { ++*this; }
  friend bool operator==(const ChanIterator& it, std::default_sentinel_t) noexcept { return !it.cur_.has_value(); }

 private:
  hchan* c_ = nullptr;
  mutable std::optional<T> cur_;
};

// Every operation, for the three handle types to expose their halves of.  The
// operations are const: constness of a handle is not constness of the channel.
template <class T>
class ChanBase : public ChanHandle {
  static_assert(std::is_object_v<T> && !std::is_const_v<T> && !std::is_volatile_v<T> && !std::is_array_v<T>,
                "gort::Chan<T>: T must be a non-const, non-array object type");
  static_assert(std::is_move_constructible_v<T>, "gort::Chan<T>: T must be move-constructible");

 public:
  using value_type = T;

 protected:
  ChanBase() noexcept = default;
  explicit ChanBase(hchan* adopt) noexcept : ChanHandle(adopt) {}
  explicit ChanBase(const ChanHandle& h) noexcept : ChanHandle(h) {}
  explicit ChanBase(ChanHandle&& h) noexcept : ChanHandle(std::move(h)) {}

  void send(T v) const { chansend(core(), std::addressof(v), true); }
  bool try_send(T&& v) const { return chansend(core(), std::addressof(v), false) == ChanStatus::kOk; }
  bool try_send(const T& v) const {
    T copy(v);
    return try_send(std::move(copy));
  }
  void close() const { closechan(core()); }

  std::optional<T> recv() const {
    std::optional<T> out;
    recv_into(core(), out, true);
    return out;
  }
  std::optional<T> try_recv() const {
    std::optional<T> out;
    recv_into(core(), out, false);
    return out;
  }
  ChanIterator<T> begin() const { return ChanIterator<T>(core()); }
  std::default_sentinel_t end() const noexcept { return {}; }
};

}  // namespace detail

// A bidirectional channel (Go's chan T).
template <class T>
class Chan : public detail::ChanBase<T> {
  using Base = detail::ChanBase<T>;

 public:
  Chan() noexcept = default;  // the nil channel

  using Base::send;      // void send(T v)
  using Base::try_send;  // bool try_send(T&& v), bool try_send(const T& v)
  using Base::recv;      // std::optional<T> recv()
  using Base::try_recv;  // std::optional<T> try_recv()
  using Base::close;     // void close()
  using Base::begin;     // range-for: receives until closed and drained
  using Base::end;

  friend bool operator==(const Chan& a, const Chan& b) noexcept {
    return detail::ChanAccess::core(a) == detail::ChanAccess::core(b);
  }

 private:
  explicit Chan(detail::hchan* adopt) noexcept : Base(adopt) {}
  template <class U>
  friend Chan<U> make_chan(std::size_t capacity);
};

// The sending half (Go's chan<- T): send, try_send, close.
template <class T>
class SendChan : public detail::ChanBase<T> {
  using Base = detail::ChanBase<T>;

 public:
  SendChan() noexcept = default;  // the nil channel
  SendChan(const Chan<T>& c) noexcept : Base(static_cast<const detail::ChanHandle&>(c)) {}  // NOLINT: implicit
  SendChan(Chan<T>&& c) noexcept : Base(static_cast<detail::ChanHandle&&>(c)) {}            // NOLINT: implicit

  using Base::send;
  using Base::try_send;
  using Base::close;

  // Receiving is not this half's: these exist only so that the compiler says so.
  std::optional<T> recv() const = delete;       // send-only channel (chan<- T): receive from a Chan or RecvChan
  std::optional<T> try_recv() const = delete;   // send-only channel (chan<- T): receive from a Chan or RecvChan
  void begin() const = delete;                  // send-only channel (chan<- T): range over a Chan or RecvChan
  void end() const = delete;                    // send-only channel (chan<- T): range over a Chan or RecvChan

  friend bool operator==(const SendChan& a, const SendChan& b) noexcept {
    return detail::ChanAccess::core(a) == detail::ChanAccess::core(b);
  }
};

// The receiving half (Go's <-chan T): recv, try_recv, range-for.
template <class T>
class RecvChan : public detail::ChanBase<T> {
  using Base = detail::ChanBase<T>;

 public:
  RecvChan() noexcept = default;  // the nil channel
  RecvChan(const Chan<T>& c) noexcept : Base(static_cast<const detail::ChanHandle&>(c)) {}  // NOLINT: implicit
  RecvChan(Chan<T>&& c) noexcept : Base(static_cast<detail::ChanHandle&&>(c)) {}            // NOLINT: implicit

  using Base::recv;
  using Base::try_recv;
  using Base::begin;
  using Base::end;

  // Sending and closing are not this half's: these exist only so that the compiler says so.
  template <class U>
  void send(U&&) const = delete;       // receive-only channel (<-chan T): send on a Chan or SendChan
  template <class U>
  bool try_send(U&&) const = delete;   // receive-only channel (<-chan T): send on a Chan or SendChan
  void close() const = delete;         // receive-only channel (<-chan T): only a sender closes (Chan or SendChan)

  friend bool operator==(const RecvChan& a, const RecvChan& b) noexcept {
    return detail::ChanAccess::core(a) == detail::ChanAccess::core(b);
  }
};

// A new channel with room for `capacity` buffered values (0: unbuffered).  Panics
// "makechan: size out of range" if the buffer cannot be allocated.
template <class T>
Chan<T> make_chan(std::size_t capacity) {
  return Chan<T>(detail::makechan(&detail::ChanElem<T>::type, capacity));
}

}  // namespace gort

// Channels are comparable, so they may be keys of unordered containers, as in Go.
template <class T>
struct std::hash<gort::Chan<T>> {
  std::size_t operator()(const gort::Chan<T>& c) const noexcept {
    return std::hash<const void*>()(gort::detail::ChanAccess::core(c));
  }
};
template <class T>
struct std::hash<gort::SendChan<T>> {
  std::size_t operator()(const gort::SendChan<T>& c) const noexcept {
    return std::hash<const void*>()(gort::detail::ChanAccess::core(c));
  }
};
template <class T>
struct std::hash<gort::RecvChan<T>> {
  std::size_t operator()(const gort::RecvChan<T>& c) const noexcept {
    return std::hash<const void*>()(gort::detail::ChanAccess::core(c));
  }
};
