#include "config.h"

#include <cctype>
#include <charconv>
#include <string_view>

#include "platform.h"
#include "sha256.h"

namespace shimpool {

std::string variable_name(const shimpool_shim_desc &desc, const char *setting) {
  return std::string(desc.env_prefix) + setting;
}

namespace {

// An absolute path is used as is; anything else is relative to the shim's own
// directory, so a shim shipped next to the renamed original finds it.
std::string resolve_real_library(const std::string &named, const std::string &shim_directory) {
  if (platform::is_absolute_path(named)) return named;
  return shim_directory + named;
}

// Reads SHIMPOOL_<NAME>_<setting> as a whole number in [low, high] into `value`,
// which keeps its default when the variable is unset.
bool read_number(const shimpool_shim_desc &desc, const char *setting, unsigned low, unsigned high,
                 const char *meaning, unsigned &value, std::string &error) {
  const std::string name = variable_name(desc, setting);
  auto text = platform::environment(name);
  if (!text) return true;
  unsigned parsed = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), parsed);
  if (ec != std::errc() || end != text->data() + text->size() || parsed < low || parsed > high) {
    error = name + "='" + *text + "' is not a whole number from " + std::to_string(low) + " to " +
            std::to_string(high) + "; set it to " + meaning;
    return false;
  }
  value = parsed;
  return true;
}

}  // namespace

std::optional<Config> load_config(const shimpool_shim_desc &desc,
                                  const std::string &shim_directory, std::string &error) {
  Config config;
  const auto named_library = platform::environment(variable_name(desc, "REAL_LIBRARY"));
  config.real_library = resolve_real_library(named_library.value_or(desc.real_library), shim_directory);
  // A library named at run time beats the embedded one: that is how a shipped
  // shim is pointed at a patched original without rebuilding it.
  if (!named_library && desc.embedded_begin && desc.embedded_end > desc.embedded_begin)
    config.embedded = {desc.embedded_begin, desc.embedded_end};
  config.temp_directory = platform::environment(variable_name(desc, "TMPDIR"))
                              .value_or(platform::default_temp_directory());
  if (desc.sha256 && *desc.sha256) {
    if (!is_sha256_hex(desc.sha256)) {
      error = std::string("the shim's pinned SHA-256 '") + desc.sha256 +
              "' is not 64 hexadecimal digits; regenerate the shim with --pin-sha256";
      return std::nullopt;
    }
    for (char c : std::string_view(desc.sha256))
      config.sha256 += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }

  unsigned max = desc.max_instances ? desc.max_instances : 1;
  unsigned min = desc.min_instances;
  unsigned idle_ms = desc.idle_timeout_ms;
  unsigned acquire_ms = desc.acquire_timeout_ms;
  constexpr unsigned kDay = 24u * 3600u * 1000u;
  if (!read_number(desc, "MAX_INSTANCES", 1, kMaxInstancesLimit, "the most instances to load",
                   max, error) ||
      !read_number(desc, "MIN_INSTANCES", 0, kMaxInstancesLimit,
                   "the instances to keep loaded (at most MAX_INSTANCES)", min, error) ||
      !read_number(desc, "IDLE_TIMEOUT_MS", 0, kDay,
                   "the milliseconds an idle instance is kept (0: forever)", idle_ms, error) ||
      !read_number(desc, "ACQUIRE_TIMEOUT_MS", 0, kDay,
                   "the milliseconds a call may wait for an instance (0: no limit)", acquire_ms,
                   error))
    return std::nullopt;
  if (min > max) {
    error = variable_name(desc, "MIN_INSTANCES") + " (" + std::to_string(min) +
            ") is above the maximum (" + std::to_string(max) + "); lower it or raise " +
            variable_name(desc, "MAX_INSTANCES");
    return std::nullopt;
  }
  const std::string strategy_variable = variable_name(desc, "STRATEGY");
  std::optional<std::string> strategy_text = platform::environment(strategy_variable);
  if (!strategy_text && desc.strategy && *desc.strategy) strategy_text = desc.strategy;
  if (auto text = strategy_text) {
    auto strategy = platform::parse_load_strategy(*text);
    if (!strategy) {
      error = strategy_variable + "='" + *text +
              "' is not a loader strategy; set it to copy, memfd or namespace";
      return std::nullopt;
    }
    if (!platform::is_available(*strategy)) {
      error = strategy_variable + "='" + *text +
              "' is a loader strategy this platform does not have; set it to copy";
      return std::nullopt;
    }
    config.strategy = *strategy;
  }
  config.limits = {min, max, std::chrono::milliseconds(idle_ms),
                   std::chrono::milliseconds(acquire_ms)};
  return config;
}

}  // namespace shimpool
