#include "shim_context.h"

#include <atomic>

#include "errors.h"

namespace shimpool {

ShimContext &ShimContext::of(shimpool_shim *shim) {
  std::atomic_ref<void *> slot(shim->context);
  if (void *existing = slot.load(std::memory_order_acquire))
    return *static_cast<ShimContext *>(existing);

  const shimpool_shim_desc &desc = *shim->desc;
  std::string error;
  // The runtime is linked into the shim, so this function's address names the shim's file.
  auto config = load_config(desc, platform::module_directory(reinterpret_cast<const void *>(&of)), error);
  if (!config) fail(desc.name, error);

  auto *created = new ShimContext(desc, std::move(*config));
  void *expected = nullptr;
  if (!slot.compare_exchange_strong(expected, created, std::memory_order_acq_rel)) {
    delete created;  // another thread won the race; nothing was loaded yet
    return *static_cast<ShimContext *>(expected);
  }
  return *created;
}

ShimContext::ShimContext(const shimpool_shim_desc &desc, Config config)
    : desc_(desc), config_(std::move(config)), pool_(*this, config_.max_instances) {
  load_options_.temp_directory = config_.temp_directory;
}

std::string ShimContext::advice_for(platform::LoadFailure cause) const {
  const std::string library_variable = variable_name(desc_, "REAL_LIBRARY");
  switch (cause) {
    case platform::LoadFailure::TempDirectory:
      return "Set " + variable_name(desc_, "TMPDIR") +
             " to a writable directory on a filesystem that allows executables";
    case platform::LoadFailure::Loader:
      return "Set " + library_variable +
             " to the original library built for this platform, and check that its "
             "dependencies can be found";
    default:
      return "Set " + library_variable + " to the original library's path";
  }
}

std::unique_ptr<Instance> ShimContext::create(std::string &error) {
  platform::LoadError load_error;
  void *library = platform::load_private_copy(config_.real_library, load_options_, load_error);
  if (!library) {
    error = load_error.message + ". " + advice_for(load_error.cause);
    return nullptr;
  }
  auto instance = std::make_unique<Instance>();
  instance->library = library;
  instance->functions.reserve(desc_.function_count);
  for (size_t i = 0; i < desc_.function_count; ++i) {
    void *function = platform::find_symbol(library, desc_.functions[i]);
    if (!function) {
      error = std::string("the real library ") + config_.real_library + " has no function '" +
              desc_.functions[i] + "' that the header declares. Set " +
              variable_name(desc_, "REAL_LIBRARY") +
              " to the library this header belongs to, or regenerate the shim without it";
      platform::unload(library);
      return nullptr;
    }
    instance->functions.push_back(function);
  }
  return instance;
}

void ShimContext::destroy(Instance &instance) noexcept {
  if (instance.library) platform::unload(instance.library);
  instance.library = nullptr;
}

}  // namespace shimpool
