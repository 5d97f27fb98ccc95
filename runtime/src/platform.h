// The small seam between the runtime and the operating system. One
// implementation per platform (platform_posix.cpp; Windows to follow); the rest
// of the runtime never includes a system header for loading.
#pragma once

#include <optional>
#include <string>

namespace shimpool::platform {

struct LoadOptions {
  std::string temp_directory;  // parent of the private directory the copy goes to
  // Bind the copy's references to its own exported symbols first, so its internal
  // calls stay inside the instance instead of landing on the shim's wrappers.
  bool deepbind = true;
};

// What a failed load was stuck on, so the caller can say which setting to change.
enum class LoadFailure { None, RealLibrary, TempDirectory, Loader };

struct LoadError {
  LoadFailure cause = LoadFailure::None;
  std::string message;  // a complete sentence naming the path that failed
};

// Copies the library at `path` to a fresh private directory, loads the copy and
// removes it from disk again. Returns the loaded handle, or nullptr with `error`
// filled in. Leaves no files behind either way.
void *load_private_copy(const std::string &path, const LoadOptions &options, LoadError &error);

// Refuses every later load and waits (up to `timeout_ms`) for the ones under
// way, so a process about to abort leaves no other thread's half-made copy behind.
void stop_loading(int timeout_ms) noexcept;

// The address of `name` in a loaded library, or nullptr.
void *find_symbol(void *library, const char *name);

void unload(void *library) noexcept;

// The directory (with a trailing separator) of the module containing `address`.
std::string module_directory(const void *address);

std::optional<std::string> environment(const std::string &name);

std::string default_temp_directory();

bool is_absolute_path(const std::string &path);
bool is_bare_file_name(const std::string &path);

}  // namespace shimpool::platform
