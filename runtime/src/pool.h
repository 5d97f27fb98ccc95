// The instance pool: lazy creation up to a maximum, blocking wait when every
// instance is busy, and per-thread nesting so a callback that re-enters the
// shim reuses the instance its thread already holds instead of deadlocking.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "instance.h"
#include "shimpool/stats.h"

namespace shimpool {

class Pool {
 public:
  Pool(InstanceSource &source, unsigned max_instances);
  Pool(const Pool &) = delete;
  Pool &operator=(const Pool &) = delete;
  ~Pool();

  // Leases an instance for this thread, or returns the one it already holds
  // (nesting). Returns nullptr with `error` set when no instance can be had.
  Instance *enter(std::string &error);
  // Ends the innermost lease of this thread on this pool.
  void leave(Instance *instance);

  shimpool_stats stats() const;
  unsigned max_instances() const { return max_instances_; }

 private:
  Instance *acquire(std::string &error);
  void release(Instance *instance);
  bool is_distinct(const Instance &candidate) const;  // caller holds mutex_

  InstanceSource &source_;
  const unsigned max_instances_;

  mutable std::mutex mutex_;
  std::condition_variable idle_available_;
  std::vector<std::unique_ptr<Instance>> live_;
  std::vector<Instance *> idle_;
  unsigned creating_ = 0;

  uint64_t calls_ = 0;
  uint64_t waits_ = 0;
  uint64_t wait_ns_ = 0;
  uint64_t creations_ = 0;
  uint64_t creation_failures_ = 0;
};

}  // namespace shimpool
