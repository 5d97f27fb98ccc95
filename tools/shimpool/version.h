#pragma once

#include <string_view>

namespace shimpool {
inline constexpr std::string_view kVersion = SHIMPOOL_VERSION;
}
