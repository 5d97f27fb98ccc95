// How failures to get an instance reach the user. A drop-in function has no
// error channel, so the default is one clear message and abort: never a silent
// wrong result. A host may install its own handler (logging, its own exit).
#pragma once

#include <string>

#include "shimpool/shim_runtime.h"

namespace shimpool {

[[noreturn]] void fail(const shimpool_shim *shim, const std::string &message) noexcept;

}  // namespace shimpool
