// Everything one shim owns at run time: its configuration, the loader that
// makes instances, and the pool. Created on first use, never destroyed: calls
// may still arrive while the process exits, and shims are linked -z nodelete.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "broadcast_log.h"
#include "config.h"
#include "instance.h"
#include "platform.h"
#include "pool.h"
#include "shimpool/shim_runtime.h"

namespace shimpool {

class ShimContext final : public InstanceSource {
 public:
  // The context of `shim`, created on the first call (which also starts its
  // background upkeep), or nullptr with `error` set if the configuration is invalid.
  static ShimContext *of(shimpool_shim *shim, std::string &error);
  // As above, but a configuration error goes to the shim's error handler.
  static ShimContext &of(shimpool_shim *shim);

  ShimContext(const shimpool_shim_desc &desc, Config config);

  Pool &pool() { return pool_; }
  const Config &config() const { return config_; }
  std::atomic<uint64_t> &sessions_open() { return sessions_open_; }
  BroadcastLog &broadcasts() { return broadcasts_; }

  std::unique_ptr<Instance> create(std::string &error) override;
  void destroy(Instance &instance) noexcept override;
  void on_lease(Instance &instance) override {
    platform::prepare_thread(instance.thread_setup);
    broadcasts_.catch_up(instance);
  }

 private:
  // Loads and resolves one instance; create() adds the warning.
  std::unique_ptr<Instance> load_instance(std::string &error);
  // Prewarms the minimum and evicts idle instances, on a thread of its own.
  void start_upkeep();
  // Which variable to set for a load failure of this kind.
  std::string advice_for(platform::LoadFailure cause) const;
  // Prints a loader warning, once per kind for the life of the process.
  static void warn(void *context, platform::LoadWarning kind, const char *message);

  const shimpool_shim_desc &desc_;
  const Config config_;
  platform::LoadOptions load_options_;
  BroadcastLog broadcasts_;  // before pool_: instances replay it as they are made
  Pool pool_;
  std::atomic<uint64_t> sessions_open_{0};
  std::atomic<unsigned> warned_kinds_{0};  // bit per platform::LoadWarning
  std::atomic<bool> warned_creation_failed_{false};
};

}  // namespace shimpool
