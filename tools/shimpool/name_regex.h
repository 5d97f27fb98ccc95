// The regexes over function names: policy rules, [select] and --allow/--deny.
// ECMAScript syntax, compiled and matched without libstdc++'s two hazards:
//  - its ECMAScript matcher backtracks: "(.*)*(.*)*X" takes minutes on a
//    15-character name it does not match. Its __polynomial mode matches with
//    an automaton instead, and refuses back-references, which names never need;
//  - it reads repeat counts and back-reference numbers into a long without an
//    overflow check: "a{99999999999999999999}" is undefined behaviour.
#pragma once

#include <cctype>
#include <optional>
#include <regex>
#include <string>

namespace shimpool {

// Whether `pattern` has a number of more than 9 digits after a '{', ',' or
// '\': a repeat count or back-reference libstdc++ could overflow reading.
// (None of those characters can be part of a C identifier.)
inline bool has_oversized_number(const std::string &pattern) {
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != '{' && pattern[i] != ',' && pattern[i] != '\\') continue;
    size_t end = i + 1;
    while (end < pattern.size() && std::isdigit(static_cast<unsigned char>(pattern[end]))) ++end;
    if (end - i - 1 > 9) return true;
  }
  return false;
}

// `pattern` compiled, or nullopt with `error` saying why it is not valid.
inline std::optional<std::regex> compile_name_regex(const std::string &pattern,
                                                    std::string &error) {
  if (has_oversized_number(pattern)) {
    error = "a repeat count or back-reference number has more than 9 digits";
    return std::nullopt;
  }
  auto syntax = std::regex::ECMAScript;
#ifdef __GLIBCXX__
  syntax |= std::regex_constants::__polynomial;
#endif
  try {
    return std::regex(pattern, syntax);
  } catch (const std::regex_error &e) {
    // The only complexity error compiling raises: a back-reference in __polynomial mode.
    error = e.code() == std::regex_constants::error_complexity
                ? "back-references (\\1...) are not supported in name patterns"
                : e.what();
    return std::nullopt;
  }
}

}  // namespace shimpool
