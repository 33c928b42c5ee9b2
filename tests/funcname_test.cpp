// funcname_test.cpp -- how reports name the function that created a goroutine.
#include <sstream>
#include <string>

#include "funcname.hpp"
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
