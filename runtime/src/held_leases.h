// The leases the current thread holds, one slot per pool. Kept in a fixed,
// trivially destructible thread_local array: nothing to run at thread exit,
// which matters when threads outlive a shim's use.
#pragma once

#include <cstdint>

namespace shimpool {

struct Instance;
class Pool;

struct HeldLease {
  const Pool *pool = nullptr;
  Instance *instance = nullptr;
  unsigned depth = 0;
  // The instance belongs to a handle-form session, which returns it itself:
  // ending the lease must not give it back to the pool.
  bool borrowed = false;
};

// The slot of `pool` for this thread, or nullptr if the thread holds none.
HeldLease *find_held_lease(const Pool *pool);
// A free slot for `pool`, or nullptr when the thread already holds leases on
// the maximum number of pools at once.
HeldLease *claim_held_lease(const Pool *pool);

inline constexpr unsigned kMaxPoolsHeldPerThread = 8;

// The serial of the instance this thread last leased from `pool`, or 0. Used
// for affinity (an idle last instance is taken first) and the sticky policy.
uint64_t last_instance_of(const Pool *pool);
void remember_last_instance(const Pool *pool, uint64_t serial);

}  // namespace shimpool
