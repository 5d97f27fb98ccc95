#include "def_exports.h"

#include <llvm/Support/raw_ostream.h>
#include <llvm/TargetParser/Triple.h>

#include <algorithm>
#include <cctype>
#include <map>

namespace shimpool {
namespace {

// A plain cdecl function of the shim (session form, shim API): the same
// symbol as its name on every target, once the global prefix is off.
DefExport plain_export(const std::string &name) { return {name, name, std::nullopt}; }

// "foo@8" -> "foo", "@foo@8" -> "@foo", "foo@@16" -> "foo@": the name without
// an "@<digits>" argument-size suffix, or "" if it has none.
std::string without_size_suffix(const std::string &name) {
  const size_t at = name.rfind('@');
  if (at == std::string::npos || at == 0 || at + 1 == name.size()) return "";
  const bool digits = std::all_of(name.begin() + at + 1, name.end(),
                                  [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
  return digits ? name.substr(0, at) : "";
}

// The names an export could stand for, most specific first: itself, then the
// undecorated forms of stdcall ("foo@8", "_foo@8"), fastcall ("@foo@8") and
// vectorcall ("foo@@16").
std::vector<std::string> names_behind(const std::string &exported) {
  std::vector<std::string> names{exported};
  std::string base = without_size_suffix(exported);
  if (base.empty()) return names;
  if (base.back() == '@') base.pop_back();  // vectorcall
  names.push_back(base);
  if (base.size() > 1 && (base.front() == '_' || base.front() == '@')) names.push_back(base.substr(1));
  return names;
}

// Which exported function an export of the original stands for, or null: one
// named exactly so, or whose decorated symbol it is (as MinGW spells it, or
// MSVC with the '_' prefix), or whose decoration it carries.
const Function *function_behind(const std::string &exported,
                                const std::map<std::string, const Function *> &by_name,
                                const std::map<std::string, const Function *> &by_symbol) {
  if (auto found = by_name.find(exported); found != by_name.end()) return found->second;
  if (auto found = by_symbol.find(exported); found != by_symbol.end()) return found->second;
  if (exported.front() == '_' && !without_size_suffix(exported).empty())
    if (auto found = by_symbol.find(exported.substr(1)); found != by_symbol.end()) return found->second;
  for (const std::string &name : names_behind(exported))
    if (auto found = by_name.find(name); found != by_name.end()) return found->second;
  return nullptr;
}

void warn_not_reproduced(const BinaryExport &item, const std::string &original_name,
                         llvm::raw_ostream &diagnostics) {
  diagnostics << original_name << ": warning: ";
  if (item.name.empty())
    diagnostics << "ordinal " << *item.ordinal << " is exported by ordinal only (NONAME), so no "
                << "header function can be matched to it; the shim leaves ordinal "
                << *item.ordinal << " unused";
  else
    diagnostics << "'" << item.name << "' (ordinal " << *item.ordinal << ") is exported, but no "
                << "function the shim wraps has that name (not declared in the headers, or left "
                << "out by --allow/--deny); the shim does not export it";
  diagnostics << ", and programs that import it will not load with the shim\n";
}

}  // namespace

std::string DefExport::line() const {
  std::string text = name;
  if (!symbol.empty() && symbol != name) text += " = " + symbol;
  if (ordinal) text += " @" + std::to_string(*ordinal);
  return text;
}

std::vector<DefExport> default_def_exports(const ApiModel &model) {
  std::vector<DefExport> exports;
  for (const Function &function : model.functions) {
    if (!function.exported) continue;
    exports.push_back({function.name, function.linker_symbol, std::nullopt});
    if (function.policy != Policy::Direct)
      exports.push_back(plain_export(session_function_name(function.name)));
  }
  for (const std::string &name : shim_api_functions(model.name)) exports.push_back(plain_export(name));
  return exports;
}

std::optional<std::vector<DefExport>> def_exports_like(const ApiModel &model,
                                                       const BinaryExports &original,
                                                       const std::string &original_name,
                                                       llvm::raw_ostream &diagnostics) {
  std::map<std::string, const Function *> by_name, by_symbol;
  for (const Function &function : model.functions) {
    if (!function.exported) continue;
    by_name.emplace(function.name, &function);
    by_symbol.emplace(function.linker_symbol, &function);
  }
  // The original's exports each function takes over, in ordinal order.
  std::map<const Function *, std::vector<const BinaryExport *>> taken;
  uint32_t highest_ordinal = 0;
  for (const BinaryExport &item : original.exports) {
    if (item.ordinal) highest_ordinal = std::max(highest_ordinal, *item.ordinal);
    const Function *function = item.name.empty() ? nullptr : function_behind(item.name, by_name, by_symbol);
    if (function)
      taken[function].push_back(&item);
    else
      warn_not_reproduced(item, original_name, diagnostics);
  }

  bool ok = true;
  std::vector<DefExport> exports;
  uint32_t next_ordinal = highest_ordinal + 1;
  auto add_plain = [&](const std::string &name) {
    DefExport entry = plain_export(name);
    if (highest_ordinal > 0) entry.ordinal = next_ordinal++;
    exports.push_back(entry);
  };
  for (const Function &function : model.functions) {
    if (!function.exported) continue;
    auto found = taken.find(&function);
    if (found == taken.end()) {
      diagnostics << function.position.file << ':' << function.position.line << ':'
                  << function.position.column << ": error: '" << function.name
                  << "' is declared here but " << original_name
                  << " does not export it (under that name or a decorated one); leave it out of "
                  << "the shim with --deny " << function.name
                  << ", or pass the DLL these headers belong to with --exports-from\n";
      ok = false;
      continue;
    }
    for (const BinaryExport *item : found->second)
      exports.push_back({item->name, function.linker_symbol, item->ordinal});
    if (function.policy != Policy::Direct) add_plain(session_function_name(function.name));
  }
  for (const std::string &name : shim_api_functions(model.name)) add_plain(name);
  if (!ok) return std::nullopt;
  return exports;
}

std::string target_mismatch(const ApiModel &model, const BinaryExports &original,
                            const std::string &original_name) {
  const std::string how = "; give Clang the DLL's target after --, e.g. -- --target=" +
                          std::string(original.x86_32 ? "i686" : "x86_64") + "-w64-mingw32";
  if (original.format != BinaryFormat::Pe)
    return original_name + " is not a PE DLL (" + original.format_name +
           "): --exports-from reproduces a DLL's export table";
  if (!model.windows_target)
    return "the headers were parsed for " + model.target_triple + ", not a Windows target" + how;
  const bool x86_32_target = llvm::Triple(model.target_triple).getArch() == llvm::Triple::x86;
  if (x86_32_target != original.x86_32)
    return original_name + " is " + original.format_name + " but the headers were parsed for " +
           model.target_triple + how;
  return "";
}

}  // namespace shimpool
