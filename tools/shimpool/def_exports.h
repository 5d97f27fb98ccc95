// The exports of a shim DLL, as its module-definition (.def) file lists them:
// by default every exported function under its C name, its session form and
// the shim's own API; with --exports-from, the original DLL's names and
// ordinals for the header functions, so the shim replaces it exactly.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "api_model.h"
#include "binary_exports.h"

namespace llvm {
class raw_ostream;
}

namespace shimpool {

struct DefExport {
  std::string name;                 // the exported name, as importers see it
  std::string symbol;               // the shim's symbol behind it, .def spelling
  std::optional<uint32_t> ordinal;  // none: the linker picks one
  // The .def line: "name", "name = symbol", each followed by " @ordinal" if fixed.
  std::string line() const;
};

// The shim's exports without an original to follow: each exported function
// under its C name (aliased to its decorated symbol on i686), its session form
// and the shim's own functions, in that order.
std::vector<DefExport> default_def_exports(const ApiModel &model);

// The exports that reproduce `original`'s export table: every export whose
// name is an exported function's C name or one of its decorations ("foo",
// "foo@8", "_foo@8", "@foo@8") is kept with its name and ordinal, aliased to
// the wrapper. Session forms and the shim's own functions follow, numbered
// above the original's highest ordinal so no program importing by ordinal
// reaches them. `original_name` names the DLL in messages. Functions the DLL
// does not export are errors, and its exports the shim cannot reproduce
// (undeclared, denied, NONAME) warnings, on `diagnostics`; nullopt on error.
std::optional<std::vector<DefExport>> def_exports_like(const ApiModel &model,
                                                       const BinaryExports &original,
                                                       const std::string &original_name,
                                                       llvm::raw_ostream &diagnostics);

// Why a DLL of `original`'s machine cannot take wrappers parsed for `model`'s
// target (another architecture, or not Windows), or "" if it can.
std::string target_mismatch(const ApiModel &model, const BinaryExports &original,
                            const std::string &original_name);

}  // namespace shimpool
