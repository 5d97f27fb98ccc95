// Pool configuration through the shim's environment, read when it loads: ctest
// runs this with SHIMPOOL_TOTO_MIN_INSTANCES=2, _MAX_INSTANCES=4 and
// _IDLE_TIMEOUT_MS=100.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "toto_shimpool.h"

namespace {

using namespace std::chrono_literals;

shimpool_stats stats() {
  shimpool_stats s{};
  shimpool_toto_stats(&s, sizeof s);
  return s;
}

// Polls until `done` holds or 5 s pass: background work has no completion signal.
bool eventually(const std::function<bool(const shimpool_stats &)> &done) {
  for (auto deadline = std::chrono::steady_clock::now() + 5s;
       std::chrono::steady_clock::now() < deadline; std::this_thread::sleep_for(5ms))
    if (done(stats())) return true;
  return done(stats());
}

TEST(PoolConfig, TheMinimumIsPrewarmedBeforeAnyCall) {
  EXPECT_TRUE(eventually([](const shimpool_stats &s) { return s.live_instances == 2; }))
      << "live: " << stats().live_instances;
  EXPECT_EQ(stats().calls, 0u) << "prewarming made no call";
  EXPECT_EQ(stats().max_instances, 4u);
}

bool namespace_strategy() {
  const char *strategy = getenv("SHIMPOOL_TOTO_STRATEGY");
  return strategy && std::string(strategy) == "namespace";
}

TEST(PoolConfig, IdleInstancesAreEvictedDownToTheMinimum) {
  std::vector<std::thread> burst;
  for (int i = 0; i < 4; ++i)  // four blocking calls at once need four instances
    burst.emplace_back([] { toto_wait_event("/nonexistent/shimpool-never", 150); });
  for (auto &t : burst) t.join();
  EXPECT_EQ(stats().live_instances, 4u);
  if (namespace_strategy()) {
    // Namespaces are kept: glibc would not give their static TLS back.
    std::this_thread::sleep_for(300ms);
    EXPECT_EQ(stats().evictions, 0u);
  } else {
    EXPECT_TRUE(eventually([](const shimpool_stats &s) { return s.live_instances == 2; }))
        << "live: " << stats().live_instances;
    EXPECT_GE(stats().evictions, 2u);
  }
  EXPECT_EQ(toto_foo(20, 22), 42) << "the pool keeps serving after evictions";
}

}  // namespace
