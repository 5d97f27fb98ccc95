// One private copy of the real library and its resolved function table.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "platform.h"

namespace shimpool {

struct Instance {
  uint64_t serial = 0;            // unique per pool, never reused: survives eviction checks
  void *library = nullptr;        // platform handle of the loaded copy
  platform::ThreadSetup thread_setup;  // run by every thread before it calls in
  std::vector<void *> functions;  // real entry points, in the shim's slot order
  size_t broadcasts_applied = 0;  // replayed broadcast calls; touched only under a lease
};

// Where instances come from: the platform loader in shims, fakes in tests.
class InstanceSource {
 public:
  virtual ~InstanceSource() = default;
  // Returns a new instance, or nullptr with `error` set to a complete sentence.
  virtual std::unique_ptr<Instance> create(std::string &error) = 0;
  // Unloads an instance the pool no longer keeps.
  virtual void destroy(Instance &instance) noexcept = 0;
  // Brings a freshly leased instance up to date (replays broadcast calls it
  // has not seen) before the caller uses it.
  virtual void on_lease(Instance &) {}
};

}  // namespace shimpool
