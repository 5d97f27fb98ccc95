// `shimpool list`: parses headers as `generate` does and prints the API model
// (functions, types, calling conventions, policies) as a table or as JSON.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace llvm {
class raw_ostream;
}

namespace shimpool {

struct ApiModel;

struct ListCommand {
  CLI::App *command = nullptr;  // the subcommand, parsed() once chosen
  // Runs it with the arguments given after "--"; returns the exit status.
  std::function<int(const std::vector<std::string> &clang_args)> run;
};

// Registers `list` on `app`.
ListCommand add_list_command(CLI::App &app);

// The model as an aligned, human-readable table.
void print_model_table(const ApiModel &model, llvm::raw_ostream &out);

// The model as JSON, keys in a fixed order (see docs/commands.md).
void print_model_json(const ApiModel &model, llvm::raw_ostream &out);

}  // namespace shimpool
