#include "config.h"

#include <charconv>

#include "platform.h"

namespace shimpool {

std::string variable_name(const shimpool_shim_desc &desc, const char *setting) {
  return std::string(desc.env_prefix) + setting;
}

namespace {

std::optional<unsigned> parse_count(const std::string &text, unsigned low, unsigned high) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < low || value > high)
    return std::nullopt;
  return value;
}

// An absolute path is used as is; anything else is relative to the shim's own
// directory, so a shim shipped next to the renamed original finds it.
std::string resolve_real_library(const std::string &named, const std::string &shim_directory) {
  if (platform::is_absolute_path(named)) return named;
  return shim_directory + named;
}

}  // namespace

std::optional<Config> load_config(const shimpool_shim_desc &desc,
                                  const std::string &shim_directory, std::string &error) {
  Config config;
  const std::string library_variable = variable_name(desc, "REAL_LIBRARY");
  if (auto overridden = platform::environment(library_variable))
    config.real_library = resolve_real_library(*overridden, shim_directory);
  else
    config.real_library = resolve_real_library(desc.real_library, shim_directory);

  config.max_instances = desc.max_instances ? desc.max_instances : 1;
  const std::string max_variable = variable_name(desc, "MAX_INSTANCES");
  if (auto text = platform::environment(max_variable)) {
    auto value = parse_count(*text, 1, kMaxInstancesLimit);
    if (!value) {
      error = max_variable + "='" + *text + "' is not a whole number from 1 to " +
              std::to_string(kMaxInstancesLimit) + "; set it to the most instances to load";
      return std::nullopt;
    }
    config.max_instances = *value;
  }

  config.temp_directory =
      platform::environment(variable_name(desc, "TMPDIR")).value_or(platform::default_temp_directory());
  return config;
}

}  // namespace shimpool
