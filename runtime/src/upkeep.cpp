#include "upkeep.h"

#include <algorithm>
#include <string>

namespace shimpool {

bool needs_upkeep(const PoolLimits &limits) {
  return limits.min_instances != 0 || limits.idle_timeout.count() != 0;
}

void run_upkeep(Pool &pool, const Config &config, platform::WarningHandler warn, void *warn_context,
                const std::function<bool(std::chrono::milliseconds)> &sleep_for_tick) {
  std::string ignored;  // a failed prewarm is counted; the first call reports it
  pool.prewarm(ignored);
  const auto idle = config.limits.idle_timeout;
  if (idle.count() == 0) return;
  if (config.strategy == platform::LoadStrategy::Namespace) {
    // glibc does not give back a namespace's static TLS when it is unloaded:
    // evicting and reloading would exhaust it after a dozen instances.
    warn(warn_context, platform::LoadWarning::NeverUnloaded,
         "idle eviction is off with the namespace strategy: glibc does not return an unloaded "
         "namespace's static TLS, so reloading instances would soon fail");
    return;
  }
  const auto tick = std::max(idle / 4, std::chrono::milliseconds(5));
  while (sleep_for_tick(tick)) pool.evict_idle(Pool::Clock::now());
}

}  // namespace shimpool
