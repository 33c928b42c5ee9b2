// funcname.cpp -- the short form of compiler function names (see funcname.hpp).
//
// Two passes over the raw name, each tracking nesting of (), <> and [] so that only
// top-level text is cut.  First the return type: everything up to the last top-level
// space before the first top-level parameter list.  Then every top-level parameter
// list, with the qualifiers that follow it (" const", " &&", " noexcept"...), up to the
// next "::" or the end, and a trailing " [with ...]".  "operator()" keeps its "()",
// which is part of the name, not a parameter list.
#include "funcname.hpp"

#include <cstring>

namespace gort::detail {
namespace {

bool starts_with(const char* s, const char* prefix) { return std::strncmp(s, prefix, std::strlen(prefix)) == 0; }

// Length of "operator()" when s points at it, else 0.
std::size_t call_operator_at(const char* s) { return starts_with(s, "operator()") ? std::strlen("operator()") : 0; }

// Index just past the group opened at s[i] ('(' '<' or '['), or the end of s.
std::size_t skip_group(const char* s, std::size_t i) {
  int depth = 0;
  for (; s[i] != '\0'; ++i) {
    if (s[i] == '(' || s[i] == '<' || s[i] == '[') ++depth;
    if (s[i] == ')' || s[i] == '>' || s[i] == ']') {
      // "operator->" and the like are not closers; names here never contain them in
      // a way that matters, and an unbalanced name just ends the scan.
      if (--depth == 0) return i + 1;
    }
  }
  return i;
}

// Where the name proper starts: after the return type, if any.
std::size_t name_start(const char* s) {
  std::size_t last_space = std::strlen(s);  // none yet
  for (std::size_t i = 0; s[i] != '\0';) {
    if (std::size_t op = call_operator_at(s + i)) {
      i += op;
      continue;
    }
    if (s[i] == '(') break;  // the first parameter list: the return type, if any, is behind us
    if (s[i] == '<' || s[i] == '[') {
      i = skip_group(s, i);
      continue;
    }
    if (s[i] == ' ') last_space = i;
    ++i;
  }
  return last_space == std::strlen(s) ? 0 : last_space + 1;
}

}  // namespace

void function_display_name(const char* raw, char* out, std::size_t cap) {
  if (cap == 0) return;
  std::size_t n = 0;
  auto put = [&](char c) {
    if (n + 1 < cap) out[n++] = c;
  };
  if (raw == nullptr) raw = "?";
  const char* s = raw + name_start(raw);
  for (std::size_t i = 0; s[i] != '\0';) {
    if (std::size_t op = call_operator_at(s + i)) {
      for (std::size_t k = 0; k < op; ++k) put(s[i + k]);
      i += op;
      continue;
    }
    if (s[i] == '<') {  // template arguments and "<lambda(...)>" are part of the name
      std::size_t end = skip_group(s, i);
      for (; i < end; ++i) put(s[i]);
      continue;
    }
    if (s[i] == '(') {  // a parameter list, then qualifiers, up to the next scope or the end
      i = skip_group(s, i);
      while (s[i] != '\0' && !starts_with(s + i, "::") && !starts_with(s + i, " [with ")) ++i;
      continue;
    }
    if (starts_with(s + i, " [with ")) break;
    put(s[i]);
    ++i;
  }
  out[n] = '\0';
}

}  // namespace gort::detail
