// The C entry points of libshimpool_dynamic (shimpool/dynamic.h). Nothing
// aborts on bad input: every failure fills the caller's error buffer, and no
// C++ exception crosses into the host.
#include <algorithm>
#include <cstring>
#include <new>
#include <string>

#include "dynamic_pool.h"
#include "shimpool/dynamic.h"

namespace {

void copy_message(const std::string &text, char *out, size_t size) {
  if (!out || size == 0) return;
  const size_t n = std::min(text.size(), size - 1);
  std::memcpy(out, text.data(), n);
  out[n] = '\0';
}

// Runs `body` (which returns the result and may set `error`), turning any C++
// exception into a message: the host must only ever see `failed`.
template <typename Result, typename Body>
Result guarded(char *error, size_t error_size, Result failed, Body body) {
  std::string message;
  try {
    Result result = body(message);
    if (result == failed) copy_message(message, error, error_size);
    return result;
  } catch (const std::bad_alloc &) {
    copy_message("out of memory", error, error_size);
  } catch (const std::exception &e) {
    copy_message(std::string("internal error: ") + e.what(), error, error_size);
  } catch (...) {
    copy_message("internal error", error, error_size);
  }
  return failed;
}

// The caller's options, over zeroed defaults: a caller built against an older
// header passes a smaller struct, a newer one a larger struct whose extra
// fields this library does not know.
bool read_options(const shimpool_pool_options *given, shimpool_pool_options &out,
                  std::string &error) {
  std::memset(&out, 0, sizeof out);
  out.size = sizeof out;
  if (!given) return true;
  if (given->size < sizeof given->size) {
    error = "options->size is " + std::to_string(given->size) +
            ": set it to sizeof(shimpool_pool_options) (" + std::to_string(sizeof out) + ")";
    return false;
  }
  std::memcpy(&out, given, std::min(given->size, sizeof out));
  return true;
}

bool check_call(shimpool_pool *pool, shimpool_function *function, const shimpool_value *args,
                std::string &error) {
  if (!pool || !function) {
    error = pool ? "no function given; pass a handle from shimpool_pool_function"
                 : "no pool given; pass the handle shimpool_pool_open returned";
    return false;
  }
  if (function->owner != pool) {
    error = "the function '" + function->name +
            "' was described on another pool; describe it on this pool with "
            "shimpool_pool_function";
    return false;
  }
  if (!args && !function->call.signature().parameters.empty()) {
    error = function->name + ": no arguments given for its " +
            std::to_string(function->call.signature().parameters.size()) + " parameter(s)";
    return false;
  }
  return true;
}

}  // namespace

extern "C" {

SHIMPOOL_DYNAMIC_API shimpool_pool *shimpool_pool_open(const char *library_path,
                                                       const shimpool_pool_options *options,
                                                       char *error, size_t error_size) {
  return guarded<shimpool_pool *>(error, error_size, nullptr, [&](std::string &message) {
    shimpool_pool_options read{};
    if (!read_options(options, read, message)) return static_cast<shimpool_pool *>(nullptr);
    return shimpool_pool::open(library_path, read, message).release();
  });
}

SHIMPOOL_DYNAMIC_API shimpool_function *shimpool_pool_function(shimpool_pool *pool,
                                                               const char *name,
                                                               const char *signature,
                                                               const char *policy, char *error,
                                                               size_t error_size) {
  return guarded<shimpool_function *>(error, error_size, nullptr, [&](std::string &message) {
    if (!pool) {
      message = "no pool given; pass the handle shimpool_pool_open returned";
      return static_cast<shimpool_function *>(nullptr);
    }
    return pool->describe(name, signature, policy, message);
  });
}

SHIMPOOL_DYNAMIC_API int shimpool_pool_call(shimpool_pool *pool, shimpool_function *function,
                                            shimpool_value *result, const shimpool_value *args,
                                            char *error, size_t error_size) {
  return guarded<int>(error, error_size, -1, [&](std::string &message) {
    if (!check_call(pool, function, args, message)) return -1;
    return pool->call(*function, result, args, message) ? 0 : -1;
  });
}

SHIMPOOL_DYNAMIC_API shimpool_session *shimpool_pool_session_open(shimpool_pool *pool, char *error,
                                                                  size_t error_size) {
  return guarded<shimpool_session *>(error, error_size, nullptr, [&](std::string &message) {
    if (!pool) {
      message = "no pool given; pass the handle shimpool_pool_open returned";
      return static_cast<shimpool_session *>(nullptr);
    }
    return pool->open_session(message);
  });
}

SHIMPOOL_DYNAMIC_API int shimpool_pool_session_call(shimpool_pool *pool, shimpool_session *session,
                                                    shimpool_function *function,
                                                    shimpool_value *result,
                                                    const shimpool_value *args, char *error,
                                                    size_t error_size) {
  return guarded<int>(error, error_size, -1, [&](std::string &message) {
    if (!check_call(pool, function, args, message)) return -1;
    if (!session) {
      message = "no session given; pass a handle from shimpool_pool_session_open";
      return -1;
    }
    return pool->call_on_session(*session, *function, result, args, message) ? 0 : -1;
  });
}

SHIMPOOL_DYNAMIC_API void shimpool_pool_session_close(shimpool_pool *pool,
                                                      shimpool_session *session) {
  if (pool && session) pool->close_session(session);
}

SHIMPOOL_DYNAMIC_API int shimpool_pool_session_begin(shimpool_pool *pool, char *error,
                                                     size_t error_size) {
  return guarded<int>(error, error_size, -1, [&](std::string &message) {
    if (!pool) {
      message = "no pool given; pass the handle shimpool_pool_open returned";
      return -1;
    }
    return pool->begin_session(message) ? 0 : -1;
  });
}

SHIMPOOL_DYNAMIC_API int shimpool_pool_session_end(shimpool_pool *pool) {
  return pool && pool->end_session() ? 0 : -1;
}

SHIMPOOL_DYNAMIC_API int shimpool_pool_stats(shimpool_pool *pool, shimpool_stats *out,
                                             size_t out_size) {
  if (!pool || !out) return -1;
  const shimpool_stats stats = pool->stats();
  std::memcpy(out, &stats, std::min(out_size, sizeof stats));
  return 0;
}

SHIMPOOL_DYNAMIC_API int shimpool_pool_close(shimpool_pool *pool, char *error, size_t error_size) {
  if (!pool) return 0;
  return guarded<int>(error, error_size, -1, [&](std::string &message) {
    if (!pool->can_close(message)) return -1;
    delete pool;
    return 0;
  });
}

}  // extern "C"
