// POSIX loader, three ways to make a private instance (docs/loading.md):
//  - copy: a byte copy in its own mkdtemp directory (0700, unpredictable name),
//    dlopen'd and unlinked at once, so nothing stays on disk even if the
//    process is killed later;
//  - memfd: a byte copy in an anonymous memory file, dlopen'd by /proc path;
//  - namespace: the original file, dlmopen'd into a new link-map namespace.
#include <cxxabi.h>
#include <dlfcn.h>
#include <locale.h>
#include <fcntl.h>
#include <link.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "elf_inspect.h"
#include "loads_in_flight.h"
#include "platform.h"

namespace shimpool::platform {
namespace {

// Set by the exit handler below: the process is ending, and threads may be
// cut off anywhere once the exit handlers are done.
std::atomic<bool> g_process_exiting{false};

// exit() (or returning from main) ends every other thread wherever it is once
// the exit handlers have run: a thread between mkdtemp and rmdir would leave
// its private directory and copy behind. So the handler waits for the loads
// under way, and loads that start later do not touch the disk (see
// Load::choose_strategy). Loads are neither refused nor parked: a host may
// still call in from its own exit handlers and destructors, or join threads
// that are calling in.
void on_process_exit() {
  g_process_exiting.store(true);
  wait_for_loads_in_flight(2000);
}

void register_exit_handler_once() {
  static std::atomic<bool> registered{false};  // trivially destructible
  if (!registered.load(std::memory_order_relaxed) && !registered.exchange(true))
    std::atexit(&on_process_exit);
}

// Lets the memfd be mapped executable where vm.memfd_noexec defaults memfds to
// noexec (Linux 6.3+); older kernels reject the flag and get a plain memfd.
constexpr unsigned kMfdExec = 0x0010U;  // MFD_EXEC, newer than these headers

std::string errno_text(int error) { return std::strerror(error); }

std::string base_name(const std::string &path) {
  auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Writes all of `bytes` to `to`.
bool write_all(int to, std::span<const unsigned char> bytes, std::string &error) {
  while (!bytes.empty()) {
    ssize_t n = write(to, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error = n < 0 ? errno_text(errno) : "short write";
      return false;
    }
    bytes = bytes.subspan(static_cast<size_t>(n));
  }
  return true;
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

// ---------------------------------------------------------------------------
// Live instances

// Every handle this loader returned, so a new load can be checked against all
// of them: glibc hands back an existing instance when the path string or the
// device+inode match one it has loaded. Retired entries were unloaded but stay
// mapped (dlclose was a no-op for them), so glibc could still hand them back.
class LiveLibraries {
 public:
  // False when `handle` is already known: the loader did not make a new instance.
  bool add(void *handle, int memfd) {
    std::lock_guard lock(mutex_);
    for (const auto &entry : entries_)
      if (entry.handle == handle) return false;
    entries_.push_back({handle, memfd});
    return true;
  }
  // Forgets `handle`; returns its memfd, or -1.
  int remove(void *handle) {
    std::lock_guard lock(mutex_);
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (it->handle != handle) continue;
      int memfd = it->memfd;
      entries_.erase(it);
      return memfd;
    }
    return -1;
  }
  void retire(void *handle, int memfd) {
    std::lock_guard lock(mutex_);
    entries_.push_back({handle, memfd});
  }

 private:
  struct Entry {
    void *handle;
    int memfd;  // keeps /proc/self/fd/N naming this instance's file, -1 if none
  };
  std::mutex mutex_;
  std::vector<Entry> entries_;
};

// Allocated once and never destroyed: unload may run while the process exits.
LiveLibraries &live_libraries() {
  static auto *live = new LiveLibraries;
  return *live;
}

// Enough to recognise a loaded object after dlclose, without touching the handle.
struct Mapping {
  std::uintptr_t base = 0;
  std::string name;
};

Mapping mapping_of(void *handle) {
  link_map *map = nullptr;
  if (dlinfo(handle, RTLD_DI_LINKMAP, &map) != 0 || !map) return {};
  return {map->l_addr, map->l_name ? map->l_name : ""};
}

// Whether the object is still loaded. dl_iterate_phdr sees only the caller's
// namespace, where copy and memfd instances live; a namespace instance needs
// no check, as every dlmopen(LM_ID_NEWLM) makes a new object.
bool still_mapped(const Mapping &mapping) {
  if (mapping.base == 0) return false;
  auto same = [](dl_phdr_info *info, size_t, void *data) -> int {
    const auto &wanted = *static_cast<const Mapping *>(data);
    return info->dlpi_addr == wanted.base &&
           wanted.name == (info->dlpi_name ? info->dlpi_name : "");
  };
  return dl_iterate_phdr(same, const_cast<Mapping *>(&mapping)) != 0;
}

// ---------------------------------------------------------------------------
// Messages

void warn(const LoadOptions &options, LoadWarning kind, const std::string &message) {
  if (options.warn) options.warn(options.warn_context, kind, message.c_str());
}

std::string demangled(const std::string &symbol) {
  int status = 0;
  char *text = abi::__cxa_demangle(symbol.c_str(), nullptr, nullptr, &status);
  std::string result = status == 0 && text ? text : symbol;
  std::free(text);
  return result;
}

std::string unique_symbols_warning(const std::string &path, const elf::ElfInfo &info,
                                   LoadStrategy strategy) {
  std::string message = path + " defines " + std::to_string(info.unique_symbols.size()) +
                        " STB_GNU_UNIQUE symbol(s), C++ inline or template statics such as '" +
                        demangled(info.unique_symbols.front()) + "'";
  if (strategy == LoadStrategy::Namespace)
    return message +
           ": glibc never unloads the first object to define one in a namespace, so "
           "every instance created keeps one of the 15 namespaces until the process "
           "exits; keep idle instances from being evicted";
  return message +
         ": the loader binds every copy to the first copy's definitions, so that "
         "state is shared by all instances (and the first copy stays loaded until the "
         "process exits); the namespace strategy isolates it";
}

std::string static_tls_warning(const std::string &path, const elf::ElfInfo &info) {
  return path + " has " + std::to_string(info.tls_size) +
         " bytes of initial-exec TLS (DF_STATIC_TLS): every instance takes that much from "
         "glibc's small static TLS reserve, so loading many can fail with \"cannot allocate "
         "memory in static TLS block\"; starting the program with "
         "GLIBC_TUNABLES=glibc.rtld.optional_static_tls=<bytes> enlarges the reserve";
}

std::string never_unloaded_warning(const std::string &path, LoadStrategy strategy) {
  std::string message = path +
                        " is marked NODELETE (linked with -z nodelete): dlclose never "
                        "unloads it, so an instance that is evicted keeps its memory";
  if (strategy == LoadStrategy::Namespace)
    message += " and one of the 15 namespaces until the process exits";
  return message + "; keep idle instances from being evicted";
}

// The sanitizer runtime loaded in this process, if any. Their dlopen
// interceptors abort the process on RTLD_DEEPBIND (google/sanitizers#611): a
// deep-bound library would bind malloc and friends past the interceptors.
const char *sanitizer_in_process() {
  static const struct {
    const char *symbol;
    const char *name;
  } kSanitizers[] = {
      {"__asan_init", "AddressSanitizer"},
      {"__hwasan_init", "HWAddressSanitizer"},
      {"__tsan_init", "ThreadSanitizer"},
      {"__msan_init", "MemorySanitizer"},
  };
  for (const auto &sanitizer : kSanitizers)
    if (dlsym(RTLD_DEFAULT, sanitizer.symbol)) return sanitizer.name;
  return nullptr;
}

// Names the tunable for the per-process limits dlopen/dlmopen run into.
LoadError loader_refused(const std::string &what, LoadStrategy strategy, std::uint64_t tls_size) {
  const char *reason = dlerror();
  std::string message = what + ": " + (reason ? reason : "unknown error");
  if (message.find("no more namespaces available") != std::string::npos)
    return {LoadFailure::LoaderLimit,
            message +
                ". glibc has 16 link-map namespaces including the program's own, so at most "
                "15 instances can be loaded with the namespace strategy at a time (fewer "
                "if other code uses dlmopen); GLIBC_TUNABLES=glibc.rtld.nns=16 is the most "
                "it allows and only reserves static TLS for them. Lower the maximum "
                "number of instances, or use the copy strategy"};
  if (message.find("static TLS") == std::string::npos) return {LoadFailure::Loader, message};
  message += ". Every instance of a library with initial-exec TLS";
  if (tls_size) message += " (" + std::to_string(tls_size) + " bytes here)";
  message +=
      " takes space from glibc's static TLS reserve, which is used up: start the program "
      "with GLIBC_TUNABLES=glibc.rtld.optional_static_tls=<bytes> (default 512)";
  if (strategy == LoadStrategy::Namespace)
    message +=
        " and glibc.rtld.nns=16, which reserves static TLS for the C library every "
        "namespace loads (GLIBC_TUNABLES=glibc.rtld.nns=16:glibc.rtld.optional_static_tls"
        "=<bytes>)";
  return {LoadFailure::LoaderLimit, message};
}

// ---------------------------------------------------------------------------
// One load

bool is_noexec(const std::string &directory) {
  struct statvfs info {};
  return statvfs(directory.c_str(), &info) == 0 && (info.f_flag & ST_NOEXEC);
}

// $ORIGIN is the directory of the path the library is opened by, made
// absolute but not resolved through symlinks, as ld.so does.
std::string origin_of(const std::string &path) {
  std::string absolute = path;
  if (!is_absolute_path(path)) {
    char cwd[4096];
    if (getcwd(cwd, sizeof cwd)) absolute = std::string(cwd) + "/" + path;
  }
  auto slash = absolute.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : absolute.substr(0, slash);
}

class Load {
 public:
  Load(const std::string &path, const LoadOptions &options, LoadError &error)
      : path_(path), options_(options), error_(error) {}
  ~Load() {
    if (source_ >= 0) close(source_);
  }

  void *run() {
    if (!open_source()) return nullptr;
    // Not being an ELF file is the loader's to report; inspection only warns.
    std::string ignored;
    info_ = (embedded() ? elf::inspect(std::as_bytes(options_.image), ignored)
                        : elf::inspect_file(path_, ignored))
                .value_or(elf::ElfInfo{});
    choose_strategy();
    report_inspection();
    void *handle = strategy_ == LoadStrategy::Namespace ? in_namespace() : with_dependencies();
    if (handle && !live_libraries().add(handle, memfd_)) return refuse_duplicate(handle);
    return handle;
  }

 private:
  bool embedded() const { return !options_.image.empty(); }

  // Writes the library's bytes into `to`: the embedded image, or the file's.
  bool fill(int to, std::string &error) {
    if (embedded()) return write_all(to, options_.image, error);
    return copy_contents(source_, to, size_, error);
  }

  bool open_source() {
    if (embedded()) {
      size_ = static_cast<off_t>(options_.image.size());
      return true;
    }
    source_ = open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (source_ < 0) {
      error_ = {LoadFailure::RealLibrary,
                "cannot open the real library " + path_ + ": " + errno_text(errno)};
      return false;
    }
    struct stat info {};
    if (fstat(source_, &info) != 0 || !S_ISREG(info.st_mode)) {
      error_ = {LoadFailure::RealLibrary, "the real library " + path_ + " is not a regular file"};
      return false;
    }
    size_ = info.st_size;
    return true;
  }

  void choose_strategy() {
    strategy_ = options_.strategy;
    // The same instance without a file on disk for the exit to cut off.
    if (strategy_ == LoadStrategy::Copy && g_process_exiting.load()) {
      strategy_ = LoadStrategy::Memfd;
      return;
    }
    if (strategy_ != LoadStrategy::Copy || !is_noexec(options_.temp_directory)) return;
    strategy_ = LoadStrategy::Memfd;
    warn(options_, LoadWarning::NoexecFallback,
         options_.temp_directory +
             " is on a filesystem mounted noexec, where a copy cannot be loaded, so instances "
             "are loaded from memory instead (the memfd strategy); choose a temp directory "
             "that allows executables, or the memfd strategy, to silence this");
  }

  void report_inspection() const {
    if (!info_.unique_symbols.empty())
      warn(options_, LoadWarning::UniqueSymbols, unique_symbols_warning(path_, info_, strategy_));
    if (info_.static_tls) warn(options_, LoadWarning::StaticTls, static_tls_warning(path_, info_));
    if (info_.nodelete)
      warn(options_, LoadWarning::NeverUnloaded, never_unloaded_warning(path_, strategy_));
  }

  // Copies live elsewhere than the original, so RUNPATH entries naming $ORIGIN
  // no longer lead to the libraries next to it. Loading those by full path
  // first lets the copy's DT_NEEDED match them by soname. The copy holds its
  // own references afterwards, so ours are dropped when this returns.
  void *with_dependencies() {
    flags_ = RTLD_NOW | RTLD_LOCAL | (options_.deepbind ? RTLD_DEEPBIND : 0);
    if ((flags_ & RTLD_DEEPBIND) && refuse_deepbind_under_sanitizer()) return nullptr;
    std::vector<void *> preloaded;
    void *handle = nullptr;
    if (preload_dependencies(preloaded))
      handle = strategy_ == LoadStrategy::Memfd ? from_memfd() : from_copy();
    for (void *dependency : preloaded) dlclose(dependency);
    return handle;
  }

  bool preload_dependencies(std::vector<void *> &preloaded) {
    const auto directories = elf::origin_directories(info_, origin_of(path_));
    for (const auto &needed : info_.needed) {
      if (needed.find('/') != std::string::npos) continue;  // a path: not searched at all
      for (const auto &directory : directories) {
        const std::string candidate = directory + "/" + needed;
        struct stat info {};
        if (stat(candidate.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) continue;
        void *dependency = dlopen(candidate.c_str(), flags_);
        if (!dependency) {
          error_ = loader_refused("cannot load " + candidate + ", which " + path_ + " needs",
                                  strategy_, 0);
          return false;
        }
        preloaded.push_back(dependency);
        break;
      }
    }
    return true;
  }

  // A sanitizer runtime would abort the process on the RTLD_DEEPBIND dlopen:
  // fail the load with a message instead, before anything is copied.
  bool refuse_deepbind_under_sanitizer() {
    const char *sanitizer = sanitizer_in_process();
    if (!sanitizer) return false;
    error_ = {LoadFailure::Strategy,
              std::string(sanitizer) + " is loaded: RTLD_DEEPBIND copies would crash it (the " +
                  to_string(strategy_) + " strategy loads each instance of " + path_ +
                  " with RTLD_DEEPBIND, and sanitizer runtimes abort the process on that flag)"};
    return true;
  }

  void *from_copy();
  void *from_memfd();
  void *in_namespace();
  void *embedded_in_namespace();
  void *refuse_duplicate(void *handle);

  const std::string &path_;
  const LoadOptions &options_;
  LoadError &error_;
  int source_ = -1;
  off_t size_ = 0;
  elf::ElfInfo info_;
  LoadStrategy strategy_ = LoadStrategy::Copy;
  int flags_ = 0;
  int memfd_ = -1;  // the Memfd instance's file, owned by the registry once loaded
};

// A private directory per copy, so the path glibc compares is unpredictable and
// never that of another live copy; unlinked right after dlopen.
void *Load::from_copy() {
  std::string directory = options_.temp_directory + "/shimpool-XXXXXX";
  if (!mkdtemp(directory.data())) {
    error_ = {LoadFailure::TempDirectory, "cannot create a private directory in " +
                                              options_.temp_directory + ": " + errno_text(errno)};
    return nullptr;
  }
  const std::string copy_path = directory + "/" + base_name(path_);
  void *handle = nullptr;
  int copy = open(copy_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0700);
  if (copy < 0) {
    error_ = {LoadFailure::TempDirectory, "cannot create " + copy_path + ": " + errno_text(errno)};
  } else {
    std::string copy_error;
    bool copied = fill(copy, copy_error);
    if (close(copy) != 0 && copied) {
      copied = false;
      copy_error = errno_text(errno);
    }
    if (!copied) {
      error_ = {LoadFailure::TempDirectory,
                "cannot copy " + path_ + " to " + copy_path + ": " + copy_error};
    } else if (!(handle = dlopen(copy_path.c_str(), flags_))) {
      error_ = loader_refused("the loader refused the copy of " + path_, strategy_, info_.tls_size);
    }
    unlink(copy_path.c_str());
  }
  rmdir(directory.c_str());
  return handle;
}

// glibc matches loaded objects by path string, and /proc/self/fd/N names
// whatever file holds N now: the memfd stays open for the instance's life so N
// cannot be reused while the instance is mapped (one descriptor per instance).
void *Load::from_memfd() {
  const std::string label = "shimpool:" + base_name(path_);
  int memfd = memfd_create(label.c_str(), MFD_CLOEXEC | kMfdExec);
  if (memfd < 0 && errno == EINVAL)
    memfd = memfd_create(label.c_str(), MFD_CLOEXEC);  // before Linux 6.3
  if (memfd < 0) {
    const bool limit = errno == EMFILE || errno == ENFILE;
    error_ = {limit ? LoadFailure::LoaderLimit : LoadFailure::Loader,
              "cannot create an in-memory file for " + path_ + ": " + errno_text(errno) +
                  (limit ? " (each memfd instance keeps one file descriptor open; raise the "
                           "limit with ulimit -n, or use the copy strategy)"
                         : "")};
    return nullptr;
  }
  std::string copy_error;
  const std::string fd_path = "/proc/self/fd/" + std::to_string(memfd);
  void *handle = nullptr;
  if (!fill(memfd, copy_error))
    error_ = {LoadFailure::Loader, "cannot copy " + path_ + " into memory: " + copy_error};
  else if (!(handle = dlopen(fd_path.c_str(), flags_)))
    error_ =
        loader_refused("the loader refused the in-memory copy of " + path_ + " (" + fd_path + ")",
                       strategy_, info_.tls_size);
  if (handle)
    memfd_ = memfd;
  else
    close(memfd);
  return handle;
}

// A new namespace starts empty, so the original file itself becomes a separate
// instance: no copy, nothing on disk, and its $ORIGIN dependencies are found
// where they are, each namespace getting its own (and its own C library).
void *Load::in_namespace() {
  if (embedded()) return embedded_in_namespace();
  const std::string path = path_.find('/') == std::string::npos ? "./" + path_ : path_;
  void *handle = dlmopen(LM_ID_NEWLM, path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle)
    error_ = loader_refused("the loader refused " + path_ + " in a new namespace", strategy_,
                            info_.tls_size);
  return handle;
}

// dlmopen needs a file: the embedded bytes go to a memfd for the duration of
// the load. A new namespace holds no other object of that path to match.
void *Load::embedded_in_namespace() {
  int memfd = memfd_create("shimpool:embedded", MFD_CLOEXEC | kMfdExec);
  if (memfd < 0 && errno == EINVAL) memfd = memfd_create("shimpool:embedded", MFD_CLOEXEC);
  if (memfd < 0) {
    error_ = {LoadFailure::Loader,
              "cannot create an in-memory file for the embedded " + path_ + ": " + errno_text(errno)};
    return nullptr;
  }
  std::string write_error;
  void *handle = nullptr;
  const std::string fd_path = "/proc/self/fd/" + std::to_string(memfd);
  if (!fill(memfd, write_error))
    error_ = {LoadFailure::Loader, "cannot write the embedded " + path_ + " into memory: " + write_error};
  else if (!(handle = dlmopen(LM_ID_NEWLM, fd_path.c_str(), RTLD_NOW | RTLD_LOCAL)))
    error_ = loader_refused("the loader refused the embedded " + path_ + " in a new namespace",
                            strategy_, info_.tls_size);
  close(memfd);
  return handle;
}

// The last line of defence for "every instance is distinct": glibc returned an
// object that is already an instance (or a retired one still mapped).
void *Load::refuse_duplicate(void *handle) {
  dlclose(handle);  // drops the reference this load added
  if (memfd_ >= 0) close(memfd_);
  memfd_ = -1;
  error_ = {LoadFailure::Loader, "the loader returned an instance of " + path_ +
                                     " that is already loaded, so its globals would be shared"};
  return nullptr;
}

}  // namespace

bool is_available(LoadStrategy) { return true; }

void *load_private_copy(const std::string &path, const LoadOptions &options, LoadError &error) {
  register_exit_handler_once();
  LoadInFlight in_flight;
  if (in_flight.refused()) {
    error = {LoadFailure::Loader, "loading stopped: the process is aborting"};
    return nullptr;
  }
  return Load(path, options, error).run();
}

void *find_symbol(void *library, const char *name) { return dlsym(library, name); }

ThreadSetup thread_setup_for(void *library) {
  Lmid_t namespace_id = LM_ID_BASE;
  if (dlinfo(library, RTLD_DI_LMID, &namespace_id) != 0 || namespace_id == LM_ID_BASE) return {};
  // dlsym on the instance searches its dependencies: the namespace's own libc.
  ThreadSetup setup;
  setup.ctype_init = reinterpret_cast<void (*)()>(dlsym(library, "__ctype_init"));
  setup.uselocale = reinterpret_cast<void *(*)(void *)>(dlsym(library, "uselocale"));
  return setup;
}

void prepare_thread(const ThreadSetup &setup) noexcept {
  if (setup.uselocale && setup.uselocale(nullptr) == nullptr)
    setup.uselocale(LC_GLOBAL_LOCALE);  // sets the thread's locale and its ctype tables
  else if (setup.ctype_init)
    setup.ctype_init();
}

// An instance dlclose cannot unload (glibc pins the first object to define an
// STB_GNU_UNIQUE symbol) stays mapped under its old name: it is kept as retired, with its memfd, so
// that name is never reused and glibc never hands it out as a new instance.
void unload(void *library) noexcept {
  if (!library) return;
  const Mapping mapping = mapping_of(library);
  const int memfd = live_libraries().remove(library);
  dlclose(library);
  if (still_mapped(mapping))
    live_libraries().retire(library, memfd);
  else if (memfd >= 0)
    close(memfd);
}

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

void keep_module_loaded(const void *) noexcept {}  // the shim is linked -z nodelete

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
