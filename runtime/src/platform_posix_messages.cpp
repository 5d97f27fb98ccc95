// The POSIX loader's messages: warnings about what makes instances less
// separate than they look, and the limits dlopen and dlmopen run into, each
// naming the tunable or setting that helps.
#include "platform_posix_messages.h"

#include <cxxabi.h>
#include <dlfcn.h>

#include <cstdlib>

namespace shimpool::platform::posix {

void warn(const LoadOptions &options, LoadWarning kind, const std::string &message) {
  if (options.warn) options.warn(options.warn_context, kind, message.c_str());
}

namespace {

std::string demangled(const std::string &symbol) {
  int status = 0;
  char *text = abi::__cxa_demangle(symbol.c_str(), nullptr, nullptr, &status);
  std::string result = status == 0 && text ? text : symbol;
  std::free(text);
  return result;
}

}  // namespace

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

}  // namespace shimpool::platform::posix
