// Loads under way, counted so stop_loading (and, on POSIX, the exit handler)
// can wait for a half-made copy to be cleaned up. Shared by both loaders
// (platform_common.cpp).
#pragma once

namespace shimpool::platform {

// Counts one load for its lifetime. The load and stop_loading each write
// their side (the count, the stop flag) and then read the other's, both
// sequentially consistent: a load is either waited for or sees the flag.
class LoadInFlight {
 public:
  LoadInFlight() noexcept;
  ~LoadInFlight();
  LoadInFlight(const LoadInFlight &) = delete;
  LoadInFlight &operator=(const LoadInFlight &) = delete;
  // True once stop_loading was called: the load must not start.
  bool refused() const noexcept;
};

// Waits (up to `timeout_ms`) until no load is under way.
void wait_for_loads_in_flight(int timeout_ms) noexcept;

}  // namespace shimpool::platform
