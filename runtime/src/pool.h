// The instance pool: lazy creation up to a maximum, blocking wait (bounded by
// an optional timeout) when every instance is busy, prewarming, idle eviction,
// and per-thread nesting so a callback that re-enters the shim reuses the
// instance its thread already holds instead of deadlocking.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "instance.h"
#include "shimpool/stats.h"

namespace shimpool {

struct PoolLimits {
  unsigned min_instances = 0;  // kept loaded (prewarmed, never evicted below)
  unsigned max_instances = 1;
  std::chrono::milliseconds idle_timeout{0};     // 0: never evict
  std::chrono::milliseconds acquire_timeout{0};  // 0: wait as long as it takes
};

class Pool {
 public:
  using Clock = std::chrono::steady_clock;

  Pool(InstanceSource &source, PoolLimits limits);
  Pool(const Pool &) = delete;
  Pool &operator=(const Pool &) = delete;
  ~Pool();

  // Leases an instance for this thread, or returns the one it already holds
  // (nesting). Returns nullptr with `error` set when no instance can be had.
  Instance *enter(std::string &error);
  // Ends the innermost lease of this thread on this pool. Returns false when
  // the thread holds no lease here.
  bool leave();

  // Leases an instance with no thread attached (handle-form sessions).
  Instance *acquire(std::string &error);
  void release(Instance *instance);

  // Loads instances until min_instances are live. Returns false with `error`
  // set if a creation failed.
  bool prewarm(std::string &error);
  // Unloads instances idle since before `now - idle_timeout`, keeping min_instances.
  // Returns how many were unloaded.
  unsigned evict_idle(Clock::time_point now);

  shimpool_stats stats() const;
  const PoolLimits &limits() const { return limits_; }

 private:
  std::unique_ptr<Instance> create_distinct(std::string &error);  // called without mutex_
  bool is_distinct(const Instance &candidate) const;              // caller holds mutex_

  InstanceSource &source_;
  const PoolLimits limits_;

  mutable std::mutex mutex_;
  std::condition_variable idle_available_;
  std::vector<std::unique_ptr<Instance>> live_;
  std::vector<Instance *> idle_;  // most recently released last
  unsigned creating_ = 0;

  shimpool_stats counters_{};  // calls, waits, wait_ns, creations, failures, evictions, timeouts
};

}  // namespace shimpool
