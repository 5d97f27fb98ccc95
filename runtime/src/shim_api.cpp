// The C entry points generated wrappers call.
#include <cstring>

#include "errors.h"
#include "shim_context.h"
#include "shimpool/shim_runtime.h"

using shimpool::Instance;
using shimpool::ShimContext;

extern "C" void *const *shimpool_enter(shimpool_shim *shim, shimpool_lease *lease) {
  ShimContext &context = ShimContext::of(shim);
  std::string error;
  Instance *instance = context.pool().enter(error);
  if (!instance) shimpool::fail(shim->desc->name, error);
  lease->instance = instance;
  return instance->functions.data();
}

extern "C" void shimpool_leave(shimpool_shim *shim, shimpool_lease *lease) {
  ShimContext::of(shim).pool().leave(static_cast<Instance *>(lease->instance));
}

extern "C" int shimpool_get_stats(shimpool_shim *shim, shimpool_stats *out, size_t out_size) {
  if (!out) return -1;
  shimpool_stats stats = ShimContext::of(shim).pool().stats();
  std::memcpy(out, &stats, out_size < sizeof stats ? out_size : sizeof stats);
  return 0;
}
