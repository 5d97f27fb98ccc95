// Windows loader (docs/windows.md). An instance is a byte copy of the DLL in a
// private per-process directory, loaded by full path under a name no other
// module has (the loader hands back an already loaded module when the base
// name or path matches one). Windows cannot delete a loaded DLL, so a copy is
// deleted when its instance is unloaded, and what a process still had loaded
// when it ended is removed by the next process that starts loading: each
// directory holds an owner lock file its process keeps open, so a directory
// whose lock can be deleted belongs to a process that is gone.
//
// Nothing here runs under the loader lock except keep_module_loaded and
// module_directory (called while the shim is being loaded), which only ask the
// loader about a module; copies are made and loaded on the calling thread.
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "loads_in_flight.h"
#include "platform.h"
#include "platform_common.h"
#include "sha256.h"

namespace shimpool::platform {
namespace {

// ---------------------------------------------------------------------------
// Text: paths are UTF-8 in the runtime, UTF-16 at the API.

std::wstring widen(const std::string &text) {
  if (text.empty()) return {};
  int size = MultiByteToWideChar(CP_UTF8, 0, text.data(), static_cast<int>(text.size()), nullptr, 0);
  std::wstring wide(static_cast<size_t>(size), L'\0');
  MultiByteToWideChar(CP_UTF8, 0, text.data(), static_cast<int>(text.size()), wide.data(), size);
  return wide;
}

std::string narrow(const std::wstring &text) {
  if (text.empty()) return {};
  int size = WideCharToMultiByte(CP_UTF8, 0, text.data(), static_cast<int>(text.size()), nullptr, 0,
                                 nullptr, nullptr);
  std::string result(static_cast<size_t>(size), '\0');
  WideCharToMultiByte(CP_UTF8, 0, text.data(), static_cast<int>(text.size()), result.data(), size,
                      nullptr, nullptr);
  return result;
}

// "The system cannot find the file specified (error 2)".
std::string error_text(DWORD error) {
  wchar_t *buffer = nullptr;
  DWORD length = FormatMessageW(
      FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
      nullptr, error, 0, reinterpret_cast<wchar_t *>(&buffer), 0, nullptr);
  std::wstring text = length && buffer ? std::wstring(buffer, length) : L"";
  if (buffer) LocalFree(buffer);
  while (!text.empty() && (text.back() == L'\n' || text.back() == L'\r' || text.back() == L'.' ||
                           text.back() == L' '))
    text.pop_back();
  std::string result = narrow(text);
  if (result.empty()) result = "system error";
  return result + " (error " + std::to_string(error) + ")";
}

bool is_separator(char c) { return c == '\\' || c == '/'; }

std::string base_name(const std::string &path) {
  auto slash = path.find_last_of("\\/");
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string directory_of(const std::string &path) {
  auto slash = path.find_last_of("\\/");
  return slash == std::string::npos ? std::string(".") : path.substr(0, slash);
}

std::string full_path(const std::string &path) {
  std::wstring wide = widen(path);
  DWORD size = GetFullPathNameW(wide.c_str(), 0, nullptr, nullptr);
  if (size == 0) return path;
  std::wstring full(size, L'\0');
  size = GetFullPathNameW(wide.c_str(), size, full.data(), nullptr);
  full.resize(size);
  return narrow(full);
}

// A slim reader/writer lock is trivially destructible: usable while the process exits.
class Guard {
 public:
  explicit Guard(SRWLOCK &lock) : lock_(lock) { AcquireSRWLockExclusive(&lock_); }
  ~Guard() { ReleaseSRWLockExclusive(&lock_); }
  Guard(const Guard &) = delete;
  Guard &operator=(const Guard &) = delete;

 private:
  SRWLOCK &lock_;
};

// ---------------------------------------------------------------------------
// Process state, allocated once and never destroyed.

struct LiveCopy {
  HMODULE module;
  std::wstring file;  // the copy, deleted once the module is unloaded
};

struct OwnedDirectory {
  std::string parent;  // the temp directory it was made in, as configured
  std::wstring path;
  HANDLE lock;  // owner.lock, open for the life of the process
};

struct LoaderState {
  SRWLOCK lock = SRWLOCK_INIT;
  std::vector<LiveCopy> live;
  std::vector<OwnedDirectory> directories;
  std::vector<std::wstring> dependency_directories;  // added with AddDllDirectory
  std::atomic<std::uint64_t> next_copy{1};
};

LoaderState &state() {
  static auto *loader_state = new LoaderState;
  return *loader_state;
}

constexpr wchar_t kDirectoryPrefix[] = L"shimpool-";
constexpr wchar_t kOwnerLock[] = L"owner.lock";

// Deletes the files of one directory (no subdirectories are ever made) and the directory.
bool remove_directory(const std::wstring &directory) {
  WIN32_FIND_DATAW entry;
  HANDLE find = FindFirstFileW((directory + L"\\*").c_str(), &entry);
  if (find != INVALID_HANDLE_VALUE) {
    do {
      if (entry.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) continue;
      const std::wstring file = directory + L"\\" + entry.cFileName;
      SetFileAttributesW(file.c_str(), FILE_ATTRIBUTE_NORMAL);
      DeleteFileW(file.c_str());
    } while (FindNextFileW(find, &entry));
    FindClose(find);
  }
  return RemoveDirectoryW(directory.c_str()) != 0;
}

// Removes the directories of processes that ended with instances loaded. A
// live owner holds its lock file open without sharing, so deleting the lock
// fails for it; the lock of a process that is gone can be deleted. A
// directory without a lock is one its owner is still setting up or one a
// sweep half removed: removing it makes its owner (if any) start again.
void sweep_stale_directories(const std::wstring &parent) {
  WIN32_FIND_DATAW entry;
  HANDLE find = FindFirstFileW((parent + L"\\" + kDirectoryPrefix + L"*").c_str(), &entry);
  if (find == INVALID_HANDLE_VALUE) return;
  do {
    if (!(entry.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)) continue;
    const std::wstring directory = parent + L"\\" + entry.cFileName;
    const std::wstring lock = directory + L"\\" + kOwnerLock;
    if (DeleteFileW(lock.c_str()) || GetLastError() == ERROR_FILE_NOT_FOUND)
      remove_directory(directory);
  } while (FindNextFileW(find, &entry));
  FindClose(find);
}

// An unpredictable name part, so another user cannot guess and pre-create it.
std::wstring random_suffix() {
  std::random_device random;  // rand_s on MinGW: the system's generator
  std::wstring text;
  for (int word = 0; word < 2; ++word) {
    unsigned value = random();
    for (int digit = 0; digit < 8; ++digit, value >>= 4) text += L"0123456789abcdef"[value & 15];
  }
  return text;
}

// This process's directory under `parent`, made (after a sweep) on first use.
const OwnedDirectory *owned_directory(LoaderState &loader, const std::string &parent,
                                      LoadError &error) {
  for (const auto &directory : loader.directories)
    if (directory.parent == parent) return &directory;
  const std::wstring wide_parent = widen(parent);
  sweep_stale_directories(wide_parent);
  DWORD last_error = 0;
  for (int attempt = 0; attempt < 8; ++attempt) {
    const std::wstring path = wide_parent + L"\\" + kDirectoryPrefix +
                              std::to_wstring(GetCurrentProcessId()) + L"-" + random_suffix();
    if (!CreateDirectoryW(path.c_str(), nullptr)) {
      last_error = GetLastError();
      if (last_error == ERROR_ALREADY_EXISTS) continue;
      break;
    }
    // No sharing: no other process can open, replace or delete it while we live.
    HANDLE lock = CreateFileW((path + L"\\" + kOwnerLock).c_str(), GENERIC_WRITE, 0, nullptr,
                              CREATE_NEW, FILE_ATTRIBUTE_NORMAL, nullptr);
    if (lock == INVALID_HANDLE_VALUE) {
      last_error = GetLastError();  // a concurrent sweep took the directory: start again
      RemoveDirectoryW(path.c_str());
      continue;
    }
    loader.directories.push_back({parent, path, lock});
    return &loader.directories.back();
  }
  error = {LoadFailure::TempDirectory,
           "cannot create a private directory in " + parent + ": " + error_text(last_error)};
  return nullptr;
}

// Lets the copy find the DLLs that sit next to the original: the copy's own
// directory is searched first, then these, the application's and System32.
void add_dependency_directory(LoaderState &loader, const std::wstring &directory) {
  for (const auto &added : loader.dependency_directories)
    if (_wcsicmp(added.c_str(), directory.c_str()) == 0) return;
  if (AddDllDirectory(directory.c_str())) loader.dependency_directories.push_back(directory);
}

bool write_file(const std::wstring &path, std::span<const unsigned char> bytes, DWORD &error) {
  HANDLE file = CreateFileW(path.c_str(), GENERIC_WRITE, 0, nullptr, CREATE_NEW,
                            FILE_ATTRIBUTE_NORMAL, nullptr);
  if (file == INVALID_HANDLE_VALUE) {
    error = GetLastError();
    return false;
  }
  bool written = true;
  while (!bytes.empty()) {
    DWORD chunk = static_cast<DWORD>(std::min<size_t>(bytes.size(), 1u << 30));
    DWORD done = 0;
    if (!WriteFile(file, bytes.data(), chunk, &done, nullptr) || done == 0) {
      error = GetLastError();
      written = false;
      break;
    }
    bytes = bytes.subspan(done);
  }
  if (!CloseHandle(file) && written) {
    error = GetLastError();
    written = false;
  }
  if (!written) DeleteFileW(path.c_str());
  return written;
}

LoadError loader_refused(const std::string &path, const std::string &copy, DWORD error) {
  std::string message =
      "the loader refused the copy of " + path + " (" + copy + "): " + error_text(error);
  if (error == ERROR_MOD_NOT_FOUND)
    message += "; a DLL it depends on was found neither next to the original (" +
               directory_of(path) + ") nor in the application's directory, System32 or PATH";
  else if (error == ERROR_BAD_EXE_FORMAT)
    message += "; it is not a DLL for this architecture";
  return {LoadFailure::Loader, message};
}

// Opening the original here tells a missing or unreadable library apart from
// a temp directory that cannot take the copy.
bool check_readable(const std::string &path, const std::wstring &source, LoadError &error) {
  HANDLE file = CreateFileW(source.c_str(), GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_DELETE,
                            nullptr, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr);
  if (file == INVALID_HANDLE_VALUE) {
    const DWORD open_error = GetLastError();
    const DWORD attributes = GetFileAttributesW(source.c_str());
    const bool directory =
        attributes != INVALID_FILE_ATTRIBUTES && (attributes & FILE_ATTRIBUTE_DIRECTORY);
    error = {LoadFailure::RealLibrary,
             directory ? "the real library " + path + " is not a regular file"
                       : "cannot open the real library " + path + ": " + error_text(open_error)};
    return false;
  }
  CloseHandle(file);
  return true;
}

// Opens the copy sharing nothing but reading, so no process can change,
// replace or delete it until the handle is closed, which is after the loader
// has mapped it. A pinned library's digest is checked through this handle:
// what is loaded is what was hashed. Returns the handle, or
// INVALID_HANDLE_VALUE with `error` set (the copy is then deleted).
HANDLE hold_and_check(const std::string &path, const std::wstring &copy, const LoadOptions &options,
                      LoadError &error) {
  HANDLE held = CreateFileW(copy.c_str(), GENERIC_READ, FILE_SHARE_READ, nullptr, OPEN_EXISTING,
                            FILE_ATTRIBUTE_NORMAL, nullptr);
  if (held == INVALID_HANDLE_VALUE) {
    error = {LoadFailure::TempDirectory, "cannot open the copy " + narrow(copy) + " of " + path +
                                             ": " + error_text(GetLastError())};
    DeleteFileW(copy.c_str());
    return INVALID_HANDLE_VALUE;
  }
  if (options.sha256.empty()) return held;
  Sha256 sha;
  unsigned char buffer[1 << 16];
  for (;;) {
    DWORD read = 0;
    if (!ReadFile(held, buffer, sizeof buffer, &read, nullptr)) {
      error = {LoadFailure::Loader, "cannot read back the copy of " + path +
                                        " to check it: " + error_text(GetLastError())};
      break;
    }
    if (read == 0) {
      const std::string actual = to_hex(sha.finish());
      if (actual == options.sha256) return held;
      error = integrity_mismatch(path, !options.image.empty(), options.sha256, actual);
      break;
    }
    sha.update(std::span(buffer, read));
  }
  CloseHandle(held);
  DeleteFileW(copy.c_str());
  return INVALID_HANDLE_VALUE;
}

HMODULE load_copy(const std::wstring &copy) {
  HMODULE module = LoadLibraryExW(copy.c_str(), nullptr,
                                  LOAD_LIBRARY_SEARCH_DLL_LOAD_DIR | LOAD_LIBRARY_SEARCH_DEFAULT_DIRS);
  // The search above leaves PATH out; the original, loaded normally, would look there.
  if (!module && GetLastError() == ERROR_MOD_NOT_FOUND)
    module = LoadLibraryExW(copy.c_str(), nullptr, LOAD_WITH_ALTERED_SEARCH_PATH);
  return module;
}

void *load(const std::string &path, const LoadOptions &options, LoadError &error) {
  if (options.strategy != LoadStrategy::Copy) {
    error = {LoadFailure::Strategy, std::string("the ") + to_string(options.strategy) +
                                        " strategy is not available on Windows, where every "
                                        "instance is a copy"};
    return nullptr;
  }
  const bool embedded = !options.image.empty();
  const std::wstring source = widen(path);
  if (!embedded && !check_readable(path, source, error)) return nullptr;

  LoaderState &loader = state();
  std::wstring copy;
  {
    Guard guard(loader.lock);
    const OwnedDirectory *directory = owned_directory(loader, options.temp_directory, error);
    if (!directory) return nullptr;
    add_dependency_directory(loader, widen(full_path(directory_of(path))));
    // A name no loaded module has: the loader matches modules by base name.
    std::wstring name = widen(base_name(path));
    if (name.find(L'.') == std::wstring::npos) name += L".dll";
    copy = directory->path + L"\\" + std::to_wstring(loader.next_copy.fetch_add(1)) + L"-" + name;
  }

  DWORD copy_error = 0;
  bool copied = false;
  if (embedded) {
    copied = write_file(copy, options.image, copy_error);
  } else {
    copied = CopyFileW(source.c_str(), copy.c_str(), TRUE /* never over an existing file */);
    if (!copied) copy_error = GetLastError();
  }
  if (!copied) {
    DeleteFileW(copy.c_str());
    error = {LoadFailure::TempDirectory,
             "cannot copy " + path + " to " + narrow(copy) + ": " + error_text(copy_error)};
    return nullptr;
  }
  HANDLE held = hold_and_check(path, copy, options, error);
  if (held == INVALID_HANDLE_VALUE) return nullptr;
  if (options.before_load) options.before_load(options.before_load_context, narrow(copy).c_str());
  HMODULE module = load_copy(copy);
  const DWORD load_error = module ? 0 : GetLastError();
  CloseHandle(held);
  if (!module) {
    DeleteFileW(copy.c_str());
    error = loader_refused(path, narrow(copy), load_error);
    return nullptr;
  }
  Guard guard(loader.lock);
  for (const auto &entry : loader.live) {
    if (entry.module != module) continue;
    FreeLibrary(module);
    error = {LoadFailure::Loader, "the loader returned an instance of " + path +
                                      " that is already loaded, so its globals would be shared"};
    return nullptr;
  }
  loader.live.push_back({module, copy});
  return module;
}

}  // namespace

bool is_available(LoadStrategy strategy) { return strategy == LoadStrategy::Copy; }

void *load_private_copy(const std::string &path, const LoadOptions &options, LoadError &error) {
  LoadInFlight in_flight;
  if (in_flight.refused()) {
    error = {LoadFailure::Loader, "loading stopped: the process is aborting"};
    return nullptr;
  }
  return load(path, options, error);
}

void *find_symbol(void *library, const char *name) {
  return reinterpret_cast<void *>(GetProcAddress(static_cast<HMODULE>(library), name));
}

ThreadSetup thread_setup_for(void *) { return {}; }

void prepare_thread(const ThreadSetup &) noexcept {}

void unload(void *library) noexcept {
  if (!library) return;
  auto module = static_cast<HMODULE>(library);
  std::wstring copy;
  LoaderState &loader = state();
  {
    Guard guard(loader.lock);
    for (auto it = loader.live.begin(); it != loader.live.end(); ++it) {
      if (it->module != module) continue;
      copy = std::move(it->file);
      loader.live.erase(it);
      break;
    }
  }
  FreeLibrary(module);
  // Fails only if something else still holds the module; the next sweep gets it.
  if (!copy.empty()) DeleteFileW(copy.c_str());
}

std::string module_directory(const void *address) {
  HMODULE module = nullptr;
  GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS |
                         GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                     static_cast<LPCWSTR>(address), &module);
  std::wstring path(MAX_PATH, L'\0');
  for (;;) {
    DWORD size = GetModuleFileNameW(module, path.data(), static_cast<DWORD>(path.size()));
    if (size == 0) return ".\\";
    if (size < path.size()) {
      path.resize(size);
      break;
    }
    path.resize(path.size() * 2);
  }
  auto slash = path.find_last_of(L"\\/");
  return slash == std::wstring::npos ? std::string(".\\") : narrow(path.substr(0, slash + 1));
}

void keep_module_loaded(const void *address) noexcept {
  HMODULE module = nullptr;
  GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_PIN,
                     static_cast<LPCWSTR>(address), &module);
}

std::optional<std::string> environment(const std::string &name) {
  const std::wstring wide_name = widen(name);
  DWORD size = GetEnvironmentVariableW(wide_name.c_str(), nullptr, 0);
  if (size <= 1) return std::nullopt;  // unset, or set to nothing
  std::wstring value(size, L'\0');
  size = GetEnvironmentVariableW(wide_name.c_str(), value.data(), size);
  value.resize(size);
  return narrow(value);
}

std::string default_temp_directory() {
  wchar_t buffer[MAX_PATH + 2];
  DWORD size = GetTempPathW(MAX_PATH + 2, buffer);
  std::wstring path(buffer, size);
  while (path.size() > 3 && (path.back() == L'\\' || path.back() == L'/')) path.pop_back();
  return narrow(path);
}

// C:\dir, C:/dir, \\server\share, and \dir (the current drive's root, how
// Wine sees a Unix path); not dir nor C:dir, which are relative.
bool is_absolute_path(const std::string &path) {
  if (!path.empty() && is_separator(path[0])) return true;
  return path.size() >= 3 && path[1] == ':' && is_separator(path[2]);
}

bool is_bare_file_name(const std::string &path) {
  return path.find_first_of("\\/:") == std::string::npos;
}

}  // namespace shimpool::platform
