#include "held_leases.h"

namespace shimpool {
namespace {
thread_local HeldLease t_entries[kMaxPoolsHeldPerThread];
thread_local unsigned t_next_reused = 0;  // round robin over entries holding no lease
}  // namespace

HeldLease *thread_entry(Pool *pool) {
  HeldLease *entries = t_entries;  // one thread-local lookup
  HeldLease *unused = nullptr;
  HeldLease *reusable = nullptr;
  for (unsigned i = 0; i < kMaxPoolsHeldPerThread; ++i) {
    HeldLease &entry = entries[i];
    if (entry.pool == pool) return &entry;
    if (!unused && entry.pool == nullptr) unused = &entry;
  }
  if (!unused) {
    for (unsigned i = 0; i < kMaxPoolsHeldPerThread && !reusable; ++i) {
      HeldLease &entry = entries[(t_next_reused + i) % kMaxPoolsHeldPerThread];
      if (entry.depth == 0) reusable = &entry;
    }
    if (!reusable) return nullptr;
    t_next_reused = static_cast<unsigned>(reusable - entries + 1) % kMaxPoolsHeldPerThread;
  }
  HeldLease *entry = unused ? unused : reusable;
  *entry = HeldLease{};
  entry->pool = pool;
  return entry;
}

HeldLease *find_held_lease(const Pool *pool) {
  for (HeldLease &entry : t_entries)
    if (entry.pool == pool) return entry.depth > 0 ? &entry : nullptr;
  return nullptr;
}

}  // namespace shimpool
