#include "check_exports_command.h"

#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <llvm/Support/JSON.h>
#include <llvm/Support/raw_ostream.h>

#include <map>
#include <memory>
#include <set>

#include "api_model.h"
#include "binary_exports.h"
#include "header_parser.h"

namespace shimpool {

namespace {

constexpr int kExitMismatch = 1;

struct CheckOptions {
  std::vector<std::string> headers;
  std::string binary;
  bool json = false;
};

struct Comparison {
  std::vector<const Function *> missing;          // declared, not exported
  std::vector<const BinaryExport *> undeclared;   // exported by name, not declared
  std::vector<const BinaryExport *> versioned;    // ELF exports with a version
  std::vector<const BinaryExport *> by_ordinal;   // PE: every export
  bool agree() const { return missing.empty() && undeclared.empty(); }
};

Comparison compare(const ApiModel &model, const BinaryExports &binary) {
  Comparison result;
  std::set<std::string> exported, declared;
  for (const BinaryExport &item : binary.exports)
    if (!item.name.empty()) exported.insert(undecorated_name(binary, item.name));
  for (const Function &function : model.functions) {
    declared.insert(function.name);
    if (!exported.count(function.name)) result.missing.push_back(&function);
  }
  std::set<std::string> reported;
  for (const BinaryExport &item : binary.exports) {
    if (!item.name.empty() && !declared.count(undecorated_name(binary, item.name)) &&
        reported.insert(item.name).second)
      result.undeclared.push_back(&item);
    if (!item.version.empty()) result.versioned.push_back(&item);
    if (item.ordinal) result.by_ordinal.push_back(&item);
  }
  return result;
}

std::string versioned_name(const BinaryExport &item) {
  if (item.version.empty()) return item.name;
  return item.name + (item.default_version ? "@@" : "@") + item.version;
}

void print_text(const CheckOptions &options, const ApiModel &model, const BinaryExports &binary,
                const Comparison &comparison, llvm::raw_ostream &out) {
  out << "checking " << options.binary << " (" << binary.format_name << ", "
      << binary.exports.size() << " exports) against " << model.functions.size()
      << " declared functions\n";
  for (const Function *function : comparison.missing)
    out << function->position.file << ':' << function->position.line << ':'
        << function->position.column << ": error: '" << function->name
        << "' is declared here but " << options.binary << " does not export it\n";
  for (const BinaryExport *item : comparison.undeclared) {
    out << options.binary << ": error: '" << versioned_name(*item) << "'";
    if (item->ordinal) out << " (ordinal " << *item->ordinal << ")";
    out << " is exported but no header declares it\n";
  }
  if (!comparison.versioned.empty()) {
    out << "symbol versions (a shim must export the same versions; see a version script):\n";
    for (const BinaryExport *item : comparison.versioned)
      out << "  " << versioned_name(*item)
          << (item->default_version ? "  (default version)\n" : "  (hidden, non-default version)\n");
  }
  for (const BinaryExport &item : binary.data)
    out << options.binary << ": warning: '" << versioned_name(item)
        << "' is exported data: a shim cannot pool it (callers would see one instance's copy)\n";
  if (!comparison.by_ordinal.empty()) {
    out << "ordinals (a shim DLL must keep them, e.g. in its .def file):\n";
    for (const BinaryExport *item : comparison.by_ordinal) {
      out << "  " << fmt::format("{:>5}", *item->ordinal) << "  "
          << (item->name.empty() ? std::string("(NONAME: exported by ordinal only)") : item->name);
      if (!item->forwarder.empty()) out << " -> " << item->forwarder << "  (forwarder)";
      out << '\n';
    }
  }
  if (comparison.agree())
    out << "ok: the headers and the binary agree\n";
  else
    out << "mismatch: " << comparison.missing.size() << " declared but not exported, "
        << comparison.undeclared.size() << " exported but not declared\n";
}

void print_json(const CheckOptions &options, const ApiModel &model, const BinaryExports &binary,
                const Comparison &comparison, llvm::raw_ostream &out) {
  llvm::json::OStream json(out, 2);
  auto write_export = [&](const BinaryExport &item) {
    json.object([&] {
      json.attribute("name", item.name);
      if (!item.version.empty()) {
        json.attribute("version", item.version);
        json.attribute("default_version", item.default_version);
      }
      if (item.ordinal) json.attribute("ordinal", static_cast<int64_t>(*item.ordinal));
      if (item.ordinal && item.name.empty()) json.attribute("noname", true);
      if (!item.forwarder.empty()) json.attribute("forwarder", item.forwarder);
      if (item.weak) json.attribute("weak", true);
      if (item.indirect) json.attribute("ifunc", true);
    });
  };
  json.object([&] {
    json.attribute("binary", options.binary);
    json.attribute("format", binary.format_name);
    if (!binary.dll_name.empty()) json.attribute("dll_name", binary.dll_name);
    json.attributeArray("headers", [&] {
      for (const std::string &header : model.headers) json.value(header);
    });
    json.attribute("agree", comparison.agree());
    json.attributeArray("missing", [&] {
      for (const Function *function : comparison.missing)
        json.object([&] {
          json.attribute("name", function->name);
          json.attributeObject("declared_at", [&] {
            json.attribute("file", function->position.file);
            json.attribute("line", static_cast<int64_t>(function->position.line));
            json.attribute("column", static_cast<int64_t>(function->position.column));
          });
        });
    });
    json.attributeArray("undeclared", [&] {
      for (const BinaryExport *item : comparison.undeclared) write_export(*item);
    });
    json.attributeArray("exports", [&] {
      for (const BinaryExport &item : binary.exports) write_export(item);
    });
    json.attributeArray("data", [&] {
      for (const BinaryExport &item : binary.data) write_export(item);
    });
  });
  out << '\n';
}

int run_check(const CheckOptions &options, const std::vector<std::string> &clang_args) {
  std::string error;
  auto binary = read_binary_exports(options.binary, error);
  if (!binary) {
    fmt::print(stderr, "shimpool: error: {}\n", error);
    return kExitMismatch;
  }
  ParseRequest request;
  request.name = "check";
  request.headers = options.headers;
  request.clang_args = clang_args;
  auto model = parse_headers(request, llvm::errs());
  llvm::errs().flush();
  if (!model) {
    fmt::print(stderr, "shimpool: error: nothing checked; fix the errors above\n");
    return kExitMismatch;
  }
  const Comparison comparison = compare(*model, *binary);
  if (options.json)
    print_json(options, *model, *binary, comparison, llvm::outs());
  else
    print_text(options, *model, *binary, comparison, llvm::outs());
  llvm::outs().flush();
  return comparison.agree() ? 0 : kExitMismatch;
}

}  // namespace

CheckExportsCommand add_check_exports_command(CLI::App &app) {
  auto options = std::make_shared<CheckOptions>();
  CLI::App *command = app.add_subcommand(
      "check-exports",
      "Compare the functions headers declare with a library's exports: HEADER... --binary LIB "
      "[-- CLANG_ARGS]");
  command->add_option("headers", options->headers, "Headers, as for generate")
      ->required()
      ->check(CLI::ExistingFile);
  command->add_option("--binary", options->binary, "The real library: an ELF .so or a PE .dll")
      ->required()
      ->check(CLI::ExistingFile);
  command->add_flag("--json", options->json, "Print JSON instead of a report");
  command->footer(
      "Arguments after -- go to Clang, as for generate. Exit status: 0 the headers and the\n"
      "binary agree, 1 they differ or an input has errors, 2 the command line is wrong.\n");
  return {command, [options](const std::vector<std::string> &clang_args) {
            return run_check(*options, clang_args);
          }};
}

}  // namespace shimpool
