#include "shim_context.h"

#include <algorithm>
#include <cstdio>
#include <atomic>
#include <thread>

#include "errors.h"
#include "upkeep.h"

namespace shimpool {
namespace {
// Any function of the runtime: its address tells which file the shim is.
void adopt_shim_directory() {}
}  // namespace

ShimContext *ShimContext::of(shimpool_shim *shim, std::string &error) {
  std::atomic_ref<void *> slot(shim->context);
  if (void *existing = slot.load(std::memory_order_acquire))
    return static_cast<ShimContext *>(existing);

  const shimpool_shim_desc &desc = *shim->desc;
  // The runtime is linked into the shim, so this function's address names the shim's file.
  const void *self = reinterpret_cast<const void *>(&adopt_shim_directory);
  platform::keep_module_loaded(self);
  auto config = load_config(desc, platform::module_directory(self), error);
  if (!config) return nullptr;

  auto *created = new ShimContext(desc, std::move(*config));
  void *expected = nullptr;
  if (!slot.compare_exchange_strong(expected, created, std::memory_order_acq_rel)) {
    delete created;  // another thread won the race; nothing was loaded yet
    return static_cast<ShimContext *>(expected);
  }
  created->start_upkeep();
  return created;
}

ShimContext &ShimContext::of(shimpool_shim *shim) {
  std::string error;
  if (ShimContext *context = of(shim, error)) return *context;
  fail(shim, error);
}

ShimContext::ShimContext(const shimpool_shim_desc &desc, Config config)
    : desc_(desc), config_(std::move(config)), pool_(*this, config_.limits) {
  load_options_.temp_directory = config_.temp_directory;
  load_options_.strategy = config_.strategy;
  load_options_.warn = &ShimContext::warn;
  load_options_.warn_context = this;
  load_options_.image = config_.embedded;
  load_options_.sha256 = config_.sha256;
}

void ShimContext::warn(void *context, platform::LoadWarning kind, const char *message) {
  auto *self = static_cast<ShimContext *>(context);
  const unsigned bit = 1u << static_cast<unsigned>(kind);
  if (self->warned_kinds_.fetch_or(bit) & bit) return;
  std::fprintf(stderr, "shimpool[%s]: warning: %s\n", self->desc_.name, message);
}

void ShimContext::start_upkeep() {
  if (!needs_upkeep(config_.limits)) return;
  // Detached and never ending: the context outlives every thread that uses it.
  std::thread([this] {
    run_upkeep(pool_, config_, &ShimContext::warn, this, [](std::chrono::milliseconds tick) {
      std::this_thread::sleep_for(tick);
      return true;
    });
  }).detach();
}

std::string ShimContext::advice_for(platform::LoadFailure cause) const {
  const std::string library_variable = variable_name(desc_, "REAL_LIBRARY");
  switch (cause) {
    case platform::LoadFailure::TempDirectory:
      return "Set " + variable_name(desc_, "TMPDIR") +
             " to a writable directory on a filesystem that allows executables";
    case platform::LoadFailure::Strategy:
      return "Set " + variable_name(desc_, "STRATEGY") + "=namespace, which loads instances without it";
    case platform::LoadFailure::LoaderLimit:
      return "Lower " + variable_name(desc_, "MAX_INSTANCES") +
             ", or choose another strategy with " + variable_name(desc_, "STRATEGY");
    case platform::LoadFailure::Integrity:
      return "Set " + library_variable +
             " to the library the shim was generated for, or regenerate the shim with "
             "--pin-sha256 for this one";
    case platform::LoadFailure::Loader:
      return "Set " + library_variable +
             " to the original library built for this platform, and check that its "
             "dependencies can be found";
    default:
      return "Set " + library_variable + " to the original library's path";
  }
}

std::unique_ptr<Instance> ShimContext::create(std::string &error) {
  std::unique_ptr<Instance> instance = load_instance(error);
  if (!instance) {
    // The pool keeps serving from the instances it has: say so once, rather
    // than let a host run on fewer instances than configured without a word.
    const uint64_t live = pool_.stats().live_instances;
    if (live > 0 && !warned_creation_failed_.exchange(true))
      std::fprintf(stderr,
                   "shimpool[%s]: warning: could not load another instance, so calls wait for the "
                   "%llu already loaded: %s (later failures are only counted, in the statistics' "
                   "creation_failures)\n",
                   desc_.name, static_cast<unsigned long long>(live), error.c_str());
  }
  return instance;
}

std::unique_ptr<Instance> ShimContext::load_instance(std::string &error) {
  platform::LoadError load_error;
  void *library = platform::load_private_copy(config_.real_library, load_options_, load_error);
  if (!library) {
    error = load_error.message + ". " + advice_for(load_error.cause);
    return nullptr;
  }
  auto instance = std::make_unique<Instance>();
  instance->library = library;
  instance->thread_setup = platform::thread_setup_for(library);
  platform::prepare_thread(instance->thread_setup);  // init and replays run on this thread
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
  // Not shared yet: the instance is made ready before any caller can see it.
  if (desc_.init_instance) desc_.init_instance(instance->functions.data());
  broadcasts_.catch_up(*instance);
  return instance;
}

void ShimContext::destroy(Instance &instance) noexcept {
  if (instance.library) platform::unload(instance.library);
  instance.library = nullptr;
}

}  // namespace shimpool
