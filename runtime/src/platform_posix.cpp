// POSIX loader: private byte copies loaded with dlopen. Each copy lives in its
// own mkdtemp directory (0700, unpredictable name) and is unlinked right after
// dlopen, so nothing stays on disk even if the process is killed later.
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <thread>
#include <cstdlib>
#include <cstring>

#include "platform.h"

namespace shimpool::platform {
namespace {

// Trivially destructible, so still valid while the process exits.
std::atomic<int> g_loads_in_flight{0};
std::atomic<bool> g_loading_stopped{false};

// Counts a load for stop_loading. Both sides write their flag, then read the
// other's (sequentially consistent), so a load either is waited for or sees
// the stop.
struct InFlight {
  InFlight() { g_loads_in_flight.fetch_add(1); }
  ~InFlight() { g_loads_in_flight.fetch_sub(1); }
  bool stopped() const { return g_loading_stopped.load(); }
};

std::string errno_text(int error) { return std::strerror(error); }

std::string base_name(const std::string &path) {
  auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Kernel-side copy where the filesystem allows it, plain read/write otherwise.
bool copy_contents(int from, int to, off_t size, std::string &error) {
  off_t done = 0;
  while (done < size) {
    ssize_t n = copy_file_range(from, nullptr, to, nullptr, static_cast<size_t>(size - done), 0);
    if (n <= 0) break;
    done += n;
  }
  while (done < size) {
    ssize_t n = sendfile(to, from, &done, static_cast<size_t>(size - done));
    if (n <= 0) break;
  }
  if (done < size && lseek(from, done, SEEK_SET) == done && lseek(to, done, SEEK_SET) == done) {
    char buffer[1 << 16];
    while (done < size) {
      ssize_t n = read(from, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      for (ssize_t written = 0; written < n;) {
        ssize_t w = write(to, buffer + written, static_cast<size_t>(n - written));
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
          error = errno_text(errno);
          return false;
        }
        written += w;
      }
      done += n;
    }
  }
  if (done < size) {
    error = errno ? errno_text(errno) : "short copy";
    return false;
  }
  return true;
}

}  // namespace

void *load_private_copy(const std::string &path, const LoadOptions &options, LoadError &error) {
  InFlight in_flight;
  if (in_flight.stopped()) {
    error = {LoadFailure::Loader, "loading stopped: the process is aborting"};
    return nullptr;
  }
  int source = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (source < 0) {
    error = {LoadFailure::RealLibrary, "cannot open the real library " + path + ": " + errno_text(errno)};
    return nullptr;
  }
  struct stat info {};
  if (fstat(source, &info) != 0 || !S_ISREG(info.st_mode)) {
    error = {LoadFailure::RealLibrary, "the real library " + path + " is not a regular file"};
    close(source);
    return nullptr;
  }

  std::string directory = options.temp_directory + "/shimpool-XXXXXX";
  if (!mkdtemp(directory.data())) {
    error = {LoadFailure::TempDirectory, "cannot create a private directory in " +
                                             options.temp_directory + ": " + errno_text(errno)};
    close(source);
    return nullptr;
  }
  const std::string copy_path = directory + "/" + base_name(path);
  void *handle = nullptr;
  int copy = open(copy_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0700);
  if (copy < 0) {
    error = {LoadFailure::TempDirectory, "cannot create " + copy_path + ": " + errno_text(errno)};
  } else {
    std::string copy_error;
    bool copied = copy_contents(source, copy, info.st_size, copy_error);
    if (close(copy) != 0 && copied) {
      copied = false;
      copy_error = errno_text(errno);
    }
    if (!copied) {
      error = {LoadFailure::TempDirectory, "cannot copy " + path + " to " + copy_path + ": " + copy_error};
    } else {
      handle = dlopen(copy_path.c_str(),
                      RTLD_NOW | RTLD_LOCAL | (options.deepbind ? RTLD_DEEPBIND : 0));
      if (!handle)
        error = {LoadFailure::Loader, "the loader refused the copy of " + path + ": " + dlerror()};
    }
    unlink(copy_path.c_str());
  }
  rmdir(directory.c_str());
  close(source);
  return handle;
}

void stop_loading(int timeout_ms) noexcept {
  g_loading_stopped.store(true);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (g_loads_in_flight.load() > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

void *find_symbol(void *library, const char *name) { return dlsym(library, name); }

void unload(void *library) noexcept { dlclose(library); }

std::string module_directory(const void *address) {
  Dl_info info{};
  std::string path;
  if (dladdr(address, &info) && info.dli_fname && info.dli_fname[0]) path = info.dli_fname;
  if (path.empty() || path.find('/') == std::string::npos) {
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) path.assign(self, static_cast<size_t>(n));
  }
  if (char *resolved = realpath(path.c_str(), nullptr)) {
    path = resolved;
    std::free(resolved);
  }
  auto slash = path.find_last_of('/');
  return slash == std::string::npos ? std::string("./") : path.substr(0, slash + 1);
}

std::optional<std::string> environment(const std::string &name) {
  const char *value = std::getenv(name.c_str());
  if (!value || !*value) return std::nullopt;
  return std::string(value);
}

std::string default_temp_directory() {
  if (auto tmp = environment("TMPDIR")) return *tmp;
  return "/tmp";
}

bool is_absolute_path(const std::string &path) { return !path.empty() && path[0] == '/'; }

bool is_bare_file_name(const std::string &path) { return path.find('/') == std::string::npos; }

}  // namespace shimpool::platform
