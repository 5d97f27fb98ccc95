// Hand-written ELF reader: the runtime is linked into every shim, so it must not
// pull in a real object-file library. Every read is bounds-checked against the
// image, because the file is whatever the user pointed the shim at.
#include "elf_inspect.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cctype>
#include <cerrno>
#include <cstring>

namespace shimpool::elf {
namespace {

struct Elf64 {
  using Ehdr = Elf64_Ehdr;
  using Phdr = Elf64_Phdr;
  using Shdr = Elf64_Shdr;
  using Dyn = Elf64_Dyn;
  using Sym = Elf64_Sym;
};
struct Elf32 {
  using Ehdr = Elf32_Ehdr;
  using Phdr = Elf32_Phdr;
  using Shdr = Elf32_Shdr;
  using Dyn = Elf32_Dyn;
  using Sym = Elf32_Sym;
};

// The image with reads that fail instead of running off its end.
class Image {
 public:
  explicit Image(std::span<const std::byte> bytes) : bytes_(bytes) {}

  template <typename T>
  bool read(std::uint64_t offset, T &out) const {
    if (offset > bytes_.size() || bytes_.size() - offset < sizeof(T)) return false;
    std::memcpy(&out, bytes_.data() + offset, sizeof(T));  // no alignment assumed
    return true;
  }

  // The NUL-terminated string at `offset` inside the table [table, table + size).
  std::optional<std::string> string(std::uint64_t table, std::uint64_t size,
                                    std::uint64_t offset) const {
    if (table > bytes_.size() || size > bytes_.size() - table || offset >= size)
      return std::nullopt;
    const char *begin = reinterpret_cast<const char *>(bytes_.data() + table + offset);
    size_t length = strnlen(begin, size - offset);
    if (length == size - offset) return std::nullopt;  // unterminated
    return std::string(begin, length);
  }

 private:
  std::span<const std::byte> bytes_;
};

// What the dynamic section says, before its strings are looked up.
struct DynamicEntries {
  std::vector<std::uint64_t> needed;
  std::optional<std::uint64_t> soname, runpath, rpath;
  std::uint64_t strtab_address = 0, strtab_size = 0, flags = 0, flags_1 = 0;
  bool has_strtab = false;
};

std::vector<std::string> split_path(const std::string &list) {
  std::vector<std::string> entries;
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = list.find(':', start);
    if (end == std::string::npos) end = list.size();
    if (end > start) entries.push_back(list.substr(start, end - start));
    start = end + 1;
  }
  return entries;
}

template <typename T>
class Parser {
 public:
  explicit Parser(const Image &image) : image_(image) {}

  // Where the last loadable segment's file bytes end (the program headers
  // count too); nullopt when the headers themselves cannot be read.
  std::optional<std::uint64_t> needed_size() {
    if (!image_.read(0, header_)) return std::nullopt;
    if (header_.e_phentsize != sizeof(typename T::Phdr)) return std::nullopt;
    // Saturating: damaged headers may hold any value.
    auto end_of = [](std::uint64_t offset, std::uint64_t size) {
      return size > UINT64_MAX - offset ? UINT64_MAX : offset + size;
    };
    std::uint64_t end =
        end_of(header_.e_phoff, std::uint64_t{header_.e_phnum} * sizeof(typename T::Phdr));
    for (unsigned i = 0; i < header_.e_phnum; ++i) {
      typename T::Phdr segment;
      if (!image_.read(header_.e_phoff + std::uint64_t{i} * sizeof segment, segment))
        return end;  // the table runs past the end: already too long
      if (segment.p_type == PT_LOAD)
        end = std::max(end, end_of(segment.p_offset, segment.p_filesz));
    }
    return end;
  }

  std::optional<ElfInfo> run(std::string &error) {
    if (!image_.read(0, header_)) return fail(error, "truncated ELF header");
    if (header_.e_type != ET_DYN)
      return fail(error, "not a shared library (ELF type " + std::to_string(header_.e_type) + ")");
    if (!program_headers()) return fail(error, "truncated or malformed program headers");
    if (dynamic_size_ == 0) return fail(error, "no dynamic section: not a shared library");
    DynamicEntries entries;
    if (!dynamic_entries(entries) || !dynamic_strings(entries))
      return fail(error, "malformed dynamic section");
    unique_symbols();
    return std::move(info_);
  }

 private:
  std::optional<ElfInfo> fail(std::string &error, std::string message) {
    error = std::move(message);
    return std::nullopt;
  }

  bool program_headers() {
    if (header_.e_phentsize != sizeof(typename T::Phdr)) return false;
    bool has_tls = false;
    for (unsigned i = 0; i < header_.e_phnum; ++i) {
      typename T::Phdr segment;
      if (!image_.read(header_.e_phoff + std::uint64_t{i} * sizeof segment, segment)) return false;
      if (segment.p_type == PT_LOAD) loads_.push_back(segment);
      if (segment.p_type == PT_TLS) {
        has_tls = true;
        info_.tls_size = segment.p_memsz;
      }
      if (segment.p_type == PT_DYNAMIC) {
        dynamic_offset_ = segment.p_offset;
        dynamic_size_ = segment.p_filesz;
      }
    }
    info_.static_tls = has_tls;  // narrowed to DF_STATIC_TLS once the flags are known
    return true;
  }

  bool dynamic_entries(DynamicEntries &entries) {
    for (std::uint64_t at = 0; at + sizeof(typename T::Dyn) <= dynamic_size_;
         at += sizeof(typename T::Dyn)) {
      typename T::Dyn entry;
      if (!image_.read(dynamic_offset_ + at, entry)) return false;
      const std::uint64_t value = entry.d_un.d_val;
      switch (entry.d_tag) {
        case DT_NULL: return true;
        case DT_NEEDED: entries.needed.push_back(value); break;
        case DT_SONAME: entries.soname = value; break;
        case DT_RUNPATH: entries.runpath = value; break;
        case DT_RPATH: entries.rpath = value; break;
        case DT_STRTAB:
          entries.strtab_address = value;
          entries.has_strtab = true;
          break;
        case DT_STRSZ: entries.strtab_size = value; break;
        case DT_FLAGS: entries.flags = value; break;
        case DT_FLAGS_1: entries.flags_1 = value; break;
        default: break;
      }
    }
    return true;
  }

  // The dynamic section names strings by address; the file is read by offset.
  std::optional<std::uint64_t> file_offset(std::uint64_t address) const {
    for (const auto &load : loads_)
      if (address >= load.p_vaddr && address - load.p_vaddr < load.p_filesz)
        return load.p_offset + (address - load.p_vaddr);
    return std::nullopt;
  }

  bool dynamic_strings(const DynamicEntries &entries) {
    info_.static_tls = info_.static_tls && (entries.flags & DF_STATIC_TLS);
    info_.nodelete = entries.flags_1 & DF_1_NODELETE;
    if (!entries.has_strtab)
      return entries.needed.empty() && !entries.soname && !entries.runpath && !entries.rpath;
    auto table = file_offset(entries.strtab_address);
    if (!table) return false;
    auto text = [&](std::uint64_t offset) {
      return image_.string(*table, entries.strtab_size, offset);
    };
    for (std::uint64_t offset : entries.needed) {
      auto name = text(offset);
      if (!name) return false;
      info_.needed.push_back(*name);
    }
    if (entries.soname) info_.soname = text(*entries.soname).value_or("");
    // The loader ignores DT_RPATH when DT_RUNPATH is present.
    auto search = entries.runpath ? entries.runpath : entries.rpath;
    info_.uses_rpath = !entries.runpath && entries.rpath;
    if (search) {
      auto list = text(*search);
      if (!list) return false;
      info_.runpath = split_path(*list);
    }
    return true;
  }

  // .dynsym is found through the section headers; without them (sstrip) the
  // unique symbols stay unknown rather than failing the inspection.
  void unique_symbols() {
    typename T::Shdr dynsym, strtab;
    if (header_.e_shentsize != sizeof dynsym || !find_section(SHT_DYNSYM, dynsym)) return;
    if (dynsym.sh_entsize != sizeof(typename T::Sym) || !section(dynsym.sh_link, strtab)) return;
    info_.has_symbol_table = true;
    for (std::uint64_t at = 0; at + sizeof(typename T::Sym) <= dynsym.sh_size;
         at += sizeof(typename T::Sym)) {
      typename T::Sym symbol;
      if (!image_.read(dynsym.sh_offset + at, symbol)) return;
      if ((symbol.st_info >> 4) != STB_GNU_UNIQUE || symbol.st_shndx == SHN_UNDEF) continue;
      if (auto name = image_.string(strtab.sh_offset, strtab.sh_size, symbol.st_name))
        info_.unique_symbols.push_back(*name);
    }
  }

  bool section(std::uint64_t index, typename T::Shdr &out) const {
    return index < header_.e_shnum && image_.read(header_.e_shoff + index * sizeof out, out);
  }

  bool find_section(std::uint32_t type, typename T::Shdr &out) const {
    if (header_.e_shoff == 0) return false;
    for (unsigned i = 0; i < header_.e_shnum; ++i)
      if (section(i, out) && out.sh_type == type) return true;
    return false;
  }

  const Image &image_;
  typename T::Ehdr header_{};
  std::vector<typename T::Phdr> loads_;
  std::uint64_t dynamic_offset_ = 0, dynamic_size_ = 0;
  ElfInfo info_;
};

// Replaces the $ORIGIN / ${ORIGIN} tokens in one search path entry, as ld.so
// does: "$ORIGINAL" is not the token.
std::string expand_origin(const std::string &entry, const std::string &origin, bool &expanded) {
  std::string result;
  for (size_t i = 0; i < entry.size();) {
    size_t length = 0;
    if (entry.compare(i, 9, "${ORIGIN}") == 0) {
      length = 9;
    } else if (entry.compare(i, 7, "$ORIGIN") == 0) {
      char next = i + 7 < entry.size() ? entry[i + 7] : '/';
      if (!std::isalnum(static_cast<unsigned char>(next)) && next != '_') length = 7;
    }
    if (length) {
      result += origin;
      expanded = true;
      i += length;
    } else {
      result += entry[i++];
    }
  }
  return result;
}

}  // namespace

std::optional<ElfInfo> inspect(std::span<const std::byte> image, std::string &error) {
  if (image.size() < EI_NIDENT || std::memcmp(image.data(), ELFMAG, SELFMAG) != 0) {
    error = "not an ELF file";
    return std::nullopt;
  }
  const auto ident = reinterpret_cast<const unsigned char *>(image.data());
  const unsigned char native =
      std::endian::native == std::endian::little ? ELFDATA2LSB : ELFDATA2MSB;
  if (ident[EI_DATA] != native) {
    error = "an ELF file of the other byte order";
    return std::nullopt;
  }
  Image bounded(image);
  if (ident[EI_CLASS] == ELFCLASS64) return Parser<Elf64>(bounded).run(error);
  if (ident[EI_CLASS] == ELFCLASS32) return Parser<Elf32>(bounded).run(error);
  error = "an ELF file of unknown class";
  return std::nullopt;
}

std::string truncation(std::span<const std::byte> image) {
  if (image.size() < EI_NIDENT || std::memcmp(image.data(), ELFMAG, SELFMAG) != 0) return "";
  const auto ident = reinterpret_cast<const unsigned char *>(image.data());
  const unsigned char native =
      std::endian::native == std::endian::little ? ELFDATA2LSB : ELFDATA2MSB;
  if (ident[EI_DATA] != native) return "";
  Image bounded(image);
  std::optional<std::uint64_t> needed;
  if (ident[EI_CLASS] == ELFCLASS64) needed = Parser<Elf64>(bounded).needed_size();
  if (ident[EI_CLASS] == ELFCLASS32) needed = Parser<Elf32>(bounded).needed_size();
  if (!needed || *needed <= image.size()) return "";
  return "it holds " + std::to_string(image.size()) + " bytes, but its program headers say " +
         std::to_string(*needed) + " (the file is truncated or damaged)";
}

std::string file_truncation(const std::string &path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat info {};
  std::string result;
  if (fd >= 0 && fstat(fd, &info) == 0 && info.st_size > 0) {
    void *map = mmap(nullptr, info.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map != MAP_FAILED) {
      result = truncation({static_cast<const std::byte *>(map), static_cast<size_t>(info.st_size)});
      munmap(map, info.st_size);
    }
  }
  if (fd >= 0) close(fd);
  return result;
}

std::optional<ElfInfo> inspect_file(const std::string &path, std::string &error) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat info {};
  if (fd < 0 || fstat(fd, &info) != 0) {
    error = std::strerror(errno);
    if (fd >= 0) close(fd);
    return std::nullopt;
  }
  std::optional<ElfInfo> result;
  if (info.st_size == 0) {
    error = "empty file";
  } else if (void *map = mmap(nullptr, info.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
             map == MAP_FAILED) {
    error = std::strerror(errno);
  } else {
    result =
        inspect({static_cast<const std::byte *>(map), static_cast<size_t>(info.st_size)}, error);
    munmap(map, info.st_size);
  }
  close(fd);
  return result;
}

std::vector<std::string> origin_directories(const ElfInfo &info, const std::string &origin) {
  std::vector<std::string> directories;
  for (const auto &entry : info.runpath) {
    bool expanded = false;
    std::string directory = expand_origin(entry, origin, expanded);
    if (expanded) directories.push_back(std::move(directory));
  }
  return directories;
}

}  // namespace shimpool::elf
