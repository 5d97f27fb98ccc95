// What both loaders (platform_posix.cpp, platform_windows.cpp) say alike.
#pragma once

#include <string>

#include "platform.h"

namespace shimpool::platform {

// The refusal of a pinned library whose bytes have another digest. `path`
// names the real library, or the embedded one when `embedded`.
LoadError integrity_mismatch(const std::string &path, bool embedded, const std::string &expected,
                             const std::string &actual);

}  // namespace shimpool::platform
