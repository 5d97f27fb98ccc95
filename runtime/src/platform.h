// The small seam between the runtime and the operating system. One
// implementation per platform (platform_posix.cpp, platform_windows.cpp), plus
// what they share (platform_common.cpp); the rest of the runtime never includes
// a system header for loading.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace shimpool::platform {

// How a private instance is made (see docs/loading.md for the trade-offs).
enum class LoadStrategy {
  Copy,       // byte copy in a private temp directory, loaded from there
  Memfd,      // Linux: byte copy in an anonymous memory file, kept open while loaded
  Namespace,  // Linux: the original file in a fresh dlmopen namespace: no copy at all
};

// "copy", "memfd" or "namespace" (any case); nullopt for anything else.
std::optional<LoadStrategy> parse_load_strategy(std::string_view text);
const char *to_string(LoadStrategy strategy);
// Whether this platform has `strategy` (memfd and namespace are Linux's).
bool is_available(LoadStrategy strategy);

// Things worth telling the user once that do not stop a load.
enum class LoadWarning {
  NoexecFallback,  // the temp directory is mounted noexec: loaded from memory instead
  UniqueSymbols,   // STB_GNU_UNIQUE symbols: state shared between copies, pinned instances
  StaticTls,       // initial-exec TLS: every instance takes static TLS space
  NeverUnloaded,   // DF_1_NODELETE: unloading an instance frees nothing
  // Another user could rename entries of the temp directory (or of a directory
  // above it), so a copy there could be swapped: loaded from memory instead.
  UnsafeTempDirectory,
};

// Called on the loading thread, possibly on several threads at once, with a
// complete sentence. A plain function pointer: nothing to destroy at exit.
using WarningHandler = void (*)(void *context, LoadWarning kind, const char *message);

struct LoadOptions {
  std::string temp_directory;  // parent of the private directory the copy goes to
  // Bind the copy's references to its own exported symbols first, so its internal
  // calls stay inside the instance instead of landing on the shim's wrappers.
  // Not needed (and ignored) by Namespace, which does not see the shim at all.
  bool deepbind = true;
  LoadStrategy strategy = LoadStrategy::Copy;
  WarningHandler warn = nullptr;  // nullptr: warnings are dropped
  void *warn_context = nullptr;
  // The library's bytes, when the shim carries them (generate --embed): each
  // instance is written from them, and the path only names the library (in
  // messages and copies) and the directory its dependencies are looked up in.
  std::span<const unsigned char> image;
  // The SHA-256 the library must have (64 lower-case hex digits; empty: not
  // pinned). The loader hashes the bytes of the private copy it wrote and
  // loads that copy only if they match: what is loaded is what was hashed.
  // With Namespace, the instance is loaded from such a copy in memory instead
  // of the original file.
  std::string sha256;
  // Called with the path the loader is about to map (the private copy, a
  // /proc/self/fd path, or the original), after the copy was written and
  // checked. For tests that play an attacker at the worst moment.
  void (*before_load)(void *context, const char *path) = nullptr;
  void *before_load_context = nullptr;
};

// What a failed load was stuck on, so the caller can say which setting to change.
enum class LoadFailure {
  None,
  RealLibrary,
  TempDirectory,
  Loader,
  // The loader ran out of something per process (namespaces, static TLS, file
  // descriptors); the message names the limit and the tunable that raises it.
  LoaderLimit,
  Strategy,  // the strategy cannot work in this process (e.g. DEEPBIND under a sanitizer)
  Integrity,  // the library's bytes do not have the pinned SHA-256
};

struct LoadError {
  LoadFailure cause = LoadFailure::None;
  std::string message;  // a complete sentence naming the path that failed
};

// Loads a new private instance of the library at `path` with `options.strategy`
// (Copy falls back to Memfd when the temp directory is noexec). Dependencies
// found through $ORIGIN in the original's RUNPATH are found for copies too.
// Returns a handle distinct from every other live one, or nullptr with `error`
// filled in. Leaves no files behind either way.
void *load_private_copy(const std::string &path, const LoadOptions &options, LoadError &error);

// Refuses every later load and waits (up to `timeout_ms`) for the ones under
// way, so a process about to abort leaves no other thread's half-made copy behind.
void stop_loading(int timeout_ms) noexcept;

// What a thread must do before it calls into an instance. An instance in its
// own namespace has its own C library, whose per-thread state (the ctype
// tables behind toupper, the locale) glibc sets up only on the thread that
// loaded it; any other thread must set it up first. Empty for other instances.
struct ThreadSetup {
  void (*ctype_init)() = nullptr;
  void *(*uselocale)(void *) = nullptr;
};
ThreadSetup thread_setup_for(void *library);
// Runs `setup` on the calling thread; cheap, and a no-op when empty.
void prepare_thread(const ThreadSetup &setup) noexcept;

// The address of `name` in a loaded library, or nullptr.
void *find_symbol(void *library, const char *name);

// Unloads an instance and releases what it holds (a Memfd instance's file
// descriptor, unless the library cannot be unloaded: see docs/loading.md).
void unload(void *library) noexcept;

// The directory (with a trailing separator) of the module containing `address`.
std::string module_directory(const void *address);

// Keeps the module containing `address` loaded until the process ends, so
// the context and threads it owns never outlive its code (on ELF, the shim's
// -z nodelete already does this).
void keep_module_loaded(const void *address) noexcept;

std::optional<std::string> environment(const std::string &name);

std::string default_temp_directory();

bool is_absolute_path(const std::string &path);
bool is_bare_file_name(const std::string &path);

}  // namespace shimpool::platform
