#include "sessions.h"

#include "held_leases.h"

namespace shimpool {

bool enter_session(Pool &pool, shimpool_session &session, shimpool_lease &lease,
                   std::string &error) {
  session.mutex.lock();
  HeldLease *slot = find_held_lease(&pool);
  if (slot) {
    lease.outer_instance = slot->instance;
    lease.outer_depth = slot->depth;
    lease.outer_borrowed = slot->borrowed;
  } else if (!(slot = claim_held_lease(&pool))) {
    session.mutex.unlock();
    error = "this thread already holds leases on " + std::to_string(kMaxPoolsHeldPerThread) +
            " pools at once; nested calls across that many shims are not supported";
    return false;
  } else {
    lease.outer_instance = nullptr;
    lease.outer_depth = 0;
    lease.outer_borrowed = 0;
  }
  *slot = HeldLease{&pool, session.instance, 1, true};
  lease.instance = session.instance;
  return true;
}

void leave_session(Pool &pool, shimpool_session &session, shimpool_lease &lease) {
  if (HeldLease *slot = find_held_lease(&pool)) {
    if (lease.outer_depth > 0)
      *slot = HeldLease{&pool, static_cast<Instance *>(lease.outer_instance), lease.outer_depth,
                        lease.outer_borrowed != 0};
    else
      *slot = HeldLease{};
  }
  session.mutex.unlock();
}

}  // namespace shimpool
