#include "sessions.h"

#include "held_leases.h"

namespace shimpool {

bool enter_session(Pool &pool, shimpool_session &session, shimpool_lease &lease,
                   std::string &error) {
  session.mutex.lock();
  HeldLease *entry = thread_entry(&pool);
  if (!entry) {
    session.mutex.unlock();
    error = "this thread already holds leases on " + std::to_string(kMaxPoolsHeldPerThread) +
            " pools at once; nested calls across that many shims are not supported";
    return false;
  }
  lease.outer_instance = entry->instance;
  lease.outer_depth = entry->depth;
  lease.outer_borrowed = entry->borrowed;
  entry->instance = session.instance;
  entry->depth = 1;
  entry->borrowed = true;
  lease.instance = session.instance;
  return true;
}

void leave_session(Pool &pool, shimpool_session &session, shimpool_lease &lease) {
  if (HeldLease *entry = find_held_lease(&pool)) {
    entry->instance = static_cast<Instance *>(lease.outer_instance);
    entry->depth = lease.outer_depth;
    entry->borrowed = lease.outer_borrowed != 0;
  }
  session.mutex.unlock();
}

}  // namespace shimpool
