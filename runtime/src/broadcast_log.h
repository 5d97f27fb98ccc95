// The calls of `broadcast` functions (global option setters), recorded in
// order so that every instance, live or created later, replays each exactly
// once before it next serves a call. Recorded calls live as long as the process.
#pragma once

#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "instance.h"
#include "shimpool/shim_runtime.h"

namespace shimpool {

class BroadcastLog {
 public:
  // Replays on `instance` the calls it has not seen. The caller holds its lease.
  void catch_up(Instance &instance);
  // Brings the leased `instance` up to date, then records a new call that
  // counts as applied on it (the caller is about to make that call there).
  void record(Instance &instance, shimpool_replay_fn replay, const void *arguments, size_t size);

 private:
  struct Call {
    shimpool_replay_fn replay;
    std::unique_ptr<unsigned char[]> arguments;
  };
  void replay_missing(Instance &instance);  // caller holds mutex_

  std::mutex mutex_;
  std::deque<Call> calls_;
  std::atomic<size_t> size_{0};  // read without the lock on every lease
};

}  // namespace shimpool
