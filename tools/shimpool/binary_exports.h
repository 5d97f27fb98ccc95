// The functions a real library exports, read with LLVM's Object library: the
// dynamic symbol table of an ELF shared object (with symbol versions), or the
// export directory of a PE DLL (with ordinals, NONAME exports and forwarders).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace shimpool {

enum class BinaryFormat { Elf, Pe };

struct BinaryExport {
  std::string name;              // as exported; empty for a PE export by ordinal only (NONAME)
  // ELF: the symbol version ("VER_1" of foo@@VER_1), empty if unversioned;
  // default_version is true for foo@@VER_1, false for foo@VER_1 (a hidden, older one).
  std::string version;
  bool default_version = false;
  bool weak = false;             // ELF: STB_WEAK
  bool indirect = false;         // ELF: STT_GNU_IFUNC
  std::optional<uint32_t> ordinal;  // PE: the export's ordinal (base included)
  std::string forwarder;         // PE: "OTHER.func" if the export forwards to another DLL
};

struct BinaryExports {
  BinaryFormat format = BinaryFormat::Elf;
  std::string format_name;       // LLVM's: "elf64-x86-64", "COFF-x86-64", "COFF-i386"
  std::string dll_name;          // PE: the name in the export directory
  bool x86_32 = false;           // i386: stdcall names may carry decorations (foo@8)
  std::vector<BinaryExport> exports;  // ELF in symbol table order, PE in ordinal order
  // ELF: exported data (defined global/weak OBJECT and TLS symbols). A shim
  // cannot pool them; not compared with the headers. (PE does not tell data
  // from functions: all its exports are in `exports`.)
  std::vector<BinaryExport> data;
};

// Reads the function exports of `path`: on ELF, the defined global and weak
// FUNC/IFUNC symbols of the dynamic symbol table (OBJECT/TLS ones go to
// `data`); on PE, every export. Returns
// nullopt and sets `error` if the file is neither.
std::optional<BinaryExports> read_binary_exports(const std::string &path, std::string &error);

// The C name an export stands for: PE i386 decorations removed ("_foo@8",
// "foo@8", "@foo@8" -> "foo"); otherwise the name itself.
std::string undecorated_name(const BinaryExports &binary, const std::string &name);

}  // namespace shimpool
