#include "pool.h"

#include <algorithm>

#include "held_leases.h"

namespace shimpool {
namespace {

uint64_t nanoseconds_since(Pool::Clock::time_point since) {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(Pool::Clock::now() - since).count());
}

PoolLimits with_at_least_one(PoolLimits limits) {
  limits.max_instances = std::max(limits.max_instances, 1u);
  return limits;
}

}  // namespace

Pool::Pool(InstanceSource &source, PoolLimits limits)
    : source_(source), limits_(with_at_least_one(limits)) {}

Pool::~Pool() {
  for (auto &instance : live_) source_.destroy(*instance);
}

Instance *Pool::enter(std::string &error, Preference preference) {
  if (HeldLease *held = find_held_lease(this)) {
    ++held->depth;  // a callback or a thread-bound session: same instance
    source_.on_lease(*held->instance);
    return held->instance;
  }
  HeldLease *slot = claim_held_lease(this);
  if (!slot) {
    error = "this thread already holds leases on " + std::to_string(kMaxPoolsHeldPerThread) +
            " pools at once; nested calls across that many shims are not supported";
    return nullptr;
  }
  Instance *instance =
      acquire(error, last_instance_of(this), preference == Preference::Sticky);
  if (!instance) {
    *slot = HeldLease{};
    return nullptr;
  }
  remember_last_instance(this, instance->serial);
  slot->instance = instance;
  slot->depth = 1;
  return instance;
}

bool Pool::leave() {
  HeldLease *held = find_held_lease(this);
  if (!held) return false;
  if (--held->depth > 0) return true;
  Instance *instance = held->instance;
  const bool borrowed = held->borrowed;
  *held = HeldLease{};
  if (!borrowed) release(instance);
  return true;
}

std::unique_ptr<Instance> Pool::create_distinct(std::string &error) {
  std::unique_ptr<Instance> created = source_.create(error);
  if (!created) return nullptr;
  std::lock_guard lock(mutex_);
  if (is_distinct(*created)) return created;
  source_.destroy(*created);
  error =
      "the loader returned an instance that is already in the pool, so its globals would be "
      "shared; the copy was not loaded as a separate library";
  return nullptr;
}

Instance *Pool::acquire(std::string &error, uint64_t preferred, bool must_be_preferred) {
  Instance *instance = acquire_locked(error, preferred, must_be_preferred);
  if (instance) source_.on_lease(*instance);
  return instance;
}

Instance *Pool::acquire_locked(std::string &error, uint64_t preferred, bool must_be_preferred) {
  std::unique_lock lock(mutex_);
  ++counters_.calls;
  bool waited = false;
  bool may_create = true;  // one failed creation per call, then wait for an existing instance
  std::string create_error;
  const Clock::time_point start = Clock::now();
  for (;;) {
    // A sticky call waits for its instance while that instance is still live.
    const bool insist = must_be_preferred && preferred != 0 && is_live(preferred);
    if (Instance *instance = insist ? take_idle_serial(preferred) : take_idle(preferred)) {
      if (waited) counters_.wait_ns += nanoseconds_since(start);
      return instance;
    }
    if (!insist && may_create && live_.size() + creating_ < limits_.max_instances) {
      ++creating_;
      lock.unlock();
      std::unique_ptr<Instance> created = create_distinct(create_error);
      lock.lock();
      --creating_;
      if (created) {
        add_live(std::move(created));
        return live_.back().get();
      }
      ++counters_.creation_failures;
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
      ++counters_.waits;
    }
    // Waiters for one particular instance make a plain notify_one unsafe: it
    // could wake a waiter that cannot use the released instance.
    if (insist) ++particular_waiters_;
    bool timed_out = false;
    if (limits_.acquire_timeout.count() == 0)
      idle_available_.wait(lock);
    else
      timed_out = idle_available_.wait_until(lock, start + limits_.acquire_timeout) ==
                  std::cv_status::timeout;
    if (insist) --particular_waiters_;
    if (timed_out && (insist ? !has_idle_serial(preferred) : idle_.empty())) {
      ++counters_.acquire_timeouts;
      counters_.wait_ns += nanoseconds_since(start);
      error = "no instance became free within " + std::to_string(limits_.acquire_timeout.count()) +
              " ms (" + std::to_string(live_.size()) + " loaded, all busy)";
      return nullptr;
    }
    if (live_.empty() && creating_ == 0) may_create = true;  // a peer failed: try once ourselves
  }
}

void Pool::release(Instance *instance) {
  std::unique_lock lock(mutex_);
  instance->last_used = Clock::now();
  idle_.push_back(instance);
  notify_idle(lock);
}

void Pool::notify_idle(std::unique_lock<std::mutex> &lock) {
  const bool wake_all = particular_waiters_ > 0;
  lock.unlock();
  if (wake_all)
    idle_available_.notify_all();
  else
    idle_available_.notify_one();
}

bool Pool::prewarm(std::string &error) {
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (live_.size() + creating_ >= std::min(limits_.min_instances, limits_.max_instances))
        return true;
      ++creating_;
    }
    std::unique_ptr<Instance> created = create_distinct(error);
    std::unique_lock lock(mutex_);
    --creating_;
    if (!created) {
      ++counters_.creation_failures;
      return false;
    }
    created->last_used = Clock::now();
    idle_.push_back(created.get());
    add_live(std::move(created));
    notify_idle(lock);
  }
}

unsigned Pool::evict_idle(Clock::time_point now) {
  if (limits_.idle_timeout.count() == 0) return 0;
  std::vector<std::unique_ptr<Instance>> evicted;
  {
    std::lock_guard lock(mutex_);
    // idle_ holds the least recently released first.
    for (auto it = idle_.begin(); it != idle_.end() && live_.size() > limits_.min_instances;) {
      Instance *victim = *it;
      if (victim->last_used + limits_.idle_timeout > now) break;  // the rest are newer
      if (victim == pinned_) {
        ++it;
        continue;
      }
      it = idle_.erase(it);
      auto owner = std::find_if(live_.begin(), live_.end(),
                                [&](const auto &live) { return live.get() == victim; });
      evicted.push_back(std::move(*owner));
      live_.erase(owner);
      ++counters_.evictions;
    }
  }
  for (auto &instance : evicted) source_.destroy(*instance);  // unload outside the lock
  return static_cast<unsigned>(evicted.size());
}

Instance *Pool::take_idle(uint64_t preferred) {
  if (idle_.empty()) return nullptr;
  if (preferred != 0)
    if (Instance *instance = take_idle_serial(preferred)) return instance;
  Instance *instance = idle_.back();  // the most recently used: warm caches
  idle_.pop_back();
  return instance;
}

Instance *Pool::take_idle_serial(uint64_t serial) {
  auto it = std::find_if(idle_.begin(), idle_.end(),
                         [&](const Instance *idle) { return idle->serial == serial; });
  if (it == idle_.end()) return nullptr;
  Instance *instance = *it;
  idle_.erase(it);
  return instance;
}

bool Pool::has_idle_serial(uint64_t serial) const {
  return std::any_of(idle_.begin(), idle_.end(),
                     [&](const Instance *idle) { return idle->serial == serial; });
}

bool Pool::is_live(uint64_t serial) const {
  return std::any_of(live_.begin(), live_.end(),
                     [&](const auto &live) { return live->serial == serial; });
}

void Pool::add_live(std::unique_ptr<Instance> instance) {
  instance->serial = next_serial_++;
  ++counters_.creations;
  live_.push_back(std::move(instance));
}

Instance *Pool::pinned(std::string &error) {
  {
    std::lock_guard lock(mutex_);
    if (pinned_) return pinned_;
  }
  Instance *instance = acquire(error);
  if (!instance) return nullptr;
  std::unique_lock lock(mutex_);
  if (!pinned_) pinned_ = instance;
  Instance *result = pinned_;
  --counters_.calls;  // pinning is not a call
  instance->last_used = Clock::now();
  idle_.push_back(instance);
  notify_idle(lock);
  return result;
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
  shimpool_stats s = counters_;
  s.live_instances = live_.size();
  s.idle_instances = idle_.size();
  s.max_instances = limits_.max_instances;
  return s;
}

}  // namespace shimpool
