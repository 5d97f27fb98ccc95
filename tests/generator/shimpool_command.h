// The shimpool binary, run as a user runs it (SHIMPOOL_BINARY is set by CMake).
#pragma once

#include "run_program.h"

namespace shimpool_test {

inline ProgramResult run_shimpool(const std::vector<std::string> &args) {
  return run_program(SHIMPOOL_BINARY, args);
}

}  // namespace shimpool_test
