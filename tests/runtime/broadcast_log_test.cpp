// Broadcast calls reach every instance exactly once, in order, whenever it
// next serves a call or is created.
#include "broadcast_log.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace shimpool {
namespace {

// The "real function" of a fake instance appends to a per-instance journal,
// which the instance's single function slot points at.
struct Journal {
  std::vector<int> values;
};

void replay_append(void *const *functions, const void *arguments) {
  static_cast<Journal *>(functions[0])->values.push_back(*static_cast<const int *>(arguments));
}

Instance make_instance(Journal &journal) {
  Instance instance;
  instance.functions.push_back(&journal);
  return instance;
}

TEST(BroadcastLog, OtherInstancesReplayInOrderOnTheirNextLease) {
  BroadcastLog log;
  Journal ja, jb;
  Instance a = make_instance(ja), b = make_instance(jb);
  for (int value : {1, 2, 3}) {
    log.record(a, replay_append, &value, sizeof value);
    ja.values.push_back(value);  // the real call the wrapper makes on its own instance
  }
  EXPECT_EQ(ja.values, (std::vector<int>{1, 2, 3})) << "no replay on the recording instance";
  EXPECT_TRUE(jb.values.empty()) << "busy instances are not touched while leased elsewhere";
  log.catch_up(b);
  EXPECT_EQ(jb.values, (std::vector<int>{1, 2, 3}));
  log.catch_up(b);
  EXPECT_EQ(jb.values.size(), 3u) << "each call is replayed once";
}

TEST(BroadcastLog, NewInstancesGetTheWholeHistory) {
  BroadcastLog log;
  Journal ja, jc;
  Instance a = make_instance(ja);
  int value = 7;
  log.record(a, replay_append, &value, sizeof value);
  value = 8;  // the log keeps its own copy of the arguments
  log.record(a, replay_append, &value, sizeof value);
  Instance c = make_instance(jc);
  log.catch_up(c);
  EXPECT_EQ(jc.values, (std::vector<int>{7, 8}));
}

TEST(BroadcastLog, RecordingFirstCatchesUpOnCallsRecordedMeanwhile) {
  BroadcastLog log;
  Journal ja, jb;
  Instance a = make_instance(ja), b = make_instance(jb);
  int first = 1, second = 2;
  log.record(a, replay_append, &first, sizeof first);
  // b was leased before `first` was recorded and now records its own call:
  // `first` is applied to b before `second` is recorded.
  log.record(b, replay_append, &second, sizeof second);
  EXPECT_EQ(jb.values, (std::vector<int>{1}));
  log.catch_up(a);
  EXPECT_EQ(ja.values, (std::vector<int>{2}));
}

}  // namespace
}  // namespace shimpool
