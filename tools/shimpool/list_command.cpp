#include "list_command.h"

#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <llvm/Support/JSON.h>
#include <llvm/Support/raw_ostream.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <memory>

#include "api_model.h"
#include "emitter.h"
#include "header_parser.h"
#include "policies.h"

namespace shimpool {

namespace {

constexpr int kExitInputError = 1;
constexpr int kExitUsageError = 2;

struct ListOptions {
  std::vector<std::string> headers;
  std::string name;
  std::string policy_file;
  std::vector<std::string> policies;
  bool json = false;
};

// Without --name, the first header's stem, made a C identifier: "my-lib.h" -> "my_lib".
std::string default_name(const std::vector<std::string> &headers) {
  std::string name = headers.empty() ? "" : std::filesystem::path(headers.front()).stem().string();
  for (char &c : name)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name.front()))) name = "shim_" + name;
  return name;
}

std::string parameter_list(const Function &function) {
  if (function.parameters.empty()) return "void";
  std::string text;
  for (const Parameter &parameter : function.parameters) {
    if (!text.empty()) text += ", ";
    text += parameter.type;
  }
  return text;
}

std::string location(const SourcePosition &position) {
  return fmt::format("{}:{}:{}", position.file, position.line, position.column);
}

int run_list(const ListOptions &options, const std::vector<std::string> &clang_args) {
  const std::string name = options.name.empty() ? default_name(options.headers) : options.name;
  if (!is_valid_shim_name(name)) {
    fmt::print(stderr, "shimpool: error: --name '{}' is not a C identifier (e.g. --name toto)\n", name);
    return kExitUsageError;
  }
  bool usage_error = false;
  auto policies = read_policy_sources(options.policy_file, options.policies, llvm::errs(), usage_error);
  llvm::errs().flush();
  if (!policies) {
    if (usage_error) return kExitUsageError;
    fmt::print(stderr, "shimpool: error: nothing listed; fix the policy file\n");
    return kExitInputError;
  }
  const PolicyFile &file = policies->file;
  const std::vector<PolicyRule> &flag_rules = policies->flags;
  ParseRequest request;
  request.name = name;
  request.headers = options.headers;
  request.clang_args = clang_args;
  auto model = parse_headers(request, llvm::errs());
  if (!model || !apply_policies(*model, file.rules, flag_rules, llvm::errs())) {
    llvm::errs().flush();
    fmt::print(stderr, "shimpool: error: nothing listed; fix the errors above\n");
    return kExitInputError;
  }
  llvm::errs().flush();
  if (options.json)
    print_model_json(*model, llvm::outs());
  else
    print_model_table(*model, llvm::outs());
  llvm::outs().flush();
  return 0;
}

}  // namespace

void print_model_table(const ApiModel &model, llvm::raw_ostream &out) {
  const std::vector<std::string> header{"FUNCTION", "RETURNS", "PARAMETERS", "CONVENTION", "POLICY",
                                        "DECLARED AT"};
  std::vector<std::vector<std::string>> rows;
  for (const Function &function : model.functions)
    rows.push_back({function.name, function.return_type, parameter_list(function),
                    to_string(function.calling_convention), to_string(function.policy),
                    location(function.position)});
  std::vector<size_t> widths;
  for (const std::string &cell : header) widths.push_back(cell.size());
  for (const auto &row : rows)
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  auto print_row = [&](const std::vector<std::string> &row) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    out << line << '\n';
  };
  print_row(header);
  for (const auto &row : rows) print_row(row);
  out << model.functions.size() << (model.functions.size() == 1 ? " function" : " functions")
      << " (" << (model.language == SourceLanguage::C ? "C" : "C++") << ")\n";
}

void print_model_json(const ApiModel &model, llvm::raw_ostream &out) {
  llvm::json::OStream json(out, 2);
  json.object([&] {
    json.attribute("name", model.name);
    json.attribute("language", model.language == SourceLanguage::C ? "c" : "c++");
    json.attributeArray("headers", [&] {
      for (const std::string &header : model.headers) json.value(header);
    });
    json.attributeArray("functions", [&] {
      for (const Function &function : model.functions)
        json.object([&] {
          json.attribute("name", function.name);
          json.attribute("return_type", function.return_type);
          json.attributeArray("parameters", [&] {
            for (const Parameter &parameter : function.parameters)
              json.object([&] {
                json.attribute("name", parameter.name);
                json.attribute("type", parameter.type);
              });
          });
          json.attribute("calling_convention", to_string(function.calling_convention));
          json.attribute("policy", to_string(function.policy));
          json.attribute("signature", function.signature);
          json.attributeObject("declared_at", [&] {
            json.attribute("file", function.position.file);
            json.attribute("line", static_cast<int64_t>(function.position.line));
            json.attribute("column", static_cast<int64_t>(function.position.column));
          });
        });
    });
  });
  out << '\n';
}

ListCommand add_list_command(CLI::App &app) {
  auto options = std::make_shared<ListOptions>();
  CLI::App *command = app.add_subcommand(
      "list", "Parse headers and print the functions a shim would export: HEADER... [-- CLANG_ARGS]");
  command->add_option("headers", options->headers, "Headers, as for generate")
      ->required()
      ->check(CLI::ExistingFile);
  command->add_option("--name", options->name,
                      "Shim name (a C identifier) [default: the first header's stem]");
  command->add_option("--policy-file", options->policy_file,
                      "TOML file with per-function [policies], as for generate")
      ->check(CLI::ExistingFile);
  command->add_option("--policy", options->policies, "NAME=POLICY, as for generate; repeatable");
  command->add_flag("--json", options->json, "Print JSON instead of a table");
  command->footer("Arguments after -- go to Clang, as for generate. Prints to stdout.\n");
  return {command, [options](const std::vector<std::string> &clang_args) {
            return run_list(*options, clang_args);
          }};
}

}  // namespace shimpool
