#include "held_leases.h"

namespace shimpool {
namespace {
thread_local HeldLease t_held[kMaxPoolsHeldPerThread];

struct LastInstance {
  const Pool *pool = nullptr;
  uint64_t serial = 0;
};
thread_local LastInstance t_last[kMaxPoolsHeldPerThread];
thread_local unsigned t_last_next = 0;  // round robin once every slot is taken
}  // namespace

uint64_t last_instance_of(const Pool *pool) {
  for (const LastInstance &slot : t_last)
    if (slot.pool == pool) return slot.serial;
  return 0;
}

void remember_last_instance(const Pool *pool, uint64_t serial) {
  for (LastInstance &slot : t_last)
    if (slot.pool == pool || slot.pool == nullptr) {
      slot = {pool, serial};
      return;
    }
  t_last[t_last_next++ % kMaxPoolsHeldPerThread] = {pool, serial};
}

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
