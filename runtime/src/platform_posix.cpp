// POSIX loader, three ways to make a private instance (docs/loading.md):
//  - copy: a byte copy in its own mkdtemp directory (0700, unpredictable name),
//    dlopen'd and unlinked at once, so nothing stays on disk even if the
//    process is killed later;
//  - memfd: a byte copy in an anonymous memory file, dlopen'd by /proc path;
//  - namespace: the original file, dlmopen'd into a new link-map namespace.
// A pinned library (LoadOptions::sha256) is always loaded from a private copy
// whose bytes were hashed: what is loaded is what was checked.
#include <dlfcn.h>
#include <locale.h>
#include <fcntl.h>
#include <link.h>
#include <sys/mman.h>
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
#include <functional>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "elf_inspect.h"
#include "loads_in_flight.h"
#include "platform.h"
#include "platform_common.h"
#include "platform_posix_files.h"
#include "platform_posix_messages.h"
#include "sha256.h"

namespace shimpool::platform {
namespace {

using posix::loader_refused;
using posix::never_unloaded_warning;
using posix::sanitizer_in_process;
using posix::static_tls_warning;
using posix::unique_symbols_warning;
using posix::warn;

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

// A private copy written (and, when pinned, checked), ready for the loader:
// a file in a private directory, or an anonymous memory file.
struct Staged {
  int fd = -1;            // a memory file's descriptor; -1 for a file, closed once written
  std::string path;       // what the loader opens
  std::string directory;  // the private directory holding the file; empty for a memory file
};

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
    // A pinned library is inspected once its copy is checked: the original
    // may have changed by then.
    if (!pinned()) {
      std::string ignored;
      info_ = (embedded() ? elf::inspect(std::as_bytes(options_.image), ignored)
                          : elf::inspect_file(path_, ignored))
                  .value_or(elf::ElfInfo{});
    }
    choose_strategy();
    if (!pinned()) report_inspection();
    void *handle = strategy_ == LoadStrategy::Namespace ? in_namespace() : with_dependencies();
    if (handle && !live_libraries().add(handle, memfd_)) return refuse_duplicate(handle);
    return handle;
  }

 private:
  bool embedded() const { return !options_.image.empty(); }
  bool pinned() const { return !options_.sha256.empty(); }

  std::string library_name() const {
    return (embedded() ? "the library embedded in the shim as " : "the real library ") + path_;
  }

  // Writes the library's bytes into `to`: the embedded image, or the file's.
  // Returns 0 or an error code (platform_posix_files.h).
  int fill(int to) {
    if (embedded()) return posix::write_all(to, options_.image);
    return posix::copy_contents(source_, to, size_);
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
    if (strategy_ != LoadStrategy::Copy) return;
    const std::string &directory = options_.temp_directory;
    if (is_noexec(directory)) {
      strategy_ = LoadStrategy::Memfd;
      warn(options_, LoadWarning::NoexecFallback,
           directory +
               " is on a filesystem mounted noexec, where a copy cannot be loaded, so instances "
               "are loaded from memory instead (the memfd strategy); choose a temp directory "
               "that allows executables, or the memfd strategy, to silence this");
      return;
    }
    if (const std::string risk = posix::temp_directory_risk(directory); !risk.empty()) {
      strategy_ = LoadStrategy::Memfd;
      warn(options_, LoadWarning::UnsafeTempDirectory,
           "private copies in " + directory + " could be swapped by another user before they are "
           "loaded (" + risk + "), so instances are loaded from memory instead (the memfd "
           "strategy); choose a temp directory that only root and this user can change, such "
           "as one under /tmp, or the memfd strategy, to silence this");
    }
  }

  void report_inspection() const {
    if (!info_.unique_symbols.empty())
      warn(options_, LoadWarning::UniqueSymbols, unique_symbols_warning(path_, info_, strategy_));
    if (info_.static_tls) warn(options_, LoadWarning::StaticTls, static_tls_warning(path_, info_));
    if (info_.nodelete)
      warn(options_, LoadWarning::NeverUnloaded, never_unloaded_warning(path_, strategy_));
  }

  void before_load(const std::string &path) const {
    if (options_.before_load) options_.before_load(options_.before_load_context, path.c_str());
  }

  // Copies live elsewhere than the original, so RUNPATH entries naming $ORIGIN
  // no longer lead to the libraries next to it. Loading those by full path
  // first lets the copy's DT_NEEDED match them by soname. The copy holds its
  // own references afterwards, so ours are dropped when this returns.
  void *with_dependencies() {
    flags_ = RTLD_NOW | RTLD_LOCAL | (options_.deepbind ? RTLD_DEEPBIND : 0);
    if ((flags_ & RTLD_DEEPBIND) && refuse_deepbind_under_sanitizer()) return nullptr;
    Staged staged;
    const bool in_memory = strategy_ == LoadStrategy::Memfd;
    if (!(in_memory ? stage_in_memory(staged) : stage_in_directory(staged))) return nullptr;
    std::vector<void *> preloaded;
    void *handle = nullptr;
    if (preload_dependencies(preloaded, [this](const std::string &candidate) {
          return dlopen(candidate.c_str(), flags_);
        })) {
      before_load(staged.path);
      handle = dlopen(staged.path.c_str(), flags_);
      if (!handle)
        error_ = loader_refused(in_memory ? "the loader refused the in-memory copy of " + path_ +
                                                " (" + staged.path + ")"
                                          : "the loader refused the copy of " + path_,
                                strategy_, info_.tls_size);
    }
    for (void *dependency : preloaded) dlclose(dependency);
    if (!in_memory)
      discard(staged);
    else if (handle)
      memfd_ = staged.fd;  // the instance's from now on: its path names this instance
    else
      close(staged.fd);
    return handle;
  }

  // Loads (with `open`) each DT_NEEDED library found in the original's
  // $ORIGIN directories, by full path.
  bool preload_dependencies(std::vector<void *> &preloaded,
                            const std::function<void *(const std::string &)> &open) {
    const auto directories = elf::origin_directories(info_, origin_of(path_));
    for (const auto &needed : info_.needed) {
      if (needed.find('/') != std::string::npos) continue;  // a path: not searched at all
      for (const auto &directory : directories) {
        const std::string candidate = directory + "/" + needed;
        struct stat info {};
        if (stat(candidate.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) continue;
        void *dependency = open(candidate);
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

  bool stage_in_directory(Staged &staged);
  bool stage_in_memory(Staged &staged);
  bool fill_and_check(int fd, const std::string &staged_path, const std::string &what,
                      LoadFailure cause);
  bool check_pinned(int fd, const std::string &staged_path);
  bool refuse_truncated(const std::string &file);
  static void discard(const Staged &staged);
  void *in_namespace();
  void *in_new_namespace(const std::string &staged_path, const std::string &what);
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

// A private directory per copy (mkdtemp: 0700, unpredictable name), so the
// path glibc compares is never that of another live copy, and no other user
// can read, replace or pre-create the copy. Removed right after dlopen.
bool Load::stage_in_directory(Staged &staged) {
  std::string directory = options_.temp_directory + "/shimpool-XXXXXX";
  if (!mkdtemp(directory.data())) {
    error_ = {LoadFailure::TempDirectory, "cannot create a private directory in " +
                                              options_.temp_directory + ": " + errno_text(errno)};
    return false;
  }
  staged.directory = directory;
  staged.path = directory + "/" + base_name(path_);
  // Read-only for its owner: nothing writes it once it is made.
  int fd = open(staged.path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0500);
  if (fd < 0) {
    error_ = {LoadFailure::TempDirectory,
              "cannot create " + staged.path + ": " + errno_text(errno)};
    discard(staged);
    return false;
  }
  const std::string what = "cannot copy " + path_ + " to " + staged.path;
  bool ok = fill_and_check(fd, staged.path, what, LoadFailure::TempDirectory);
  // Some filesystems report a failed write only when the file is closed.
  if (close(fd) != 0 && ok) {
    error_ = {LoadFailure::TempDirectory, what + ": " + errno_text(errno)};
    ok = false;
  }
  if (!ok) discard(staged);
  return ok;
}

// An anonymous memory file, loaded through its /proc/self/fd path. Sealed once
// written: nothing can change the bytes that were checked.
bool Load::stage_in_memory(Staged &staged) {
  const std::string label = "shimpool:" + base_name(path_);
  int fd = memfd_create(label.c_str(), MFD_CLOEXEC | MFD_ALLOW_SEALING | kMfdExec);
  if (fd < 0 && errno == EINVAL)
    fd = memfd_create(label.c_str(), MFD_CLOEXEC | MFD_ALLOW_SEALING);  // before Linux 6.3
  if (fd < 0) {
    const bool limit = errno == EMFILE || errno == ENFILE;
    error_ = {limit ? LoadFailure::LoaderLimit : LoadFailure::Loader,
              "cannot create an in-memory file for " + path_ + ": " + errno_text(errno) +
                  (limit ? " (each memfd instance keeps one file descriptor open; raise the "
                           "limit with ulimit -n, or use the copy strategy)"
                         : "")};
    return false;
  }
  staged.fd = fd;
  staged.path = "/proc/self/fd/" + std::to_string(fd);
  if (!fill_and_check(fd, staged.path, "cannot copy " + path_ + " into memory",
                      LoadFailure::LoaderLimit)) {
    close(fd);
    return false;
  }
  fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
  return true;
}

// `cause` is what a failed write means here: a temp directory that is full,
// or memory (and the file size limit) used up.
bool Load::fill_and_check(int fd, const std::string &staged_path, const std::string &what,
                          LoadFailure cause) {
  if (int failure = fill(fd)) {
    error_ = {cause, what + ": " + posix::io_error_text(failure)};
    return false;
  }
  return check_pinned(fd, staged_path) && !refuse_truncated(staged_path);
}

// ld.so maps loadable segments past the end of a file and the process dies
// of SIGBUS when it reads them: a truncated library is refused before that.
bool Load::refuse_truncated(const std::string &file) {
  const std::string damage = elf::file_truncation(file);
  if (damage.empty()) return false;
  error_ = {LoadFailure::Loader, library_name() + " cannot be loaded: " + damage};
  return true;
}

// Hashes the copy itself, which is what the loader will map, never the
// original, which could be swapped between a check and the load.
bool Load::check_pinned(int fd, const std::string &staged_path) {
  if (!pinned()) return true;
  Sha256::Digest digest;
  if (int failure = posix::hash_file(fd, digest)) {
    error_ = {LoadFailure::Loader,
              "cannot read back the copy of " + path_ + " to check it: " + errno_text(failure)};
    return false;
  }
  if (const std::string actual = to_hex(digest); actual != options_.sha256) {
    error_ = integrity_mismatch(path_, embedded(), options_.sha256, actual);
    return false;
  }
  std::string ignored;
  info_ = elf::inspect_file(staged_path, ignored).value_or(elf::ElfInfo{});
  report_inspection();
  return true;
}

void Load::discard(const Staged &staged) {
  if (!staged.path.empty()) unlink(staged.path.c_str());
  rmdir(staged.directory.c_str());
}

// A new namespace starts empty, so the original file itself becomes a separate
// instance: no copy, nothing on disk, and its $ORIGIN dependencies are found
// where they are, each namespace getting its own (and its own C library).
// Embedded bytes, and a pinned library's checked bytes, are loaded from a
// memory file instead, which is closed once mapped (a new namespace holds no
// other object of that path to match).
void *Load::in_namespace() {
  if (!embedded() && !pinned()) {
    const std::string path = path_.find('/') == std::string::npos ? "./" + path_ : path_;
    if (refuse_truncated(path)) return nullptr;
    before_load(path);
    void *handle = dlmopen(LM_ID_NEWLM, path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle)
      error_ = loader_refused("the loader refused " + path_ + " in a new namespace", strategy_,
                              info_.tls_size);
    return handle;
  }
  Staged staged;
  if (!stage_in_memory(staged)) return nullptr;
  void *handle = in_new_namespace(staged.path, embedded() ? "the embedded " + path_
                                                          : "the checked copy of " + path_);
  close(staged.fd);
  return handle;
}

// The staged copy does not sit next to the original, so the dependencies its
// $ORIGIN names are loaded into the new namespace first, by full path.
void *Load::in_new_namespace(const std::string &staged_path, const std::string &what) {
  Lmid_t namespace_id = LM_ID_NEWLM;
  std::vector<void *> preloaded;
  void *handle = nullptr;
  if (preload_dependencies(preloaded, [&namespace_id](const std::string &candidate) {
        void *dependency = dlmopen(namespace_id, candidate.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (dependency && namespace_id == LM_ID_NEWLM)
          dlinfo(dependency, RTLD_DI_LMID, &namespace_id);
        return dependency;
      })) {
    before_load(staged_path);
    handle = dlmopen(namespace_id, staged_path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle)
      error_ = loader_refused("the loader refused " + what + " in a new namespace", strategy_,
                              info_.tls_size);
  }
  for (void *dependency : preloaded) dlclose(dependency);
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
