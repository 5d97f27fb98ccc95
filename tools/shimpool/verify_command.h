// `shimpool verify --shim LIB --real LIB HEADER...`: calls every function whose
// parameters and result are scalars or C strings on a fresh instance of the
// real library and through the shim, with the same generated arguments, and
// compares the results. A shim generated from a header that does not match the
// library (a wrong parameter type, a wrong calling convention) gives itself
// away.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace shimpool {

struct VerifyCommand {
  CLI::App *command = nullptr;  // the subcommand, parsed() once chosen
  // Runs it with the arguments given after "--"; returns the exit status:
  // 0 no mismatch, 1 a mismatch (or an input has errors), 2 usage.
  std::function<int(const std::vector<std::string> &clang_args)> run;
};

// Registers `verify` on `app`.
VerifyCommand add_verify_command(CLI::App &app);

}  // namespace shimpool
