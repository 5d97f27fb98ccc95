// A cheap reading of the steady clock for the release fast path, where only
// idle eviction needs the time and a few milliseconds of resolution are plenty.
#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>

namespace shimpool {

// Nanoseconds on std::chrono::steady_clock's time line. Linux's coarse
// monotonic clock shares CLOCK_MONOTONIC's epoch (libstdc++'s steady_clock)
// and costs a few nanoseconds through the vDSO; elsewhere, the clock itself.
inline int64_t coarse_steady_ns() noexcept {
#if defined(__linux__) && defined(CLOCK_MONOTONIC_COARSE)
  timespec now;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
  return int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec;
#else
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
#endif
}

}  // namespace shimpool
