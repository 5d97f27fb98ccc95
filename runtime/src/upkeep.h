// A pool's background work, shared by shims and dynamic pools: load the
// minimum ahead of the first call, then unload instances idle too long.
#pragma once

#include <chrono>
#include <functional>

#include "config.h"
#include "platform.h"
#include "pool.h"

namespace shimpool {

// Whether the configuration asks for any background work at all.
bool needs_upkeep(const PoolLimits &limits);

// Prewarms `pool`, then evicts its idle instances once per tick for as long as
// `sleep_for_tick` (which waits one tick) returns true. Runs on the calling
// thread: the owner decides the thread's life.
void run_upkeep(Pool &pool, const Config &config, platform::WarningHandler warn, void *warn_context,
                const std::function<bool(std::chrono::milliseconds)> &sleep_for_tick);

}  // namespace shimpool
