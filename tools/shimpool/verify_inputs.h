// The arguments `shimpool verify` calls functions with: deterministic, varied,
// edge values first among the harmless ones (0, 1, -1, empty strings), then
// the extremes (min, max, infinities, NaN, long strings), then pseudo-random
// values seeded by the function's name.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "verify_types.h"

namespace shimpool {

struct ArgumentValue {
  ScalarKind kind = ScalarKind::I32;
  uint64_t bits = 0;  // integers, sign-extended for signed kinds
  double real = 0;    // F32 (exactly representable) and F64
  std::string text;   // CString
};

using CallArguments = std::vector<ArgumentValue>;

// `count` calls' arguments for `function`; the same for the same seed.
std::vector<CallArguments> make_calls(const CallableFunction &function, unsigned count,
                                      uint64_t seed);

// "toto_foo(0, -1)", strings quoted and escaped, long ones shortened.
std::string describe_call(const std::string &name, const CallArguments &arguments);

// A C string as it would be written in C, quoted; longer than `limit` bytes,
// shortened with its length given.
std::string quoted(const std::string &text, size_t limit = 48);

}  // namespace shimpool
