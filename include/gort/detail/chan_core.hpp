// detail/chan_core.hpp -- the type-erased channel core that Chan<T> and select wrap.
//
// Every Chan<T> shares one implementation (src/chan.cpp, src/select.cpp): the core
// sees an element only as `size` bytes plus two operations, move-construct and
// destroy, described once per T by ChanElemType.  The templates in chan.hpp and
// select.hpp only build values in their own frames and pass pointers to them:
//   send: a pointer to a live T; the core move-constructs from it only if the value is
//         taken (a failed try_send leaves it untouched); the caller destroys it as usual.
//   recv: a pointer to raw storage for a T; the core constructs a T there only when it
//         reports kOk; the caller then owns (and destroys) that T.
// Nothing here is public API.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <type_traits>
#include <utility>

namespace gort::detail {

struct hchan;  // src/chan.hpp

// How the core handles one element type.  move == nullptr: trivially copyable, moved
// with memcpy (and destroy is then nullptr too).  size == 0: an empty trivially
// copyable type (Go's struct{}): the buffer takes no memory and nothing is copied.
struct ChanElemType {
  std::size_t size;
  std::size_t align;
  void (*move)(void* dst, void* src) noexcept;  // ::new (dst) T(std::move(*src))
  void (*destroy)(void* p) noexcept;            // p->~T()
};

template <class T>
struct ChanElem {
  // A throwing move constructor cannot be unwound from the middle of a channel
  // operation (the value would be half in the channel): it ends the process, as a
  // failure inside Go's typedmemmove would.
  static void move(void* dst, void* src) noexcept { ::new (dst) T(std::move(*static_cast<T*>(src))); }
  static void destroy(void* p) noexcept { static_cast<T*>(p)->~T(); }

  static constexpr bool kTrivial = std::is_trivially_copyable_v<T>;
  static constexpr ChanElemType type{
      kTrivial && std::is_empty_v<T> ? 0 : sizeof(T),
      alignof(T),
      kTrivial ? nullptr : &move,
      kTrivial ? nullptr : &destroy,
  };
};

// Outcome of a channel operation.
enum class ChanStatus : std::uint8_t {
  kOk,         // sent, or received a value
  kNotReady,   // non-blocking operation that would have blocked
  kClosed,     // receive on a closed, drained channel (no value)
  kCancelled,  // teardown cancelled the wait of an unwinding goroutine (no value)
};

// Panics "makechan: size out of range" when the buffer cannot be allocated.
hchan* makechan(const ChanElemType* t, std::size_t size);
void chan_retain(hchan* c) noexcept;   // c may be null
void chan_release(hchan* c) noexcept;  // c may be null; frees on the last reference

// c may be null (the nil channel: blocks forever, or kNotReady when !block).
// chansend panics "send on closed channel".
ChanStatus chansend(hchan* c, void* ep, bool block);
ChanStatus chanrecv(hchan* c, void* ep, bool block);
void closechan(hchan* c);  // panics "close of nil channel" / "close of closed channel"
std::size_t chanlen(const hchan* c) noexcept;
std::size_t chancap(const hchan* c) noexcept;

// ------------------------------------------------------------------------ select

// One channel case of a select, as the template describes it (src/select.cpp).
struct SelectCase {
  hchan* c;      // null: a nil channel (never ready)
  void* elem;    // send: the value to move from; recv: raw storage for the value
  bool is_send;
};

// Opaque room for one sudog in the select's frame: the core's Sudog is internal
// (src/chan.hpp), which checks that it fits.
inline constexpr std::size_t kSudogBytes = 56;
struct alignas(void*) SudogSlot {
  unsigned char bytes[kSudogBytes];
};

// select with no case: blocks forever (returns only at teardown, see selectgo).
void block_forever();

// ------------------------------------------------------------------- the handle

struct ChanAccess;

// Shared ownership of one hchan: copy = same channel; the channel is freed with its
// last handle.  Base of Chan, SendChan and RecvChan.
class ChanHandle {
 public:
  ChanHandle() noexcept = default;
  ChanHandle(const ChanHandle& o) noexcept : c_(o.c_) {
    if (c_ != nullptr) chan_retain(c_);
  }
  ChanHandle(ChanHandle&& o) noexcept : c_(std::exchange(o.c_, nullptr)) {}
  ChanHandle& operator=(ChanHandle o) noexcept {
    std::swap(c_, o.c_);
    return *this;
  }
  ~ChanHandle() {
    if (c_ != nullptr) chan_release(c_);  // (moved-from and nil handles: no call)
  }

  explicit operator bool() const noexcept { return c_ != nullptr; }  // non-nil
  std::size_t size() const noexcept { return chanlen(c_); }          // values buffered
  std::size_t capacity() const noexcept { return chancap(c_); }      // 0: unbuffered

 protected:
  explicit ChanHandle(hchan* adopt) noexcept : c_(adopt) {}
  hchan* core() const noexcept { return c_; }

 private:
  friend struct ChanAccess;
  hchan* c_ = nullptr;
};

// For select's cases: the core of any handle, and taking a handle's reference.  For
// context.cpp: making a nil handle own a reference the caller took on c.
struct ChanAccess {
  static hchan* core(const ChanHandle& h) noexcept { return h.c_; }
  static ChanHandle take(ChanHandle&& h) noexcept { return ChanHandle(std::move(h)); }
  static void adopt(ChanHandle& nil, hchan* c) noexcept { nil.c_ = c; }
};

}  // namespace gort::detail
