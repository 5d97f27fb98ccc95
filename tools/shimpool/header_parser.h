// The Clang front end: parses vendor headers into the API model.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api_model.h"

namespace llvm {
class raw_ostream;
}

namespace shimpool {

struct ParseRequest {
  std::string name;                     // shim name
  std::vector<std::string> headers;     // the headers whose functions are wrapped
  std::vector<std::string> clang_args;  // extra compiler arguments (-I, -D, -x c++, --target ...)
  // Selection: a function is wrapped if it matches one of `allow` (or `allow`
  // is empty) and none of `deny`. ECMAScript regexes matching whole names.
  std::vector<std::string> allow = {};
  std::vector<std::string> deny = {};
  // Variadic function -> its va_list twin, beating the naming conventions.
  std::map<std::string, std::string> variadic_twins = {};
  // A directory holding compile_commands.json: the flags of its first entry
  // compiling one of the headers, else of its first entry, come before
  // `clang_args`. Empty: none.
  std::string build_directory = {};
  // Files read from memory instead of disk (absolute path -> contents), over
  // the real file system: a header can be parsed without being written out.
  std::map<std::string, std::string> in_memory_files = {};
};

// The names tried, in order, for the va_list twin of variadic function `name`:
// "v" + name ("printf" -> "vprintf"), then "v" inserted before the last
// '_'-separated word ("sqlite3_mprintf" -> "sqlite3_vmprintf").
std::vector<std::string> variadic_twin_candidates(const std::string &name);

// The compiler arguments taken from the compilation database in `directory`
// for `headers` (see ParseRequest::build_directory); nullopt with `error` set
// if there is none or it is empty.
std::optional<std::vector<std::string>> compile_flags_from_database(
    const std::string &directory, const std::vector<std::string> &headers, std::string &error);

// Parses the headers and collects the functions they declare (not those of
// their includes). Diagnostics, Clang's and ours, are printed to `diagnostics`
// in Clang's format. Returns nullopt if any error was reported.
std::optional<ApiModel> parse_headers(const ParseRequest &request, llvm::raw_ostream &diagnostics);

// The Clang resource directory the tool was built against (stddef.h & co).
std::string clang_resource_directory();

}  // namespace shimpool
