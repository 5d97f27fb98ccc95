// The pool's lock-free fast path under contention: a thread takes its last
// instance back with a compare-and-swap and releases it with a store, while
// other threads wait, create, and evict under the pool's mutex. These tests
// hammer those races and check what must never happen: two holders of one
// instance, a lease on an unloaded instance, a lost wake-up, a lost count.
#include "pool.h"
#include "held_leases.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

namespace shimpool {
namespace {

using namespace std::chrono_literals;

// Instances whose holder count and liveness the test can watch.
class TrackingSource : public InstanceSource {
 public:
  struct Token {
    std::atomic<int> holders{0};
    std::atomic<bool> loaded{true};
  };

  std::unique_ptr<Instance> create(std::string &) override {
    std::lock_guard lock(mutex_);
    Token &token = tokens_.emplace_back();  // deque: tokens stay put
    auto instance = std::make_unique<Instance>();
    instance->library = &token;
    instance->functions.push_back(&token);
    return instance;
  }
  void destroy(Instance &instance) noexcept override {
    token(instance).loaded = false;
    ++destroyed;
  }

  static Token &token(const Instance &instance) { return *static_cast<Token *>(instance.library); }

  std::atomic<int> destroyed{0};

 private:
  std::mutex mutex_;
  std::deque<Token> tokens_;
};

// Holds `instance` for a moment and records any overlap or use after unload.
void use(const Instance *instance, std::atomic<int> &overlaps, std::atomic<int> &unloaded_uses) {
  TrackingSource::Token &token = TrackingSource::token(*instance);
  if (!token.loaded) ++unloaded_uses;
  if (token.holders.fetch_add(1) != 0) ++overlaps;
  std::this_thread::yield();
  token.holders.fetch_sub(1);
}

TEST(PoolFastPath, ManyThreadsNeverShareAnInstanceAndEveryLeaseIsCounted) {
  TrackingSource source;
  Pool pool(source, PoolLimits{0, 3});  // fewer instances than threads: waits and wake-ups
  constexpr int kThreads = 8, kRounds = 4000;
  std::atomic<int> overlaps{0}, unloaded_uses{0}, failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      std::string error;
      for (int i = 0; i < kRounds; ++i) {
        // Mix the thread-bound fast path, sticky leases and thread-free leases.
        const int kind = (i + t) % 3;
        Instance *instance = kind == 2 ? pool.acquire(error)
                                       : pool.enter(error, kind == 1 ? Pool::Preference::Sticky
                                                                     : Pool::Preference::Affinity);
        if (!instance) {
          ++failures;
          continue;
        }
        use(instance, overlaps, unloaded_uses);
        if (kind == 2)
          pool.release(instance);
        else
          pool.leave();
      }
    });
  for (auto &t : threads) t.join();  // a lost wake-up hangs here (the test's timeout reports it)
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(overlaps, 0) << "an instance was leased to two holders at once";
  EXPECT_EQ(unloaded_uses, 0);
  const shimpool_stats stats = pool.stats();
  EXPECT_EQ(stats.calls, uint64_t{kThreads} * kRounds);
  EXPECT_EQ(stats.live_instances, 3u);
  EXPECT_EQ(stats.idle_instances, 3u);
}

TEST(PoolFastPath, EvictionRacingWithLeasesNeverHandsOutAnUnloadedInstance) {
  TrackingSource source;
  Pool pool(source, PoolLimits{0, 4, 1ms});
  constexpr int kThreads = 4, kRounds = 3000;
  std::atomic<int> overlaps{0}, unloaded_uses{0};
  std::atomic<bool> leasing{true};
  std::thread evictor([&] {
    // Far in the future: every idle instance is past its timeout, so each pass
    // races the lease holders for every instance they give back.
    while (leasing) pool.evict_idle(Pool::Clock::now() + 1h);
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&] {
      std::string error;
      for (int i = 0; i < kRounds; ++i) {
        Instance *instance = pool.enter(error);
        ASSERT_NE(instance, nullptr) << error;
        use(instance, overlaps, unloaded_uses);
        pool.leave();
      }
    });
  for (auto &t : threads) t.join();
  leasing = false;
  evictor.join();
  EXPECT_EQ(overlaps, 0);
  EXPECT_EQ(unloaded_uses, 0) << "a lease got an instance eviction had unloaded";
  const shimpool_stats stats = pool.stats();
  EXPECT_GT(stats.evictions, 0u) << "the race was not exercised";
  EXPECT_EQ(stats.calls, uint64_t{kThreads} * kRounds) << "counts of evicted instances are kept";
  EXPECT_EQ(stats.creations - stats.evictions, stats.live_instances);
  EXPECT_EQ(static_cast<uint64_t>(source.destroyed.load()), stats.evictions);
}

TEST(PoolFastPath, AReleaseWakesAWaiterThatAnnouncedItselfJustBefore) {
  // One instance, two threads passing it back and forth as fast as they can:
  // every release races a waiter's last look before it sleeps.
  TrackingSource source;
  Pool pool(source, PoolLimits{0, 1});
  constexpr int kRounds = 20000;
  auto worker = [&] {
    std::string error;
    for (int i = 0; i < kRounds; ++i) {
      if (!pool.enter(error)) return false;
      pool.leave();
    }
    return true;
  };
  auto first = std::async(std::launch::async, worker);
  auto second = std::async(std::launch::async, worker);
  EXPECT_TRUE(first.get());  // a lost wake-up hangs here
  EXPECT_TRUE(second.get());
  EXPECT_EQ(pool.stats().calls, 2u * kRounds);
  EXPECT_EQ(source.destroyed, 0);
}

TEST(PoolFastPath, AMaximumAboveTheLimitIsLowered) {
  TrackingSource source;
  Pool pool(source, PoolLimits{0, 100000});
  EXPECT_EQ(pool.stats().max_instances, Pool::kMaxInstances);
  EXPECT_EQ(pool.limits().max_instances, Pool::kMaxInstances);
}

TEST(PoolFastPath, AThreadHoldsLeasesOnAtMostTheDocumentedNumberOfPools) {
  TrackingSource source;
  std::deque<Pool> pools;
  for (unsigned i = 0; i <= kMaxPoolsHeldPerThread; ++i) pools.emplace_back(source, PoolLimits{0, 1});
  std::string error;
  for (unsigned i = 0; i < kMaxPoolsHeldPerThread; ++i) ASSERT_NE(pools[i].enter(error), nullptr);
  EXPECT_EQ(pools.back().enter(error), nullptr);
  EXPECT_NE(error.find("8 pools at once"), std::string::npos) << error;
  pools.front().leave();
  EXPECT_NE(pools.back().enter(error), nullptr) << "an entry with no lease is reused";
  pools.back().leave();
  for (unsigned i = 1; i < kMaxPoolsHeldPerThread; ++i) EXPECT_TRUE(pools[i].leave());
  EXPECT_FALSE(pools.front().leave()) << "no lease is held there any more";
}

TEST(PoolFastPath, UsingMorePoolsThanTheThreadHasEntriesForgetsOnlyAffinity) {
  TrackingSource source;
  std::deque<Pool> pools;
  for (unsigned i = 0; i < 2 * kMaxPoolsHeldPerThread; ++i) pools.emplace_back(source, PoolLimits{0, 2});
  std::string error;
  Instance *first = pools.front().enter(error);
  pools.front().leave();
  for (Pool &pool : pools) {  // more pools than entries: the first pool's entry is reused
    ASSERT_NE(pool.enter(error), nullptr) << error;
    pool.leave();
  }
  EXPECT_EQ(pools.front().enter(error), first) << "the idle instance is found by the slow path";
  pools.front().leave();
  EXPECT_EQ(pools.front().stats().calls, 3u);
  EXPECT_EQ(pools.front().stats().live_instances, 1u);
}

}  // namespace
}  // namespace shimpool
