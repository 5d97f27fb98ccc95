// Handle-form sessions: one instance reserved for a sequence of calls that may
// arrive on any thread (FFI async calls). Calls on a session run one at a time;
// during a call the instance is also the thread's held lease, so callbacks from
// the library that re-enter the shim nest on it.
#pragma once

#include <mutex>
#include <string>

#include "pool.h"
#include "shimpool/shim_runtime.h"

struct shimpool_session {
  std::recursive_mutex mutex;  // recursive: a callback may call the same session again
  shimpool::Instance *instance = nullptr;
};

namespace shimpool {

// Takes the session's lock and makes its instance this thread's lease on `pool`.
// Returns false with `error` set if the thread cannot hold another lease.
bool enter_session(Pool &pool, shimpool_session &session, shimpool_lease &lease,
                   std::string &error);
// Restores the thread's own lease and releases the session's lock.
void leave_session(Pool &pool, shimpool_session &session, shimpool_lease &lease);

}  // namespace shimpool
