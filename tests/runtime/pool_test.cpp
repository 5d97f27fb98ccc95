// Pool semantics against a fake instance source: lazy creation up to the
// maximum, blocking when every instance is busy, nesting, failures.
#include "pool.h"
#include "sessions.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

namespace shimpool {
namespace {

using namespace std::chrono_literals;

class FakeSource : public InstanceSource {
 public:
  std::unique_ptr<Instance> create(std::string &error) override {
    ++attempts;
    if (fail_next.exchange(false) || fail_always) {
      error = "fake creation failure";
      return nullptr;
    }
    auto instance = std::make_unique<Instance>();
    instance->library = reinterpret_cast<void *>(static_cast<uintptr_t>(++created));
    instance->functions.push_back(instance->library);
    return instance;
  }
  void destroy(Instance &) noexcept override { ++destroyed; }

  std::atomic<int> created{0};
  std::atomic<int> destroyed{0};
  std::atomic<bool> fail_next{false};
  std::atomic<bool> fail_always{false};
  std::atomic<int> attempts{0};
};

// A source that hands out the same library twice, like a loader that was
// fooled into returning an already-loaded copy.
class RepeatingSource : public FakeSource {
 public:
  std::unique_ptr<Instance> create(std::string &) override {
    auto instance = std::make_unique<Instance>();
    instance->library = &token;
    return instance;
  }
  int token = 0;
};

TEST(Pool, CreatesInstancesLazily) {
  FakeSource source;
  Pool pool(source, PoolLimits{0, 4});
  EXPECT_EQ(pool.stats().live_instances, 0u);
  std::string error;
  Instance *first = pool.enter(error);
  ASSERT_NE(first, nullptr);
  pool.leave();
  Instance *second = pool.enter(error);
  EXPECT_EQ(second, first) << "an idle instance is reused before a new one is created";
  pool.leave();
  EXPECT_EQ(source.created, 1);
  EXPECT_EQ(pool.stats().calls, 2u);
}

TEST(Pool, ConcurrentLeasesGetDistinctInstancesUpToTheMaximum) {
  FakeSource source;
  Pool pool(source, PoolLimits{0, 3});
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> entered{0};
  std::vector<Instance *> seen(3);
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back([&, i] {
      std::string error;
      seen[i] = pool.enter(error);
      ++entered;
      released.wait();
      pool.leave();
    });
  }
  while (entered < 3) std::this_thread::sleep_for(1ms);
  EXPECT_NE(seen[0], seen[1]);
  EXPECT_NE(seen[1], seen[2]);
  EXPECT_NE(seen[0], seen[2]);
  EXPECT_EQ(pool.stats().live_instances, 3u);
  EXPECT_EQ(pool.stats().idle_instances, 0u);
  release.set_value();
  for (auto &t : threads) t.join();
  EXPECT_EQ(pool.stats().idle_instances, 3u);
}

TEST(Pool, WaitsWhenEveryInstanceIsBusy) {
  FakeSource source;
  Pool pool(source, PoolLimits{0, 1});
  std::string error;
  Instance *held = pool.enter(error);
  ASSERT_NE(held, nullptr);

  std::atomic<bool> got{false};
  std::thread waiter([&] {
    std::string e;
    EXPECT_NE(pool.enter(e), nullptr);
    got = true;
    pool.leave();
  });
  std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(got) << "the second caller must wait for the only instance";
  pool.leave();
  waiter.join();
  EXPECT_TRUE(got);
  shimpool_stats stats = pool.stats();
  EXPECT_EQ(stats.waits, 1u);
  EXPECT_GT(stats.wait_ns, 0u);
  EXPECT_EQ(source.created, 1);
}

TEST(Pool, NestedEnterOnOneThreadReusesTheHeldInstance) {
  FakeSource source;
  Pool pool(source, PoolLimits{0, 1});
  auto nested = std::async(std::launch::async, [&] {
    std::string error;
    Instance *outer = pool.enter(error);
    Instance *inner = pool.enter(error);  // a callback re-entering the shim
    bool same = inner == outer;
    pool.leave();
    pool.leave();
    return same;
  });
  ASSERT_EQ(nested.wait_for(10s), std::future_status::ready) << "nested enter deadlocked";
  EXPECT_TRUE(nested.get());
  EXPECT_EQ(pool.stats().calls, 1u) << "a nested call takes no new lease";
  EXPECT_EQ(pool.stats().idle_instances, 1u) << "the instance is back after the outer leave";
}

TEST(Pool, ReportsFailureWhenNoInstanceCanBeCreated) {
  FakeSource source;
  source.fail_next = true;
  Pool pool(source, PoolLimits{0, 2});
  std::string error;
  EXPECT_EQ(pool.enter(error), nullptr);
  EXPECT_EQ(error, "fake creation failure");
  EXPECT_EQ(pool.stats().creation_failures, 1u);
  // The thread's lease slot was given back: the next call works.
  Instance *instance = pool.enter(error);
  ASSERT_NE(instance, nullptr);
  pool.leave();
}

TEST(Pool, KeepsServingFromExistingInstancesWhenCreationFails) {
  FakeSource source;
  Pool pool(source, PoolLimits{0, 2});
  std::string error;
  Instance *held = pool.enter(error);
  ASSERT_NE(held, nullptr);
  source.fail_next = true;
  auto other = std::async(std::launch::async, [&] {
    std::string e;
    Instance *instance = pool.enter(e);  // creation fails: waits for the existing one
    pool.leave();
    return instance;
  });
  std::this_thread::sleep_for(50ms);
  pool.leave();
  ASSERT_EQ(other.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(other.get(), held);
  EXPECT_EQ(pool.stats().creation_failures, 1u);
}

TEST(Pool, AfterAFailedCreationOtherCallsWaitInsteadOfFailingAgain) {
  FakeSource source;
  Pool pool(source, PoolLimits{0, 3});
  std::string error;
  Instance *held = pool.enter(error);
  ASSERT_NE(held, nullptr);
  source.fail_always = true;
  auto waiter = [&] {
    std::string e;
    Instance *instance = pool.enter(e);  // cannot create: waits for the live one
    pool.leave();
    return instance;
  };
  auto first = std::async(std::launch::async, waiter);
  while (source.attempts < 2) std::this_thread::sleep_for(1ms);  // its creation failed
  auto second = std::async(std::launch::async, waiter);
  while (pool.stats().waits < 2) std::this_thread::sleep_for(1ms);
  pool.leave();
  EXPECT_EQ(first.get(), held);
  EXPECT_EQ(second.get(), held);
  EXPECT_EQ(source.attempts, 2) << "the second call backed off instead of loading again";
  EXPECT_EQ(pool.stats().creation_failures, 1u);
}

TEST(Pool, RejectsAnInstanceThatIsAlreadyLive) {
  RepeatingSource source;
  Pool pool(source, PoolLimits{0, 2});
  std::string error;
  Instance *first = pool.enter(error);
  ASSERT_NE(first, nullptr);
  auto second = std::async(std::launch::async, [&] {
    std::string e;
    Instance *instance = pool.enter(e);
    if (instance) pool.leave();
    return std::make_pair(instance, e);
  });
  // The duplicate is refused; the second caller then waits for the first instance.
  std::this_thread::sleep_for(50ms);
  pool.leave();
  auto [instance, e] = second.get();
  EXPECT_EQ(instance, first);
  EXPECT_EQ(pool.stats().live_instances, 1u);
  EXPECT_EQ(pool.stats().creation_failures, 1u);
  EXPECT_EQ(source.destroyed, 1);
}

TEST(Pool, DestroysItsInstances) {
  FakeSource source;
  {
    Pool pool(source, PoolLimits{0, 2});
    std::string error;
    ASSERT_NE(pool.enter(error), nullptr);
    pool.leave();
  }
  EXPECT_EQ(source.destroyed, 1);
}

TEST(Pool, AcquireTimeoutGivesUpWithAClearError) {
  FakeSource source;
  Pool pool(source, PoolLimits{0, 1, 0ms, 30ms});
  std::string error;
  ASSERT_NE(pool.enter(error), nullptr);
  auto other = std::async(std::launch::async, [&] {
    std::string e;
    Instance *instance = pool.enter(e);
    return std::make_pair(instance, e);
  });
  ASSERT_EQ(other.wait_for(10s), std::future_status::ready) << "the timeout did not fire";
  auto [instance, e] = other.get();
  EXPECT_EQ(instance, nullptr);
  EXPECT_EQ(e, "no instance became free within 30 ms (1 loaded, all busy)");
  EXPECT_EQ(pool.stats().acquire_timeouts, 1u);
  pool.leave();
}

TEST(Pool, PrewarmLoadsTheMinimumUpFront) {
  FakeSource source;
  Pool pool(source, PoolLimits{3, 5});
  std::string error;
  ASSERT_TRUE(pool.prewarm(error)) << error;
  shimpool_stats stats = pool.stats();
  EXPECT_EQ(stats.live_instances, 3u);
  EXPECT_EQ(stats.idle_instances, 3u);
  EXPECT_EQ(stats.calls, 0u) << "prewarming is not a call";
  // The first calls find instances ready: nothing more is created.
  ASSERT_NE(pool.enter(error), nullptr);
  pool.leave();
  EXPECT_EQ(source.created, 3);
}

TEST(Pool, PrewarmReportsFailure) {
  FakeSource source;
  source.fail_next = true;
  Pool pool(source, PoolLimits{2, 2});
  std::string error;
  EXPECT_FALSE(pool.prewarm(error));
  EXPECT_EQ(error, "fake creation failure");
  EXPECT_EQ(pool.stats().creation_failures, 1u);
}

TEST(Pool, EvictsInstancesIdleLongerThanTheTimeoutDownToTheMinimum) {
  FakeSource source;
  Pool pool(source, PoolLimits{1, 4, 100ms});
  std::promise<void> go;
  std::shared_future<void> released = go.get_future().share();
  std::atomic<int> entered{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i)
    threads.emplace_back([&] {
      std::string e;
      pool.enter(e);
      ++entered;
      released.wait();
      pool.leave();
    });
  while (entered < 3) std::this_thread::sleep_for(1ms);
  go.set_value();
  for (auto &t : threads) t.join();
  ASSERT_EQ(pool.stats().live_instances, 3u);

  EXPECT_EQ(pool.evict_idle(Pool::Clock::now()), 0u) << "not idle long enough yet";
  EXPECT_EQ(pool.evict_idle(Pool::Clock::now() + 150ms), 2u);
  shimpool_stats stats = pool.stats();
  EXPECT_EQ(stats.live_instances, 1u) << "the minimum stays loaded";
  EXPECT_EQ(stats.evictions, 2u);
  EXPECT_EQ(source.destroyed, 2) << "evicted instances are unloaded";
}

TEST(Pool, EvictionNeverTouchesLeasedInstances) {
  FakeSource source;
  Pool pool(source, PoolLimits{0, 2, 1ms});
  std::string error;
  Instance *held = pool.enter(error);
  ASSERT_NE(held, nullptr);
  EXPECT_EQ(pool.evict_idle(Pool::Clock::now() + 1h), 0u);
  pool.leave();
  EXPECT_EQ(pool.evict_idle(Pool::Clock::now() + 1h), 1u);
}

TEST(Pool, AnIdleLastInstanceIsPreferred) {
  FakeSource source;
  Pool pool(source, PoolLimits{0, 2});
  std::string error;
  // Two instances exist; this thread last used the first one.
  Instance *first = pool.enter(error);
  auto other = std::async(std::launch::async, [&] {
    std::string e;
    Instance *instance = pool.enter(e);
    pool.leave();
    return instance;
  });
  Instance *second = other.get();
  ASSERT_NE(first, second);
  pool.leave();  // idle order now: second, first
  EXPECT_EQ(pool.enter(error), first) << "affinity: the thread's own last instance";
  pool.leave();
}

TEST(Pool, StickyWaitsForTheThreadsLastInstance) {
  FakeSource source;
  Pool pool(source, PoolLimits{0, 2});
  std::string error;
  Instance *mine = pool.enter(error);
  pool.leave();

  // Another thread takes "my" instance; a sticky call must wait for it, not
  // take or create another one.
  std::promise<void> taken, give_back;
  std::thread holder([&] {
    std::string e;
    Instance *instance = pool.acquire(e, mine->serial, true);
    EXPECT_EQ(instance, mine);
    taken.set_value();
    give_back.get_future().wait();
    pool.release(instance);
  });
  taken.get_future().wait();
  auto sticky = std::async(std::launch::async, [&] { return pool.acquire(error, mine->serial, true); });
  EXPECT_EQ(sticky.wait_for(50ms), std::future_status::timeout) << "sticky must wait";
  give_back.set_value();
  holder.join();
  EXPECT_EQ(sticky.get(), mine);
  EXPECT_EQ(source.created, 1) << "no second instance was made for the sticky call";
}

TEST(Pool, StickyFallsBackWhenItsInstanceWasEvicted) {
  FakeSource source;
  Pool pool(source, PoolLimits{0, 2, 1ms});
  std::string error;
  Instance *mine = pool.enter(error);
  const uint64_t serial = mine->serial;
  pool.leave();
  ASSERT_EQ(pool.evict_idle(Pool::Clock::now() + 1s), 1u);
  Instance *instance = pool.acquire(error, serial, true);
  ASSERT_NE(instance, nullptr);
  EXPECT_NE(instance->serial, serial);
  pool.release(instance);
}

TEST(Pool, PinnedInstanceIsNeverEvicted) {
  FakeSource source;
  Pool pool(source, PoolLimits{0, 2, 1ms});
  std::string error;
  Instance *pinned = pool.pinned(error);
  ASSERT_NE(pinned, nullptr);
  EXPECT_EQ(pool.pinned(error), pinned);
  EXPECT_EQ(pool.evict_idle(Pool::Clock::now() + 1s), 0u);
  EXPECT_EQ(pool.stats().live_instances, 1u);
  EXPECT_EQ(pool.stats().calls, 0u);
  EXPECT_EQ(pool.enter(error), pinned) << "the pinned instance still serves pooled calls";
  pool.leave();
}

class Sessions : public ::testing::Test {
 protected:
  FakeSource source;
  Pool pool{source, PoolLimits{0, 4}};
};

TEST_F(Sessions, CallsInASessionNestOnItsInstanceAndKeepItFromThePool) {
  std::string error;
  shimpool_session session;
  session.instance = pool.acquire(error);
  ASSERT_NE(session.instance, nullptr);

  shimpool_lease lease{};
  ASSERT_TRUE(enter_session(pool, session, lease, error)) << error;
  Instance *nested = pool.enter(error);  // a callback re-entering from the session call
  EXPECT_EQ(nested, session.instance);
  pool.leave();
  leave_session(pool, session, lease);

  EXPECT_EQ(pool.stats().idle_instances, 0u) << "the session still owns its instance";
  pool.release(session.instance);
  EXPECT_EQ(pool.stats().idle_instances, 1u);
}

TEST_F(Sessions, ASessionCallInsideAPooledCallRestoresTheOuterLease) {
  std::string error;
  shimpool_session session;
  session.instance = pool.acquire(error);
  Instance *outer = pool.enter(error);
  ASSERT_NE(outer, session.instance);

  shimpool_lease lease{};
  ASSERT_TRUE(enter_session(pool, session, lease, error));
  EXPECT_EQ(pool.enter(error), session.instance);
  pool.leave();
  leave_session(pool, session, lease);

  EXPECT_EQ(pool.enter(error), outer) << "back on the thread's own instance";
  pool.leave();
  pool.leave();
  pool.release(session.instance);
  EXPECT_EQ(pool.stats().idle_instances, 2u);
}

TEST_F(Sessions, CallsOnOneSessionFromManyThreadsRunOneAtATime) {
  std::string error;
  shimpool_session session;
  session.instance = pool.acquire(error);
  std::atomic<int> inside{0};
  std::atomic<int> overlaps{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        shimpool_lease lease{};
        std::string e;
        ASSERT_TRUE(enter_session(pool, session, lease, e));
        if (inside.fetch_add(1) != 0) ++overlaps;
        std::this_thread::yield();
        inside.fetch_sub(1);
        leave_session(pool, session, lease);
      }
    });
  for (auto &t : threads) t.join();
  EXPECT_EQ(overlaps, 0);
  pool.release(session.instance);
}

}  // namespace
}  // namespace shimpool
