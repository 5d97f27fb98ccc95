// demo.cpp - a host program of libtoto.so, the example thread-unsafe library.
//
// The same binary runs against the original library or against its shimpool
// shim: it links libtoto.so by soname, and LD_LIBRARY_PATH picks which one.
//
//   LD_LIBRARY_PATH=<original dir> ./toto_demo              wrong results
//   LD_LIBRARY_PATH=<original dir> ./toto_demo --serialize  exact, but deadlock
//   LD_LIBRARY_PATH=<shim dir>     ./toto_demo              exact, no deadlock
//
// Exit status: 0 when every result was exact and the wait was signalled, else 1
// (2 for bad options).

#include "toto.h"
#include "host_support.h"

#include <stdlib.h>

#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

// The shim's statistics entry point. Declared here (not included) because the
// original library does not have it: the demo looks it up at run time.
typedef struct shimpool_stats {
  uint64_t live_instances, idle_instances, max_instances;
  uint64_t calls, waits, wait_ns, creations, creation_failures;
} shimpool_stats;
using shimpool_stats_fn = int (*)(shimpool_stats *out, size_t out_size);

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  bool serialize = false;
  int threads = 8;
  int calls = 2000;
  int timeout_ms = 2000;
};

// --serialize: what a naive host does, one lock around every library call.
bool g_serialize = false;
std::mutex g_library_mutex;

template <class Call>
auto library_call(Call &&call) {
  if (!g_serialize) return call();
  std::lock_guard lock(g_library_mutex);
  return call();
}

[[noreturn]] void usage(const char *program, const char *error) {
  if (error) std::fprintf(stderr, "%s: %s\n", program, error);
  std::fprintf(error ? stderr : stdout,
               "usage: %s [--serialize] [--threads N] [--calls N] [--timeout-ms N]\n"
               "  --serialize      wrap every library call in one global mutex\n"
               "  --threads N      threads calling the library concurrently (default 8)\n"
               "  --calls N        library calls per thread (default 2000)\n"
               "  --timeout-ms N   how long the wait waits for the signal (default 2000)\n",
               program);
  std::exit(error ? 2 : 0);
}

int parse_int(const char *program, std::string_view option, const char *text, int min, int max) {
  int value = 0;
  std::string_view digits = text ? text : "";
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || error != std::errc() || end != digits.data() + digits.size() ||
      value < min || value > max) {
    std::string message = std::string(option) + " needs an integer from " + std::to_string(min) +
                          " to " + std::to_string(max);
    usage(program, message.c_str());
  }
  return value;
}

Options parse_options(int argc, char **argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    const char *value = i + 1 < argc ? argv[i + 1] : nullptr;
    if (arg == "--serialize") {
      options.serialize = true;
    } else if (arg == "--threads") {
      options.threads = parse_int(argv[0], arg, value, 1, 1000), ++i;
    } else if (arg == "--calls") {
      options.calls = parse_int(argv[0], arg, value, 1, 1000000), ++i;
    } else if (arg == "--timeout-ms") {
      options.timeout_ms = parse_int(argv[0], arg, value, 1, 3600000), ++i;
    } else if (arg == "--help" || arg == "-h") {
      usage(argv[0], nullptr);
    } else {
      usage(argv[0], ("unknown option " + std::string(arg)).c_str());
    }
  }
  return options;
}

// A lowercase text that no other thread uses, so a mixed-up result shows.
std::string thread_text(int thread) {
  std::string name;
  for (int n = thread; name.empty() || n > 0; n /= 26) name += char('a' + n % 26);
  return "thread-" + name + "-" + std::string(10 + thread % 37, char('a' + thread % 26));
}

std::string uppercase(std::string text) {
  for (char &c : text) c = char(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

struct Tally {
  long foo_calls = 0, foo_wrong = 0, bar_calls = 0, bar_wrong = 0;
};

// One thread's share of workload 1: alternately toto_foo and toto_bar, each
// checked against the exact answer.
Tally call_and_check(int thread, int calls) {
  Tally tally;
  const std::string text = thread_text(thread);
  const std::string expected = uppercase(text);
  for (int i = 0; i < calls; ++i) {
    if (i % 2 == 0) {
      const int a = thread * 1000000 + i % 1000000;  // distinct between threads
      const int sum = library_call([&] { return toto_foo(a, thread); });
      ++tally.foo_calls;
      if (sum != a + thread) ++tally.foo_wrong;
    } else {
      char buffer[256];
      std::memcpy(buffer, text.c_str(), text.size() + 1);
      library_call([&] { toto_bar(buffer); });
      ++tally.bar_calls;
      if (expected != buffer) ++tally.bar_wrong;
    }
  }
  return tally;
}

// Workload 1: concurrent calls whose results must be exact. Returns the number
// of wrong results.
long run_concurrent_calls(const Options &options) {
  std::vector<Tally> tallies(options.threads);
  toto_host::Latch start(options.threads);
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < options.threads; ++t)
      threads.emplace_back([&, t] {
        start.arrive_and_wait();  // all threads call at once
        tallies[t] = call_and_check(t, options.calls);
      });
  }
  Tally total;
  for (const Tally &t : tallies) {
    total.foo_calls += t.foo_calls, total.foo_wrong += t.foo_wrong;
    total.bar_calls += t.bar_calls, total.bar_wrong += t.bar_wrong;
  }
  const long wrong = total.foo_wrong + total.bar_wrong;
  std::printf("concurrent calls: %ld, wrong results: %ld\n", total.foo_calls + total.bar_calls,
              wrong);
  std::printf("  toto_foo: %ld calls, %ld wrong; toto_bar: %ld calls, %ld wrong\n",
              total.foo_calls, total.foo_wrong, total.bar_calls, total.bar_wrong);
  return wrong;
}

// Workload 2: one thread waits for an event that another thread sets 100 ms
// later. Returns whether the wait saw the event.
bool run_wait_signal(const Options &options) {
  toto_host::EventPath event;
  if (!event.ok()) {
    std::fprintf(stderr, "demo: %s\n", event.error().c_str());
    std::exit(1);
  }
  toto_host::Latch start(2);
  int signalled = 0;
  long long waited_ms = 0;
  {
    std::jthread waiter([&] {
      start.arrive_and_wait();
      const auto begin = Clock::now();
      signalled = library_call([&] { return toto_wait_event(event.c_str(), options.timeout_ms); });
      waited_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - begin).count();
    });
    std::jthread signaller([&] {
      start.arrive_and_wait();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      library_call([&] { toto_signal_event(event.c_str()); });
    });
  }
  if (signalled)
    std::printf("wait/signal: signalled after %lld ms\n", waited_ms);
  else
    std::printf("wait/signal: timed out after %lld ms (%s)\n", waited_ms,
                g_serialize ? "the wait held the lock the signal needed: deadlock"
                            : "the signal never arrived");
  return signalled == 1;
}

void print_stats(shimpool_stats_fn stats_fn) {
  shimpool_stats stats{};
  if (stats_fn(&stats, sizeof stats) != 0) {
    std::printf("shim statistics: unavailable (shimpool_toto_stats failed)\n");
    return;
  }
  std::printf(
      "shim statistics: instances live %llu, idle %llu, max %llu; calls %llu; "
      "waits %llu (%.3f ms); creations %llu, creation failures %llu\n",
      (unsigned long long)stats.live_instances, (unsigned long long)stats.idle_instances,
      (unsigned long long)stats.max_instances, (unsigned long long)stats.calls,
      (unsigned long long)stats.waits, stats.wait_ns / 1e6, (unsigned long long)stats.creations,
      (unsigned long long)stats.creation_failures);
}

}  // namespace

int main(int argc, char **argv) {
  const Options options = parse_options(argc, argv);
  g_serialize = options.serialize;

  const auto stats_fn =
      reinterpret_cast<shimpool_stats_fn>(toto_host::shim_function("shimpool_toto_stats"));
  std::printf("library: %s %s\n",
              stats_fn ? "shimpool shim of" : "original", toto_host::kLibraryFile);
  std::printf("host: %d threads x %d calls%s\n", options.threads, options.calls,
              options.serialize ? ", every call behind one global mutex" : "");

  const long wrong = run_concurrent_calls(options);
  const bool signalled = run_wait_signal(options);
  if (stats_fn) print_stats(stats_fn);

  if (wrong == 0 && signalled) {
    std::printf("verdict: PASS, every result exact and the wait was signalled\n");
    return 0;
  }
  std::string reasons;
  if (wrong > 0) reasons = "concurrent calls corrupted the library's globals";
  if (!signalled) {
    if (!reasons.empty()) reasons += "; ";
    reasons += g_serialize ? "the global mutex deadlocked the wait" : "the wait timed out";
  }
  std::printf("verdict: FAIL, %s\n", reasons.c_str());
  return 1;
}
