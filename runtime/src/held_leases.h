// What the current thread knows about each pool it uses: the lease it holds
// (for nesting) and the instance it last leased (for affinity and the sticky
// policy). Kept in a fixed, trivially destructible thread_local array that one
// scan searches: nothing to run at thread exit, which matters when threads
// outlive a shim's use, and one lookup per call on the fast path.
#pragma once

#include <cstdint>

namespace shimpool {

struct Instance;
class Pool;

struct HeldLease {
  Pool *pool = nullptr;
  Instance *instance = nullptr;  // the lease held while depth > 0
  unsigned depth = 0;            // 0: no lease held; the entry only remembers last_serial
  // The instance belongs to a handle-form session, which returns it itself:
  // ending the lease must not give it back to the pool.
  bool borrowed = false;
  uint64_t last_serial = 0;  // the instance this thread last leased from `pool`, or 0

  // Ends the held lease; keeps what the entry remembers.
  void clear_lease() {
    instance = nullptr;
    depth = 0;
    borrowed = false;
  }
};

inline constexpr unsigned kMaxPoolsHeldPerThread = 8;

// This thread's entry for `pool`. An entry that holds no lease is reused for a
// new pool once all are taken. Returns nullptr only when the thread holds
// leases on kMaxPoolsHeldPerThread other pools at once.
HeldLease *thread_entry(Pool *pool);
// This thread's entry for `pool` if the thread holds a lease there, else nullptr.
HeldLease *find_held_lease(const Pool *pool);

}  // namespace shimpool
