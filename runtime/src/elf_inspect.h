// Reads what the loader needs to know about a shared library before loading
// private instances of it: its dependencies and search path (for $ORIGIN), and
// the two properties that make instances less separate than they look
// (STB_GNU_UNIQUE symbols, initial-exec TLS). Pure parsing: no loader involved.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace shimpool::elf {

struct ElfInfo {
  std::string soname;                // DT_SONAME, empty when absent
  std::vector<std::string> needed;   // DT_NEEDED, in order
  std::vector<std::string> runpath;  // DT_RUNPATH entries, or DT_RPATH's when there is no RUNPATH
  bool uses_rpath = false;           // the entries above came from the older DT_RPATH
  // Defined STB_GNU_UNIQUE symbols in .dynsym (C++ inline and template statics):
  // the loader binds every copy to one definition, so their state is shared.
  std::vector<std::string> unique_symbols;
  bool has_symbol_table = false;  // false: section headers stripped, unique_symbols unknown
  std::uint64_t tls_size = 0;     // PT_TLS memory size, 0 without TLS
  // PT_TLS together with DF_STATIC_TLS: initial-exec TLS, which every instance
  // takes from glibc's small static TLS reserve.
  bool static_tls = false;
  // DF_1_NODELETE (linked with -z nodelete): dlclose never unloads it.
  bool nodelete = false;
};

// Parses an ELF shared object held in memory (native byte order, 32 or 64 bit).
// Returns nullopt with `error` set for anything that is not one; never reads
// outside `image`.
std::optional<ElfInfo> inspect(std::span<const std::byte> image, std::string &error);

// The same for a file, mapped read-only for the duration of the call.
std::optional<ElfInfo> inspect_file(const std::string &path, std::string &error);

// Why an ELF file must not be given to the loader: its program headers or
// loadable segments run past its end. ld.so maps such segments anyway and the
// process dies of SIGBUS when it touches them. Empty when the file is whole,
// and for anything that is not an ELF file of this byte order (the loader
// refuses those cleanly itself).
std::string truncation(std::span<const std::byte> image);
std::string file_truncation(const std::string &path);

// The RUNPATH/RPATH entries that name $ORIGIN (or ${ORIGIN}), with it replaced
// by `origin`: the directories a relocated copy would no longer search.
std::vector<std::string> origin_directories(const ElfInfo &info, const std::string &origin);

}  // namespace shimpool::elf
