// The Clang front end: parses vendor headers into the API model.
#pragma once

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
};

// Parses the headers and collects the functions they declare (not those of
// their includes). Diagnostics, Clang's and ours, are printed to `diagnostics`
// in Clang's format. Returns nullopt if any error was reported.
std::optional<ApiModel> parse_headers(const ParseRequest &request, llvm::raw_ostream &diagnostics);

// The Clang resource directory the tool was built against (stddef.h & co).
std::string clang_resource_directory();

}  // namespace shimpool
