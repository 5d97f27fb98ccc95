// toto_soak_test.cpp - the toto shim under a long mixed load, with every
// result counted and the process's resources watched.
//
// Worker threads run a random mix: pooled calls (toto_foo, toto_bar,
// toto_sum3), nested calls (toto_apply calling back into the shim), the init
// and direct policies, thread-bound sessions (consecutive counter values,
// and an errno-style parse/last-error pair), handle-form sessions, and reads
// of a broadcast option that a setter thread keeps raising. In cycles, all
// but one worker pause for longer than the idle timeout the ctest entry sets,
// so instances are evicted and created again all along (except with the
// namespace strategy, which never evicts).
//
// A sampler records RSS, open descriptors and memory mappings. After a
// warm-up (the first quarter), the second half of the samples must not rise
// above the first half's plateau: a leak per call, per session or per
// instance made would, over a long run.
//
// Scale: SHIMPOOL_SOAK_SECONDS (default 20) and SHIMPOOL_SOAK_THREADS
// (default 8); hours: SHIMPOOL_SOAK_SECONDS=14400 (docs/reliability.md).
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "toto.h"
#include "toto_shimpool.h"

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

double env_number(const char *name, double fallback) {
  const char *text = std::getenv(name);
  if (!text || !*text) return fallback;
  char *end = nullptr;
  const double value = std::strtod(text, &end);
  return end && *end == '\0' && value > 0 ? value : fallback;
}

bool evictions_expected() {
  const char *strategy = std::getenv("SHIMPOOL_TOTO_STRATEGY");
  return !(strategy && std::strcmp(strategy, "namespace") == 0);
}

shimpool_stats stats() {
  shimpool_stats out{};
  shimpool_toto_stats(&out, sizeof out);
  return out;
}

// ---- Resources -------------------------------------------------------------

struct Sample {
  long rss_kib = 0;
  int descriptors = 0;
  int mappings = 0;
};

long rss_kib() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

int lines_in(const char *path) {
  std::ifstream in(path);
  return static_cast<int>(
      std::count(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>(), '\n'));
}

int descriptors() {
  int count = 0;
  for ([[maybe_unused]] const auto &entry : std::filesystem::directory_iterator("/proc/self/fd"))
    ++count;
  return count;
}

Sample sample() { return {rss_kib(), descriptors(), lines_in("/proc/self/maps")}; }

Sample highest(const std::vector<Sample> &samples, size_t from, size_t to) {
  Sample top;
  for (size_t i = from; i < to; ++i) {
    top.rss_kib = std::max(top.rss_kib, samples[i].rss_kib);
    top.descriptors = std::max(top.descriptors, samples[i].descriptors);
    top.mappings = std::max(top.mappings, samples[i].mappings);
  }
  return top;
}

// ---- Results ---------------------------------------------------------------

// Counts every checked result; keeps the first few wrong ones for the report.
class Tally {
 public:
  void check(bool right, const std::string &what) {
    checked_.fetch_add(1, std::memory_order_relaxed);
    if (right) return;
    wrong_.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard lock(mutex_);
    if (first_.size() < 10) first_.push_back(what);
  }
  long checked() const { return checked_.load(); }
  long wrong() const { return wrong_.load(); }
  std::string report() {
    std::lock_guard lock(mutex_);
    std::string text;
    for (const auto &line : first_) text += "\n  " + line;
    return text;
  }

 private:
  std::atomic<long> checked_{0}, wrong_{0};
  std::mutex mutex_;
  std::vector<std::string> first_;
};

std::string uppercase(std::string text) {
  for (char &c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

// The nested call toto_apply makes: back into the shim on the same instance.
int add_through_the_shim(int value, void *) { return toto_foo(value, 1000); }

// What the setter thread has finished broadcasting: every read that starts
// later must see at least this.
std::atomic<int> g_broadcast_done{0};

void one_operation(std::mt19937 &random, Tally &tally, const std::string &version) {
  const int a = static_cast<int>(random() % 1000), b = static_cast<int>(random() % 1000);
  switch (random() % 20) {
    case 0:
    case 1:
    case 2:
    case 3:
    case 4:
    case 5:
      tally.check(toto_foo(a, b) == a + b, "toto_foo");
      break;
    case 6:
    case 7: {
      char text[32];
      std::snprintf(text, sizeof text, "soak %d text %d", a, b);
      const std::string expected = uppercase(text);
      toto_bar(text);
      tally.check(expected == text, "toto_bar gave " + std::string(text));
      break;
    }
    case 8:
      tally.check(toto_sum3(a, b, 7) == a + b + 7, "toto_sum3");
      break;
    case 9:
      tally.check(toto_apply(add_through_the_shim, a, nullptr) == a + 1000, "nested toto_apply");
      break;
    case 10:
      tally.check(toto_is_initialized() == 1, "an instance served before its init ran");
      break;
    case 11:
      tally.check(version == toto_version(), "toto_version (direct)");
      break;
    case 12:
    case 13: {  // thread-bound session: the counter counts on one instance
      shimpool_toto_session_begin();
      const int start = toto_counter_add(0);
      bool consecutive = true;
      for (int i = 1; i <= 5; ++i) consecutive &= toto_counter_add(1) == start + i;
      tally.check(toto_parse_number("12x4") == -1 && toto_last_error() == 3,
                  "sticky last error inside a session");
      shimpool_toto_session_end();
      tally.check(consecutive, "thread-bound session counter");
      break;
    }
    case 14:
    case 15: {  // handle-form session
      shimpool_session *session = shimpool_toto_session_open();
      const int start = toto_counter_add_session(session, 0);
      bool consecutive = true;
      for (int i = 1; i <= 5; ++i) consecutive &= toto_counter_add_session(session, 1) == start + i;
      tally.check(consecutive && toto_foo_session(session, a, b) == a + b, "handle session");
      shimpool_toto_session_close(session);
      break;
    }
    default: {  // broadcast reads
      const int done = g_broadcast_done.load();
      const int seen = toto_get_option("soak");
      tally.check(seen >= done, "broadcast option " + std::to_string(seen) + " after " +
                                    std::to_string(done) + " was set");
      break;
    }
  }
}

TEST(Soak, MixedLoadStaysExactWithBoundedResources) {
  const auto duration = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(env_number("SHIMPOOL_SOAK_SECONDS", 20)));
  const int threads = static_cast<int>(env_number("SHIMPOOL_SOAK_THREADS", 8));
  const auto sample_every = std::max<Clock::duration>(200ms, duration / 400);
  const std::string version = toto_version();
  Tally tally;
  const Clock::time_point start = Clock::now(), end = start + duration;
  std::atomic<bool> stop{false};

  std::thread setter([&] {
    for (int value = 1; !stop.load(); ++value) {
      toto_set_option("soak", value);
      g_broadcast_done.store(value);
      std::this_thread::sleep_for(5ms);
    }
  });
  std::vector<Sample> samples;
  std::thread sampler([&] {
    while (!stop.load()) {
      samples.push_back(sample());
      std::this_thread::sleep_for(sample_every);
    }
  });
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&, t] {
      std::mt19937 random(static_cast<unsigned>(t) * 7919u + 1u);
      while (Clock::now() < end) {
        // 150 ms busy, then (all but one thread) 100 ms idle: the idle
        // timeout evicts instances, the next burst creates them again.
        const auto burst_end = Clock::now() + 150ms;
        while (Clock::now() < burst_end) one_operation(random, tally, version);
        if (t != 0) std::this_thread::sleep_for(100ms);
      }
    });
  for (auto &worker : workers) worker.join();
  stop = true;
  setter.join();
  sampler.join();

  const shimpool_stats after = stats();
  ASSERT_GE(samples.size(), 8u) << "too short a run to compare plateaus";
  const size_t warm = samples.size() / 4, middle = warm + (samples.size() - warm) / 2;
  const Sample first = highest(samples, warm, middle),
               second = highest(samples, middle, samples.size());
  std::printf(
      "[ soak     ] %.0f s, %d threads: %ld results checked, %ld wrong; %llu creations, "
      "%llu evictions\n"
      "[ soak     ] highest after warm-up, first half -> second half: RSS %ld -> %ld KiB, "
      "descriptors %d -> %d, mappings %d -> %d (at start: %ld KiB, %d, %d)\n",
      std::chrono::duration<double>(Clock::now() - start).count(), threads, tally.checked(),
      tally.wrong(), static_cast<unsigned long long>(after.creations),
      static_cast<unsigned long long>(after.evictions), first.rss_kib, second.rss_kib,
      first.descriptors, second.descriptors, first.mappings, second.mappings,
      samples.front().rss_kib, samples.front().descriptors, samples.front().mappings);

  EXPECT_EQ(tally.wrong(), 0) << tally.report();
  EXPECT_GT(tally.checked(), 10000);
  EXPECT_EQ(after.creation_failures, 0u);
  EXPECT_EQ(after.acquire_timeouts, 0u);
  EXPECT_EQ(after.sessions_open, 0u);
  if (evictions_expected()) {
    EXPECT_GT(after.evictions, 0u);
    EXPECT_GT(after.creations, after.max_instances) << "instances were made again after evictions";
  }
  // Plateaus: the pool's size swings with the bursts, so compare highs.
  EXPECT_LE(second.descriptors, first.descriptors + 2);
  EXPECT_LE(second.mappings, first.mappings + 16) << "mappings of unloaded instances left behind";
#ifndef SHIMPOOL_SOAK_SANITIZED  // sanitizer quarantine and shadow memory grow on their own
  EXPECT_LE(second.rss_kib, first.rss_kib + std::max(4096L, first.rss_kib / 10));
#endif
}

}  // namespace
