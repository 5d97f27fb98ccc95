// What the example's host programs (the demo, the end-to-end tests) need from
// the system, on Linux and on Windows alike. Not part of the library.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <filesystem>
#include <mutex>
#include <random>
#include <string>
#include <system_error>

#if defined(_WIN32)
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>
#else
#include <dlfcn.h>
#include <unistd.h>
#endif

namespace toto_host {

// The file name the host loads the library by, original or shim alike.
#if defined(_WIN32)
inline constexpr const char *kLibraryFile = "toto.dll";
#else
inline constexpr const char *kLibraryFile = "libtoto.so";
#endif

// A function only a shim exports (e.g. "shimpool_toto_stats"), or nullptr when
// the library the host loaded is the original.
inline void *shim_function(const char *name) {
#if defined(_WIN32)
  HMODULE toto = GetModuleHandleA(kLibraryFile);
  return toto ? reinterpret_cast<void *>(GetProcAddress(toto, name)) : nullptr;
#else
  return dlsym(RTLD_DEFAULT, name);
#endif
}

inline long process_id() {
#if defined(_WIN32)
  return static_cast<long>(GetCurrentProcessId());
#else
  return static_cast<long>(getpid());
#endif
}

// std::latch's subset the hosts use, on a mutex and a condition variable.
// Without a futex (MinGW), libstdc++ 12 builds std::latch on a shared waiter
// pool that can miss a wake-up (GCC bug 106183): threads hang at the start line.
class Latch {
 public:
  explicit Latch(std::ptrdiff_t count) : count_(count) {}
  void count_down() {
    std::lock_guard lock(mutex_);
    if (--count_ <= 0) reached_.notify_all();
  }
  void wait() {
    std::unique_lock lock(mutex_);
    reached_.wait(lock, [this] { return count_ <= 0; });
  }
  void arrive_and_wait() {
    count_down();
    wait();
  }

 private:
  std::mutex mutex_;
  std::condition_variable reached_;
  std::ptrdiff_t count_;
};

// A fresh directory only this user can use, holding the path of an event file
// that does not exist yet; both are removed on destruction.
class EventPath {
 public:
  EventPath() {
    namespace fs = std::filesystem;
    std::error_code error;
    const fs::path parent = fs::temp_directory_path(error);
    std::random_device random;
    for (int attempt = 0; attempt < 16 && dir_.empty(); ++attempt) {
      const fs::path candidate =
          parent / ("toto-event-" + std::to_string(random()) + std::to_string(random()));
      if (fs::create_directory(candidate, error)) {
        fs::permissions(candidate, fs::perms::owner_all, error);
        dir_ = candidate;
      }
    }
    if (dir_.empty()) {
      error_ = "cannot create a directory in " + parent.string() + ": " + error.message();
      return;
    }
    path_ = (dir_ / "event").string();
  }
  ~EventPath() {
    std::error_code ignored;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
  }
  EventPath(const EventPath &) = delete;
  EventPath &operator=(const EventPath &) = delete;

  bool ok() const { return !dir_.empty(); }
  const std::string &error() const { return error_; }
  const char *c_str() const { return path_.c_str(); }

 private:
  std::filesystem::path dir_;
  std::string path_, error_;
};

}  // namespace toto_host
