// A shim's run-time configuration: generation-time defaults from the
// descriptor, overridden by SHIMPOOL_<NAME>_* environment variables.
#pragma once

#include <optional>
#include <span>
#include <string>

#include "platform.h"
#include "pool.h"
#include "shimpool/shim_runtime.h"

namespace shimpool {

struct Config {
  std::string real_library;  // resolved path of the original library
  // The original's bytes carried by the shim (generate --embed); empty when
  // instances are copied from real_library, which then only names them.
  std::span<const unsigned char> embedded;
  std::string temp_directory;
  // The SHA-256 every instance's bytes must have, lower-case hex; empty when
  // not pinned. Not overridable at run time: that is the point of pinning.
  std::string sha256;
  PoolLimits limits;
  platform::LoadStrategy strategy = platform::LoadStrategy::Copy;
};

// The name of the variable that overrides `setting`, e.g. SHIMPOOL_TOTO_REAL_LIBRARY.
std::string variable_name(const shimpool_shim_desc &desc, const char *setting);

// Reads the configuration, or returns nullopt with `error` naming the variable at fault.
// `shim_directory` is where a relative real-library path is looked up.
std::optional<Config> load_config(const shimpool_shim_desc &desc,
                                  const std::string &shim_directory, std::string &error);

inline constexpr unsigned kMaxInstancesLimit = 4096;

}  // namespace shimpool
