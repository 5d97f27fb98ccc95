// Everything one shim owns at run time: its configuration, the loader that
// makes instances, and the pool. Created on first use, never destroyed.
#pragma once

#include <memory>
#include <string>

#include "config.h"
#include "instance.h"
#include "platform.h"
#include "pool.h"
#include "shimpool/shim_runtime.h"

namespace shimpool {

class ShimContext final : public InstanceSource {
 public:
  // The context of `shim`, created on the first call; reports and aborts when
  // the configuration is invalid.
  static ShimContext &of(shimpool_shim *shim);

  ShimContext(const shimpool_shim_desc &desc, Config config);

  Pool &pool() { return pool_; }
  const shimpool_shim_desc &desc() const { return desc_; }
  const Config &config() const { return config_; }

  std::unique_ptr<Instance> create(std::string &error) override;
  void destroy(Instance &instance) noexcept override;

 private:
  // Which variable to set for a load failure of this kind.
  std::string advice_for(platform::LoadFailure cause) const;

  const shimpool_shim_desc &desc_;
  const Config config_;
  platform::LoadOptions load_options_;
  Pool pool_;
};

}  // namespace shimpool
