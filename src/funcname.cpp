// funcname.cpp -- the short form of compiler function names (see funcname.hpp).
//
// Two passes over the raw name, each tracking nesting of (), <> and [] so that only
// top-level text is cut.  First the return type: everything up to the last top-level
// space before the first top-level parameter list.  Then every top-level parameter
// list, with the qualifiers that follow it (" const", " &&", " noexcept"...), up to the
// next "::" or the end, and a trailing " [with ...]".  "operator()" keeps its "()",
// which is part of the name, not a parameter list.  Tracebacks bring the demangler's
// forms too (from the symbol table): its lambdas, "{lambda(int)#1}", are written as
// g++'s "<lambda(int)>", a lambda's "::operator()" is dropped (the lambda is the
// function), and "(anonymous namespace)" is a name, written "{anonymous}".
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

// Length of the demangler's "(anonymous namespace)" when s points at it, else 0: a
// name, not a parameter list; written as g++'s source_location writes it.
constexpr const char kDemangledAnonymous[] = "(anonymous namespace)";
std::size_t anonymous_namespace_at(const char* s) {
  return starts_with(s, kDemangledAnonymous) ? sizeof kDemangledAnonymous - 1 : 0;
}

// Length of the demangler's lambda, "{lambda(int)#2}", when s points at one, else 0.
std::size_t demangled_lambda_at(const char* s) {
  if (!starts_with(s, "{lambda(")) return 0;
  std::size_t i = skip_group(s, std::strlen("{lambda"));
  while (s[i] != '\0' && s[i] != '}') ++i;
  return s[i] == '}' ? i + 1 : 0;
}

// Where the name proper starts: after the return type, if any.
std::size_t name_start(const char* s) {
  std::size_t last_space = std::strlen(s);  // none yet
  for (std::size_t i = 0; s[i] != '\0';) {
    if (std::size_t op = call_operator_at(s + i) + anonymous_namespace_at(s + i)) {
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
  bool after_lambda = false;  // the last thing written was a lambda
  for (std::size_t i = 0; s[i] != '\0';) {
    // A lambda is its call operator: "<lambda()>::operator()() const" is "<lambda()>".
    if (after_lambda && starts_with(s + i, "::operator()")) {
      i += std::strlen("::operator()");
      if (s[i] == '<') i = skip_group(s, i);  // a generic lambda's template arguments
      continue;  // the parameter list and qualifiers go below
    }
    after_lambda = false;
    if (std::size_t len = demangled_lambda_at(s + i)) {  // "{lambda(int)#2}" -> "<lambda(int)>"
      put('<');
      std::size_t params_end = skip_group(s, i + std::strlen("{lambda"));
      for (std::size_t k = i + 1; k < params_end; ++k) put(s[k]);
      put('>');
      i += len;
      after_lambda = true;
      continue;
    }
    if (std::size_t anon = anonymous_namespace_at(s + i)) {
      for (const char* k = "{anonymous}"; *k != '\0'; ++k) put(*k);
      i += anon;
      continue;
    }
    if (std::size_t op = call_operator_at(s + i)) {
      for (std::size_t k = 0; k < op; ++k) put(s[i + k]);
      i += op;
      continue;
    }
    if (s[i] == '<') {  // template arguments and "<lambda(...)>" are part of the name
      after_lambda = starts_with(s + i, "<lambda(");
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

namespace {

// Where the lambda type in the template argument [b, e) ends, cv and reference
// aside; null when the argument is not a lambda's type, which ends with a lambda:
// "<lambda(...)>" (g++'s DWARF names) or "{lambda(...)#N}" (the demangler's).
const char* lambda_type_end(const char* b, const char* e) {
  for (int pass = 0; pass < 2; ++pass) {  // "X const&", "X&"
    while (e > b && (e[-1] == ' ' || e[-1] == '&' || e[-1] == '*')) --e;
    if (e - b > 6 && std::strncmp(e - 6, " const", 6) == 0) e -= 6;
  }
  if (e == b || (e[-1] != '>' && e[-1] != '}')) return nullptr;
  const char open = e[-1] == '>' ? '<' : '{';
  int depth = 0;
  for (const char* p = e - 1; p >= b; --p) {  // back to the last group's opening bracket
    if (*p == ')' || *p == '>' || *p == ']' || *p == '}') ++depth;
    if ((*p == '(' || *p == '<' || *p == '[' || *p == '{') && --depth == 0)
      return *p == open && std::strncmp(p + 1, "lambda(", 7) == 0 ? e : nullptr;
  }
  return nullptr;
}

}  // namespace

bool lambda_argument_display_name(const char* caller, char* out, std::size_t cap) {
  if (caller == nullptr || cap == 0) return false;
  for (std::size_t i = 0; caller[i] != '\0';) {
    if (std::size_t op = call_operator_at(caller + i)) {
      i += op;
      continue;
    }
    if (caller[i] == '(' || caller[i] == '[') {  // parameter lists hold no template arguments of this name
      i = skip_group(caller, i);
      continue;
    }
    if (caller[i] != '<') {
      ++i;
      continue;
    }
    const std::size_t end = skip_group(caller, i);
    std::size_t arg = i + 1;  // each top-level argument of this list
    for (std::size_t j = arg; j < end; ++j) {
      if (caller[j] == '(' || caller[j] == '<' || caller[j] == '[') {
        j = skip_group(caller, j) - 1;
        continue;
      }
      if (caller[j] != ',' && j + 1 != end) continue;
      const std::size_t arg_end = j;  // at the ',' or the list's closing '>'
      while (caller[arg] == ' ') ++arg;
      if (starts_with(caller + arg, "const ")) arg += std::strlen("const ");
      char type[4 * kFunctionNameMax];
      const char* type_end = lambda_type_end(caller + arg, caller + arg_end);
      if (type_end != nullptr && static_cast<std::size_t>(type_end - (caller + arg)) < sizeof type) {
        const auto len = static_cast<std::size_t>(type_end - (caller + arg));
        std::memcpy(type, caller + arg, len);
        type[len] = '\0';
        function_display_name(type, out, cap);
        return true;
      }
      arg = j + 1;
    }
    i = end;
  }
  return false;
}

}  // namespace gort::detail
