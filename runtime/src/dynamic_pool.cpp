#include "dynamic_pool.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <cwchar>

#include "held_leases.h"
#include "sessions.h"
#include "upkeep.h"

using shimpool::Instance;
using shimpool::Pool;
namespace platform = shimpool::platform;

namespace shimpool::dynamic {

ResolvedFunctions::~ResolvedFunctions() {
  for (auto &chunk : chunks_) delete[] chunk.load(std::memory_order_relaxed);
}

void *ResolvedFunctions::get(const shimpool_function &function) {
  std::atomic<std::atomic<void *> *> &chunk_slot = chunks_[function.index / kChunkSize];
  std::atomic<void *> *chunk = chunk_slot.load(std::memory_order_acquire);
  if (!chunk) {
    auto *fresh = new std::atomic<void *>[kChunkSize]();
    if (chunk_slot.compare_exchange_strong(chunk, fresh, std::memory_order_acq_rel))
      chunk = fresh;
    else
      delete[] fresh;  // another thread's chunk won; `chunk` now holds it
  }
  std::atomic<void *> &slot = chunk[function.index % kChunkSize];
  void *address = slot.load(std::memory_order_acquire);
  if (!address) {
    // Every thread that races here finds the same address.
    address = platform::find_symbol(library_, function.name.c_str());
    if (address) slot.store(address, std::memory_order_release);
  }
  return address;
}

}  // namespace shimpool::dynamic

using shimpool::dynamic::resolved_functions;
using shimpool::dynamic::ResolvedFunctions;

namespace {

constexpr unsigned kDefaultMaxInstances = 8;

bool is_identifier(const std::string &text) {
  if (text.empty() || std::isdigit(static_cast<unsigned char>(text.front()))) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

// "libtoto.so.1" -> "toto": what a shim of it would be named.
std::string default_pool_name(const std::string &path) {
  std::string file = path.substr(path.find_last_of('/') + 1);
  if (file.rfind("lib", 0) == 0 && file.size() > 3) file.erase(0, 3);
  file = file.substr(0, file.find('.'));
  for (char &c : file)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  if (file.empty() || std::isdigit(static_cast<unsigned char>(file.front()))) file = "pool_" + file;
  return file;
}

std::string upper_case(std::string text) {
  for (char &c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

std::string absolute_path(const std::string &path) {
  if (platform::is_absolute_path(path)) return path;
  char directory[4096];
  if (!getcwd(directory, sizeof directory)) return path;
  return std::string(directory) + "/" + path;
}

// "AU3_Init, other" -> {"AU3_Init", "other"}; nullopt with `error` for an empty name.
std::optional<std::vector<std::string>> split_names(const char *list, std::string &error) {
  std::vector<std::string> names;
  if (!list || !*list) return names;
  std::string text(list);
  size_t start = 0;
  for (;;) {
    size_t comma = text.find(',', start);
    std::string name =
        text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    name.erase(0, name.find_first_not_of(" \t"));
    name.erase(name.find_last_not_of(" \t") + 1);
    if (name.empty()) {
      error = "options.init_functions '" + text +
              "' has an empty name; write the names separated by commas, e.g. \"AU3_Init\"";
      return std::nullopt;
    }
    names.push_back(name);
    if (comma == std::string::npos) return names;
    start = comma + 1;
  }
}

// What a recorded broadcast call holds: the function, then its arguments.
struct BroadcastHeader {
  const shimpool_function *function;
};

}  // namespace

std::unique_ptr<shimpool_pool> shimpool_pool::open(const char *library_path,
                                                   const shimpool_pool_options &options,
                                                   std::string &error) {
  if (!library_path || !*library_path) {
    error = "no library path given; pass shimpool_pool_open the path of the library file";
    return nullptr;
  }
  const std::string library = absolute_path(library_path);
  std::string name = options.name && *options.name ? options.name : default_pool_name(library);
  if (!is_identifier(name)) {
    error = "options.name '" + name +
            "' is not a C identifier; it names the SHIMPOOL_<NAME>_* variables (e.g. \"toto\")";
    return nullptr;
  }
  const unsigned max = options.max_instances ? options.max_instances : kDefaultMaxInstances;
  if (max > shimpool::kMaxInstancesLimit) {
    error = "options.max_instances (" + std::to_string(max) + ") is above " +
            std::to_string(shimpool::kMaxInstancesLimit) + "; lower it";
    return nullptr;
  }
  if (options.min_instances > max) {
    error = "options.min_instances (" + std::to_string(options.min_instances) +
            ") is above the maximum (" + std::to_string(max) +
            "); lower it or raise options.max_instances";
    return nullptr;
  }
  if (options.strategy && *options.strategy) {
    auto strategy = platform::parse_load_strategy(options.strategy);
    if (!strategy || !platform::is_available(*strategy)) {
      error = std::string("options.strategy '") + options.strategy +
              "' is not a loader strategy of this platform; use copy, memfd or namespace";
      return nullptr;
    }
  }
  auto init_functions = split_names(options.init_functions, error);
  if (!init_functions) return nullptr;

  // The same configuration a shim reads, its generation defaults being the options.
  const std::string prefix = "SHIMPOOL_" + upper_case(name) + "_";
  shimpool_shim_desc desc{};
  desc.name = name.c_str();
  desc.env_prefix = prefix.c_str();
  desc.real_library = library.c_str();
  desc.max_instances = max;
  desc.min_instances = options.min_instances;
  desc.idle_timeout_ms = options.idle_timeout_ms;
  desc.acquire_timeout_ms = options.acquire_timeout_ms;
  desc.strategy = options.strategy;
  auto config = shimpool::load_config(desc, "", error);
  if (!config) return nullptr;
  if (options.temp_directory && *options.temp_directory &&
      !platform::environment(prefix + "TMPDIR"))
    config->temp_directory = options.temp_directory;

  std::unique_ptr<shimpool_pool> pool(
      new shimpool_pool(std::move(name), std::move(*config), std::move(*init_functions)));
  if (!pool->touch_instance(error)) return nullptr;  // the library must load now, not at a call
  pool->start_upkeep();
  return pool;
}

shimpool_pool::shimpool_pool(std::string name, shimpool::Config config,
                             std::vector<std::string> init_functions)
    : name_(std::move(name)),
      env_prefix_("SHIMPOOL_" + upper_case(name_) + "_"),
      config_(std::move(config)),
      init_functions_(std::move(init_functions)) {
  load_options_.temp_directory = config_.temp_directory;
  load_options_.strategy = config_.strategy;
  load_options_.warn = &shimpool_pool::warn;
  load_options_.warn_context = this;
  pool_ = std::make_unique<Pool>(*this, config_.limits);
}

shimpool_pool::~shimpool_pool() {
  stop_upkeep();
  pool_.reset();  // unloads every instance through destroy()
}

void shimpool_pool::warn(void *context, platform::LoadWarning kind, const char *message) {
  auto *self = static_cast<shimpool_pool *>(context);
  const unsigned bit = 1u << static_cast<unsigned>(kind);
  if (self->warned_kinds_.fetch_or(bit) & bit) return;
  std::fprintf(stderr, "shimpool[%s]: warning: %s\n", self->name_.c_str(), message);
}

std::string shimpool_pool::advice_for(platform::LoadFailure cause) const {
  switch (cause) {
    case platform::LoadFailure::TempDirectory:
      return "Set options.temp_directory (or " + env_prefix_ +
             "TMPDIR) to a writable directory on a filesystem that allows executables";
    case platform::LoadFailure::Strategy:
      return "Set options.strategy to \"namespace\" (or " + env_prefix_ +
             "STRATEGY=namespace), which loads instances without it";
    case platform::LoadFailure::LoaderLimit:
      return "Lower options.max_instances (or " + env_prefix_ +
             "MAX_INSTANCES), or choose another options.strategy";
    case platform::LoadFailure::Loader:
      return "Open the library built for this platform, and check that its dependencies can "
             "be found";
    default:
      return "Pass shimpool_pool_open the path of the library file (a bare name is not "
             "searched for), or set " +
             env_prefix_ + "REAL_LIBRARY";
  }
}

std::unique_ptr<Instance> shimpool_pool::create(std::string &error) {
  platform::LoadError load_error;
  void *library = platform::load_private_copy(config_.real_library, load_options_, load_error);
  if (!library) {
    error = load_error.message + ". " + advice_for(load_error.cause);
    return nullptr;
  }
  std::vector<void (*)()> inits;
  for (const std::string &init : init_functions_) {
    void *function = platform::find_symbol(library, init.c_str());
    if (!function) {
      error = "the library " + config_.real_library + " has no function '" + init +
              "' that options.init_functions names; correct the name or leave it out";
      platform::unload(library);
      return nullptr;
    }
    inits.push_back(reinterpret_cast<void (*)()>(function));
  }
  auto instance = std::make_unique<Instance>();
  instance->library = library;
  instance->thread_setup = platform::thread_setup_for(library);
  instance->functions.push_back(new ResolvedFunctions(this, library));
  platform::prepare_thread(instance->thread_setup);  // init and replays run on this thread
  for (auto init : inits) init();  // not shared yet: ready before any caller sees it
  broadcasts_.catch_up(*instance);
  {
    std::lock_guard lock(live_mutex_);
    live_libraries_.push_back(library);
  }
  return instance;
}

void shimpool_pool::destroy(Instance &instance) noexcept {
  {
    std::lock_guard lock(live_mutex_);
    std::erase(live_libraries_, instance.library);
  }
  if (!instance.functions.empty()) delete &resolved_functions(instance);
  instance.functions.clear();
  if (instance.library) platform::unload(instance.library);
  instance.library = nullptr;
}

bool shimpool_pool::touch_instance(std::string &error) {
  Instance *instance = pool_->acquire(error);
  if (!instance) return false;
  internal_leases_.fetch_add(1, std::memory_order_relaxed);
  pool_->release(instance);
  return true;
}

bool shimpool_pool::library_has(const std::string &name, std::string &error) {
  bool found = false;
  bool asked = false;
  {
    std::lock_guard lock(live_mutex_);  // an instance unloads only after leaving the list
    if (!live_libraries_.empty()) {
      found = platform::find_symbol(live_libraries_.front(), name.c_str()) != nullptr;
      asked = true;
    }
  }
  if (!asked) {  // every instance was evicted: load one to ask
    Instance *instance = pool_->acquire(error);
    if (!instance) return false;
    internal_leases_.fetch_add(1, std::memory_order_relaxed);
    found = platform::find_symbol(instance->library, name.c_str()) != nullptr;
    pool_->release(instance);
  }
  if (!found)
    error = "the library " + config_.real_library + " has no function '" + name +
            "'; check the name (C functions are exported under their own names, C++ ones "
            "mangled unless declared extern \"C\")";
  return found;
}

shimpool_function *shimpool_pool::describe(const char *name, const char *signature,
                                           const char *policy, std::string &error) {
  using Policy = shimpool_function::Policy;
  if (!name || !*name) {
    error = "no function name given; pass the name the library exports, e.g. \"toto_foo\"";
    return nullptr;
  }
  const std::string function_name = name;
  auto parsed = shimpool::dynamic::parse_signature(signature ? signature : "", error);
  if (!parsed) {
    error = function_name + ": " + error;
    return nullptr;
  }
  const std::string policy_text = policy ? policy : "";
  Policy chosen;
  if (policy_text.empty() || policy_text == "pooled") {
    chosen = Policy::Pooled;
  } else if (policy_text == "sticky") {
    chosen = Policy::Sticky;
  } else if (policy_text == "broadcast") {
    chosen = Policy::Broadcast;
  } else if (policy_text == "direct") {
    chosen = Policy::Direct;
  } else if (policy_text == "init") {
    error = function_name +
            ": init functions are pool options, so that every instance runs "
            "them before its first call; name it in options.init_functions";
    return nullptr;
  } else {
    error = function_name + ": policy '" + policy_text +
            "' is not one of pooled, sticky, broadcast, direct";
    return nullptr;
  }
  if (chosen == Policy::Broadcast) {
    for (size_t i = 0; i < parsed->parameters.size(); ++i)
      if (!shimpool::dynamic::is_replayable(parsed->parameters[i])) {
        error = function_name +
                ": a broadcast call is replayed later on other instances, so "
                "its arguments are kept, and parameter " +
                std::to_string(i + 1) +
                " is 'ptr', memory of unknown size; describe it with values and strings "
                "(str, wstr) only, or as pooled";
        return nullptr;
      }
  }
  if (!library_has(function_name, error)) return nullptr;

  std::lock_guard lock(functions_mutex_);
  if (functions_.size() >= ResolvedFunctions::kCapacity) {
    error = "the pool already has " + std::to_string(ResolvedFunctions::kCapacity) +
            " described functions; describe each function once and keep its handle";
    return nullptr;
  }
  shimpool_function &function = functions_.emplace_back();
  if (!function.call.prepare(*parsed, error)) {
    error = function_name + ": " + error;
    functions_.pop_back();
    return nullptr;
  }
  function.name = function_name;
  function.index = functions_.size() - 1;
  function.policy = chosen;
  function.owner = this;
  return &function;
}

bool shimpool_pool::call(shimpool_function &function, shimpool_value *result,
                         const shimpool_value *args, std::string &error) {
  using Policy = shimpool_function::Policy;
  if (function.policy == Policy::Direct) {
    Instance *instance = pool_->pinned(error);
    if (!instance) return false;
    platform::prepare_thread(instance->thread_setup);
    return call_on(*instance, function, result, args, error);
  }
  const auto preference =
      function.policy == Policy::Sticky ? Pool::Preference::Sticky : Pool::Preference::Affinity;
  shimpool::HeldLease *held = nullptr;  // the thread's record: leaving needs no lookup
  Instance *instance = pool_->enter(error, preference, &held);
  if (!instance) return false;
  struct Leave {  // also when keeping a broadcast's arguments throws
    Pool &pool;
    shimpool::HeldLease &held;
    ~Leave() { pool.leave(held); }
  } leave{*pool_, *held};
  return call_on(*instance, function, result, args, error);
}

bool shimpool_pool::call_on(Instance &instance, shimpool_function &function, shimpool_value *result,
                            const shimpool_value *args, std::string &error) {
  void *target = resolved_functions(instance).get(function);
  if (!target) {
    error = "an instance of " + config_.real_library + " has no function '" + function.name +
            "'; the library file changed since the pool was opened";
    return false;
  }
  if (function.policy == shimpool_function::Policy::Broadcast)
    record_broadcast(instance, function, args);
  function.call.call(target, args, result);
  return true;
}

void shimpool_pool::record_broadcast(Instance &instance, const shimpool_function &function,
                                     const shimpool_value *args) {
  using shimpool::dynamic::ValueType;
  const auto &parameters = function.call.signature().parameters;
  std::vector<unsigned char> record(sizeof(BroadcastHeader) +
                                    parameters.size() * sizeof(shimpool_value));
  const BroadcastHeader header{&function};
  std::memcpy(record.data(), &header, sizeof header);
  for (size_t i = 0; i < parameters.size(); ++i) {
    shimpool_value kept = args[i];
    // Strings are copied: the caller's memory is gone by the time others replay it.
    if (parameters[i] == ValueType::String && kept.str) {
      const size_t bytes = std::strlen(kept.str) + 1;
      auto copy = std::make_unique<char[]>(bytes);
      std::memcpy(copy.get(), kept.str, bytes);
      kept.str = copy.get();
      std::lock_guard lock(functions_mutex_);
      kept_strings_.push_back(std::move(copy));
    } else if (parameters[i] == ValueType::WideString && kept.wstr) {
      const size_t bytes = (std::wcslen(kept.wstr) + 1) * sizeof(wchar_t);
      auto copy = std::make_unique<char[]>(bytes);
      std::memcpy(copy.get(), kept.wstr, bytes);
      kept.wstr = reinterpret_cast<const wchar_t *>(copy.get());
      std::lock_guard lock(functions_mutex_);
      kept_strings_.push_back(std::move(copy));
    }
    std::memcpy(record.data() + sizeof header + i * sizeof kept, &kept, sizeof kept);
  }
  broadcasts_.record(instance, &shimpool_pool::replay_broadcast, record.data(), record.size());
}

void shimpool_pool::replay_broadcast(void *const *functions, const void *arguments) {
  BroadcastHeader header;
  std::memcpy(&header, arguments, sizeof header);
  const shimpool_function &function = *header.function;
  void *target = static_cast<ResolvedFunctions *>(functions[0])->get(function);
  if (!target) return;  // not in this copy of the file the call was checked against
  std::array<shimpool_value, shimpool::dynamic::kMaxParameters> values;
  const size_t count = function.call.signature().parameters.size();
  std::memcpy(values.data(), static_cast<const unsigned char *>(arguments) + sizeof header,
              count * sizeof(shimpool_value));
  function.call.call(target, values.data(), nullptr);
}

shimpool_session *shimpool_pool::open_session(std::string &error) {
  Instance *instance = pool_->acquire(error);
  if (!instance) return nullptr;
  auto *session = new shimpool_session;
  session->instance = instance;
  sessions_open_.fetch_add(1);
  return session;
}

void shimpool_pool::close_session(shimpool_session *session) {
  if (resolved_functions(*session->instance).owner() != this) return;  // another pool's
  {
    std::lock_guard wait_for_calls(session->mutex);
    pool_->release(session->instance);
  }
  sessions_open_.fetch_sub(1);
  delete session;
}

bool shimpool_pool::call_on_session(shimpool_session &session, shimpool_function &function,
                                    shimpool_value *result, const shimpool_value *args,
                                    std::string &error) {
  if (resolved_functions(*session.instance).owner() != this) {
    error =
        "the session was opened on another pool; call a function on the pool whose "
        "shimpool_pool_session_open returned the session";
    return false;
  }
  shimpool_lease lease{};
  if (!shimpool::enter_session(*pool_, session, lease, error)) return false;
  struct Leave {  // also when keeping a broadcast's arguments throws
    Pool &pool;
    shimpool_session &session;
    shimpool_lease &lease;
    ~Leave() { shimpool::leave_session(pool, session, lease); }
  } leave{*pool_, session, lease};
  on_lease(*session.instance);  // broadcasts recorded since the session's last call
  return call_on(*session.instance, function, result, args, error);
}

bool shimpool_pool::begin_session(std::string &error) {
  if (!pool_->enter(error)) return false;
  thread_sessions_open_.fetch_add(1);
  return true;
}

bool shimpool_pool::end_session() {
  if (!pool_->leave()) return false;
  thread_sessions_open_.fetch_sub(1);
  return true;
}

shimpool_stats shimpool_pool::stats() const {
  shimpool_stats stats = pool_->stats();
  const uint64_t internal = internal_leases_.load(std::memory_order_relaxed);
  stats.calls = stats.calls > internal ? stats.calls - internal : 0;
  stats.sessions_open = sessions_open_.load();
  return stats;
}

bool shimpool_pool::can_close(std::string &error) const {
  const uint64_t sessions = sessions_open_.load();
  const uint64_t thread_sessions = thread_sessions_open_.load();
  const shimpool_stats now = pool_->stats();
  const uint64_t leased = now.live_instances - std::min(now.live_instances, now.idle_instances);
  if (sessions > 0) {
    error = "cannot close the pool of " + config_.real_library + ": " + std::to_string(sessions) +
            " session(s) still open; close them with shimpool_pool_session_close first";
  } else if (thread_sessions > 0) {
    error = "cannot close the pool of " + config_.real_library + ": " +
            std::to_string(thread_sessions) +
            " thread-bound session(s) still open; end them "
            "with shimpool_pool_session_end on the threads that began them";
  } else if (leased > 0) {
    error = "cannot close the pool of " + config_.real_library + ": " + std::to_string(leased) +
            " call(s) still running on its instances; close it after they return";
  } else {
    return true;
  }
  return false;
}

void shimpool_pool::start_upkeep() {
  if (!shimpool::needs_upkeep(config_.limits)) return;
  upkeep_ = std::thread([this] {
    shimpool::run_upkeep(*pool_, config_, &shimpool_pool::warn, this,
                         [this](std::chrono::milliseconds tick) {
                           std::unique_lock lock(upkeep_mutex_);
                           return !upkeep_wakeup_.wait_for(lock, tick, [this] { return upkeep_stop_; });
                         });
  });
}

void shimpool_pool::stop_upkeep() {
  if (!upkeep_.joinable()) return;
  {
    std::lock_guard lock(upkeep_mutex_);
    upkeep_stop_ = true;
  }
  upkeep_wakeup_.notify_all();
  upkeep_.join();
}
