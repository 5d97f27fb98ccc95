// Where a shim stands against the alternatives a user would pick instead, in
// one run:
//   Call/...      the cost of one uncontended call: the real function through
//                 its pointer, a global std::mutex wrapper, a hand-written
//                 pool in the safe-autoit style, and the generated shim;
//   Blocking/...  N callers each make one sleeping call at once: the time the
//   CpuBound/...  batch takes (and CPU-bound throughput), global mutex against
//                 shims whose pool allows 1..32 instances;
//   Shim/...      sessions, sticky and broadcast calls, broadcast replays;
//   Create/...    loading one instance per strategy and library size;
//   Memory/...    resident and file-backed memory per instance.
//
// Each pool size is its own copy of the shim file, loaded after setting
// SHIMPOOL_BENCHLIB_MAX_INSTANCES (and MIN_INSTANCES, so the pool is prewarmed
// and no timed call pays a creation): the same generated code users run, one
// independent pool per size, all in one process.
#include <benchmark/benchmark.h>
#include <dlfcn.h>
#include <unistd.h>

#include <barrier>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "broadcast_log.h"
#include "platform.h"
#include "shimpool/types.h"

namespace {

using AddFn = int (*)(int, int);
using SpinFn = unsigned (*)(unsigned);
using SleepFn = int (*)(int);
using SetOptionFn = int (*)(int);
using GetFn = int (*)(void);

// A blocking call long enough that scheduling noise is small next to it.
constexpr int kBlockingCallMicroseconds = 1000;
// About 100 µs of work on a current core.
constexpr unsigned kCpuBoundRounds = 100000;
// The pool size of the per-call benchmarks: one instance per thread at most.
constexpr unsigned kCallPoolMax = 8;

[[noreturn]] void die(const std::string &message) {
  std::fprintf(stderr, "runtime_bench: %s\n", message.c_str());
  std::exit(2);
}

template <typename Fn>
Fn symbol(void *library, const char *name) {
  void *address = dlsym(library, name);
  if (!address) die(std::string("missing symbol ") + name);
  return reinterpret_cast<Fn>(address);
}

// The functions of one loaded copy of bench_lib.
struct LibraryFunctions {
  AddFn add = nullptr;
  SpinFn spin = nullptr;
  SleepFn sleep = nullptr;

  static LibraryFunctions of(void *library) {
    return {symbol<AddFn>(library, "bench_add"), symbol<SpinFn>(library, "bench_spin"),
            symbol<SleepFn>(library, "bench_sleep")};
  }
};

// (a) The original library, loaded directly: what callers have without any
// protection, and the floor every other row is compared with.
const LibraryFunctions &direct() {
  static const LibraryFunctions functions = [] {
    void *library = dlopen(SHIMPOOL_BENCH_LIBRARY, RTLD_NOW | RTLD_LOCAL);
    if (!library) die(dlerror());
    return LibraryFunctions::of(library);
  }();
  return functions;
}

// (b) The usual fix: one process-wide lock around every call.
std::mutex g_library_mutex;
template <typename Call>
auto with_global_mutex(Call call) {
  std::lock_guard lock(g_library_mutex);
  return call(direct());
}

// (c) A hand-written pool of the safe-autoit kind: instances are heap objects
// kept in a deque behind a shared_mutex, moved out for the call and back after.
class SafeAutoitPool {
 public:
  struct Instance {
    void *library = nullptr;
    LibraryFunctions functions;
  };

  explicit SafeAutoitPool(unsigned max) : max_(max) {}

  template <typename Call>
  auto call(Call call) {
    std::unique_ptr<Instance> instance = take();
    auto result = call(instance->functions);
    give_back(std::move(instance));
    return result;
  }

 private:
  std::unique_ptr<Instance> take() {
    std::unique_lock lock(mutex_);
    available_.wait(lock, [&] { return !idle_.empty() || created_ < max_; });
    if (!idle_.empty()) {
      std::unique_ptr<Instance> instance = std::move(idle_.front());
      idle_.pop_front();
      return instance;
    }
    ++created_;
    lock.unlock();
    return load();
  }

  void give_back(std::unique_ptr<Instance> instance) {
    {
      std::unique_lock lock(mutex_);
      idle_.push_back(std::move(instance));
    }
    available_.notify_one();
  }

  static std::unique_ptr<Instance> load() {
    shimpool::platform::LoadOptions options;
    options.temp_directory = shimpool::platform::default_temp_directory();
    shimpool::platform::LoadError error;
    auto instance = std::make_unique<Instance>();
    instance->library = shimpool::platform::load_private_copy(SHIMPOOL_BENCH_LIBRARY, options, error);
    if (!instance->library) die(error.message);
    instance->functions = LibraryFunctions::of(instance->library);
    return instance;
  }

  const unsigned max_;
  std::shared_mutex mutex_;
  std::condition_variable_any available_;
  std::deque<std::unique_ptr<Instance>> idle_;
  unsigned created_ = 0;
};

SafeAutoitPool &safe_autoit_pool() {
  static SafeAutoitPool pool(kCallPoolMax);
  return pool;
}

// (d) The generated shim, one independent copy per pool size.
struct Shim {
  AddFn add = nullptr;
  SpinFn spin = nullptr;
  SleepFn sleep = nullptr;
  SetOptionFn set_option = nullptr;
  GetFn last_error = nullptr;
  int (*session_begin)() = nullptr;
  int (*session_end)() = nullptr;
  shimpool_session *(*session_open)() = nullptr;
  void (*session_close)(shimpool_session *) = nullptr;
  int (*add_in_session)(shimpool_session *, int, int) = nullptr;
  int (*stats)(shimpool_stats *, size_t) = nullptr;

  uint64_t live_instances() const {
    shimpool_stats counters{};
    stats(&counters, sizeof counters);
    return counters.live_instances;
  }
};

std::filesystem::path scratch_directory() {
  static const std::filesystem::path directory = [] {
    auto path = std::filesystem::temp_directory_path() /
                ("shimpool-bench-" + std::to_string(getpid()));
    std::filesystem::create_directories(path);
    return path;
  }();
  return directory;
}

const Shim &shim_with_max(unsigned max) {
  static std::mutex mutex;
  static std::map<unsigned, Shim> shims;
  std::lock_guard lock(mutex);
  if (auto found = shims.find(max); found != shims.end()) return found->second;

  // A separate file is a separate library to the loader, with a pool of its own.
  const auto file = scratch_directory() / ("libbench_lib_shim_max" + std::to_string(max) + ".so");
  std::filesystem::copy_file(SHIMPOOL_BENCH_SHIM, file,
                             std::filesystem::copy_options::overwrite_existing);
  setenv("SHIMPOOL_BENCHLIB_MAX_INSTANCES", std::to_string(max).c_str(), 1);
  setenv("SHIMPOOL_BENCHLIB_MIN_INSTANCES", std::to_string(max).c_str(), 1);
  void *library = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!library) die(dlerror());
  std::filesystem::remove(file);

  Shim shim;
  shim.add = symbol<AddFn>(library, "bench_add");
  shim.spin = symbol<SpinFn>(library, "bench_spin");
  shim.sleep = symbol<SleepFn>(library, "bench_sleep");
  shim.set_option = symbol<SetOptionFn>(library, "bench_set_option");
  shim.last_error = symbol<GetFn>(library, "bench_last_error");
  shim.session_begin = symbol<int (*)()>(library, "shimpool_benchlib_session_begin");
  shim.session_end = symbol<int (*)()>(library, "shimpool_benchlib_session_end");
  shim.session_open = symbol<shimpool_session *(*)()>(library, "shimpool_benchlib_session_open");
  shim.session_close =
      symbol<void (*)(shimpool_session *)>(library, "shimpool_benchlib_session_close");
  shim.add_in_session =
      symbol<int (*)(shimpool_session *, int, int)>(library, "bench_add_session");
  shim.stats = symbol<int (*)(shimpool_stats *, size_t)>(library, "shimpool_benchlib_stats");

  // The shim prewarms its minimum in the background as it loads: wait for it.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (shim.live_instances() < max) {
    if (std::chrono::steady_clock::now() > deadline) die("the shim did not prewarm its pool");
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return shims.emplace(max, shim).first->second;
}

// ---------------------------------------------------------------- Call/...
// Google Benchmark runs the loop on 1..8 threads; with UseRealTime the time
// reported is wall time divided by the calls all threads completed.

void CallDirect(benchmark::State &state) {
  const AddFn add = direct().add;
  int sum = 0;
  for (auto _ : state) benchmark::DoNotOptimize(sum = add(sum, 1));
}

void CallGlobalMutex(benchmark::State &state) {
  direct();
  int sum = 0;
  for (auto _ : state)
    benchmark::DoNotOptimize(
        sum = with_global_mutex([&](const LibraryFunctions &f) { return f.add(sum, 1); }));
}

void CallSafeAutoit(benchmark::State &state) {
  SafeAutoitPool &pool = safe_autoit_pool();
  int sum = 0;
  for (auto _ : state)
    benchmark::DoNotOptimize(sum = pool.call([&](const LibraryFunctions &f) { return f.add(sum, 1); }));
}

void CallShim(benchmark::State &state) {
  const AddFn add = shim_with_max(kCallPoolMax).add;
  int sum = 0;
  for (auto _ : state) benchmark::DoNotOptimize(sum = add(sum, 1));
}

// ------------------------------------------------------ Blocking/, CpuBound/
// N threads that stay alive across iterations; each iteration releases them
// together, each makes one call, and the iteration ends when the last returns.
class Callers {
 public:
  Callers(unsigned count, std::function<void()> call)
      : call_(std::move(call)), start_(count + 1), done_(count + 1) {
    for (unsigned i = 0; i < count; ++i)
      threads_.emplace_back([this] {
        for (;;) {
          start_.arrive_and_wait();
          if (stopping_) return;
          call_();
          done_.arrive_and_wait();
        }
      });
  }
  ~Callers() {
    stopping_ = true;
    start_.arrive_and_wait();
    for (auto &thread : threads_) thread.join();
  }
  void run_once() {
    start_.arrive_and_wait();
    done_.arrive_and_wait();
  }

 private:
  std::function<void()> call_;
  std::barrier<> start_;
  std::barrier<> done_;
  bool stopping_ = false;  // written before the start barrier the threads read it after
  std::vector<std::thread> threads_;
};

void run_callers(benchmark::State &state, unsigned count, std::function<void()> call) {
  Callers callers(count, std::move(call));
  callers.run_once();  // threads started, instances leased once: nothing first-time is timed
  for (auto _ : state) callers.run_once();
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * count);
  state.counters["callers"] = count;
}

std::function<void()> blocking_call(SleepFn sleep) {
  return [sleep] { benchmark::DoNotOptimize(sleep(kBlockingCallMicroseconds)); };
}
std::function<void()> cpu_bound_call(SpinFn spin) {
  return [spin] { benchmark::DoNotOptimize(spin(kCpuBoundRounds)); };
}

// ------------------------------------------------------------------ Shim/...

void ShimPooledCall(benchmark::State &state) {
  const Shim &shim = shim_with_max(kCallPoolMax);
  int sum = 0;
  for (auto _ : state) benchmark::DoNotOptimize(sum = shim.add(sum, 1));
}

void ShimSessionBeginCallEnd(benchmark::State &state) {
  const Shim &shim = shim_with_max(kCallPoolMax);
  int sum = 0;
  for (auto _ : state) {
    shim.session_begin();
    benchmark::DoNotOptimize(sum = shim.add(sum, 1));
    shim.session_end();
  }
}

void ShimCallInsideSession(benchmark::State &state) {
  const Shim &shim = shim_with_max(kCallPoolMax);
  shim.session_begin();
  int sum = 0;
  for (auto _ : state) benchmark::DoNotOptimize(sum = shim.add(sum, 1));
  shim.session_end();
}

void ShimHandleSessionCall(benchmark::State &state) {
  const Shim &shim = shim_with_max(kCallPoolMax);
  shimpool_session *session = shim.session_open();
  int sum = 0;
  for (auto _ : state) benchmark::DoNotOptimize(sum = shim.add_in_session(session, sum, 1));
  shim.session_close(session);
}

void ShimHandleSessionOpenClose(benchmark::State &state) {
  const Shim &shim = shim_with_max(kCallPoolMax);
  for (auto _ : state) shim.session_close(shim.session_open());
}

void ShimStickyCall(benchmark::State &state) {
  const Shim &shim = shim_with_max(kCallPoolMax);
  for (auto _ : state) benchmark::DoNotOptimize(shim.last_error());
}

// Every broadcast call is recorded for the life of the process (later
// instances replay it), so this one runs a fixed number of times.
void ShimBroadcastCall(benchmark::State &state) {
  const Shim &shim = shim_with_max(kCallPoolMax);
  int value = 0;
  for (auto _ : state) benchmark::DoNotOptimize(shim.set_option(++value));
}

// What a broadcast costs the other instances: one recorded call replayed when
// an instance that missed it is next leased (the log's lock, the recorded
// arguments, the real call through its pointer). Measured on the runtime's
// log directly: through a shim, the replay hides inside some later lease.
int replay_target_option = 0;
[[gnu::noinline]] int replay_target(int value) { return replay_target_option = value; }

void ShimBroadcastReplay(benchmark::State &state) {
  shimpool::BroadcastLog log;
  shimpool::Instance recorder, other;
  recorder.functions = {reinterpret_cast<void *>(&replay_target)};
  other.functions = recorder.functions;
  const shimpool_replay_fn replay = [](void *const *functions, const void *arguments) {
    reinterpret_cast<SetOptionFn>(functions[0])(*static_cast<const int *>(arguments));
  };
  for (int value = 0; value < 1024; ++value) log.record(recorder, replay, &value, sizeof value);
  for (auto _ : state) {
    other.broadcasts_applied = recorder.broadcasts_applied - 1;  // missed the last call
    log.catch_up(other);
  }
  benchmark::DoNotOptimize(replay_target_option);
}

// ------------------------------------------------------- Create/, Memory/

const std::map<std::string, std::string> &padded_libraries() {
  static const auto libraries = [] {
    std::map<std::string, std::string> result;
    std::stringstream list(SHIMPOOL_BENCH_PADDED_LIBRARIES);
    for (std::string entry; std::getline(list, entry, ',');) {
      const auto equals = entry.find('=');
      result[entry.substr(0, equals)] = entry.substr(equals + 1);
    }
    return result;
  }();
  return libraries;
}

void *load_instance(const std::string &path, shimpool::platform::LoadStrategy strategy) {
  shimpool::platform::LoadOptions options;
  options.temp_directory = shimpool::platform::default_temp_directory();
  options.strategy = strategy;
  shimpool::platform::LoadError error;
  void *library = shimpool::platform::load_private_copy(path, options, error);
  if (!library) die(error.message);
  return library;
}

void CreateInstance(benchmark::State &state, shimpool::platform::LoadStrategy strategy,
                    const std::string &size) {
  const std::string &path = padded_libraries().at(size);
  for (auto _ : state) {
    void *library = load_instance(path, strategy);
    state.PauseTiming();
    shimpool::platform::unload(library);
    state.ResumeTiming();
  }
  state.counters["library_bytes"] = static_cast<double>(std::filesystem::file_size(path));
}

// A field of /proc/self/status or /proc/meminfo, in bytes.
double kilobyte_field(const char *file, const std::string &name) {
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);)
    if (line.compare(0, name.size() + 1, name + ":") == 0)
      return std::stod(line.substr(name.size() + 1)) * 1024.0;
  return 0;
}

// Loads `count` instances at once. Resident memory counts the pages the
// process has touched; file-backed memory counts what each instance adds to
// the page cache and shared memory (a copy's bytes), touched or not.
void MemoryPerInstance(benchmark::State &state, shimpool::platform::LoadStrategy strategy,
                       const std::string &size) {
  constexpr int kInstances = 8;
  const std::string &path = padded_libraries().at(size);
  shimpool::platform::unload(load_instance(path, strategy));  // warm the original's pages first
  double resident = 0, file_backed = 0;
  for (auto _ : state) {
    const double resident_before = kilobyte_field("/proc/self/status", "VmRSS");
    const double cached_before = kilobyte_field("/proc/meminfo", "Cached");
    std::vector<void *> instances;
    for (int i = 0; i < kInstances; ++i) instances.push_back(load_instance(path, strategy));
    resident = (kilobyte_field("/proc/self/status", "VmRSS") - resident_before) / kInstances;
    file_backed = (kilobyte_field("/proc/meminfo", "Cached") - cached_before) / kInstances;
    for (void *library : instances) shimpool::platform::unload(library);
  }
  state.counters["rss_per_instance"] = resident;
  state.counters["file_backed_per_instance"] = file_backed;
  state.counters["library_bytes"] = static_cast<double>(std::filesystem::file_size(path));
}

void register_benchmarks() {
  using benchmark::RegisterBenchmark;
  for (auto [name, function] : {std::pair{"Call/direct", &CallDirect},
                                std::pair{"Call/global_mutex", &CallGlobalMutex},
                                std::pair{"Call/safe_autoit", &CallSafeAutoit},
                                std::pair{"Call/shim", &CallShim}})
    RegisterBenchmark(name, function)->ThreadRange(1, 8)->UseRealTime();

  const std::vector<unsigned> pool_sizes = {1, 2, 4, 8, 16, 32};
  for (unsigned callers : {1u, 2u, 4u, 8u, 16u, 32u}) {
    const std::string suffix = "/callers:" + std::to_string(callers);
    RegisterBenchmark(("Blocking/mutex" + suffix).c_str(), [callers](benchmark::State &state) {
      run_callers(state, callers, [] {
        with_global_mutex([](const LibraryFunctions &f) { return f.sleep(kBlockingCallMicroseconds); });
      });
    })->UseRealTime()->MinTime(0.2);
    for (unsigned max : pool_sizes)
      RegisterBenchmark(("Blocking/shim/max:" + std::to_string(max) + suffix).c_str(),
                        [callers, max](benchmark::State &state) {
                          run_callers(state, callers, blocking_call(shim_with_max(max).sleep));
                        })
          ->UseRealTime()
          ->MinTime(0.2);
  }
  for (unsigned callers : {1u, 2u, 4u, 8u}) {
    const std::string suffix = "/callers:" + std::to_string(callers);
    RegisterBenchmark(("CpuBound/unprotected" + suffix).c_str(), [callers](benchmark::State &state) {
      run_callers(state, callers, cpu_bound_call(direct().spin));
    })->UseRealTime()->MinTime(0.2);
    RegisterBenchmark(("CpuBound/mutex" + suffix).c_str(), [callers](benchmark::State &state) {
      run_callers(state, callers, [] {
        with_global_mutex([](const LibraryFunctions &f) { return f.spin(kCpuBoundRounds); });
      });
    })->UseRealTime()->MinTime(0.2);
    for (unsigned max : {1u, 2u, 4u, 8u})
      RegisterBenchmark(("CpuBound/shim/max:" + std::to_string(max) + suffix).c_str(),
                        [callers, max](benchmark::State &state) {
                          run_callers(state, callers, cpu_bound_call(shim_with_max(max).spin));
                        })
          ->UseRealTime()
          ->MinTime(0.2);
  }

  RegisterBenchmark("Shim/pooled_call", &ShimPooledCall);
  RegisterBenchmark("Shim/sticky_call", &ShimStickyCall);
  RegisterBenchmark("Shim/broadcast_call", &ShimBroadcastCall)->Iterations(200000);
  RegisterBenchmark("Shim/broadcast_replay", &ShimBroadcastReplay);
  RegisterBenchmark("Shim/call_inside_session", &ShimCallInsideSession);
  RegisterBenchmark("Shim/session_begin_call_end", &ShimSessionBeginCallEnd);
  RegisterBenchmark("Shim/handle_session_call", &ShimHandleSessionCall);
  RegisterBenchmark("Shim/handle_session_open_close", &ShimHandleSessionOpenClose);

  using shimpool::platform::LoadStrategy;
  for (auto strategy : {LoadStrategy::Copy, LoadStrategy::Memfd, LoadStrategy::Namespace}) {
    for (const auto &[size, path] : padded_libraries()) {
      const std::string suffix =
          std::string("/") + shimpool::platform::to_string(strategy) + "/" + size;
      auto *create = RegisterBenchmark(("Create" + suffix).c_str(), CreateInstance, strategy, size)
                         ->Unit(benchmark::kMillisecond)
                         ->UseRealTime();
      // glibc keeps a little static TLS from every namespace it unloads (main
      // raises the reserve): a fixed number of loads stays well inside it.
      if (strategy == LoadStrategy::Namespace) create->Iterations(20);
      RegisterBenchmark(("Memory" + suffix).c_str(), MemoryPerInstance, strategy, size)
          ->Iterations(1)
          ->Unit(benchmark::kMillisecond);
    }
  }
}

}  // namespace

// Each namespace instance loads its own C library, whose TLS comes from glibc's
// static TLS reserve and is not all given back on unload; the default reserve
// lasts about a dozen loads. The tunable can only be set before the process
// starts, so the program starts itself again with a larger one.
void ensure_static_tls_reserve(char **argv) {
  const char *tunables = std::getenv("GLIBC_TUNABLES");
  if (tunables && std::string(tunables).find("optional_static_tls") != std::string::npos) return;
  std::string value = "glibc.rtld.nns=16:glibc.rtld.optional_static_tls=1048576";
  if (tunables && *tunables) value = std::string(tunables) + ":" + value;
  setenv("GLIBC_TUNABLES", value.c_str(), 1);
  execv("/proc/self/exe", argv);
  die("could not restart with a larger static TLS reserve");
}

int main(int argc, char **argv) {
  ensure_static_tls_reserve(argv);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  register_benchmarks();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  std::error_code ignored;
  std::filesystem::remove_all(scratch_directory(), ignored);
  return 0;
}
