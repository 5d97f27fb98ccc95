#include "binary_exports.h"

#include <llvm/BinaryFormat/ELF.h>
#include <llvm/Object/COFF.h>
#include <llvm/Object/ELFObjectFile.h>
#include <llvm/Object/ObjectFile.h>
#include <llvm/Support/Error.h>

#include <algorithm>
#include <cctype>

namespace shimpool {

namespace {

std::string message(llvm::Error error) { return llvm::toString(std::move(error)); }

std::optional<BinaryExports> read_elf(const llvm::object::ELFObjectFileBase &elf, std::string &error) {
  BinaryExports result;
  result.format = BinaryFormat::Elf;
  result.format_name = elf.getFileFormatName().str();
  std::vector<llvm::object::VersionEntry> versions;
  if (auto read = elf.readDynsymVersions())
    versions = std::move(*read);
  else {
    error = "cannot read symbol versions: " + message(read.takeError());
    return std::nullopt;
  }
  size_t index = 0;
  for (const llvm::object::ELFSymbolRef &symbol : elf.getDynamicSymbolIterators()) {
    const size_t this_index = index++;
    const uint8_t type = symbol.getELFType();
    const uint8_t binding = symbol.getBinding();
    const bool function = type == llvm::ELF::STT_FUNC || type == llvm::ELF::STT_GNU_IFUNC;
    if (!function && type != llvm::ELF::STT_OBJECT && type != llvm::ELF::STT_TLS) continue;
    if (binding != llvm::ELF::STB_GLOBAL && binding != llvm::ELF::STB_WEAK) continue;
    auto flags = symbol.getFlags();
    if (!flags) {
      error = message(flags.takeError());
      return std::nullopt;
    }
    if (*flags & llvm::object::SymbolRef::SF_Undefined) continue;
    auto name = symbol.getName();
    if (!name) {
      error = message(name.takeError());
      return std::nullopt;
    }
    if (name->empty()) continue;
    BinaryExport entry;
    entry.name = name->str();
    entry.weak = binding == llvm::ELF::STB_WEAK;
    entry.indirect = type == llvm::ELF::STT_GNU_IFUNC;
    if (this_index < versions.size()) {
      entry.version = versions[this_index].Name;
      entry.default_version = versions[this_index].IsVerDef;
    }
    (function ? result.exports : result.data).push_back(std::move(entry));
  }
  return result;
}

std::optional<BinaryExports> read_pe(const llvm::object::COFFObjectFile &coff, std::string &error) {
  BinaryExports result;
  result.format = BinaryFormat::Pe;
  result.format_name = coff.getFileFormatName().str();
  result.x86_32 = coff.getMachine() == llvm::COFF::IMAGE_FILE_MACHINE_I386;
  for (const llvm::object::ExportDirectoryEntryRef &entry : coff.export_directories()) {
    uint32_t rva = 0, ordinal = 0;
    llvm::StringRef name;
    bool forwarder = false;
    if (llvm::Error e = entry.getExportRVA(rva)) return error = message(std::move(e)), std::nullopt;
    if (rva == 0) continue;  // an unused slot of the ordinal range
    if (llvm::Error e = entry.getOrdinal(ordinal)) return error = message(std::move(e)), std::nullopt;
    if (llvm::Error e = entry.getSymbolName(name)) return error = message(std::move(e)), std::nullopt;
    if (llvm::Error e = entry.isForwarder(forwarder)) return error = message(std::move(e)), std::nullopt;
    if (result.dll_name.empty()) {
      llvm::StringRef dll;
      if (llvm::Error e = entry.getDllName(dll))
        llvm::consumeError(std::move(e));
      else
        result.dll_name = dll.str();
    }
    BinaryExport item;
    item.name = name.str();
    item.ordinal = ordinal;
    if (forwarder) {
      llvm::StringRef target;
      if (llvm::Error e = entry.getForwardTo(target)) return error = message(std::move(e)), std::nullopt;
      item.forwarder = target.str();
    }
    result.exports.push_back(std::move(item));
  }
  std::sort(result.exports.begin(), result.exports.end(),  // ordinals are unique
                   [](const BinaryExport &a, const BinaryExport &b) { return a.ordinal < b.ordinal; });
  return result;
}

}  // namespace

std::optional<BinaryExports> read_binary_exports(const std::string &path, std::string &error) {
  auto binary = llvm::object::ObjectFile::createObjectFile(path);
  if (!binary) {
    error = "cannot read '" + path + "' as a shared library: " + message(binary.takeError());
    return std::nullopt;
  }
  const llvm::object::ObjectFile *object = binary->getBinary();
  std::optional<BinaryExports> result;
  if (const auto *elf = llvm::dyn_cast<llvm::object::ELFObjectFileBase>(object)) {
    if (elf->getEType() != llvm::ELF::ET_DYN) {
      error = "'" + path + "' is an ELF file but not a shared object";
      return std::nullopt;
    }
    result = read_elf(*elf, error);
  } else if (const auto *coff = llvm::dyn_cast<llvm::object::COFFObjectFile>(object)) {
    if (!coff->getPE32Header() && !coff->getPE32PlusHeader()) {
      error = "'" + path + "' is a COFF object, not a PE DLL";
      return std::nullopt;
    }
    result = read_pe(*coff, error);
  } else {
    error = "'" + path + "' is a " + object->getFileFormatName().str() +
            " file; only ELF shared objects and PE DLLs are supported";
    return std::nullopt;
  }
  if (!result && !error.empty()) error = "'" + path + "': " + error;
  return result;
}

std::string undecorated_name(const BinaryExports &binary, const std::string &name) {
  if (binary.format != BinaryFormat::Pe || !binary.x86_32) return name;
  // stdcall: _foo@8 or foo@8 (MinGW without --kill-at); fastcall: @foo@8.
  const size_t at = name.rfind('@');
  if (at == std::string::npos || at == 0 || at + 1 == name.size()) return name;
  if (!std::all_of(name.begin() + at + 1, name.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
    return name;
  std::string base = name.substr(0, at);
  if (base.front() == '_' || base.front() == '@') base.erase(0, 1);
  return base.empty() ? name : base;
}

}  // namespace shimpool
