// One private copy of the real library and its resolved function table.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace shimpool {

struct Instance {
  void *library = nullptr;        // platform handle of the loaded copy
  std::vector<void *> functions;  // real entry points, in the shim's slot order
  std::chrono::steady_clock::time_point last_used{};  // guarded by the pool's mutex
};

// Where instances come from: the platform loader in shims, fakes in tests.
class InstanceSource {
 public:
  virtual ~InstanceSource() = default;
  // Returns a new instance, or nullptr with `error` set to a complete sentence.
  virtual std::unique_ptr<Instance> create(std::string &error) = 0;
  // Unloads an instance the pool no longer keeps.
  virtual void destroy(Instance &instance) noexcept = 0;
};

}  // namespace shimpool
