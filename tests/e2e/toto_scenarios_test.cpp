// toto_scenarios_test.cpp - end-to-end scenarios of the toto example.
//
// This binary links libtoto.so by soname and runs twice: once against the
// original library, once against its shimpool shim (LD_LIBRARY_PATH picks
// which). SHIMPOOL_TEST_EXPECT=original|shim says which one it should find.
// Each claim is checked both ways, so it is proven by a test that fails
// without the mechanism: the original really corrupts concurrent results and
// deadlocks under a global lock; the shim does neither.
//
// Nesting.CallbackReentersWithOneInstance needs SHIMPOOL_TOTO_MAX_INSTANCES=1
// (set by ctest) and skips without it.

#include "toto.h"
#include "host_support.h"

#include <stdlib.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <future>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

// The shim's statistics entry point; the original library does not have it.
typedef struct shimpool_stats {
  uint64_t live_instances, idle_instances, max_instances;
  uint64_t calls, waits, wait_ns, creations, creation_failures;
} shimpool_stats;
using shimpool_stats_fn = int (*)(shimpool_stats *out, size_t out_size);

namespace {

using namespace std::chrono_literals;

// ---- Which library this run is about ---------------------------------------

enum class Target { unknown, original, shim };

std::string expect_variable() {
  const char *value = std::getenv("SHIMPOOL_TEST_EXPECT");
  return value ? value : "";
}

Target expected_target() {
  const std::string value = expect_variable();
  if (value == "original") return Target::original;
  if (value == "shim") return Target::shim;
  return Target::unknown;
}

const char *target_name(Target target) {
  return target == Target::shim ? "shim" : "original library";
}

// Fails the test when SHIMPOOL_TEST_EXPECT does not say what to expect.
#define REQUIRE_TARGET()                                                                     \
  do {                                                                                       \
    if (expected_target() == Target::unknown)                                                \
      GTEST_FAIL() << "SHIMPOOL_TEST_EXPECT is '" << expect_variable()                       \
                   << "': set it to 'original' or 'shim', matching the library that "        \
                      "LD_LIBRARY_PATH (PATH on Windows) makes this binary load";            \
  } while (0)

// Skips the test unless it runs against `target` (and fails without a target).
#define ONLY_AGAINST(target)                                                                  \
  do {                                                                                       \
    REQUIRE_TARGET();                                                                        \
    if (expected_target() != (target))                                                       \
      GTEST_SKIP() << "only meaningful against the " << target_name(target);                 \
  } while (0)

bool max_instances_is_one() {
  const char *value = std::getenv("SHIMPOOL_TOTO_MAX_INSTANCES");
  return value && std::string_view(value) == "1";
}

// ---- The shim's statistics ---------------------------------------------------

shimpool_stats_fn stats_function() {
  return reinterpret_cast<shimpool_stats_fn>(toto_host::shim_function("shimpool_toto_stats"));
}

shimpool_stats read_stats() {
  shimpool_stats stats{};
  const shimpool_stats_fn fn = stats_function();
  if (!fn)
    ADD_FAILURE() << "shimpool_toto_stats is not exported: is the shim loaded?";
  else if (fn(&stats, sizeof stats) != 0)
    ADD_FAILURE() << "shimpool_toto_stats failed";
  return stats;
}

// ---- Workloads ---------------------------------------------------------------

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

// One thread's share: `calls` calls of toto_foo and of toto_bar, interleaved.
long wrong_results_of_thread(int thread, int calls) {
  const std::string text = thread_text(thread);
  const std::string expected = uppercase(text);
  long wrong = 0;
  for (int i = 0; i < calls; ++i) {
    const int a = thread * 1000000 + i;  // distinct between threads
    if (toto_foo(a, thread) != a + thread) ++wrong;

    char buffer[256];
    std::memcpy(buffer, text.c_str(), text.size() + 1);
    toto_bar(buffer);
    if (expected != buffer) ++wrong;
  }
  return wrong;
}

// Runs `threads` threads at once, returns how many results were not exact.
long count_wrong_results(int threads, int calls) {
  std::vector<long> wrong(threads);
  toto_host::Latch start(threads);
  {
    std::vector<std::jthread> workers;
    for (int t = 0; t < threads; ++t)
      workers.emplace_back([&, t] {
        start.arrive_and_wait();
        wrong[t] = wrong_results_of_thread(t, calls);
      });
  }
  long total = 0;
  for (long w : wrong) total += w;
  return total;
}

// Thread A waits for the event (up to timeout_ms); thread B sets it
// signal_delay after A is about to wait. With host_mutex, both calls hold it,
// as a host serializing all library calls would, and A takes it first.
// Returns toto_wait_event's result.
int wait_and_signal(int timeout_ms, std::chrono::milliseconds signal_delay,
                    std::mutex *host_mutex) {
  toto_host::EventPath event;
  if (!event.ok()) {
    ADD_FAILURE() << event.error();
    return -1;
  }
  auto host_lock = [host_mutex] {
    return host_mutex ? std::unique_lock(*host_mutex) : std::unique_lock<std::mutex>();
  };
  toto_host::Latch waiter_ready(1);
  int result = -1;
  {
    std::jthread waiter([&] {
      auto lock = host_lock();
      waiter_ready.count_down();
      result = toto_wait_event(event.c_str(), timeout_ms);
    });
    std::jthread signaller([&] {
      waiter_ready.wait();
      std::this_thread::sleep_for(signal_delay);
      auto lock = host_lock();
      toto_signal_event(event.c_str());
    });
  }
  return result;
}

int add_one_through_foo(int value, void * /*context*/) { return toto_foo(value, 1); }

}  // namespace

// ---- Tests ---------------------------------------------------------------------

TEST(Library, IsTheExpectedOne) {
  REQUIRE_TARGET();
  const bool shim_loaded = stats_function() != nullptr;
  EXPECT_EQ(shim_loaded, expected_target() == Target::shim)
      << "SHIMPOOL_TEST_EXPECT=" << expect_variable() << " but the " << toto_host::kLibraryFile
      << " loaded is the "
      << (shim_loaded ? "shim (it exports shimpool_toto_stats)"
                      : "original (no shimpool_toto_stats)")
      << ": check LD_LIBRARY_PATH (PATH on Windows)";
}

TEST(Concurrency, FooAndBarResults) {
  REQUIRE_TARGET();
  const long wrong = count_wrong_results(8, 2000);
  if (expected_target() == Target::original) {
    EXPECT_GT(wrong, 0) << "the original library should corrupt concurrent results; "
                           "without that, the shim's exact results prove nothing";
  } else {
    EXPECT_EQ(wrong, 0) << "concurrent calls through the shim must each run on their own "
                           "instance";
  }
}

TEST(Concurrency, WaitSignalUnderGlobalMutex) {
  ONLY_AGAINST(Target::original);
  std::mutex host_mutex;
  EXPECT_EQ(wait_and_signal(500, 50ms, &host_mutex), 0)
      << "under one global lock the wait should time out: the signal needs the lock it holds";
}

TEST(Concurrency, WaitSignalConcurrent) {
  REQUIRE_TARGET();
  if (expected_target() == Target::shim && max_instances_is_one())
    GTEST_SKIP() << "needs two instances; SHIMPOOL_TOTO_MAX_INSTANCES=1 allows one";
  EXPECT_EQ(wait_and_signal(5000, 50ms, nullptr), 1)
      << "the wait should see the event the other thread sets";
  if (expected_target() == Target::shim) {
    EXPECT_GE(read_stats().live_instances, 2u)
        << "the wait and the signal should have run on two instances";
  }
}

TEST(Nesting, CallbackReentersWithOneInstance) {
  ONLY_AGAINST(Target::shim);
  if (!max_instances_is_one())
    GTEST_SKIP() << "run with SHIMPOOL_TOTO_MAX_INSTANCES=1: with more instances the nested "
                    "call could take another one and the test would prove nothing";

  std::promise<int> result;
  std::future<int> future = result.get_future();
  std::thread caller([&result] { result.set_value(toto_apply(add_one_through_foo, 41, nullptr)); });
  if (future.wait_for(10s) != std::future_status::ready) {
    ADD_FAILURE() << "the callback's nested toto_foo call deadlocked: still blocked after 10 s "
                     "with one instance (a nested call must reuse the thread's instance)";
    std::fflush(stdout);
    std::fflush(stderr);
    _exit(1);  // the hung thread cannot be joined
  }
  caller.join();
  EXPECT_EQ(future.get(), 42);
}

TEST(Interposition, InternalCallStaysInInstance) {
  ONLY_AGAINST(Target::shim);
  const uint64_t before = read_stats().calls;
  EXPECT_EQ(toto_sum3(1, 2, 3), 6);
  const uint64_t after = read_stats().calls;
  EXPECT_EQ(after - before, 1u)
      << "toto_sum3's internal call to toto_foo went through the shim's exported wrapper: "
         "the instance's own calls must bind inside the instance";
}

TEST(Sequence, CounterPerInstance) {
  const int first = toto_counter_add(1);
  const int second = toto_counter_add(1);
  EXPECT_EQ(second, first + 1) << "sequential calls on one thread should keep the counter's state";
}
