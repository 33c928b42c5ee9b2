// funcname.hpp -- how a function's name is shown in goroutine reports.
#pragma once

#include <cstddef>

namespace gort::detail {

// Writes to out (NUL-terminated, truncated to cap) the short form of a compiler's
// function name: the qualified name without return type, parameter lists, cv
// qualifiers or template bindings, as Go prints "main.worker".  g++'s
// std::source_location names, as recorded at `go` call sites:
//   "int main()"                        -> "main"
//   "main()::<lambda()>"                -> "main::<lambda()>"
//   "void {anonymous}::worker(int)"     -> "{anonymous}::worker"
//   "void Pool::run() const [with T = int]" -> "Pool::run"
//   "main::{lambda()#1}::operator()() const" -> "main::<lambda()>" (the demangler's
//                                              form: a lambda is its call operator)
// A bare name ("operator()", what clang 14 records) comes back unchanged.  No
// allocation: the stack-overflow report calls it from a signal handler.
void function_display_name(const char* raw, char* out, std::size_t cap);

// A traceback's name for the frame of a lambda inlined into caller, whose DWARF name
// is only "operator()": the first template argument of caller that is a lambda's type,
// in the short form above.  The lambda was inlined into a template instantiated with
// its type (std::invoke, gort's goroutine frame, an algorithm):
//   "std::__invoke_impl<void, main()::<lambda()> >"     -> "main::<lambda()>"
//   "void callit<main::{lambda(int)#1}>(main::{lambda(int)#1})" -> "main::<lambda(int)>"
// False (out untouched) when caller has no such argument.
bool lambda_argument_display_name(const char* caller, char* out, std::size_t cap);

// The buffer size that fits any name worth printing.
inline constexpr std::size_t kFunctionNameMax = 256;

}  // namespace gort::detail
