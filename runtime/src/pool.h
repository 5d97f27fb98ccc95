// The instance pool: lazy creation up to a maximum, blocking wait (bounded by
// an optional timeout) when every instance is busy, prewarming, idle eviction,
// and per-thread nesting so a callback that re-enters the shim reuses the
// instance its thread already holds instead of deadlocking.
//
// Each instance sits in a slot whose state word says who may use it. A thread
// takes its last instance back with one compare-and-swap on that word and
// gives it back with one store: no lock while the thread's instance is idle.
// Everything else (choosing another instance, creating, waiting, evicting)
// runs under the pool's mutex and claims slots through the same word.
#pragma once

#include <atomic>
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

struct HeldLease;

struct PoolLimits {
  unsigned min_instances = 0;  // kept loaded (prewarmed, never evicted below)
  unsigned max_instances = 1;
  std::chrono::milliseconds idle_timeout{0};     // 0: never evict
  std::chrono::milliseconds acquire_timeout{0};  // 0: wait as long as it takes
};

class Pool {
 public:
  using Clock = std::chrono::steady_clock;

  // The most instances one pool holds; a larger maximum is lowered to it.
  static constexpr unsigned kMaxInstances = 4096;  // as the configuration allows

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
  // `held`, if given, receives the thread's record of the lease for leave(HeldLease &).
  Instance *enter(std::string &error, Preference preference = Preference::Affinity,
                  HeldLease **held = nullptr);
  // Ends the innermost lease of this thread on this pool. Returns false when
  // the thread holds no lease here.
  bool leave();
  // The same, given the record enter() returned on this thread: no lookup.
  void leave(HeldLease &held);

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
  // One place for an instance. `state` packs the instance's serial with its
  // tag (idle or busy); 0 means empty. Serials never repeat, so a stale
  // expectation can never match a later instance in the same slot.
  struct alignas(64) Slot {  // a cache line each: threads release different slots
    std::atomic<uint64_t> state{0};
    std::atomic<uint64_t> leases{0};       // written only by the lease holder
    std::atomic<int64_t> released_at{0};   // steady-clock ns; kept only with eviction on
    std::unique_ptr<Instance> instance;    // changed under mutex_ while the slot is not leased
    bool pinned = false;                   // under mutex_
  };

  Slot *slot_of(uint64_t serial) const;  // nullptr for a serial no slot of this pool can hold
  Instance *try_take(uint64_t serial);  // the compare-and-swap fast path
  Instance *acquire_slow(std::string &error, uint64_t preferred, bool must_be_preferred);
  std::unique_ptr<Instance> create_distinct(std::string &error);  // called without mutex_
  bool is_distinct(const Instance &candidate) const;              // caller holds mutex_
  Instance *take_any_idle();                                      // caller holds mutex_
  bool is_live(uint64_t serial) const;
  Instance *add_live(std::unique_ptr<Instance> instance, bool leased);  // caller holds mutex_
  void count_lease(const Instance &instance);
  void wake_waiters();  // takes mutex_

  InstanceSource &source_;
  const PoolLimits limits_;
  const std::unique_ptr<Slot[]> slots_;

  // Threads that will sleep on idle_available_ or are about to re-check before
  // sleeping; a release notifies only when this is not zero.
  std::atomic<unsigned> waiters_{0};
  std::atomic<Instance *> pinned_{nullptr};

  mutable std::mutex mutex_;
  std::condition_variable idle_available_;
  unsigned live_ = 0;
  unsigned used_slots_ = 0;  // slots past this were never filled
  unsigned creating_ = 0;
  uint64_t next_sequence_ = 1;
  unsigned particular_waiters_ = 0;
  // After a creation fails while other instances are live, calls wait for
  // those instead of each paying for another failed load, until this time;
  // the delay doubles with each failure in a row.
  Clock::time_point creation_retry_at_{};
  std::chrono::milliseconds creation_backoff_{0};
  // waits, wait_ns, creations, failures, evictions, timeouts, and the calls
  // that got no instance or whose slot was evicted since.
  shimpool_stats counters_{};
};

}  // namespace shimpool
