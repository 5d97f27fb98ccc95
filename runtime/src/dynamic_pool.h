// Everything one dynamic pool owns: its configuration, the loader options, the
// described functions, the broadcast log and the pool of instances. The same
// pieces a generated shim's context uses, with functions described at run
// time and called through libffi.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "broadcast_log.h"
#include "config.h"
#include "dynamic_signature.h"
#include "instance.h"
#include "platform.h"
#include "pool.h"
#include "shimpool/dynamic.h"
#include "shimpool/shim_runtime.h"

struct shimpool_function {
  shimpool::dynamic::CallInterface call;
  std::string name;
  size_t index = 0;  // its slot in every instance's table of resolved functions
  enum class Policy { Pooled, Sticky, Broadcast, Direct } policy = Policy::Pooled;
  const shimpool_pool *owner = nullptr;
};

namespace shimpool::dynamic {

// The described functions of one instance, resolved on first use. Lock-free:
// `direct` calls read the pinned instance's table from many threads at once.
class ResolvedFunctions {
 public:
  static constexpr size_t kChunkSize = 64;
  static constexpr size_t kChunks = 1024;
  static constexpr size_t kCapacity = kChunkSize * kChunks;

  ResolvedFunctions(const shimpool_pool *owner, void *library) : owner_(owner), library_(library) {}
  ~ResolvedFunctions();
  ResolvedFunctions(const ResolvedFunctions &) = delete;
  ResolvedFunctions &operator=(const ResolvedFunctions &) = delete;

  // The address of `function` in this instance, or nullptr if it has none.
  void *get(const shimpool_function &function);
  const shimpool_pool *owner() const { return owner_; }

 private:
  const shimpool_pool *owner_;
  void *library_;
  std::atomic<std::atomic<void *> *> chunks_[kChunks] = {};
};

// An instance's table: slot 0 of Instance::functions carries it, so code that
// only sees the instance (broadcast replays) finds its functions.
inline ResolvedFunctions &resolved_functions(const Instance &instance) {
  return *static_cast<ResolvedFunctions *>(instance.functions.front());
}

}  // namespace shimpool::dynamic

struct shimpool_pool final : shimpool::InstanceSource {
 public:
  // Reads the options (SHIMPOOL_<NAME>_* variables override them) and loads the
  // first instance. Returns nullptr with `error` set on failure.
  static std::unique_ptr<shimpool_pool> open(const char *library_path,
                                             const shimpool_pool_options &options,
                                             std::string &error);
  ~shimpool_pool() override;

  // A new function handle, or nullptr with `error` set.
  shimpool_function *describe(const char *name, const char *signature, const char *policy,
                              std::string &error);
  // Runs `function` as its policy says; false with `error` set if no instance could be had.
  bool call(shimpool_function &function, shimpool_value *result, const shimpool_value *args,
            std::string &error);
  bool call_on_session(shimpool_session &session, shimpool_function &function,
                       shimpool_value *result, const shimpool_value *args, std::string &error);

  shimpool_session *open_session(std::string &error);
  void close_session(shimpool_session *session);
  bool begin_session(std::string &error);
  bool end_session();

  shimpool_stats stats() const;
  // Whether the pool may be destroyed now; false with `error` naming what is still in use.
  bool can_close(std::string &error) const;

  shimpool::Pool &pool() { return *pool_; }
  const std::string &name() const { return name_; }

  std::unique_ptr<shimpool::Instance> create(std::string &error) override;
  void destroy(shimpool::Instance &instance) noexcept override;
  void on_lease(shimpool::Instance &instance) override {
    shimpool::platform::prepare_thread(instance.thread_setup);
    broadcasts_.catch_up(instance);
  }

 private:
  shimpool_pool(std::string name, shimpool::Config config, std::vector<std::string> init_functions);

  // Whether the library has `name`, asked of a live instance (one is loaded if
  // none is); false with `error` set when it has not or none can be loaded.
  bool library_has(const std::string &name, std::string &error);
  // Takes and gives back a lease the statistics do not count as a call.
  bool touch_instance(std::string &error);
  // Calls `function` on the leased `instance`, recording it first if it is broadcast.
  bool call_on(shimpool::Instance &instance, shimpool_function &function, shimpool_value *result,
               const shimpool_value *args, std::string &error);
  void record_broadcast(shimpool::Instance &instance, const shimpool_function &function,
                        const shimpool_value *args);
  static void replay_broadcast(void *const *functions, const void *arguments);
  std::string advice_for(shimpool::platform::LoadFailure cause) const;
  static void warn(void *context, shimpool::platform::LoadWarning kind, const char *message);
  void start_upkeep();
  void stop_upkeep();

  const std::string name_;
  const std::string env_prefix_;
  const shimpool::Config config_;
  const std::vector<std::string> init_functions_;
  shimpool::platform::LoadOptions load_options_;

  mutable std::mutex functions_mutex_;
  std::deque<shimpool_function> functions_;           // stable addresses: handles point here
  std::deque<std::unique_ptr<char[]>> kept_strings_;  // broadcast arguments, freed with the pool

  mutable std::mutex live_mutex_;
  std::vector<void *> live_libraries_;  // asked by describe; an instance leaves before it unloads

  shimpool::BroadcastLog broadcasts_;  // before pool_: instances replay it as they are made
  std::unique_ptr<shimpool::Pool> pool_;
  std::atomic<uint64_t> sessions_open_{0};
  std::atomic<uint64_t> thread_sessions_open_{0};
  std::atomic<uint64_t> internal_leases_{0};  // leases taken by the pool itself, not calls
  std::atomic<unsigned> warned_kinds_{0};

  std::mutex upkeep_mutex_;
  std::condition_variable upkeep_wakeup_;
  bool upkeep_stop_ = false;
  std::thread upkeep_;
};
