#include "emitter.h"

#include <kainjow/mustache.hpp>

#include <cctype>
#include <cstdio>

#include "embedded_files.h"
#include "version.h"

namespace shimpool {
namespace {

using kainjow::mustache::data;
using kainjow::mustache::mustache;

std::string upper_identifier(const std::string &text) {
  std::string out;
  for (unsigned char c : text) out += std::isalnum(c) ? static_cast<char>(std::toupper(c)) : '_';
  return out;
}

std::string base_name(const std::string &path) {
  auto slash = path.find_last_of("/\\");
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// One byte of a C string literal body. Bytes outside printable ASCII become
// three-digit octal escapes, which a following digit cannot extend; a '?'
// after '?' is escaped so that no trigraph forms.
std::string c_escape(unsigned char c, unsigned char previous) {
  switch (c) {
    case '\\': return "\\\\";
    case '"': return "\\\"";
    case '\n': return "\\n";
    case '\t': return "\\t";
    case '\r': return "\\r";
    case '?': return previous == '?' ? "\\?" : "?";
  }
  if (c >= 0x20 && c < 0x7f) return std::string(1, static_cast<char>(c));
  char octal[5];
  std::snprintf(octal, sizeof octal, "\\%03o", c);
  return octal;
}

// A C string literal body for `text`.
std::string c_string_body(const std::string &text) {
  std::string out;
  unsigned char previous = 0;
  for (unsigned char c : text) {
    out += c_escape(c, previous);
    previous = c;
  }
  return out;
}

std::string render(std::string_view template_name, const data &context) {
  mustache view{std::string(embedded_file(template_name))};
  view.set_custom_escape([](const std::string &s) { return s; });  // C source, not HTML
  std::string text = view.render(context);
  if (!view.is_valid()) {
    throw std::runtime_error("template " + std::string(template_name) + ": " + view.error_message());
  }
  return text;
}

}  // namespace

std::string environment_prefix(const std::string &shim_name) {
  return "SHIMPOOL_" + upper_identifier(shim_name) + "_";
}

bool is_valid_shim_name(const std::string &name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (unsigned char c : name)
    if (!std::isalnum(c) && c != '_') return false;
  return true;
}

std::vector<OutputFile> emit_shim(const ApiModel &model, const ShimSettings &settings) {
  const bool cplusplus = model.language == SourceLanguage::CPlusPlus;
  const std::string wrapper_file = model.name + (cplusplus ? "_shim.cpp" : "_shim.c");
  const std::string version_script_file = model.name + "_shim.map";
  const std::string api_header = model.name + "_shimpool.h";

  data context;
  context.set("version", std::string(kVersion));
  context.set("name", model.name);
  context.set("wrapper_file", wrapper_file);
  context.set("version_script_file", version_script_file);
  context.set("api_header", api_header);
  context.set("include_guard", upper_identifier(api_header));
  context.set("env_prefix", environment_prefix(model.name));
  context.set("real_library", c_string_body(settings.real_library));
  context.set("max_instances", std::to_string(settings.max_instances));
  context.set("stats_function", "shimpool_" + model.name + "_stats");
  context.set("stats_definition", std::string(embedded_file("stats.h")));
  context.set("function_count", std::to_string(model.functions.size()));

  std::string header_list;
  data headers{data::type::list};
  for (const std::string &header : model.headers) {
    data entry;
    entry.set("include", base_name(header));
    headers.push_back(entry);
    header_list += (header_list.empty() ? "" : ", ") + base_name(header);
  }
  context.set("headers", headers);
  context.set("header_list", header_list);

  data functions{data::type::list};
  for (size_t index = 0; index < model.functions.size(); ++index) {
    const Function &function = model.functions[index];
    data entry;
    entry.set("name", function.name);
    entry.set("index", std::to_string(index));
    entry.set("signature", function.signature);
    entry.set("pointer_type", function.pointer_type);
    entry.set("returns_void", function.returns_void);
    entry.set("position", base_name(function.position.file) + ":" +
                              std::to_string(function.position.line));
    std::string arguments;
    for (const Parameter &parameter : function.parameters)
      arguments += (arguments.empty() ? "" : ", ") + parameter.name;
    entry.set("arguments", arguments);
    functions.push_back(entry);
  }
  context.set("functions", functions);

  return {
      {wrapper_file, render("wrappers.mustache", context)},
      {version_script_file, render("version_script.mustache", context)},
      {api_header, render("shim_api.mustache", context)},
  };
}

}  // namespace shimpool
