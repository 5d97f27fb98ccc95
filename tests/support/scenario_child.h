// Runs a named scenario in a fresh process: the test program re-executes
// itself with SHIMPOOL_TEST_SCENARIO set. Shims read their configuration when
// they load, so a child with other SHIMPOOL_* variables needs a new process,
// not a fork.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace shimpool_test {

struct ChildResult {
  int status = 0;   // as waitpid reports it
  std::string err;  // everything the child wrote to stderr
  bool aborted() const;
  bool exited_0() const;
};

using Scenarios = std::map<std::string, std::function<void()>>;

ChildResult run_scenario_in_child(const std::vector<std::pair<std::string, std::string>> &env,
                                  const std::string &scenario);

// For main(): runs the scenario named by SHIMPOOL_TEST_SCENARIO and exits 0,
// or runs the tests when it is unset.
int run_scenario_or_tests(int argc, char **argv, const Scenarios &scenarios);

}  // namespace shimpool_test
