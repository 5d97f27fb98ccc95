// Runs one function of `shimpool verify`: in a child process of its own, a
// fresh instance of the real library and the shim (pool of one) are called
// with the same arguments through libffi, call after call, and their results
// compared. A call that crashes or does not return within the time limit
// ends the child, and the parent says where.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "verify_types.h"

namespace shimpool {

struct VerifySettings {
  std::string shim;  // absolute paths
  std::string real;
  std::string name;                         // the shim's name: its SHIMPOOL_<NAME>_* variables
  std::vector<std::string> init_functions;  // run on the real instance first, as the shim does
  unsigned calls = 32;
  unsigned timeout_ms = 2000;
  uint64_t seed = 0;
};

enum class VerifyStatus { Ok, Mismatch, Skipped };

struct FunctionReport {
  std::string name;
  VerifyStatus status = VerifyStatus::Skipped;
  unsigned calls = 0;  // calls whose results were compared and equal
  std::string detail;  // why skipped, what differed, or why an OK run stopped early
  std::string call;    // the call that differed or stopped the run: "toto_foo(0, 1)"
  std::string real_result;
  std::string shim_result;
};

// Points the shim at the real library with a pool of one instance, through
// its SHIMPOOL_<NAME>_* variables, for every child started after it.
void configure_shim_environment(const VerifySettings &settings);

// Loads both libraries in a child and has the shim load an instance. Returns
// "" when it can, else the reason.
std::string preflight(const VerifySettings &settings);

FunctionReport verify_function(const VerifySettings &settings, const CallableFunction &function);

}  // namespace shimpool
