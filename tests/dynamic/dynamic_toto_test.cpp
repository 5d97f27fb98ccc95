// The toto scenarios of tests/e2e, through a dynamic pool of the original
// libtoto.so, with nothing generated. Each claim is shown both ways in one
// process: the original library called directly from threads corrupts
// results, and a host lock around every call deadlocks the wait/signal pair,
// while the same calls through shimpool_pool_call are exact and the wait
// returns. Policies and sessions are shown against the same function
// described as plain pooled.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <future>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "dynamic_test_support.h"
#include "host_support.h"

namespace {

using namespace std::chrono_literals;
using namespace dynamic_test;

// ---- The original library, called directly -------------------------------

struct Original {
  int (*foo)(int, int) = nullptr;
  void (*bar)(char *) = nullptr;
  int (*wait_event)(const char *, int) = nullptr;
  void (*signal_event)(const char *) = nullptr;

  Original() {
    void *library = dlopen(TOTO_LIBRARY, RTLD_NOW | RTLD_LOCAL);
    if (!library) {
      ADD_FAILURE() << "cannot load " << TOTO_LIBRARY << ": " << dlerror();
      return;
    }
    foo = reinterpret_cast<int (*)(int, int)>(dlsym(library, "toto_foo"));
    bar = reinterpret_cast<void (*)(char *)>(dlsym(library, "toto_bar"));
    wait_event = reinterpret_cast<int (*)(const char *, int)>(dlsym(library, "toto_wait_event"));
    signal_event = reinterpret_cast<void (*)(const char *)>(dlsym(library, "toto_signal_event"));
  }
};

// ---- The same calls through a dynamic pool ------------------------------

struct Pooled {
  TestPool &pool;
  shimpool_function *foo, *bar, *wait_event, *signal_event;

  explicit Pooled(TestPool &p)
      : pool(p),
        foo(p.function("toto_foo", "i32(i32,i32)")),
        bar(p.function("toto_bar", "void(ptr)")),
        wait_event(p.function("toto_wait_event", "i32(str,i32)")),
        signal_event(p.function("toto_signal_event", "void(str)")) {}
};

// How a workload reaches the library: directly, or through the pool.
struct Calls {
  std::function<int(int, int)> foo;
  std::function<void(char *)> bar;
  std::function<int(const char *, int)> wait_event;
  std::function<void(const char *)> signal_event;
};

Calls direct_calls(const Original &original) {
  return {original.foo, original.bar, original.wait_event, original.signal_event};
}

Calls pooled_calls(Pooled &p) {
  return {[&p](int a, int b) {
            return p.pool.call(p.foo, {i32(a), i32(b)}).i32;
          },
          [&p](char *text) { p.pool.call(p.bar, {ptr(text)}); },
          [&p](const char *path, int timeout) {
            return p.pool.call(p.wait_event, {str(path), i32(timeout)}).i32;
          },
          [&p](const char *path) { p.pool.call(p.signal_event, {str(path)}); }};
}

std::string thread_text(int thread) {
  return "thread-" + std::to_string(thread) + "-" +
         std::string(10 + thread % 37, char('a' + thread % 26));
}

std::string uppercase(std::string text) {
  for (char &c : text) c = char(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

// `threads` threads at once, `calls` calls each of toto_foo and toto_bar;
// returns how many results were not exact.
long count_wrong_results(const Calls &library, int threads, int calls) {
  std::vector<long> wrong(threads);
  toto_host::Latch start(threads);
  {
    std::vector<std::jthread> workers;
    for (int t = 0; t < threads; ++t)
      workers.emplace_back([&, t] {
        const std::string text = thread_text(t);
        const std::string expected = uppercase(text);
        start.arrive_and_wait();
        for (int i = 0; i < calls; ++i) {
          const int a = t * 1000000 + i;
          if (library.foo(a, t) != a + t) ++wrong[t];
          char buffer[256];
          std::memcpy(buffer, text.c_str(), text.size() + 1);
          library.bar(buffer);
          if (expected != buffer) ++wrong[t];
        }
      });
  }
  long total = 0;
  for (long w : wrong) total += w;
  return total;
}

// A waits for the event (up to timeout_ms), B sets it 50 ms after A is about
// to wait. With host_mutex both hold it, as a host serializing all calls
// would, and A takes it first. Returns toto_wait_event's result.
int wait_and_signal(const Calls &library, int timeout_ms, std::mutex *host_mutex) {
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
      result = library.wait_event(event.c_str(), timeout_ms);
    });
    std::jthread signaller([&] {
      waiter_ready.wait();
      std::this_thread::sleep_for(50ms);
      auto lock = host_lock();
      library.signal_event(event.c_str());
    });
  }
  return result;
}

// ---- Concurrency ------------------------------------------------------------

TEST(Concurrency, TheOriginalCorruptsConcurrentResults) {
  Original original;
  ASSERT_TRUE(original.foo && original.bar);
  EXPECT_GT(count_wrong_results(direct_calls(original), 8, 2000), 0)
      << "the original library should corrupt concurrent results; without that, the pool's "
         "exact results prove nothing";
}

TEST(Concurrency, ThePoolGivesExactResults) {
  TestPool pool(TOTO_LIBRARY, options(8));
  ASSERT_TRUE(pool.ok());
  Pooled pooled(pool);
  EXPECT_EQ(count_wrong_results(pooled_calls(pooled), 8, 2000), 0)
      << "concurrent calls through the pool must each run on their own instance";
  const shimpool_stats stats = pool.stats();
  EXPECT_GE(stats.live_instances, 2u);
  EXPECT_EQ(stats.calls, 8u * 2000u * 2u) << "one lease per call";
  EXPECT_EQ(stats.creation_failures, 0u);
}

TEST(Concurrency, AHostLockAroundTheOriginalDeadlocksTheWait) {
  Original original;
  ASSERT_TRUE(original.wait_event && original.signal_event);
  std::mutex host_mutex;
  EXPECT_EQ(wait_and_signal(direct_calls(original), 500, &host_mutex), 0)
      << "under one global lock the wait should time out: the signal needs the lock it holds";
}

TEST(Concurrency, ThePoolRunsTheWaitAndTheSignalOnTwoInstances) {
  TestPool pool(TOTO_LIBRARY, options(8));
  ASSERT_TRUE(pool.ok());
  Pooled pooled(pool);
  EXPECT_EQ(wait_and_signal(pooled_calls(pooled), 10000, nullptr), 1)
      << "the wait should see the event the other thread sets";
  EXPECT_GE(pool.stats().live_instances, 2u);
}

// ---- Nesting ----------------------------------------------------------------

struct Reentry {
  TestPool *pool;
  shimpool_function *foo;
};

int add_one_through_the_pool(int value, void *context) {
  auto *reentry = static_cast<Reentry *>(context);
  return reentry->pool->call(reentry->foo, {i32(value), i32(1)}).i32;
}

TEST(Nesting, ACallbackReentersOnItsThreadsInstance) {
  TestPool pool(TOTO_LIBRARY, options(1));  // one instance: a second lease would deadlock
  ASSERT_TRUE(pool.ok());
  Reentry reentry{&pool, pool.function("toto_foo", "i32(i32,i32)")};
  shimpool_function *apply = pool.function("toto_apply", "i32(ptr,i32,ptr)");
  ASSERT_TRUE(reentry.foo && apply);

  std::promise<int> result;
  std::future<int> future = result.get_future();
  std::thread caller([&] {
    auto callback = reinterpret_cast<void *>(&add_one_through_the_pool);
    result.set_value(pool.call(apply, {ptr(callback), i32(41), ptr(&reentry)}).i32);
  });
  if (future.wait_for(10s) != std::future_status::ready) {
    ADD_FAILURE() << "the callback's nested call deadlocked: still blocked after 10 s with one "
                     "instance (a nested call must reuse the thread's instance)";
    std::fflush(nullptr);
    _exit(1);  // the hung thread cannot be joined
  }
  caller.join();
  EXPECT_EQ(future.get(), 42);
  EXPECT_EQ(pool.stats().calls, 1u) << "the nested call is not a lease of its own";
}

// ---- Sessions -----------------------------------------------------------------

TEST(Sessions, DistinctSessionsHoldDistinctInstances) {
  TestPool pool(TOTO_LIBRARY, options(8));
  ASSERT_TRUE(pool.ok());
  shimpool_function *instance_id = pool.function("toto_instance_id", "ptr()");
  Sessions sessions(pool, 4);
  std::set<void *> ids;
  for (shimpool_session *session : sessions.all) ids.insert(pool.call_on(session, instance_id).ptr);
  EXPECT_EQ(ids.size(), 4u);
  EXPECT_EQ(pool.stats().sessions_open, 4u);
}

TEST(Sessions, AHandleSessionSerializesCallsFromManyThreads) {
  TestPool pool(TOTO_LIBRARY, options(8));
  ASSERT_TRUE(pool.ok());
  shimpool_function *counter_add = pool.function("toto_counter_add", "i32(i32)");
  shimpool_session *session = pool.open_session();
  ASSERT_TRUE(session);
  const int start = pool.call_on(session, counter_add, {i32(0)}).i32;
  std::vector<int> results(4 * 100);
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&, t] {
        for (int i = 0; i < 100; ++i) {
          results[t * 100 + i] = pool.call_on(session, counter_add, {i32(1)}).i32;
          pool.call(counter_add, {i32(1000)});  // outside the session: another instance
        }
      });
  }
  EXPECT_EQ(pool.call_on(session, counter_add, {i32(0)}).i32, start + 400);
  EXPECT_EQ(std::set<int>(results.begin(), results.end()).size(), 400u)
      << "every call saw the previous one's result: they ran one at a time on one instance";
  shimpool_pool_session_close(pool.get(), session);
  EXPECT_EQ(pool.stats().sessions_open, 0u);
}

TEST(Sessions, AThreadBoundSessionKeepsOneInstanceAgainstConcurrentCallers) {
  TestPool pool(TOTO_LIBRARY, options(8));
  ASSERT_TRUE(pool.ok());
  shimpool_function *counter_add = pool.function("toto_counter_add", "i32(i32)");
  std::atomic<bool> stop{false};
  std::thread noise([&] {
    while (!stop) pool.call(counter_add, {i32(1000)});
  });
  char error[256] = {};
  ASSERT_EQ(shimpool_pool_session_begin(pool.get(), error, sizeof error), 0) << error;
  const int first = pool.call(counter_add, {i32(1)}).i32;
  bool consecutive = true;
  for (int i = 2; i <= 200; ++i)
    consecutive &= pool.call(counter_add, {i32(1)}).i32 == first + i - 1;
  EXPECT_EQ(shimpool_pool_session_end(pool.get()), 0);
  stop = true;
  noise.join();
  EXPECT_TRUE(consecutive) << "every call of the session ran on the session's instance";
  EXPECT_EQ(shimpool_pool_session_end(pool.get()), -1) << "end without begin";
}

// ---- Policies: each against the same function described as pooled ---------

TEST(Policies, ABroadcastIsSeenByEveryInstanceEvenLaterOnes) {
  // Four instances per pool: sanitizer builds load namespaces, about a dozen per process.
  for (const char *policy : {"broadcast", "pooled"}) {
    SCOPED_TRACE(policy);
    const bool broadcast = std::string(policy) == "broadcast";
    TestPool pool(TOTO_LIBRARY, options(4));
    ASSERT_TRUE(pool.ok());
    shimpool_function *set_option = pool.function("toto_set_option", "i32(str,i32)", policy);
    shimpool_function *get_option = pool.function("toto_get_option", "i32(str)");
    {
      Sessions before(pool, 2);  // live and reserved while the option is set
      std::string name = "option";
      pool.call(set_option, {str(name.c_str()), i32(42)});
      name = "clobbered";  // the broadcast kept its own copy of the string
      int seen = 0;
      for (shimpool_session *session : before.all)
        seen += pool.call_on(session, get_option, {str("option")}).i32 == 42;
      EXPECT_EQ(seen, broadcast ? 2 : 0);
    }
    Sessions all(pool, 4);  // the maximum: includes instances created after the call
    int seen = 0;
    for (shimpool_session *session : all.all)
      seen += pool.call_on(session, get_option, {str("option")}).i32 == 42;
    if (broadcast)
      EXPECT_EQ(seen, 4);
    else
      EXPECT_LE(seen, 1);
  }
}

TEST(Policies, StickyReadsTheErrorWhereTheFailingCallRan) {
  for (const char *policy : {"sticky", "pooled"}) {
    SCOPED_TRACE(policy);
    TestPool pool(TOTO_LIBRARY, options(8));
    ASSERT_TRUE(pool.ok());
    shimpool_function *parse = pool.function("toto_parse_number", "i32(str)");
    shimpool_function *last_error = pool.function("toto_last_error", "i32()", policy);
    EXPECT_EQ(pool.call(parse, {str("12x")}).i32, -1);  // error 3, on this thread's instance
    // Another caller reserves the most recently released instance: ours.
    std::promise<void> reserved;
    auto other = std::async(std::launch::async, [&] {
      shimpool_session *session = pool.open_session();
      reserved.set_value();
      std::this_thread::sleep_for(100ms);
      shimpool_pool_session_close(pool.get(), session);
    });
    reserved.get_future().wait();
    const int error = pool.call(last_error).i32;
    other.get();
    EXPECT_EQ(error, std::string(policy) == "sticky" ? 3 : 0);
  }
}

TEST(Policies, InitFunctionsRunOnEveryInstanceBeforeItsFirstCall) {
  for (const char *init : {"toto_init", ""}) {
    SCOPED_TRACE(init);
    shimpool_pool_options opts = options(8);
    opts.init_functions = init;
    TestPool pool(TOTO_LIBRARY, opts);
    ASSERT_TRUE(pool.ok());
    shimpool_function *is_initialized = pool.function("toto_is_initialized", "i32()");
    Sessions sessions(pool, 4);
    int initialised = 0;
    for (shimpool_session *session : sessions.all)
      initialised += pool.call_on(session, is_initialized).i32;
    EXPECT_EQ(initialised, *init ? 4 : 0);
  }
}

TEST(Policies, DirectRunsWithoutALease) {
  for (const char *policy : {"direct", "pooled"}) {
    SCOPED_TRACE(policy);
    TestPool pool(TOTO_LIBRARY, options(8));
    ASSERT_TRUE(pool.ok());
    shimpool_function *version = pool.function("toto_version", "str()", policy);
    const uint64_t before = pool.stats().calls;
    EXPECT_STREQ(pool.call(version).str, "toto 1.0");
    EXPECT_EQ(pool.stats().calls - before, std::string(policy) == "direct" ? 0u : 1u);
  }
}

}  // namespace
