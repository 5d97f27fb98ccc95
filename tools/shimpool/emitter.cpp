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

// A GNU assembler string body for `text`: quotes and backslashes escaped,
// control bytes as octal escapes (the assembler reads other bytes as they are).
std::string assembler_string_body(const std::string &text) {
  std::string out;
  for (unsigned char c : text) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      char octal[5];
      std::snprintf(octal, sizeof octal, "\\%03o", c);
      out += octal;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

// Drops the blank lines that skipped sections leave inside function bodies
// (between an opening line or an indented statement and the next statement or
// closing brace); blank lines between top-level items stay.
std::string tidy_blank_lines(const std::string &text) {
  std::vector<std::string> lines;
  for (size_t start = 0; start <= text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  auto blank = [](const std::string &line) {
    return line.find_first_not_of(" \t") == std::string::npos;
  };
  auto in_body = [](const std::string &line) {
    return !line.empty() && (line[0] == ' ' || line.back() == '{');
  };
  std::string out;
  std::string previous = "-";  // not blank: a leading blank line stays
  for (size_t i = 0; i < lines.size(); ++i) {
    // The next line that is not blank: a run of blank lines goes as one.
    size_t following = i + 1;
    while (following < lines.size() && blank(lines[following])) ++following;
    const std::string &next = following < lines.size() ? lines[following] : std::string();
    if (blank(lines[i]) && (blank(previous) || (in_body(previous) && (next == "}" ||
                                                   (!next.empty() && next[0] == ' ')))))
      continue;
    out += lines[i];
    if (i + 1 < lines.size()) out += '\n';
    previous = lines[i];
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
  return tidy_blank_lines(text);
}

// How a broadcast wrapper keeps each argument for replay on later instances.
std::string kept_argument(const Parameter &parameter) {
  switch (parameter.copy) {
    case ArgumentCopy::CString: return "shimpool_keep_string(&shimpool_this, " + parameter.name + ")";
    case ArgumentCopy::WideString:
      return "shimpool_keep_wstring(&shimpool_this, " + parameter.name + ")";
    default: return parameter.name;
  }
}

data describe_function(const ApiModel &model, const Function &function, size_t index) {
  data entry;
  entry.set("name", function.name);
  entry.set("index", std::to_string(index));
  entry.set("pointer_type", function.pointer_type);
  entry.set("returns_void", function.returns_void);
  entry.set("noreturn", function.noreturn);
  entry.set("policy", std::string(to_string(function.policy)));
  entry.set("broadcast", function.policy == Policy::Broadcast);
  entry.set("position", base_name(function.position.file) + ":" +
                            std::to_string(function.position.line));
  std::string arguments, kept, replayed;
  data fields{data::type::list};
  for (const Parameter &parameter : function.parameters) {
    const std::string separator = arguments.empty() ? "" : ", ";
    arguments += separator + parameter.name;
    kept += ", " + kept_argument(parameter);
    replayed += separator + "shimpool_args_->" + parameter.name;
    fields.push_back(data("declaration", parameter.field_declaration));
  }
  entry.set("arguments", arguments);
  // The call of the real function on the instance's table; a variadic function
  // calls its va_list twin with the variable arguments it received.
  entry.set("variadic", function.variadic);
  if (function.variadic) {
    const Function &twin = model.functions.at(function.variadic_twin_index);
    entry.set("call", "((" + twin.pointer_type + ")shimpool_fns[" +
                          std::to_string(function.variadic_twin_index) + "])(" + arguments +
                          (arguments.empty() ? "" : ", ") + "shimpool_ap)");
    entry.set("twin", twin.name);
  } else {
    entry.set("call", "((" + function.pointer_type + ")shimpool_fns[" + std::to_string(index) +
                          "])(" + arguments + ")");
  }
  entry.set("kept_arguments", kept);
  entry.set("replayed_arguments", replayed);
  entry.set("fields", fields);
  return entry;
}

// One exported wrapper: the drop-in function itself, or its session form.
data wrapper_of(const Function &function, const data &entry, bool session) {
  data wrapper = entry;
  wrapper.set("signature", session ? function.session_signature : function.signature);
  wrapper.set("direct", !session && function.policy == Policy::Direct);
  wrapper.set("is_session", session);
  wrapper.set("c_only", function.c_only_signature);
  std::string enter = "shimpool_enter(&shimpool_this, &shimpool_lease_)";
  std::string leave = "shimpool_leave(&shimpool_this, &shimpool_lease_)";
  if (session) {
    enter = "shimpool_session_enter(&shimpool_this, shimpool_session_handle, &shimpool_lease_)";
    leave = "shimpool_session_leave(&shimpool_this, shimpool_session_handle, &shimpool_lease_)";
  } else if (function.policy == Policy::Sticky) {
    enter = "shimpool_enter_sticky(&shimpool_this, &shimpool_lease_)";
  }
  wrapper.set("enter", enter);
  if (function.variadic)  // va_start after the last named parameter
    wrapper.set("last_named", function.parameters.empty() ? std::string("shimpool_session_handle")
                                                          : function.parameters.back().name);
  wrapper.set("leave", leave);
  return wrapper;
}

// The labels around the embedded real library and the path the assembler
// reads it from (--embed); `embedded` is false without one.
void set_embedding(data &context, const std::string &shim_name, const std::string &library) {
  context.set("embedded", !library.empty());
  const std::string begin = "shimpool_embedded_begin_" + shim_name;
  const std::string end = "shimpool_embedded_end_" + shim_name;
  context.set("embedded_begin_field", library.empty() ? "NULL" : begin);
  context.set("embedded_end_field", library.empty() ? "NULL" : end);
  if (library.empty()) return;
  context.set("embedded_begin", begin);
  context.set("embedded_end", end);
  context.set("embedded_path", c_string_body(assembler_string_body(library)));
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
  return emit_shim(model, settings, default_def_exports(model));
}

std::vector<OutputFile> emit_shim(const ApiModel &model, const ShimSettings &settings,
                                  const std::vector<DefExport> &def_exports) {
  const bool cplusplus = model.language == SourceLanguage::CPlusPlus;
  const std::string wrapper_file = model.name + (cplusplus ? "_shim.cpp" : "_shim.c");
  const std::string version_script_file = model.name + "_shim.map";
  const std::string api_header = model.name + "_shimpool.h";
  const std::string def_file = model.name + "_shim.def";

  data context;
  context.set("version", std::string(kVersion));
  context.set("name", model.name);
  context.set("wrapper_file", wrapper_file);
  context.set("version_script_file", version_script_file);
  context.set("api_header", api_header);
  context.set("def_file", def_file);
  context.set("include_guard", upper_identifier(api_header));
  context.set("env_prefix", environment_prefix(model.name));
  context.set("real_library", c_string_body(settings.real_library));
  context.set("max_instances", std::to_string(settings.max_instances));
  context.set("stats_function", "shimpool_" + model.name + "_stats");
  context.set("public_types", std::string(embedded_file("types.h")));
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

  context.set("min_instances", std::to_string(settings.min_instances));
  context.set("idle_timeout_ms", std::to_string(settings.idle_timeout_ms));
  context.set("acquire_timeout_ms", std::to_string(settings.acquire_timeout_ms));
  context.set("strategy", settings.strategy);
  set_embedding(context, model.name, settings.embedded_library);
  context.set("pinned", !settings.sha256.empty());
  context.set("sha256_field", settings.sha256.empty() ? "NULL" : "\"" + settings.sha256 + "\"");

  data def_lines{data::type::list};
  for (const DefExport &entry : def_exports) def_lines.push_back(data("line", entry.line()));
  context.set("def_exports", def_lines);

  data functions{data::type::list};
  data wrappers{data::type::list};  // every exported wrapper: each function, then its session form
  data exported{data::type::list};  // every exported name, for the version script
  data init_functions{data::type::list};
  bool has_variadic = false;
  for (size_t index = 0; index < model.functions.size(); ++index) {
    const Function &function = model.functions[index];
    data entry = describe_function(model, function, index);
    functions.push_back(entry);
    if (!function.exported) continue;  // a va_list twin: in the table, not exported
    has_variadic |= function.variadic;
    wrappers.push_back(wrapper_of(function, entry, false));
    exported.push_back(data("name", function.name));
    if (function.policy != Policy::Direct) {
      wrappers.push_back(wrapper_of(function, entry, true));
      exported.push_back(data("name", session_function_name(function.name)));
    }
    if (function.policy == Policy::Init) init_functions.push_back(entry);
  }
  for (const std::string &name : shim_api_functions(model.name)) exported.push_back(data("name", name));
  context.set("functions", functions);
  context.set("wrappers", wrappers);
  context.set("exported", exported);
  context.set("init_functions", init_functions);
  context.set("has_init", !init_functions.is_empty_list());
  context.set("has_variadic", has_variadic);

  return {
      {wrapper_file, render("wrappers.mustache", context)},
      {version_script_file, render("version_script.mustache", context)},
      {api_header, render("shim_api.mustache", context)},
      {def_file, render("def_file.mustache", context)},
  };
}

}  // namespace shimpool
