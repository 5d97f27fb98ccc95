#include "broadcast_log.h"

#include <cstring>

namespace shimpool {

void BroadcastLog::catch_up(Instance &instance) {
  if (instance.broadcasts_applied == size_.load(std::memory_order_acquire)) return;  // fast path
  std::lock_guard lock(mutex_);
  replay_missing(instance);
}

void BroadcastLog::record(Instance &instance, shimpool_replay_fn replay, const void *arguments,
                          size_t size) {
  Call call{replay, std::make_unique<unsigned char[]>(size ? size : 1)};
  if (size) std::memcpy(call.arguments.get(), arguments, size);
  std::lock_guard lock(mutex_);
  replay_missing(instance);  // calls recorded since this lease began come first
  calls_.push_back(std::move(call));
  instance.broadcasts_applied = calls_.size();
  size_.store(calls_.size(), std::memory_order_release);
}

void BroadcastLog::replay_missing(Instance &instance) {
  void *const *functions = instance.functions.data();
  for (size_t i = instance.broadcasts_applied; i < calls_.size(); ++i)
    calls_[i].replay(functions, calls_[i].arguments.get());
  instance.broadcasts_applied = calls_.size();
}

}  // namespace shimpool
