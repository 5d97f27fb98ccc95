// Runs a program to its end, as a user would, capturing what it prints.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace shimpool_test {

struct ProgramResult {
  int status = -1;  // exit status, or -1 if the process did not exit normally
  std::string out, err;
};

// Spawns `program` (looked up in PATH when it has no slash) with `args` and
// collects both streams until they close. Throws if it cannot be spawned.
ProgramResult run_program(const std::string &program, const std::vector<std::string> &args);

std::ostream &operator<<(std::ostream &os, const ProgramResult &result);

}  // namespace shimpool_test
