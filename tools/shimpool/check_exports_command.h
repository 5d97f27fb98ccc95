// `shimpool check-exports HEADER... --binary LIB`: compares the functions the
// headers declare with those the real library exports (ELF or PE), and reports
// what a shim must keep: symbol versions on ELF, ordinals on Windows.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace shimpool {

struct CheckExportsCommand {
  CLI::App *command = nullptr;  // the subcommand, parsed() once chosen
  // Runs it with the arguments given after "--"; returns the exit status:
  // 0 header and binary agree, 1 they differ (or an input has errors), 2 usage.
  std::function<int(const std::vector<std::string> &clang_args)> run;
};

// Registers `check-exports` on `app`.
CheckExportsCommand add_check_exports_command(CLI::App &app);

}  // namespace shimpool
