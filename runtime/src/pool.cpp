#include "pool.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "coarse_clock.h"
#include "held_leases.h"

namespace shimpool {
namespace {

// A serial is (sequence << kSlotBits) | slot index: the slot is found from the
// serial alone, and the sequence never repeats.
constexpr unsigned kSlotBits = 12;
constexpr uint64_t kSlotMask = (uint64_t{1} << kSlotBits) - 1;
static_assert(Pool::kMaxInstances == kSlotMask + 1);

// A slot's state word: 0 empty, serial << 1 idle, serial << 1 | 1 busy.
constexpr uint64_t idle_word(uint64_t serial) { return serial << 1; }
constexpr uint64_t busy_word(uint64_t serial) { return serial << 1 | 1; }
constexpr uint64_t serial_of(uint64_t word) { return word >> 1; }
constexpr bool is_idle_word(uint64_t word) { return word != 0 && (word & 1) == 0; }

// Every access to a state word is sequentially consistent: a release stores
// the word then reads waiters_, a waiter counts itself in waiters_ then reads
// the words; in one total order at least one of them sees the other's write,
// so no wake-up is lost. (On x86 the compare-and-swap costs the same either way.)
constexpr auto kOrder = std::memory_order_seq_cst;

uint64_t nanoseconds_since(Pool::Clock::time_point since) {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(Pool::Clock::now() - since).count());
}

int64_t steady_ns(Pool::Clock::time_point time) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch()).count();
}

constexpr std::chrono::milliseconds kFirstCreationBackoff{250};
constexpr std::chrono::milliseconds kLongestCreationBackoff{8000};

PoolLimits within_bounds(PoolLimits limits) {
  limits.max_instances = std::clamp(limits.max_instances, 1u, Pool::kMaxInstances);
  return limits;
}

}  // namespace

Pool::Pool(InstanceSource &source, PoolLimits limits)
    : source_(source),
      limits_(within_bounds(limits)),
      slots_(std::make_unique<Slot[]>(limits_.max_instances)) {}

Pool::~Pool() {
  for (unsigned i = 0; i < limits_.max_instances; ++i)
    if (slots_[i].instance) source_.destroy(*slots_[i].instance);
}

Instance *Pool::enter(std::string &error, Preference preference, HeldLease **held) {
  HeldLease *entry = thread_entry(this);
  if (!entry) {
    error = "this thread already holds leases on " + std::to_string(kMaxPoolsHeldPerThread) +
            " pools at once; nested calls across that many shims are not supported";
    return nullptr;
  }
  if (entry->depth > 0) {
    ++entry->depth;  // a callback or a thread-bound session: same instance
    source_.on_lease(*entry->instance);
    if (held) *held = entry;
    return entry->instance;
  }
  Instance *instance = acquire(error, entry->last_serial, preference == Preference::Sticky);
  if (!instance) return nullptr;
  // A broadcast replayed while leasing may have re-entered other shims and
  // taken this entry over.
  if (entry->pool != this && !(entry = thread_entry(this))) {
    release(instance);
    error = "this thread already holds leases on " + std::to_string(kMaxPoolsHeldPerThread) +
            " pools at once; nested calls across that many shims are not supported";
    return nullptr;
  }
  entry->instance = instance;
  entry->depth = 1;
  entry->borrowed = false;
  entry->last_serial = instance->serial;
  if (held) *held = entry;
  return instance;
}

bool Pool::leave() {
  HeldLease *entry = find_held_lease(this);
  if (!entry) return false;
  leave(*entry);
  return true;
}

void Pool::leave(HeldLease &held) {
  if (--held.depth > 0) return;
  Instance *instance = held.instance;
  const bool borrowed = held.borrowed;
  held.clear_lease();
  if (!borrowed) release(instance);
}

Pool::Slot *Pool::slot_of(uint64_t serial) const {
  const uint64_t index = serial & kSlotMask;
  // A serial remembered from another pool that lived at this address may point past the end.
  return index < limits_.max_instances ? &slots_[index] : nullptr;
}

Instance *Pool::try_take(uint64_t serial) {
  Slot *slot = slot_of(serial);
  if (!slot) return nullptr;
  uint64_t expected = idle_word(serial);
  if (!slot->state.compare_exchange_strong(expected, busy_word(serial), kOrder, kOrder))
    return nullptr;
  return slot->instance.get();
}

Instance *Pool::acquire(std::string &error, uint64_t preferred, bool must_be_preferred) {
  Instance *instance = preferred ? try_take(preferred) : nullptr;
  if (!instance) instance = acquire_slow(error, preferred, must_be_preferred);
  if (!instance) return nullptr;
  count_lease(*instance);
  source_.on_lease(*instance);
  return instance;
}

void Pool::count_lease(const Instance &instance) {
  // Only the lease holder writes the count: a load and a store, no locked instruction.
  std::atomic<uint64_t> &leases = slot_of(instance.serial)->leases;
  leases.store(leases.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

Instance *Pool::acquire_slow(std::string &error, uint64_t preferred, bool must_be_preferred) {
  std::unique_lock lock(mutex_);
  bool announced = false;  // counted in waiters_
  bool waited = false;
  bool may_create = true;  // one failed creation per call, then wait for an existing instance
  std::string create_error;
  const Clock::time_point start = Clock::now();
  if (live_ > 0 && start < creation_retry_at_) may_create = false;  // a recent failure: back off
  auto done = [&](Instance *instance) {
    if (announced) waiters_.fetch_sub(1, kOrder);
    if (waited) counters_.wait_ns += nanoseconds_since(start);
    if (!instance) ++counters_.calls;  // a call that got no instance is still a call
    return instance;
  };
  for (;;) {
    // A sticky call waits for its instance while that instance is still live.
    const bool insist = must_be_preferred && preferred != 0 && is_live(preferred);
    Instance *instance = preferred ? try_take(preferred) : nullptr;
    if (!instance && !insist) instance = take_any_idle();
    if (instance) return done(instance);

    if (!insist && may_create && live_ + creating_ < limits_.max_instances) {
      ++creating_;
      lock.unlock();
      std::unique_ptr<Instance> created = create_distinct(create_error);
      lock.lock();
      --creating_;
      if (created) {
        creation_backoff_ = std::chrono::milliseconds(0);
        return done(add_live(std::move(created), /*leased=*/true));
      }
      ++counters_.creation_failures;
      may_create = false;
      if (live_ > 0) {
        creation_backoff_ = std::clamp(creation_backoff_ * 2, kFirstCreationBackoff,
                                       kLongestCreationBackoff);
        creation_retry_at_ = Clock::now() + creation_backoff_;
      }
      idle_available_.notify_all();  // waiters re-check: there may be nothing left to wait for
      continue;
    }
    // Keep serving from existing instances after a failed creation; with none
    // alive and none coming, the caller must hear of it.
    if (live_ == 0 && creating_ == 0 && !may_create) {
      error = create_error.empty() ? "no instance of the real library could be loaded"
                                   : std::move(create_error);
      return done(nullptr);
    }
    if (!announced) {
      // Announce the wait, then look once more before sleeping: a release
      // that this look misses sees the announcement and wakes us.
      announced = true;
      waiters_.fetch_add(1, kOrder);
      continue;
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
    if (timed_out) {
      instance = preferred ? try_take(preferred) : nullptr;
      if (!instance && !insist) instance = take_any_idle();
      if (instance) return done(instance);
      ++counters_.acquire_timeouts;
      error = "no instance became free within " + std::to_string(limits_.acquire_timeout.count()) +
              " ms (" + std::to_string(live_) + " loaded, all busy)";
      return done(nullptr);
    }
    if (live_ == 0 && creating_ == 0) may_create = true;  // a peer failed: try once ourselves
  }
}

Instance *Pool::take_any_idle() {
  const bool by_recency = limits_.idle_timeout.count() != 0;
  for (;;) {
    // The most recently released idle instance: warm caches, and the others
    // age towards eviction. Without eviction there is no time to compare.
    Slot *best = nullptr;
    uint64_t best_word = 0;
    int64_t best_time = std::numeric_limits<int64_t>::min();
    for (unsigned i = 0; i < used_slots_; ++i) {
      Slot &slot = slots_[i];
      const uint64_t word = slot.state.load(kOrder);
      if (!is_idle_word(word)) continue;
      const int64_t released = slot.released_at.load(std::memory_order_relaxed);
      if (best && released <= best_time) continue;
      best = &slot;
      best_word = word;
      best_time = released;
      if (!by_recency) break;
    }
    if (!best) return nullptr;
    if (best->state.compare_exchange_strong(best_word, best_word | 1, kOrder, kOrder))
      return best->instance.get();
    // A thread took it back without the lock meanwhile: look again.
  }
}

void Pool::release(Instance *instance) {
  Slot &slot = *slot_of(instance->serial);
  if (limits_.idle_timeout.count() != 0)
    slot.released_at.store(coarse_steady_ns(), std::memory_order_relaxed);
  slot.state.store(idle_word(instance->serial), kOrder);
  if (waiters_.load(kOrder) != 0) wake_waiters();
}

void Pool::wake_waiters() {
  std::unique_lock lock(mutex_);  // a waiter past its last look is asleep once we have this
  const bool wake_all = particular_waiters_ > 0;
  lock.unlock();
  if (wake_all)
    idle_available_.notify_all();
  else
    idle_available_.notify_one();
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

bool Pool::prewarm(std::string &error) {
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (live_ + creating_ >= std::min(limits_.min_instances, limits_.max_instances)) return true;
      ++creating_;
    }
    std::unique_ptr<Instance> created = create_distinct(error);
    {
      std::lock_guard lock(mutex_);
      --creating_;
      if (!created) {
        ++counters_.creation_failures;
        return false;
      }
      add_live(std::move(created), /*leased=*/false);
    }
    if (waiters_.load(kOrder) != 0) idle_available_.notify_all();
  }
}

unsigned Pool::evict_idle(Clock::time_point now) {
  if (limits_.idle_timeout.count() == 0) return 0;
  const int64_t cutoff = steady_ns(now) - steady_ns(Clock::time_point(limits_.idle_timeout));
  std::vector<std::unique_ptr<Instance>> evicted;
  {
    std::lock_guard lock(mutex_);
    std::vector<std::pair<int64_t, Slot *>> candidates;  // least recently released first
    for (unsigned i = 0; i < used_slots_; ++i) {
      Slot &slot = slots_[i];
      const int64_t released = slot.released_at.load(std::memory_order_relaxed);
      if (is_idle_word(slot.state.load(kOrder)) && !slot.pinned && released <= cutoff)
        candidates.emplace_back(released, &slot);
    }
    std::sort(candidates.begin(), candidates.end(),
              [](const auto &a, const auto &b) { return a.first < b.first; });
    for (auto &[released, slot] : candidates) {
      if (live_ <= limits_.min_instances) break;
      uint64_t word = slot->state.load(kOrder);
      if (!is_idle_word(word) || !slot->state.compare_exchange_strong(word, 0, kOrder, kOrder))
        continue;  // leased meanwhile
      if (slot->released_at.load(std::memory_order_relaxed) > cutoff) {
        slot->state.store(word, kOrder);  // used and given back meanwhile: not idle for long
        continue;
      }
      counters_.calls += slot->leases.exchange(0, std::memory_order_relaxed);
      evicted.push_back(std::move(slot->instance));
      --live_;
      ++counters_.evictions;
    }
  }
  for (auto &instance : evicted) source_.destroy(*instance);  // unload outside the lock
  return static_cast<unsigned>(evicted.size());
}

bool Pool::is_live(uint64_t serial) const {
  const Slot *slot = slot_of(serial);
  return slot && serial_of(slot->state.load(kOrder)) == serial;
}

Instance *Pool::add_live(std::unique_ptr<Instance> instance, bool leased) {
  unsigned index = 0;
  while (slots_[index].instance) ++index;  // live_ + creating_ <= max: one is empty
  Slot &slot = slots_[index];
  const uint64_t serial = next_sequence_++ << kSlotBits | index;
  instance->serial = serial;
  slot.instance = std::move(instance);
  slot.pinned = false;
  slot.released_at.store(coarse_steady_ns(), std::memory_order_relaxed);
  used_slots_ = std::max(used_slots_, index + 1);
  ++live_;
  ++counters_.creations;
  slot.state.store(leased ? busy_word(serial) : idle_word(serial), kOrder);  // publishes it
  return slot.instance.get();
}

Instance *Pool::pinned(std::string &error) {
  if (Instance *pinned = pinned_.load(std::memory_order_acquire)) return pinned;
  Instance *instance = acquire(error);
  if (!instance) return nullptr;
  Instance *result = nullptr;
  {
    std::lock_guard lock(mutex_);
    if (!pinned_.load(std::memory_order_relaxed)) {
      slot_of(instance->serial)->pinned = true;
      pinned_.store(instance, std::memory_order_release);
    }
    result = pinned_.load(std::memory_order_relaxed);
  }
  std::atomic<uint64_t> &leases = slot_of(instance->serial)->leases;  // pinning is not a call
  leases.store(leases.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
  release(instance);
  return result;
}

bool Pool::is_distinct(const Instance &candidate) const {
  for (unsigned i = 0; i < used_slots_; ++i) {
    const Instance *live = slots_[i].instance.get();
    if (!live) continue;
    if (live->library == candidate.library ||
        (!candidate.functions.empty() && !live->functions.empty() &&
         live->functions.front() == candidate.functions.front()))
      return false;
  }
  return true;
}

shimpool_stats Pool::stats() const {
  std::lock_guard lock(mutex_);
  shimpool_stats s = counters_;
  s.idle_instances = 0;
  for (unsigned i = 0; i < used_slots_; ++i) {
    const uint64_t word = slots_[i].state.load(kOrder);
    if (word == 0) continue;
    s.calls += slots_[i].leases.load(std::memory_order_relaxed);
    if (is_idle_word(word)) ++s.idle_instances;
  }
  s.live_instances = live_;
  s.max_instances = limits_.max_instances;
  return s;
}

}  // namespace shimpool
