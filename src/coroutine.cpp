// coroutine.cpp -- Coroutine: a context on a pooled stack, resumed and suspended
// explicitly by its owner.  No scheduler: resume() switches from the caller's context
// (a thread's own stack, a goroutine, or another coroutine) to the coroutine's, and
// Yield switches back.
//
// The control block (CoroutineFrame) lives at the top of the coroutine's own stack,
// so a coroutine costs one pooled stack and no heap allocation besides the body's
// std::function; a moved Coroutine hands over that pointer, and the Yield object held
// by the body keeps pointing at the same block.
//
// Destroying a suspended coroutine resumes it with `unwinding` set; its pending
// yield throws CoroutineUnwind, which runs the body's destructors up to the entry
// function, which then finishes the coroutine.  A body that swallows that exception
// and yields again gets it again, up to kMaxUnwindResumes times; then it is a fatal
// error rather than a silent leak or an endless loop.
#include <gort/coroutine.hpp>
#include <gort/detail/unwind.hpp>

#include <cerrno>
#include <exception>
#include <new>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>

#include "fatal.hpp"
#include "gobuf.hpp"
#include "os.hpp"
#include "stack.hpp"

namespace gort::detail {

struct CoroutineFrame {
  enum class State : std::uint8_t { kCreated, kSuspended, kRunning, kDone };

  Gobuf self;    // the coroutine's context while it is suspended
  Gobuf caller;  // resume()'s context while the coroutine runs
  std::function<void(Coroutine::Yield&)> body;
  std::exception_ptr error;  // escaped the body; rethrown by resume()
  Stack stack;
  void* exchange = nullptr;  // Generator: address of the value being yielded
  State state = State::kCreated;
  bool unwinding = false;

  static void entry(void* transfer, void* data);
  void switch_in() {
    state = State::kRunning;
    gobuf_switch(&caller, &self, this_thread_eh_for_coroutine());
  }
};

namespace {
constexpr int kMaxUnwindResumes = 16;
constexpr std::size_t kFrameReserve = (sizeof(CoroutineFrame) + 63) / 64 * 64;
}  // namespace

void CoroutineFrame::entry(void* transfer, void* data) {
  gobuf_arrived(nullptr, static_cast<Gobuf*>(transfer));
  auto* f = static_cast<CoroutineFrame*>(data);
  {
    Coroutine::Yield yield(f);
    try {
      f->body(yield);
    } catch (const CoroutineUnwind&) {
    } catch (...) {
      f->error = std::current_exception();
    }
  }
  f->state = State::kDone;
  f->exchange = nullptr;
  gobuf_switch(&f->self, &f->caller, this_thread_eh(), /*from_exits=*/true);
  __builtin_unreachable();
}

void** coroutine_exchange(CoroutineFrame* frame) { return &frame->exchange; }

}  // namespace gort::detail

namespace gort {

using detail::CoroutineFrame;

void Coroutine::Yield::operator()() {
  CoroutineFrame* f = frame_;
  f->state = CoroutineFrame::State::kSuspended;
  detail::gobuf_switch(&f->self, &f->caller, detail::this_thread_eh());
  // Resumed.  By the destructor?  Then unwind, unless a destructor is already
  // unwinding this stack (a second exception would terminate).
  if (f->unwinding && std::uncaught_exceptions() == 0) throw detail::CoroutineUnwind{};
}

Coroutine::Coroutine(std::function<void(Yield&)> body, std::size_t stack_size) {
  if (!body) throw std::invalid_argument("gort::Coroutine: empty body");
  std::size_t size = detail::stack_size_for(stack_size);
  detail::install_stack_overflow_handler();
  detail::Stack st = detail::stack_alloc(size);
  // Not fatal, unlike a goroutine's stack: the caller asked for this object and can
  // handle its failure, as it would std::thread's (coroutine.hpp).
  if (!st)
    throw std::system_error(errno, std::generic_category(),
                            "gort::Coroutine: cannot reserve a " + std::to_string(size) + "-byte stack");
  char* top = st.hi - detail::kFrameReserve;
  frame_ = ::new (top) CoroutineFrame;
  frame_->body = std::move(body);
  frame_->stack = st;
  detail::gobuf_init(&frame_->self, st.lo, top, st.canary(), &CoroutineFrame::entry, frame_);
}

Coroutine::Coroutine(Coroutine&& other) noexcept : frame_(std::exchange(other.frame_, nullptr)) {}

Coroutine& Coroutine::operator=(Coroutine&& other) noexcept {
  if (this != &other) {
    destroy();
    frame_ = std::exchange(other.frame_, nullptr);
  }
  return *this;
}

Coroutine::~Coroutine() { destroy(); }

void Coroutine::destroy() noexcept {
  CoroutineFrame* f = std::exchange(frame_, nullptr);
  if (f == nullptr) return;
  if (f->state == CoroutineFrame::State::kRunning)
    detail::fatal("gort::Coroutine destroyed while it is running");
  if (f->state == CoroutineFrame::State::kSuspended) {
    f->unwinding = true;
    for (int i = 0; f->state != CoroutineFrame::State::kDone; ++i) {
      if (i == detail::kMaxUnwindResumes)
        detail::fatal("a destroyed gort::Coroutine keeps yielding instead of unwinding (catch (...) without rethrow?)");
      f->switch_in();
    }
  }
  detail::Stack st = f->stack;
  detail::gobuf_release(&f->self);
  f->~CoroutineFrame();  // the body's captures die here, on the caller's stack
  detail::stack_free(st);
}

bool Coroutine::resume() {
  CoroutineFrame* f = frame_;
  if (f == nullptr || f->state == CoroutineFrame::State::kDone) return false;
  if (f->state == CoroutineFrame::State::kRunning)
    throw std::logic_error("gort::Coroutine::resume: the coroutine is already running");
  f->switch_in();
  if (f->error) std::rethrow_exception(std::exchange(f->error, nullptr));
  return f->state != CoroutineFrame::State::kDone;
}

bool Coroutine::done() const { return frame_ == nullptr || frame_->state == CoroutineFrame::State::kDone; }

}  // namespace gort
