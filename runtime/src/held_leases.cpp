#include "held_leases.h"

namespace shimpool {
namespace {
thread_local HeldLease t_held[kMaxPoolsHeldPerThread];
}  // namespace

HeldLease *find_held_lease(const Pool *pool) {
  for (HeldLease &slot : t_held)
    if (slot.pool == pool) return &slot;
  return nullptr;
}

HeldLease *claim_held_lease(const Pool *pool) {
  HeldLease *slot = find_held_lease(nullptr);
  if (slot) *slot = HeldLease{pool, nullptr, 0, false};
  return slot;
}

}  // namespace shimpool
