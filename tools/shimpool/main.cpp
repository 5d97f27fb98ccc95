// shimpool: generates drop-in shims that pool private instances of a
// thread-unsafe library. Exit status: 0 success, 1 the input has errors
// (diagnostics printed), 2 the command line is wrong.
#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <llvm/Support/raw_ostream.h>

#include <algorithm>
#include <string>
#include <vector>

#include "emitter.h"
#include "header_parser.h"
#include "output_writer.h"
#include "version.h"

namespace {

constexpr int kExitInputError = 1;
constexpr int kExitUsageError = 2;

struct GenerateOptions {
  std::vector<std::string> headers;
  std::string name;
  std::string out;
  std::string real_library;
  unsigned max_instances = 8;
};

int run_generate(const GenerateOptions &options, const std::vector<std::string> &clang_args) {
  using namespace shimpool;
  if (!is_valid_shim_name(options.name)) {
    fmt::print(stderr,
               "shimpool: error: --name '{}' is not a C identifier; the name becomes part of "
               "exported symbols and environment variables (e.g. --name toto)\n",
               options.name);
    return kExitUsageError;
  }
  auto model = parse_headers({options.name, options.headers, clang_args}, llvm::errs());
  if (!model) {
    fmt::print(stderr, "shimpool: error: no shim generated; fix the errors above\n");
    return kExitInputError;
  }
  if (model->functions.empty()) {
    fmt::print(stderr,
               "shimpool: error: the named headers declare no function to wrap (only functions "
               "declared in the headers themselves are taken, not those of their includes)\n");
    return kExitInputError;
  }
  ShimSettings settings;
  settings.real_library =
      options.real_library.empty() ? "lib" + options.name + ".real.so" : options.real_library;
  settings.max_instances = options.max_instances;
  if (std::string error = write_outputs(options.out, emit_shim(*model, settings)); !error.empty()) {
    fmt::print(stderr, "shimpool: error: {}\n", error);
    return kExitInputError;
  }
  return 0;
}

}  // namespace

int main(int argc, char **argv) {
  // Everything after "--" goes to Clang untouched, as with other Clang tools.
  std::vector<std::string> args(argv + 1, argv + argc);
  std::vector<std::string> clang_args;
  if (auto dash = std::find(args.begin(), args.end(), "--"); dash != args.end()) {
    clang_args.assign(dash + 1, args.end());
    args.erase(dash, args.end());
  }
  std::reverse(args.begin(), args.end());  // CLI11 takes a reversed vector

  CLI::App app{
      "shimpool: generate a drop-in wrapper library that runs each call of a thread-unsafe\n"
      "library on one of several private instances of it, loaded into a pool.",
      "shimpool"};
  app.set_version_flag("--version", "shimpool " + std::string(shimpool::kVersion));
  app.require_subcommand(1);
  app.footer("Run 'shimpool SUBCOMMAND --help' for a subcommand's options.\n");

  GenerateOptions generate;
  CLI::App *generate_command = app.add_subcommand(
      "generate", "Parse headers and write the shim's sources: HEADER... [-- CLANG_ARGS]");
  generate_command->add_option("headers", generate.headers, "Headers whose functions the shim exports")
      ->required()
      ->check(CLI::ExistingFile);
  generate_command->add_option("--name", generate.name, "Shim name (a C identifier): names outputs, symbols and SHIMPOOL_<NAME>_* variables")
      ->required();
  generate_command->add_option("--out", generate.out, "Output directory (created if missing)")
      ->required();
  generate_command->add_option("--real-library", generate.real_library,
                               "The original library: an absolute path, or a file name looked up "
                               "next to the shim at run time [default: lib<NAME>.real.so]");
  generate_command->add_option("--max-instances", generate.max_instances,
                               "Default upper bound of instances in the pool")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str();
  generate_command->footer(
      "Arguments after -- go to Clang (e.g. -- -Iinclude -DTOTO_API= -x c++).\n"
      "Writes NAME_shim.c (or .cpp), NAME_shim.map and NAME_shimpool.h into --out, all or none.\n");

  try {
    app.parse(args);
  } catch (const CLI::CallForHelp &e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp &e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion &e) {
    return app.exit(e);
  } catch (const CLI::ParseError &e) {
    app.exit(e);
    return kExitUsageError;
  }

  if (generate_command->parsed()) return run_generate(generate, clang_args);
  return kExitUsageError;
}
