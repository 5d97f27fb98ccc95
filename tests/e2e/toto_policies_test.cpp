// Policies and sessions through a real shim. The same program runs against
// the toto shim generated with examples/toto/toto.policy.toml ("policies") and
// against one generated without it, where every function is pooled ("plain"):
// each test asserts what the policy achieves and that it fails without it.
#include <stdlib.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <future>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "host_support.h"
#include "toto_shimpool.h"

namespace {

using namespace std::chrono_literals;

bool with_policies() {
  const char *expect = getenv("SHIMPOOL_TEST_EXPECT");
  return expect && std::string(expect) == "policies";
}

uint64_t calls_so_far() {
  shimpool_stats stats{};
  shimpool_toto_stats(&stats, sizeof stats);
  return stats.calls;
}

// One session per instance: sessions reserve distinct instances, which lets a
// test address each of them.
struct Sessions {
  std::vector<shimpool_session *> all;
  explicit Sessions(int count) {
    for (int i = 0; i < count; ++i) all.push_back(shimpool_toto_session_open());
  }
  ~Sessions() {
    for (shimpool_session *session : all) shimpool_toto_session_close(session);
  }
};

TEST(Setup, ExpectationIsKnown) {
  const char *expect = getenv("SHIMPOOL_TEST_EXPECT");
  ASSERT_TRUE(expect && (std::string(expect) == "policies" || std::string(expect) == "plain"))
      << "set SHIMPOOL_TEST_EXPECT=policies or plain";
}

TEST(Sessions, DistinctSessionsHoldDistinctInstances) {
  Sessions sessions(4);
  std::set<const void *> ids;
  for (shimpool_session *session : sessions.all) ids.insert(toto_instance_id_session(session));
  EXPECT_EQ(ids.size(), 4u);
}

TEST(Broadcast, AnOptionSetOnceIsSeenByEveryInstanceEvenLaterOnes) {
  std::string name = "opt-" + std::to_string(toto_host::process_id());
  {
    Sessions before(3);  // three live instances, reserved, while the option is set
    toto_set_option(name.c_str(), 42);
    int seen = 0;
    for (shimpool_session *session : before.all) seen += toto_get_option_session(session, name.c_str()) == 42;
    if (with_policies())
      EXPECT_EQ(seen, 3) << "instances busy in sessions replay the broadcast on their next call";
    else
      EXPECT_EQ(seen, 0) << "without broadcast, the option stays on the instance that set it";
  }
  Sessions all(8);  // the maximum: includes instances created after the call
  int seen = 0;
  for (shimpool_session *session : all.all) seen += toto_get_option_session(session, name.c_str()) == 42;
  if (with_policies())
    EXPECT_EQ(seen, 8);
  else
    EXPECT_LE(seen, 1);
}

TEST(Sticky, TheErrorIsReadWhereTheFailingCallRan) {
  EXPECT_EQ(toto_parse_number("12x"), -1);  // error 3, on the instance this thread used
  const void *ours = toto_instance_id();    // affinity: the same instance
  // Another caller reserves that instance: it opens sessions until it holds it,
  // then gives the others back.
  std::promise<void> reserved;
  auto other = std::async(std::launch::async, [&] {
    std::vector<shimpool_session *> others;
    shimpool_session *held = nullptr;
    while (!held) {
      shimpool_session *session = shimpool_toto_session_open();
      (toto_instance_id_session(session) == ours ? held : others.emplace_back()) = session;
    }
    for (shimpool_session *session : others) shimpool_toto_session_close(session);
    reserved.set_value();
    std::this_thread::sleep_for(100ms);
    shimpool_toto_session_close(held);
  });
  reserved.get_future().wait();
  const int error = toto_last_error();
  other.get();
  if (with_policies())
    EXPECT_EQ(error, 3) << "sticky waits for the instance that holds the error";
  else
    EXPECT_EQ(error, 0) << "pooled, the getter ran on another instance";
}

TEST(Init, EveryInstanceIsInitialisedBeforeItsFirstCall) {
  Sessions sessions(4);
  int initialised = 0;
  for (shimpool_session *session : sessions.all) initialised += toto_is_initialized_session(session);
  EXPECT_EQ(initialised, with_policies() ? 4 : 0);
}

TEST(Direct, RunsWithoutALease) {
  const uint64_t before = calls_so_far();
  EXPECT_STREQ(toto_version(), "toto 1.0");
  EXPECT_EQ(calls_so_far() - before, with_policies() ? 0u : 1u);
}

TEST(Sessions, ThreadBoundSessionKeepsOneInstanceAgainstConcurrentCallers) {
  std::atomic<bool> stop{false};
  std::thread noise([&] {
    while (!stop) toto_counter_add(1000);  // other instances' counters move too
  });
  ASSERT_EQ(shimpool_toto_session_begin(), 0);
  const int first = toto_counter_add(1);
  bool consecutive = true;
  for (int i = 2; i <= 200; ++i) consecutive &= toto_counter_add(1) == first + i - 1;
  ASSERT_EQ(shimpool_toto_session_end(), 0);
  stop = true;
  noise.join();
  EXPECT_TRUE(consecutive) << "every call of the session ran on the session's instance";
  EXPECT_EQ(shimpool_toto_session_end(), -1) << "end without begin";
}

TEST(Sessions, HandleSessionSerializesCallsFromManyThreads) {
  shimpool_session *session = shimpool_toto_session_open();
  const int start = toto_counter_add_session(session, 0);
  std::vector<std::thread> threads;
  std::vector<int> results(4 * 100);
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) results[t * 100 + i] = toto_counter_add_session(session, 1);
    });
  for (auto &thread : threads) thread.join();
  EXPECT_EQ(toto_counter_add_session(session, 0), start + 400);
  EXPECT_EQ(std::set<int>(results.begin(), results.end()).size(), 400u)
      << "every call saw the previous one's result: they ran one at a time on one instance";
  shimpool_stats stats{};
  shimpool_toto_stats(&stats, sizeof stats);
  EXPECT_EQ(stats.sessions_open, 1u);
  shimpool_toto_session_close(session);
}

TEST(Probe, ReportsReadiness) {
  char message[256] = {};
  EXPECT_EQ(shimpool_toto_probe(message, sizeof message), 0);
  EXPECT_STREQ(message, "ready");
}

}  // namespace
