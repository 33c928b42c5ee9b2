// funcname_test.cpp -- how reports name the function that created a goroutine.
#include <execinfo.h>

#include <cstdint>
#include <sstream>
#include <string>

#include "funcname.hpp"
#include "throwtrace.hpp"
#include "test_util.hpp"

namespace {

std::string shown(const char* raw) {
  char out[gort::detail::kFunctionNameMax];
  gort::detail::function_display_name(raw, out, sizeof out);
  return out;
}

TEST(FunctionName, ShortFormOfCompilerNames) {
  EXPECT_EQ(shown("int main()"), "main");
  EXPECT_EQ(shown("main()::<lambda()>"), "main::<lambda()>");
  EXPECT_EQ(shown("void {anonymous}::worker(int, const std::string&)"), "{anonymous}::worker");
  EXPECT_EQ(shown("void Pool::run() const"), "Pool::run");
  EXPECT_EQ(shown("void Pool<T>::run() const [with T = int]"), "Pool<T>::run");
  EXPECT_EQ(shown("std::vector<int> make(std::size_t)"), "make");
  EXPECT_EQ(shown("Server::serve(int)::<lambda(Conn)>"), "Server::serve::<lambda(Conn)>");
  EXPECT_EQ(shown("main()::X::m() &&::<lambda()>"), "main::X::m::<lambda()>");
  EXPECT_EQ(shown("void X::operator()() const"), "X::operator()");
  EXPECT_EQ(shown("operator()"), "operator()");  // __builtin_FUNCTION in a lambda
  EXPECT_EQ(shown("worker"), "worker");
  EXPECT_EQ(shown(nullptr), "?");
}

// The demangler's forms, which tracebacks get from the symbol table.
TEST(FunctionName, ShortFormOfDemangledLambdas) {
  EXPECT_EQ(shown("main::{lambda()#1}::operator()() const"), "main::<lambda()>");
  EXPECT_EQ(shown("main::{lambda()#1}::operator()() const::{lambda(int)#2}::operator()(int) const"),
            "main::<lambda()>::<lambda(int)>");
  EXPECT_EQ(shown("ns::S::run(int)::{lambda(auto:1)#1}::operator()<int>(int) const"), "ns::S::run::<lambda(auto:1)>");
  EXPECT_EQ(shown("(anonymous namespace)::T::TestBody()::{lambda()#1}::operator()() const"),
            "{anonymous}::T::TestBody::<lambda()>");
  EXPECT_EQ(shown("void (anonymous namespace)::worker(int)"), "{anonymous}::worker");
}

std::string lambda_in(const char* caller) {
  char out[gort::detail::kFunctionNameMax];
  return gort::detail::lambda_argument_display_name(caller, out, sizeof out) ? out : "(none)";
}

// An inlined lambda's frame is named by the template it was inlined into.
TEST(FunctionName, LambdaTypeAmongTheCallersTemplateArguments) {
  EXPECT_EQ(lambda_in("__invoke_impl<void, main()::<lambda()>::<lambda()> >"), "main::<lambda()>::<lambda()>");
  EXPECT_EQ(lambda_in("__invoke<const Server::serve(int, const std::string&)::<lambda(Conn)>&, Conn>"),
            "Server::serve::<lambda(Conn)>");
  EXPECT_EQ(lambda_in("void callit<main::{lambda(int, char)#1}>(main::{lambda(int, char)#1})"), "main::<lambda(int, char)>");
  EXPECT_EQ(lambda_in("gort::detail::GoFrame<main::{lambda()#1} const&>::run(void*)"), "main::<lambda()>");
  // Not the lambda inside another argument's template arguments: the argument itself.
  EXPECT_EQ(lambda_in("__invoke_impl<void, go_checked<main()::<lambda()> >(const CallSite&)::<lambda(WaitGroup*)>, int>"),
            "go_checked<main()::<lambda()> >::<lambda(WaitGroup*)>");
  EXPECT_EQ(lambda_in("__invoke_impl<void, std::vector<main()::<lambda()> > >"), "(none)");
  EXPECT_EQ(lambda_in("void f(main()::<lambda()>)"), "(none)");  // a parameter, not a template argument
  EXPECT_EQ(lambda_in("main"), "(none)");
  EXPECT_EQ(lambda_in("operator()"), "(none)");
}

__attribute__((noinline)) std::string frames_here() {
  void* pcs[64];
  int n = backtrace(pcs, 64);
  std::string out;
  gort::detail::append_frames(out, reinterpret_cast<std::uintptr_t*>(pcs), static_cast<std::uint32_t>(n));
  return out;
}

template <class F>
__attribute__((noinline)) std::string call_through_a_template(F f) {
  std::string s = f();
  asm volatile("" ::: "memory");  // not a tail call
  return s;
}

// Tracebacks name a lambda's frame as "created by" does, whether the lambda was
// inlined (-O2: the release and sanitizer presets' tests; DWARF calls it only
// "operator()") or not (its symbol names it).
TEST(FunctionName, TracebacksNameLambdasByTheirEnclosingFunction) {
#if !GORT_TEST_SYMBOLIZED || defined(__clang__)
  GTEST_SKIP() << "needs GCC's libbacktrace and g++'s names for lambdas";
#endif
  const std::string test = "{anonymous}::FunctionName_TracebacksNameLambdasByTheirEnclosingFunction_Test::TestBody";
  const std::string through = call_through_a_template([] { return frames_here(); });
  EXPECT_NE(through.find("\n" + test + "::<lambda()>\n\t"), std::string::npos) << through;
  EXPECT_EQ(through.find("operator()"), std::string::npos) << through;
  int n = 0;
  auto called_here = [&n] {
    ++n;
    return frames_here();
  };
  const std::string here = called_here();
  EXPECT_NE(here.find("\n" + test + "::<lambda"), std::string::npos) << here;
  EXPECT_EQ(here.find("operator()"), std::string::npos) << here;
}

TEST(FunctionName, TruncatesToTheBuffer) {
  char out[5];
  gort::detail::function_display_name("int abcdefgh()", out, sizeof out);
  EXPECT_STREQ(out, "abcd");
}

void spawn_from_a_named_function(gort::WaitGroup& wg, gort::Chan<int>& gate) {
  wg.go([&gate] { (void)gate.recv(); });
}

// A goroutine started inside a lambda is named by the lambda's enclosing function
// where the standard library records it (std::source_location), not "operator()".
TEST(FunctionName, DumpsNameTheFunctionThatCalledGo) {
  gort::run([] {
    auto gate = gort::make_chan<int>();
    gort::WaitGroup wg;
    spawn_from_a_named_function(wg, gate);
    auto spawn_here = [&] {
      gort::go([&wg, gate] {
        (void)gate.recv();
        wg.done();
      });
    };
    wg.add(1);
    spawn_here();
    ASSERT_TRUE(gort_test::await_parked("chan receive", 2));
    std::ostringstream out;
    gort::dump_goroutines(out);
    const std::string dump = out.str();
    EXPECT_NE(dump.find("spawn_from_a_named_function in goroutine 1\n"), std::string::npos) << dump;
#if defined(__cpp_lib_source_location)
    EXPECT_NE(dump.find("FunctionName_DumpsNameTheFunctionThatCalledGo_Test::TestBody::<lambda()>::<lambda()> in goroutine 1\n"),
              std::string::npos)
        << dump;
    EXPECT_EQ(dump.find("created by operator()"), std::string::npos) << dump;
#endif
    gate.close();
    wg.wait();
  });
}

}  // namespace
