// toto_stress_test.cpp - the toto shim under sustained load from many threads.
//
// Links libtoto.so by soname with the shim's directory in its run path, so it
// always runs against the shim. ctest runs it once per loader strategy with a
// small SHIMPOOL_TOTO_IDLE_TIMEOUT_MS, so idle instances are evicted (and new
// ones created) while other threads keep calling. Every result is checked
// exactly; a wrong one is a bug in the pool, never noise.
//
// Scale: SHIMPOOL_STRESS_SECONDS (default 1 per test; fractions allowed) and
// SHIMPOOL_STRESS_THREADS (default 8). See docs/reliability.md.
//
// With the namespace strategy, eviction is off (the runtime keeps namespaces,
// whose static TLS glibc would not give back), so evictions are expected only
// with the other strategies.
//
// The session entry points (shimpool_toto_session_begin/end/open/close and the
// *_session twins of the pooled functions) are looked up at run time: a test
// that needs them skips, saying so, when the shim does not export them.

#include "toto.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <latch>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// The shim's counters, as shimpool/types.h lays them out (a prefix is enough).
struct Stats {
  uint64_t live_instances, idle_instances, max_instances;
  uint64_t calls, waits, wait_ns, creations, creation_failures;
  uint64_t evictions, acquire_timeouts, sessions_open;
};

struct shimpool_session;
using StatsFn = int (*)(Stats *, size_t);
using SessionBeginFn = int (*)(void);
using SessionOpenFn = shimpool_session *(*)(void);
using SessionCloseFn = void (*)(shimpool_session *);
using CounterAddSessionFn = int (*)(shimpool_session *, int);
using FooSessionFn = int (*)(shimpool_session *, int, int);

template <typename F>
F lookup(const char *name) {
  return reinterpret_cast<F>(dlsym(RTLD_DEFAULT, name));
}

Stats read_stats() {
  Stats stats{};
  auto fn = lookup<StatsFn>("shimpool_toto_stats");
  if (!fn)
    ADD_FAILURE() << "shimpool_toto_stats is not exported: the test did not load the shim";
  else
    EXPECT_EQ(fn(&stats, sizeof stats), 0);
  return stats;
}

double env_number(const char *name, double fallback) {
  const char *text = std::getenv(name);
  if (!text || !*text) return fallback;
  char *end = nullptr;
  double value = std::strtod(text, &end);
  return end && *end == '\0' && value > 0 ? value : fallback;
}

Clock::duration test_duration() {
  return std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(env_number("SHIMPOOL_STRESS_SECONDS", 1.0)));
}

int thread_count() { return static_cast<int>(env_number("SHIMPOOL_STRESS_THREADS", 8)); }

bool evictions_expected() {
  const char *strategy = std::getenv("SHIMPOOL_TOTO_STRATEGY");
  return !(strategy && std::strcmp(strategy, "namespace") == 0);
}

std::string uppercase(std::string text) {
  for (char &c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

// Counts wrong results and keeps the first few descriptions for the report.
class Mistakes {
 public:
  void add(const std::string &what) {
    count_.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard lock(mutex_);
    if (first_.size() < 10) first_.push_back(what);
  }
  long count() const { return count_.load(); }
  std::string report() {
    std::lock_guard lock(mutex_);
    std::string text;
    for (const auto &line : first_) text += "\n  " + line;
    return text;
  }

 private:
  std::atomic<long> count_{0};
  std::mutex mutex_;
  std::vector<std::string> first_;
};

#define CHECK_EXACT(mistakes, actual, expected, what)                                   \
  do {                                                                                  \
    const auto actual_ = (actual);                                                      \
    const auto expected_ = (expected);                                                  \
    if (!(actual_ == expected_))                                                        \
      (mistakes).add(std::string(what) + ": got " + std::to_string(actual_) +            \
                     ", expected " + std::to_string(expected_));                        \
  } while (0)

// A callback that re-enters the shim from inside toto_apply (nesting).
int reenter(int value, void *) { return toto_foo(value, 1); }

// A directory of the test's own for event files, removed at the end.
class PrivateDirectory {
 public:
  PrivateDirectory() {
    const char *tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/toto-stress-XXXXXX";
    if (mkdtemp(pattern.data())) path_ = pattern;
  }
  ~PrivateDirectory() {
    if (!path_.empty()) rmdir(path_.c_str());
  }
  const std::string &path() const { return path_; }

 private:
  std::string path_;
};

// One pooled call of a randomly chosen kind, its result checked.
void one_pooled_call(std::mt19937 &random, int thread, long iteration, const std::string &events,
                     Mistakes &mistakes) {
  const int a = static_cast<int>(random() % 1000000);
  const int b = static_cast<int>(random() % 1000000);
  const unsigned kind = random() % 8;
  switch (kind) {
    case 0:
    case 1:
      CHECK_EXACT(mistakes, toto_foo(a, b), a + b, "toto_foo");
      break;
    case 2:
    case 3: {
      std::string text = "thread " + std::to_string(thread) + " call " +
                         std::to_string(iteration) + std::string(random() % 120, 'x');
      const std::string expected = uppercase(text);
      char buffer[256];
      std::memcpy(buffer, text.c_str(), text.size() + 1);
      toto_bar(buffer);
      if (expected != buffer) mistakes.add("toto_bar: got '" + std::string(buffer) + "'");
      break;
    }
    case 4:
      // toto_sum3 calls toto_foo through its exported symbol: it must stay in
      // the instance (deep binding or a namespace), not land on the shim.
      CHECK_EXACT(mistakes, toto_sum3(a, b, 7), a + b + 7, "toto_sum3");
      break;
    case 5:
      CHECK_EXACT(mistakes, toto_apply(&reenter, a, nullptr), a + 1, "toto_apply (nested)");
      break;
    case 6: {
      // A blocking call, once signalled and once timing out.
      const std::string path = events + "/event-" + std::to_string(thread);
      toto_signal_event(path.c_str());
      CHECK_EXACT(mistakes, toto_wait_event(path.c_str(), 1000), 1, "toto_wait_event (set)");
      unlink(path.c_str());
      CHECK_EXACT(mistakes, toto_wait_event(path.c_str(), 1), 0, "toto_wait_event (unset)");
      break;
    }
    case 7:
      // The init policy ran on every instance, including those created after
      // evictions; the direct policy needs no instance of its own.
      CHECK_EXACT(mistakes, toto_is_initialized(), 1, "toto_is_initialized");
      if (std::strcmp(toto_version(), "toto 1.0") != 0)
        mistakes.add(std::string("toto_version: got '") + toto_version() + "'");
      break;
  }
}

// Runs `body(thread, deadline)` on `threads` threads started together.
template <typename Body>
void run_threads(int threads, Clock::time_point deadline, Body body) {
  std::latch start(threads);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&, t] {
      start.arrive_and_wait();
      body(t, deadline);
    });
  for (auto &worker : workers) worker.join();
}

// In each cycle every thread calls for a burst (the pool grows to its
// maximum), then all but thread 0 pause longer than the idle timeout: the
// instances they used are evicted while thread 0 keeps calling.
bool in_quiet_phase(int thread, Clock::time_point start) {
  if (thread == 0) return false;
  const auto cycle = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start) %
                     250ms;
  return cycle >= 150ms;
}

TEST(Stress, MixedCallsStayExactWhileInstancesComeAndGo) {
  PrivateDirectory events;
  ASSERT_FALSE(events.path().empty());
  const Stats before = read_stats();
  Mistakes mistakes;
  std::atomic<long> calls{0};
  const auto start = Clock::now();

  // One thread sets a broadcast option now and then; every reader must see it
  // never go backwards, whichever instance (old, new, replayed) serves it.
  std::atomic<bool> done{false};
  std::thread setter([&] {
    int value = 0;
    while (!done.load()) {
      toto_set_option("stress", ++value);
      std::this_thread::sleep_for(5ms);
    }
  });

  run_threads(thread_count(), start + test_duration(), [&](int thread, Clock::time_point deadline) {
    std::mt19937 random(static_cast<unsigned>(thread) * 7919u + 1u);
    int last_option = 0;
    long iteration = 0;
    while (Clock::now() < deadline) {
      if (in_quiet_phase(thread, start)) {
        std::this_thread::sleep_for(10ms);
        continue;
      }
      one_pooled_call(random, thread, iteration++, events.path(), mistakes);
      if (iteration % 16 == 0) {
        const int option = toto_get_option("stress");
        if (option < last_option)
          mistakes.add("toto_get_option went back from " + std::to_string(last_option) + " to " +
                       std::to_string(option));
        last_option = option;
      }
    }
    calls.fetch_add(iteration);
  });
  done.store(true);
  setter.join();

  const Stats after = read_stats();
  EXPECT_EQ(mistakes.count(), 0) << "wrong results:" << mistakes.report();
  EXPECT_GT(calls.load(), 1000) << "too few calls to stress anything";
  if (evictions_expected()) {
    EXPECT_GT(after.evictions, before.evictions)
        << "no idle instance was evicted: is SHIMPOOL_TOTO_IDLE_TIMEOUT_MS set (small)?";
    EXPECT_GT(after.creations - before.creations, after.max_instances)
        << "instances should be created again after evictions";
  } else {
    EXPECT_EQ(after.evictions, before.evictions) << "namespace instances are never evicted";
  }
  EXPECT_EQ(after.creation_failures, 0u);
  EXPECT_EQ(after.acquire_timeouts, 0u);
  std::printf("stress: %ld calls, %llu creations, %llu evictions, %llu waits, live %llu of %llu\n",
              calls.load(), static_cast<unsigned long long>(after.creations - before.creations),
              static_cast<unsigned long long>(after.evictions - before.evictions),
              static_cast<unsigned long long>(after.waits - before.waits),
              static_cast<unsigned long long>(after.live_instances),
              static_cast<unsigned long long>(after.max_instances));
}

TEST(Stress, ThreadBoundSessionsKeepTheirInstance) {
  auto begin = lookup<SessionBeginFn>("shimpool_toto_session_begin");
  auto end = lookup<SessionBeginFn>("shimpool_toto_session_end");
  if (!begin || !end)
    GTEST_SKIP() << "the shim does not export shimpool_toto_session_begin/end yet";
  const Stats before = read_stats();
  Mistakes mistakes;
  std::atomic<long> sessions{0};
  const auto start = Clock::now();

  run_threads(thread_count(), start + test_duration(), [&](int thread, Clock::time_point deadline) {
    std::mt19937 random(static_cast<unsigned>(thread) * 104729u + 3u);
    while (Clock::now() < deadline) {
      if (in_quiet_phase(thread, start)) {
        std::this_thread::sleep_for(10ms);
        continue;
      }
      if (thread % 4 == 3) {
        // Pooled counter calls meanwhile: they must never reach an instance
        // another thread holds in a session.
        (void)toto_counter_add(1000);
        continue;
      }
      if (begin() != 0) mistakes.add("session_begin failed");
      const int first = toto_counter_add(0);
      const int steps = 1 + static_cast<int>(random() % 20);
      for (int i = 1; i <= steps; ++i) {
        CHECK_EXACT(mistakes, toto_counter_add(1), first + i, "toto_counter_add in a session");
        if (i % 5 == 0) {
          // Other calls in between, and a nested session: same instance.
          CHECK_EXACT(mistakes, toto_foo(i, 2), i + 2, "toto_foo in a session");
          if (begin() != 0) mistakes.add("nested session_begin failed");
          CHECK_EXACT(mistakes, toto_counter_add(0), first + i, "toto_counter_add nested");
          if (end() != 0) mistakes.add("nested session_end failed");
        }
      }
      if (end() != 0) mistakes.add("session_end failed");
      sessions.fetch_add(1);
    }
  });

  const Stats after = read_stats();
  EXPECT_EQ(mistakes.count(), 0) << "wrong results:" << mistakes.report();
  EXPECT_GT(sessions.load(), 100);
  EXPECT_EQ(end(), -1) << "end without begin";
  if (evictions_expected())
    EXPECT_GT(after.evictions, before.evictions) << "no instance was evicted during the run";
  EXPECT_EQ(after.creation_failures, 0u);
}

TEST(Stress, HandleSessionsSerializeCallsFromAnyThread) {
  auto open = lookup<SessionOpenFn>("shimpool_toto_session_open");
  auto close = lookup<SessionCloseFn>("shimpool_toto_session_close");
  auto counter_add = lookup<CounterAddSessionFn>("toto_counter_add_session");
  auto foo = lookup<FooSessionFn>("toto_foo_session");
  if (!open || !close || !counter_add || !foo)
    GTEST_SKIP() << "the shim does not export shimpool_toto_session_open/close and the "
                    "*_session functions yet";
  const Stats before = read_stats();
  Mistakes mistakes;
  std::atomic<long> sessions{0};
  const auto start = Clock::now();
  const int owners = std::max(1, thread_count() / 2);
  constexpr int kHelpers = 3, kCallsEach = 20;

  // Each owner opens a session and has helper threads add to its counter at
  // once: the values returned must be exactly the next ones, no gap, no twice.
  run_threads(owners, start + test_duration(), [&](int thread, Clock::time_point deadline) {
    while (Clock::now() < deadline) {
      if (in_quiet_phase(thread, start)) {
        std::this_thread::sleep_for(10ms);
        continue;
      }
      shimpool_session *session = open();
      if (!session) {
        mistakes.add("session_open returned NULL");
        return;
      }
      const int first = counter_add(session, 0);
      std::vector<int> seen(kHelpers * kCallsEach);
      {
        std::vector<std::thread> helpers;
        for (int h = 0; h < kHelpers; ++h)
          helpers.emplace_back([&, h] {
            for (int i = 0; i < kCallsEach; ++i) {
              seen[h * kCallsEach + i] = counter_add(session, 1);
              CHECK_EXACT(mistakes, foo(session, h, i), h + i, "toto_foo_session");
              (void)toto_counter_add(1000);  // pooled: must not touch the session's instance
            }
          });
        for (auto &helper : helpers) helper.join();
      }
      std::sort(seen.begin(), seen.end());
      for (size_t i = 0; i < seen.size(); ++i)
        CHECK_EXACT(mistakes, seen[i], first + static_cast<int>(i) + 1,
                    "toto_counter_add_session sequence");
      CHECK_EXACT(mistakes, counter_add(session, 0), first + kHelpers * kCallsEach,
                  "toto_counter_add_session total");
      close(session);
      sessions.fetch_add(1);
    }
  });

  const Stats after = read_stats();
  EXPECT_EQ(mistakes.count(), 0) << "wrong results:" << mistakes.report();
  EXPECT_GT(sessions.load(), 20);
  EXPECT_EQ(after.sessions_open, 0u);
  if (evictions_expected())
    EXPECT_GT(after.evictions, before.evictions) << "no instance was evicted during the run";
  EXPECT_EQ(after.creation_failures, 0u);
}

}  // namespace
