// The POSIX loader's messages (platform_posix.cpp): complete sentences naming
// the path, what was found and what to do about it.
#pragma once

#include <cstdint>
#include <string>

#include "elf_inspect.h"
#include "platform.h"

namespace shimpool::platform::posix {

// Passes `message` to the options' warning handler, if any.
void warn(const LoadOptions &options, LoadWarning kind, const std::string &message);

std::string unique_symbols_warning(const std::string &path, const elf::ElfInfo &info,
                                   LoadStrategy strategy);
std::string static_tls_warning(const std::string &path, const elf::ElfInfo &info);
std::string never_unloaded_warning(const std::string &path, LoadStrategy strategy);

// The sanitizer runtime loaded in this process ("AddressSanitizer", ...), or nullptr.
const char *sanitizer_in_process();

// A refusal by dlopen or dlmopen (read from dlerror), after `what`; names
// the tunable for the per-process limits they run into.
LoadError loader_refused(const std::string &what, LoadStrategy strategy, std::uint64_t tls_size);

}  // namespace shimpool::platform::posix
