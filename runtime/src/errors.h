// How load failures reach the user. A drop-in function has no error channel,
// so the default is one clear message and abort: never a silent wrong result.
#pragma once

#include <string>

namespace shimpool {

[[noreturn]] void fail(const char *shim_name, const std::string &message) noexcept;

}  // namespace shimpool
