#include "pool.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "held_leases.h"

namespace shimpool {
namespace {
uint64_t elapsed_ns(std::chrono::steady_clock::time_point since) {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now() - since)
                                   .count());
}
}  // namespace

Pool::Pool(InstanceSource &source, unsigned max_instances)
    : source_(source), max_instances_(max_instances == 0 ? 1 : max_instances) {}

Pool::~Pool() {
  for (auto &instance : live_) source_.destroy(*instance);
}

Instance *Pool::enter(std::string &error) {
  if (HeldLease *held = find_held_lease(this)) {
    ++held->depth;  // a callback re-entering on this thread: same instance
    return held->instance;
  }
  HeldLease *slot = claim_held_lease(this);
  if (!slot) {
    error = "this thread already holds leases on " + std::to_string(kMaxPoolsHeldPerThread) +
            " pools at once; nested calls across that many shims are not supported";
    return nullptr;
  }
  Instance *instance = acquire(error);
  if (!instance) {
    *slot = HeldLease{};
    return nullptr;
  }
  slot->instance = instance;
  slot->depth = 1;
  return instance;
}

void Pool::leave(Instance *instance) {
  HeldLease *held = find_held_lease(this);
  if (!held || held->instance != instance) return;  // not ours: nothing to end
  if (--held->depth > 0) return;
  *held = HeldLease{};
  release(instance);
}

Instance *Pool::acquire(std::string &error) {
  std::unique_lock lock(mutex_);
  ++calls_;
  bool waited = false;
  bool may_create = true;  // one failed creation per call, then wait for an existing instance
  std::string create_error;
  std::chrono::steady_clock::time_point wait_start;
  for (;;) {
    if (!idle_.empty()) {
      Instance *instance = idle_.back();
      idle_.pop_back();
      if (waited) wait_ns_ += elapsed_ns(wait_start);
      return instance;
    }
    if (may_create && live_.size() + creating_ < max_instances_) {
      ++creating_;
      lock.unlock();
      std::unique_ptr<Instance> created = source_.create(create_error);
      lock.lock();
      --creating_;
      if (created && !is_distinct(*created)) {
        source_.destroy(*created);
        created.reset();
        create_error =
            "the loader returned an instance that is already in the pool, so its globals would "
            "be shared; the copy was not loaded as a separate library";
      }
      if (created) {
        ++creations_;
        live_.push_back(std::move(created));
        return live_.back().get();
      }
      ++creation_failures_;
      may_create = false;
      idle_available_.notify_all();  // waiters re-check: there may be nothing left to wait for
      continue;
    }
    // Keep serving from existing instances after a failed creation; with none
    // alive and none coming, the caller must hear of it.
    if (live_.empty() && creating_ == 0 && !may_create) {
      error = create_error.empty() ? "no instance of the real library could be loaded"
                                   : std::move(create_error);
      return nullptr;
    }
    if (!waited) {
      waited = true;
      ++waits_;
      wait_start = std::chrono::steady_clock::now();
    }
    idle_available_.wait(lock);
    if (live_.empty() && creating_ == 0) may_create = true;  // a peer failed: try once ourselves
  }
}

void Pool::release(Instance *instance) {
  {
    std::lock_guard lock(mutex_);
    idle_.push_back(instance);
  }
  idle_available_.notify_one();
}

bool Pool::is_distinct(const Instance &candidate) const {
  return std::none_of(live_.begin(), live_.end(), [&](const auto &live) {
    return live->library == candidate.library ||
           (!candidate.functions.empty() && !live->functions.empty() &&
            live->functions.front() == candidate.functions.front());
  });
}

shimpool_stats Pool::stats() const {
  std::lock_guard lock(mutex_);
  shimpool_stats s{};
  s.live_instances = live_.size();
  s.idle_instances = idle_.size();
  s.max_instances = max_instances_;
  s.calls = calls_;
  s.waits = waits_;
  s.wait_ns = wait_ns_;
  s.creations = creations_;
  s.creation_failures = creation_failures_;
  return s;
}

}  // namespace shimpool
