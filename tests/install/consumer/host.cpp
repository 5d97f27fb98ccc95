// host.cpp - the consumer's host program: calls the thread-unsafe vendor
// library from 8 threads at once.
//
// Built twice (see CMakeLists.txt):
//   vendor_host           linked against the shim; exits 0 only if every result
//                         is exact and the shim's statistics show that it loaded
//                         more than one instance of the vendor library.
//   vendor_host_original  (VENDOR_HOST_ORIGINAL) linked against the original;
//                         exits 0 only if it observes corrupted results, which
//                         proves the race is real and the shim's exactness means
//                         something.
#include "vendor.h"
#ifndef VENDOR_HOST_ORIGINAL
#include "vendor_shimpool.h"  // generated; on the include path through the shim target
#endif

#include <atomic>
#include <cstdio>
#include <latch>
#include <thread>
#include <vector>

namespace {

constexpr int kThreads = 8;
constexpr int kCallsPerThread = 200;

}  // namespace

int main() {
  // Sequential state: one thread, so the same instance serves both calls.
  const int first = vendor_counter_add(2);
  const int second = vendor_counter_add(3);
  std::printf("counter: %d then %d\n", first, second);

  std::atomic<long> wrong{0};
  std::latch start{kThreads};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t, &wrong, &start] {
      start.arrive_and_wait();
      for (int i = 0; i < kCallsPerThread; ++i) {
        const int a = t * 100000 + i;
        const int b = t + 1;
        if (vendor_scale_add(a, b) != a * 3 + b) wrong.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  for (auto &thread : threads) thread.join();
  std::printf("calls: %d, wrong results: %ld\n", kThreads * kCallsPerThread, wrong.load());

#ifdef VENDOR_HOST_ORIGINAL
  if (wrong.load() == 0) {
    std::printf("FAIL: the original library gave no wrong result; the race is not exercised\n");
    return 1;
  }
  std::printf("OK: the original library corrupts concurrent results\n");
  return 0;
#else
  shimpool_stats stats{};
  if (shimpool_vendor_stats(&stats, sizeof stats) != 0) {
    std::printf("FAIL: shimpool_vendor_stats failed\n");
    return 1;
  }
  std::printf("stats: live %llu, idle %llu, max %llu, calls %llu, waits %llu, creations %llu, "
              "creation failures %llu\n",
              (unsigned long long)stats.live_instances, (unsigned long long)stats.idle_instances,
              (unsigned long long)stats.max_instances, (unsigned long long)stats.calls,
              (unsigned long long)stats.waits, (unsigned long long)stats.creations,
              (unsigned long long)stats.creation_failures);

  bool ok = true;
  if (first != 2 || second != 5) {
    std::printf("FAIL: the counter gave %d then %d, expected 2 then 5\n", first, second);
    ok = false;
  }
  if (wrong.load() != 0) {
    std::printf("FAIL: %ld wrong results through the shim\n", wrong.load());
    ok = false;
  }
  if (stats.creations <= 1) {
    std::printf("FAIL: the shim created %llu instance(s), expected more than one\n",
                (unsigned long long)stats.creations);
    ok = false;
  }
  if (stats.creation_failures != 0) {
    std::printf("FAIL: %llu instance creation(s) failed\n",
                (unsigned long long)stats.creation_failures);
    ok = false;
  }
  const unsigned long long expected_calls = 2ull + kThreads * kCallsPerThread;
  if (stats.calls != expected_calls) {
    std::printf("FAIL: the shim counted %llu calls, expected %llu\n",
                (unsigned long long)stats.calls, expected_calls);
    ok = false;
  }
  if (ok) std::printf("OK: exact results from %llu instances\n", (unsigned long long)stats.creations);
  return ok ? 0 : 1;
#endif
}
