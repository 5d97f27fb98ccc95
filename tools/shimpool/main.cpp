// shimpool: generates drop-in shims that pool private instances of a
// thread-unsafe library. Exit status: 0 success, 1 the input has errors
// (diagnostics printed), 2 the command line is wrong.
#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <llvm/Support/raw_ostream.h>

#include <llvm/Support/FileSystem.h>
#include <llvm/Support/Path.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "binary_exports.h"
#include "check_exports_command.h"
#include "def_exports.h"
#include "emitter.h"
#include "header_parser.h"
#include "list_command.h"
#include "output_writer.h"
#include "pin_sha256.h"
#include "policies.h"
#include "verify_command.h"
#include "version.h"

namespace {

constexpr int kExitInputError = 1;
constexpr int kExitUsageError = 2;

struct GenerateOptions {
  std::vector<std::string> headers;
  std::string name;
  std::string out;
  std::string policy_file;
  std::vector<std::string> policies;
  std::vector<std::string> allow, deny, variadic;  // selection; variadic NAME=TWIN
  std::string build_directory;                     // -p: holds compile_commands.json
  std::string exports_from;                        // the original DLL whose exports the .def keeps
  std::string embed;                               // the real library to link into the shim
  std::optional<std::string> pin_sha256;           // --pin-sha256: a digest, or "" to hash the library
  // Pool defaults: a flag given on the command line beats the policy file.
  std::optional<std::string> real_library, strategy;
  std::optional<unsigned> max_instances, min_instances, idle_timeout_ms, acquire_timeout_ms;
};

// The shim's defaults: built-in, then the policy file's [pool], then flags.
// The real library's name is left empty when neither names it: its default
// depends on the target (default_real_library).
shimpool::ShimSettings settings_for(const GenerateOptions &options, const shimpool::ShimSettings &file) {
  shimpool::ShimSettings settings = file;
  if (options.real_library) settings.real_library = *options.real_library;
  if (options.max_instances) settings.max_instances = *options.max_instances;
  if (options.min_instances) settings.min_instances = *options.min_instances;
  if (options.idle_timeout_ms) settings.idle_timeout_ms = *options.idle_timeout_ms;
  if (options.acquire_timeout_ms) settings.acquire_timeout_ms = *options.acquire_timeout_ms;
  if (options.strategy) settings.strategy = *options.strategy;
  return settings;
}

// The real library's name when no flag or policy file gives one: the embedded
// file's own name, else NAME.real.dll on Windows targets, libNAME.real.so elsewhere.
std::string default_real_library(const GenerateOptions &options, const shimpool::ApiModel &model) {
  if (!options.embed.empty()) return llvm::sys::path::filename(options.embed).str();
  return model.windows_target ? options.name + ".real.dll" : "lib" + options.name + ".real.so";
}

// The absolute path of the --embed file, or "" with the reason printed: it
// must be a regular file (the assembler reads it when the shim is built).
std::string embedded_library_path(const std::string &path) {
  namespace fs = llvm::sys::fs;
  fs::file_status status;
  if (fs::status(path, status) || !fs::exists(status)) {
    fmt::print(stderr, "shimpool: error: --embed '{}': no such file; give the path of the real "
                       "library to link into the shim\n", path);
    return "";
  }
  if (status.type() != fs::file_type::regular_file) {
    fmt::print(stderr, "shimpool: error: --embed '{}' is not a regular file; give the path of the "
                       "real library itself\n", path);
    return "";
  }
  llvm::SmallString<256> absolute(path);
  fs::make_absolute(absolute);
  llvm::sys::path::remove_dots(absolute, /*remove_dot_dot=*/true);
  return std::string(absolute);
}

// The .def exports: the default ones, or with --exports-from those that keep
// the original DLL's names and ordinals; nullopt with the errors printed.
std::optional<std::vector<shimpool::DefExport>> def_exports_for(const GenerateOptions &options,
                                                                const shimpool::ApiModel &model) {
  using namespace shimpool;
  if (options.exports_from.empty()) return default_def_exports(model);
  std::string error;
  auto original = read_binary_exports(options.exports_from, error);
  if (original) error = target_mismatch(model, *original, options.exports_from);
  if (!error.empty()) {
    fmt::print(stderr, "shimpool: error: --exports-from: {}\n", error);
    return std::nullopt;
  }
  auto exports = def_exports_like(model, *original, options.exports_from, llvm::errs());
  llvm::errs().flush();
  return exports;
}

// Session entry points are named <function>_session: they must not collide
// with a function the header already declares.
bool check_session_names(const shimpool::ApiModel &model) {
  bool ok = true;
  for (const auto &function : model.functions)
    for (const auto &other : model.functions)
      if (function.exported && other.exported && other.name == function.name + "_session") {
        fmt::print(stderr,
                   "{}:{}:{}: error: '{}' collides with the session entry point shimpool "
                   "generates for '{}'; wrap the headers in two shims, or rename one in a "
                   "header of your own\n",
                   other.position.file, other.position.line, other.position.column, other.name,
                   function.name);
        ok = false;
      }
  return ok;
}

int run_generate(const GenerateOptions &options, const std::vector<std::string> &clang_args) {
  using namespace shimpool;
  if (!is_valid_shim_name(options.name)) {
    fmt::print(stderr,
               "shimpool: error: --name '{}' is not a C identifier; the name becomes part of "
               "exported symbols and environment variables (e.g. --name toto)\n",
               options.name);
    return kExitUsageError;
  }
  bool usage_error = false;
  auto policies = read_policy_sources(options.policy_file, options.policies, llvm::errs(), usage_error);
  llvm::errs().flush();
  if (!policies) {
    if (usage_error) return kExitUsageError;
    fmt::print(stderr, "shimpool: error: no shim generated; fix the policy file\n");
    return kExitInputError;
  }
  const PolicyFile &file = policies->file;
  const std::vector<PolicyRule> &flag_rules = policies->flags;
  ShimSettings settings = settings_for(options, file.pool);
  if (!options.embed.empty()) {
    settings.embedded_library = embedded_library_path(options.embed);
    if (settings.embedded_library.empty()) return kExitUsageError;
  }
  if (settings.min_instances > settings.max_instances) {
    fmt::print(stderr, "shimpool: error: min_instances ({}) is above max_instances ({})\n",
               settings.min_instances, settings.max_instances);
    return kExitInputError;
  }

  // Selection and variadic twins: the policy file's, then the flags'.
  ParseRequest request{options.name, options.headers, clang_args};
  request.allow = file.allow;
  request.allow.insert(request.allow.end(), options.allow.begin(), options.allow.end());
  request.deny = file.deny;
  request.deny.insert(request.deny.end(), options.deny.begin(), options.deny.end());
  request.variadic_twins = file.variadic_twins;
  for (const std::string &text : options.variadic) {
    std::string error;
    if (!parse_variadic_flag(text, request.variadic_twins, error)) {
      fmt::print(stderr, "shimpool: error: {}\n", error);
      return kExitUsageError;
    }
  }
  request.build_directory = options.build_directory;
  auto model = parse_headers(request, llvm::errs());
  if (!model) {
    fmt::print(stderr, "shimpool: error: no shim generated; fix the errors above\n");
    return kExitInputError;
  }
  if (std::none_of(model->functions.begin(), model->functions.end(),
                  [](const Function &function) { return function.exported; })) {
    fmt::print(stderr,
               "shimpool: error: the named headers declare no function to wrap (only functions "
               "declared in the headers themselves are taken, not those of their includes, "
               "and only those --allow and --deny select)\n");
    return kExitInputError;
  }
  if (!apply_policies(*model, file.rules, flag_rules, llvm::errs()) || !check_session_names(*model)) {
    llvm::errs().flush();
    fmt::print(stderr, "shimpool: error: no shim generated; fix the errors above\n");
    return kExitInputError;
  }
  llvm::errs().flush();
  if (settings.real_library.empty()) settings.real_library = default_real_library(options, *model);
  if (options.pin_sha256) {
    std::string error;
    const std::string &library =
        settings.embedded_library.empty() ? settings.real_library : settings.embedded_library;
    auto digest = pinned_sha256(*options.pin_sha256, library, error);
    if (!digest) {
      fmt::print(stderr, "shimpool: error: {}\n", error);
      return kExitUsageError;
    }
    settings.sha256 = *digest;
  }
  auto def_exports = def_exports_for(options, *model);
  if (!def_exports) {
    fmt::print(stderr, "shimpool: error: no shim generated; fix the errors above\n");
    return kExitInputError;
  }
  if (std::string error = write_outputs(options.out, emit_shim(*model, settings, *def_exports));
      !error.empty()) {
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
  generate_command->add_option("--policy-file", generate.policy_file,
                               "TOML file with [pool] defaults and per-function [policies]")
      ->check(CLI::ExistingFile);
  generate_command->add_option("--policy", generate.policies,
                               "NAME=POLICY, NAME a function or a regex, POLICY one of pooled, "
                               "sticky, broadcast, init, direct; repeatable, beats the file");
  generate_command->add_option("--allow", generate.allow,
                               "REGEX: wrap only functions whose whole name matches one of these "
                               "(repeatable; adds to the policy file's [select] allow)");
  generate_command->add_option("--deny", generate.deny,
                               "REGEX: leave out functions whose whole name matches (repeatable; "
                               "adds to [select] deny; beats --allow)");
  generate_command->add_option("--variadic", generate.variadic,
                               "NAME=TWIN: forward variadic function NAME through its va_list "
                               "twin TWIN (repeatable; beats [variadic] and the naming conventions)");
  generate_command->add_option("-p", generate.build_directory,
                               "BUILD_DIR holding compile_commands.json: the flags of its first "
                               "entry for one of the headers, else of its first entry, are used "
                               "(before those after --)")
      ->check(CLI::ExistingDirectory);
  // Pool defaults: given here, they beat the policy file's [pool] table.
  std::string real_library;
  unsigned max_instances = 8, min_instances = 0, idle_timeout_ms = 0, acquire_timeout_ms = 0;
  auto *real_library_option = generate_command->add_option(
      "--real-library", real_library,
      "The original library: an absolute path, or a file name looked up next to the shim at "
      "run time [default: lib<NAME>.real.so, <NAME>.real.dll for Windows targets, the "
      "embedded file's name with --embed]");
  generate_command->add_option("--exports-from", generate.exports_from,
                               "The original DLL: the .def keeps its export names (decorated or "
                               "not) and ordinals for the header functions")
      ->check(CLI::ExistingFile);
  generate_command->add_option("--embed", generate.embed,
                               "The real library to link into the shim (.incbin); instances are "
                               "written from these bytes");
  auto *max_option = generate_command->add_option("--max-instances", max_instances,
                                                  "Most instances loaded at once [default: 8]")
                         ->check(CLI::Range(1, 4096));
  auto *min_option = generate_command->add_option(
      "--min-instances", min_instances, "Instances kept loaded, prewarmed at load [default: 0]")
                         ->check(CLI::Range(0, 4096));
  auto *idle_option = generate_command->add_option(
      "--idle-timeout-ms", idle_timeout_ms,
      "Unload instances idle this long, down to the minimum; 0 never [default: 0]");
  auto *acquire_option = generate_command->add_option(
      "--acquire-timeout-ms", acquire_timeout_ms,
      "Longest wait of a call for an instance; 0 no limit [default: 0]");
  std::string pin_sha256;
  auto *pin_option = generate_command->add_flag(
      "--pin-sha256{}", pin_sha256,
      "Pin the real library's SHA-256: instances load only bytes with this digest. "
      "--pin-sha256=HEX gives it; alone, it hashes the --embed or --real-library file now");
  std::string strategy;
  auto *strategy_option =
      generate_command
          ->add_option("--strategy", strategy,
                       "How instances are loaded: copy, memfd or namespace [default: copy]")
          ->check(CLI::IsMember({"copy", "memfd", "namespace"}));
  generate_command->footer(
      "Arguments after -- go to Clang (e.g. -- -Iinclude -DTOTO_API= -x c++).\n"
      "Writes NAME_shim.c (or .cpp), NAME_shim.map, NAME_shim.def and NAME_shimpool.h into --out,\n"
      "all or none.\n");

  const shimpool::ListCommand list_command = shimpool::add_list_command(app);
  const shimpool::CheckExportsCommand check_exports_command = shimpool::add_check_exports_command(app);
  const shimpool::VerifyCommand verify_command = shimpool::add_verify_command(app);

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

  auto given = [](CLI::Option *option, unsigned value) {
    return option->count() ? std::optional<unsigned>(value) : std::nullopt;
  };
  if (real_library_option->count()) generate.real_library = real_library;
  if (strategy_option->count()) generate.strategy = strategy;
  if (pin_option->count()) generate.pin_sha256 = pin_sha256;
  generate.max_instances = given(max_option, max_instances);
  generate.min_instances = given(min_option, min_instances);
  generate.idle_timeout_ms = given(idle_option, idle_timeout_ms);
  generate.acquire_timeout_ms = given(acquire_option, acquire_timeout_ms);
  if (generate_command->parsed()) return run_generate(generate, clang_args);
  if (list_command.command->parsed()) return list_command.run(clang_args);
  if (check_exports_command.command->parsed()) return check_exports_command.run(clang_args);
  if (verify_command.command->parsed()) return verify_command.run(clang_args);
  return kExitUsageError;
}
