#include "verify_runner.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <ffi.h>
#include <fmt/core.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <functional>
#include <optional>

#include "verify_inputs.h"

namespace shimpool {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Loading both libraries may take a while (a large library is copied for each
// instance): the per-call limit starts only with the first call.
constexpr std::chrono::milliseconds kSetupTimeout{30000};
constexpr size_t kStderrTail = 2000;

// ---- In the child ----------------------------------------------------------

// One line of the protocol to the parent: a tag, then text without newlines.
void send(int fd, const std::string &line) {
  std::string data = line + "\n";
  for (size_t done = 0; done < data.size();) {
    ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) _exit(4);  // the parent is gone
    done += static_cast<size_t>(n);
  }
}

[[noreturn]] void give_up(int fd, char tag, const std::string &message) {
  send(fd, std::string(1, tag) + " " + message);
  _exit(3);
}

std::string loader_error() {
  const char *text = dlerror();
  return text ? text : "unknown error";
}

// A fresh instance of the real library, with the shim's init functions run on
// it, as the shim runs them on each of its instances.
void *load_real(const VerifySettings &settings, int fd) {
  std::string path = settings.real;
  // Already in this process (a library the tool itself uses): a byte copy is
  // a separate instance; the loader would hand back the loaded one.
  if (void *loaded = dlopen(path.c_str(), RTLD_NOW | RTLD_NOLOAD)) {
    dlclose(loaded);
    const fs::path copy = fs::current_path() / fs::path(path).filename();
    std::error_code error;
    fs::copy_file(path, copy, error);
    if (error) give_up(fd, 'X', "cannot copy the real library " + path + ": " + error.message());
    path = copy.string();
  }
  // DEEPBIND: the copy's calls to its own functions stay inside it, whatever
  // this process already has under those names.
  void *real = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
  if (!real) give_up(fd, 'X', "cannot load the real library: " + loader_error());
  for (const std::string &init : settings.init_functions) {
    void *function = dlsym(real, init.c_str());
    if (!function)
      give_up(fd, 'X',
              "the real library " + settings.real + " has no init function '" + init + "'");
    reinterpret_cast<void (*)()>(function)();
  }
  return real;
}

void *load_shim(const VerifySettings &settings, int fd) {
  void *shim = dlopen(settings.shim.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!shim) give_up(fd, 'X', "cannot load the shim: " + loader_error());
  return shim;
}

// What one call returned, kept as the ABI gave it.
struct Result {
  ScalarKind kind = ScalarKind::Void;
  uint64_t bits = 0;  // integers (sign-extended), floats' bit patterns
  double real = 0;
  bool null = false;  // a NULL C string
  std::string text;   // a C string's bytes
};

bool is_signed(ScalarKind kind) {
  return kind == ScalarKind::I8 || kind == ScalarKind::I16 || kind == ScalarKind::I32 ||
         kind == ScalarKind::I64;
}

bool same(const Result &a, const Result &b) {
  switch (a.kind) {
    case ScalarKind::Void:
      return true;
    case ScalarKind::F32:
    case ScalarKind::F64:
      return a.bits == b.bits || (std::isnan(a.real) && std::isnan(b.real));
    case ScalarKind::CString:
      return a.null == b.null && a.text == b.text;
    default:
      return a.bits == b.bits;
  }
}

std::string describe(const Result &result) {
  switch (result.kind) {
    case ScalarKind::Void:
      return "nothing";
    case ScalarKind::CString:
      return result.null ? "NULL" : quoted(result.text);
    case ScalarKind::F32:
      return fmt::format("{:.9g} (bits {:#010x})", result.real, result.bits);
    case ScalarKind::F64:
      return fmt::format("{:.17g} (bits {:#018x})", result.real, result.bits);
    default:
      return is_signed(result.kind) ? std::to_string(static_cast<int64_t>(result.bits))
                                    : std::to_string(result.bits);
  }
}

ffi_type *ffi_type_of(ScalarKind kind) {
  switch (kind) {
    case ScalarKind::Void:
      return &ffi_type_void;
    case ScalarKind::Bool:
      return &ffi_type_uint8;
    case ScalarKind::I8:
      return &ffi_type_sint8;
    case ScalarKind::U8:
      return &ffi_type_uint8;
    case ScalarKind::I16:
      return &ffi_type_sint16;
    case ScalarKind::U16:
      return &ffi_type_uint16;
    case ScalarKind::I32:
      return &ffi_type_sint32;
    case ScalarKind::U32:
      return &ffi_type_uint32;
    case ScalarKind::I64:
      return &ffi_type_sint64;
    case ScalarKind::U64:
      return &ffi_type_uint64;
    case ScalarKind::F32:
      return &ffi_type_float;
    case ScalarKind::F64:
      return &ffi_type_double;
    case ScalarKind::CString:
      return &ffi_type_pointer;
  }
  return &ffi_type_void;
}

// The call interface of one function, called on the real library and on the shim alike.
class Caller {
 public:
  Caller(const CallableFunction &function, int fd) : function_(function) {
    for (ScalarKind kind : function.parameters) types_.push_back(ffi_type_of(kind));
    ffi_abi abi = FFI_DEFAULT_ABI;
    if (function.ms_abi) {
#if defined(__x86_64__)
      abi = FFI_WIN64;
#else
      give_up(fd, 'X', "its ms_abi calling convention has no libffi ABI on this machine");
#endif
    }
    if (ffi_prep_cif(&cif_, abi, static_cast<unsigned>(types_.size()), ffi_type_of(function.result),
                     types_.data()) != FFI_OK)
      give_up(fd, 'X', "libffi cannot prepare a call of its signature");
  }

  Result call(void *target, const CallArguments &arguments) {
    union Slot {
      int8_t i8;
      uint8_t u8;
      int16_t i16;
      uint16_t u16;
      int32_t i32;
      uint32_t u32;
      int64_t i64;
      uint64_t u64;
      float f32;
      double f64;
      const char *text;
    };
    // Each call gets its own copy of the strings: a callee that writes to a
    // const argument must not change what the other one is given.
    std::vector<std::string> texts;
    texts.reserve(arguments.size());
    std::vector<Slot> slots(arguments.size());
    std::vector<void *> pointers(arguments.size());
    for (size_t i = 0; i < arguments.size(); ++i) {
      const ArgumentValue &value = arguments[i];
      Slot &slot = slots[i];
      switch (value.kind) {
        case ScalarKind::Bool:
        case ScalarKind::U8:
          slot.u8 = static_cast<uint8_t>(value.bits);
          break;
        case ScalarKind::I8:
          slot.i8 = static_cast<int8_t>(value.bits);
          break;
        case ScalarKind::I16:
          slot.i16 = static_cast<int16_t>(value.bits);
          break;
        case ScalarKind::U16:
          slot.u16 = static_cast<uint16_t>(value.bits);
          break;
        case ScalarKind::I32:
          slot.i32 = static_cast<int32_t>(value.bits);
          break;
        case ScalarKind::U32:
          slot.u32 = static_cast<uint32_t>(value.bits);
          break;
        case ScalarKind::I64:
          slot.i64 = static_cast<int64_t>(value.bits);
          break;
        case ScalarKind::U64:
          slot.u64 = value.bits;
          break;
        case ScalarKind::F32:
          slot.f32 = static_cast<float>(value.real);
          break;
        case ScalarKind::F64:
          slot.f64 = value.real;
          break;
        case ScalarKind::CString:
          slot.text = texts.emplace_back(value.text).c_str();
          break;
        case ScalarKind::Void:
          break;
      }
      pointers[i] = &slot;
    }
    union {
      ffi_arg u;
      ffi_sarg s;
      float f32;
      double f64;
      const char *text;
      uint64_t u64;
    } raw{};
    ffi_call(&cif_, reinterpret_cast<void (*)()>(target), &raw, pointers.data());
    Result result;
    result.kind = function_.result;
    switch (function_.result) {
      case ScalarKind::Void:
        break;
      case ScalarKind::Bool:
      case ScalarKind::U8:
        result.bits = static_cast<uint8_t>(raw.u);
        break;
      case ScalarKind::I8:
        result.bits = static_cast<uint64_t>(static_cast<int8_t>(raw.s));
        break;
      case ScalarKind::I16:
        result.bits = static_cast<uint64_t>(static_cast<int16_t>(raw.s));
        break;
      case ScalarKind::U16:
        result.bits = static_cast<uint16_t>(raw.u);
        break;
      case ScalarKind::I32:
        result.bits = static_cast<uint64_t>(static_cast<int32_t>(raw.s));
        break;
      case ScalarKind::U32:
        result.bits = static_cast<uint32_t>(raw.u);
        break;
      case ScalarKind::I64:
      case ScalarKind::U64:
        result.bits = raw.u64;
        break;
      case ScalarKind::F32: {
        uint32_t bits;
        std::memcpy(&bits, &raw.f32, sizeof bits);
        result.bits = bits;
        result.real = raw.f32;
        break;
      }
      case ScalarKind::F64:
        std::memcpy(&result.bits, &raw.f64, sizeof result.bits);
        result.real = raw.f64;
        break;
      case ScalarKind::CString:
        // Read at once: it may point into the instance's memory, valid until its next call.
        result.null = raw.text == nullptr;
        if (raw.text) result.text = raw.text;
        break;
    }
    return result;
  }

 private:
  const CallableFunction &function_;
  std::vector<ffi_type *> types_;
  ffi_cif cif_{};
};

[[noreturn]] void run_function_child(const VerifySettings &settings,
                                     const CallableFunction &function,
                                     const std::vector<CallArguments> &calls, int fd) {
  void *real = load_real(settings, fd);
  void *shim = load_shim(settings, fd);
  void *real_function = dlsym(real, function.name.c_str());
  if (!real_function)
    give_up(fd, 'X',
            "the real library " + settings.real +
                " does not export it; compare it with the headers with shimpool "
                "check-exports");
  void *shim_function = dlsym(shim, function.name.c_str());
  if (!shim_function)
    give_up(fd, 'M',
            "the shim does not export it: it was generated from other headers, or "
            "with this function left out");
  Caller caller(function, fd);
  for (size_t i = 0; i < calls.size(); ++i) {
    send(fd, "R " + std::to_string(i));
    const Result expected = caller.call(real_function, calls[i]);
    send(fd, "S " + std::to_string(i) + " " + describe(expected));
    const Result got = caller.call(shim_function, calls[i]);
    if (!same(expected, got)) {
      send(fd, "! " + std::to_string(i) + " " + describe(expected) + "\t" + describe(got));
      _exit(0);
    }
    send(fd, "= " + std::to_string(i));
  }
  _exit(0);
}

[[noreturn]] void run_preflight_child(const VerifySettings &settings, int fd) {
  load_real(settings, fd);
  void *shim = load_shim(settings, fd);
  const std::string probe_name = "shimpool_" + settings.name + "_probe";
  auto probe = reinterpret_cast<int (*)(char *, size_t)>(dlsym(shim, probe_name.c_str()));
  if (!probe) give_up(fd, 'X', "the shim exports no " + probe_name);
  char message[2048] = {};
  if (probe(message, sizeof message) != 0) give_up(fd, 'X', message);
  send(fd, "P ready");
  _exit(0);
}

// ---- In the parent ------------------------------------------------------------

struct ChildEnd {
  bool timed_out = false;
  int status = 0;           // as waitpid reports it
  std::string stderr_tail;  // the last of what the child wrote to stderr
};

std::string how_it_ended(const ChildEnd &end, unsigned timeout_ms) {
  if (end.timed_out) return fmt::format("did not return within {} ms", timeout_ms);
  if (WIFSIGNALED(end.status)) {
    const int signal = WTERMSIG(end.status);
    const char *name = sigabbrev_np(signal);
    return fmt::format("crashed (SIG{})", name ? name : std::to_string(signal).c_str());
  }
  if (WIFEXITED(end.status))
    return fmt::format("ended the process (exit status {})", WEXITSTATUS(end.status));
  return "stopped";
}

// A private working directory for one child: files a function creates by
// relative path land there, and go with it.
class WorkDirectory {
 public:
  WorkDirectory() {
    const char *tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/shimpool-verify-XXXXXX";
    if (mkdtemp(pattern.data())) path_ = pattern;
  }
  ~WorkDirectory() {
    std::error_code ignored;
    if (!path_.empty()) fs::remove_all(path_, ignored);
  }
  WorkDirectory(const WorkDirectory &) = delete;
  WorkDirectory &operator=(const WorkDirectory &) = delete;
  const std::string &path() const { return path_; }

 private:
  std::string path_;
};

// Runs `body` in a child (stdin and stdout /dev/null, stderr collected,
// working directory `directory`) and hands each protocol line to `on_line`,
// which returns the time the next line may take. Kills the child when a line
// does not come in time.
ChildEnd run_child(const std::string &directory, const std::function<void(int fd)> &body,
                   const std::function<std::chrono::milliseconds(const std::string &)> &on_line) {
  ChildEnd end;
  int protocol[2], errors[2];
  if (pipe2(protocol, O_CLOEXEC) != 0 || pipe2(errors, O_CLOEXEC) != 0) {
    end.stderr_tail = std::string("cannot create a pipe: ") + std::strerror(errno);
    end.status = 1 << 8;
    return end;
  }
  std::fflush(nullptr);  // the child must not write out the parent's buffered output again
  const pid_t pid = fork();
  if (pid == 0) {
    const int null = open("/dev/null", O_RDWR);
    dup2(null, STDIN_FILENO);
    dup2(null, STDOUT_FILENO);
    dup2(errors[1], STDERR_FILENO);
    if (chdir(directory.c_str()) != 0) give_up(protocol[1], 'X', "cannot enter " + directory);
    body(protocol[1]);
    _exit(0);
  }
  close(protocol[1]);
  close(errors[1]);
  if (pid < 0) {
    end.stderr_tail = std::string("cannot start a child process: ") + std::strerror(errno);
    end.status = 1 << 8;
    close(protocol[0]);
    close(errors[0]);
    return end;
  }
  std::string pending;
  auto deadline = Clock::now() + kSetupTimeout;
  bool protocol_open = true, errors_open = true;
  while (protocol_open) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      end.timed_out = true;
      break;
    }
    pollfd fds[2] = {{protocol[0], POLLIN, 0}, {errors_open ? errors[0] : -1, POLLIN, 0}};
    if (poll(fds, 2, static_cast<int>(left.count())) < 0 && errno != EINTR) break;
    char buffer[4096];
    if (fds[1].revents) {
      const ssize_t n = read(errors[0], buffer, sizeof buffer);
      if (n <= 0)
        errors_open = false;
      else
        end.stderr_tail.append(buffer, static_cast<size_t>(n));
    }
    if (fds[0].revents) {
      const ssize_t n = read(protocol[0], buffer, sizeof buffer);
      if (n <= 0) {
        protocol_open = false;
      } else {
        pending.append(buffer, static_cast<size_t>(n));
        for (size_t newline; (newline = pending.find('\n')) != std::string::npos;) {
          deadline = Clock::now() + on_line(pending.substr(0, newline));
          pending.erase(0, newline + 1);
        }
      }
    }
  }
  if (end.timed_out) kill(pid, SIGKILL);
  while (waitpid(pid, &end.status, 0) < 0 && errno == EINTR) {
  }
  // What is left of stderr: the child is gone, so this ends.
  for (char buffer[4096]; errors_open;) {
    const ssize_t n = read(errors[0], buffer, sizeof buffer);
    if (n <= 0) break;
    end.stderr_tail.append(buffer, static_cast<size_t>(n));
  }
  if (end.stderr_tail.size() > kStderrTail)
    end.stderr_tail.erase(0, end.stderr_tail.size() - kStderrTail);
  close(protocol[0]);
  close(errors[0]);
  return end;
}

std::string with_stderr(std::string text, const ChildEnd &end) {
  std::string tail = end.stderr_tail;
  while (!tail.empty() && (tail.back() == '\n' || tail.back() == '\r')) tail.pop_back();
  if (!tail.empty()) text += "; it printed: " + tail;
  return text;
}

}  // namespace

void configure_shim_environment(const VerifySettings &settings) {
  std::string prefix = "SHIMPOOL_";
  for (char c : settings.name)
    prefix += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  prefix += "_";
  // One instance, never evicted, made from the same file as the real one: the
  // shim's state then evolves exactly as the fresh real instance's does.
  setenv((prefix + "REAL_LIBRARY").c_str(), settings.real.c_str(), 1);
  setenv((prefix + "MAX_INSTANCES").c_str(), "1", 1);
  setenv((prefix + "MIN_INSTANCES").c_str(), "0", 1);
  setenv((prefix + "IDLE_TIMEOUT_MS").c_str(), "0", 1);
  setenv((prefix + "ACQUIRE_TIMEOUT_MS").c_str(), "0", 1);
}

std::string preflight(const VerifySettings &settings) {
  WorkDirectory directory;
  if (directory.path().empty())
    return std::string("cannot create a working directory in TMPDIR: ") + std::strerror(errno);
  std::string failure;
  bool ready = false;
  const ChildEnd end = run_child(
      directory.path(), [&](int fd) { run_preflight_child(settings, fd); },
      [&](const std::string &line) {
        if (line.rfind("X ", 0) == 0) failure = line.substr(2);
        if (line.rfind("P ", 0) == 0) ready = true;
        return std::chrono::milliseconds(kSetupTimeout);
      });
  if (ready) return "";
  if (!failure.empty()) return failure;
  return with_stderr("loading the real library and the shim " + how_it_ended(end, 30000), end);
}

FunctionReport verify_function(const VerifySettings &settings, const CallableFunction &function) {
  FunctionReport report;
  report.name = function.name;
  const std::vector<CallArguments> calls = make_calls(function, settings.calls, settings.seed);
  WorkDirectory directory;
  if (directory.path().empty()) {
    report.detail =
        std::string("cannot create a working directory in TMPDIR: ") + std::strerror(errno);
    return report;
  }
  const std::chrono::milliseconds per_call(settings.timeout_ms);
  char last = 0;  // 'R' in the real call, 'S' in the shim's, '=' between calls
  size_t index = 0;
  std::string real_result;
  std::optional<char> verdict;  // '!' mismatch, 'M' shim at fault, 'X' cannot verify
  std::string message;
  const ChildEnd end = run_child(
      directory.path(), [&](int fd) { run_function_child(settings, function, calls, fd); },
      [&](const std::string &line) {
        const char tag = line.empty() ? 0 : line[0];
        const std::string rest = line.size() > 2 ? line.substr(2) : "";
        const size_t space = rest.find(' ');
        switch (tag) {
          case 'R':
          case '=':
            last = tag;
            index = std::stoul(rest);
            if (tag == '=') report.calls = static_cast<unsigned>(index + 1);
            break;
          case 'S':
            last = tag;
            index = std::stoul(rest.substr(0, space));
            real_result = space == std::string::npos ? "" : rest.substr(space + 1);
            break;
          case '!': {
            verdict = '!';
            index = std::stoul(rest.substr(0, space));
            const std::string results = rest.substr(space + 1);
            const size_t tab = results.find('\t');
            report.real_result = results.substr(0, tab);
            report.shim_result = tab == std::string::npos ? "" : results.substr(tab + 1);
            break;
          }
          case 'M':
          case 'X':
            verdict = tag;
            message = rest;
            break;
        }
        return per_call;
      });

  const std::string call_text =
      index < calls.size() ? describe_call(function.name, calls[index]) : "";
  const std::string ordinal = fmt::format("call {} of {}", index + 1, calls.size());
  if (verdict == '!') {
    report.status = VerifyStatus::Mismatch;
    report.call = call_text;
    report.detail = ordinal + ": the results differ";
  } else if (verdict == 'M') {
    report.status = VerifyStatus::Mismatch;
    report.detail = message;
  } else if (verdict == 'X') {
    report.status = VerifyStatus::Skipped;
    report.detail = with_stderr(message, end);
  } else if (!end.timed_out && WIFEXITED(end.status) && WEXITSTATUS(end.status) == 0 &&
             report.calls == calls.size()) {
    report.status = VerifyStatus::Ok;
  } else if (last == 'S') {
    // The real function returned; the shim did not, or brought the process down.
    report.status = VerifyStatus::Mismatch;
    report.call = call_text;
    report.real_result = real_result;
    report.detail = with_stderr(ordinal + ": the shim " + how_it_ended(end, settings.timeout_ms) +
                                    " where the real function returned",
                                end);
  } else if (last == 'R') {
    // The real function itself blocks or fails on these arguments.
    report.call = call_text;
    const std::string what = "the real function " + how_it_ended(end, settings.timeout_ms);
    if (report.calls > 0) {
      report.status = VerifyStatus::Ok;
      report.detail = with_stderr(fmt::format("stopped at call {}: {}", index + 1, what), end);
    } else {
      report.status = VerifyStatus::Skipped;
      report.detail =
          with_stderr(what + " on its first call; leave it out with --deny " + function.name, end);
    }
  } else {
    report.status = VerifyStatus::Skipped;
    report.detail =
        with_stderr("loading the real library and the shim " + how_it_ended(end, 30000), end);
  }
  return report;
}

}  // namespace shimpool
