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
#include "shimpool/types.h"

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

  // Which instance a new lease prefers. Affinity: the thread's last instance
  // when it is idle, else any. Sticky: the thread's last instance, waiting for
  // it if it is busy (errno-style getters must read the state the thread's
  // previous call left).
  enum class Preference { Affinity, Sticky };

  // Leases an instance for this thread, or returns the one it already holds
  // (nesting). Returns nullptr with `error` set when no instance can be had.
  Instance *enter(std::string &error, Preference preference = Preference::Affinity);
  // Ends the innermost lease of this thread on this pool. Returns false when
  // the thread holds no lease here.
  bool leave();

  // Leases an instance with no thread attached (handle-form sessions).
  Instance *acquire(std::string &error, uint64_t preferred = 0, bool must_be_preferred = false);
  // An instance that stays loaded (never evicted), for functions that need no
  // lease at all (the `direct` policy). Creates one if none is live.
  Instance *pinned(std::string &error);
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
  Instance *acquire_locked(std::string &error, uint64_t preferred, bool must_be_preferred);
  Instance *take_idle(uint64_t preferred);                        // caller holds mutex_
  Instance *take_idle_serial(uint64_t serial);                    // caller holds mutex_
  bool is_live(uint64_t serial) const;                            // caller holds mutex_
  bool has_idle_serial(uint64_t serial) const;                    // caller holds mutex_
  void notify_idle(std::unique_lock<std::mutex> &lock);           // unlocks
  void add_live(std::unique_ptr<Instance> instance);              // caller holds mutex_

  InstanceSource &source_;
  const PoolLimits limits_;

  mutable std::mutex mutex_;
  std::condition_variable idle_available_;
  std::vector<std::unique_ptr<Instance>> live_;
  std::vector<Instance *> idle_;  // most recently released last
  unsigned creating_ = 0;
  uint64_t next_serial_ = 1;
  unsigned particular_waiters_ = 0;
  Instance *pinned_ = nullptr;

  shimpool_stats counters_{};  // calls, waits, wait_ns, creations, failures, evictions, timeouts
};

}  // namespace shimpool
