// What the dynamic API's tests share: a pool that closes itself, functions
// that fail the test when they cannot be described, and argument builders.
#pragma once

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <vector>

#include "shimpool/dynamic.h"

namespace dynamic_test {

// Sanitizer runtimes abort on the RTLD_DEEPBIND that copies need: sanitizer
// builds load instances in namespaces (docs/reliability.md).
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool kSanitized = true;
inline constexpr const char *kStrategy = "namespace";
#else
inline constexpr bool kSanitized = false;
inline constexpr const char *kStrategy = nullptr;  // the default, copy
#endif

inline shimpool_pool_options options(unsigned max_instances = 8) {
  shimpool_pool_options o{};
  o.size = sizeof o;
  o.max_instances = max_instances;
  o.strategy = kStrategy;
  return o;
}

inline shimpool_value i32(int32_t v) {
  shimpool_value value{};
  value.i32 = v;
  return value;
}
inline shimpool_value str(const char *v) {
  shimpool_value value{};
  value.str = v;
  return value;
}
inline shimpool_value ptr(void *v) {
  shimpool_value value{};
  value.ptr = v;
  return value;
}

// A pool opened for one test and closed at its end (the close must succeed).
class TestPool {
 public:
  TestPool(const std::string &library, const shimpool_pool_options &opts) {
    char error[1024] = {};
    pool_ = shimpool_pool_open(library.c_str(), &opts, error, sizeof error);
    if (!pool_) ADD_FAILURE() << "shimpool_pool_open(" << library << "): " << error;
  }
  ~TestPool() {
    char error[1024] = {};
    if (pool_ && shimpool_pool_close(pool_, error, sizeof error) != 0)
      ADD_FAILURE() << "shimpool_pool_close: " << error;
  }
  TestPool(const TestPool &) = delete;
  TestPool &operator=(const TestPool &) = delete;

  bool ok() const { return pool_ != nullptr; }
  shimpool_pool *get() const { return pool_; }

  shimpool_function *function(const char *name, const char *signature,
                              const char *policy = nullptr) {
    char error[1024] = {};
    shimpool_function *fn =
        shimpool_pool_function(pool_, name, signature, policy, error, sizeof error);
    if (!fn) ADD_FAILURE() << "shimpool_pool_function(" << name << "): " << error;
    return fn;
  }

  // Calls `fn` and returns its result; a failed call fails the test.
  shimpool_value call(shimpool_function *fn, std::initializer_list<shimpool_value> args = {}) {
    std::vector<shimpool_value> values(args);
    shimpool_value result{};
    char error[1024] = {};
    if (shimpool_pool_call(pool_, fn, &result, values.data(), error, sizeof error) != 0)
      ADD_FAILURE() << "shimpool_pool_call: " << error;
    return result;
  }

  shimpool_value call_on(shimpool_session *session, shimpool_function *fn,
                         std::initializer_list<shimpool_value> args = {}) {
    std::vector<shimpool_value> values(args);
    shimpool_value result{};
    char error[1024] = {};
    if (shimpool_pool_session_call(pool_, session, fn, &result, values.data(), error,
                                   sizeof error) != 0)
      ADD_FAILURE() << "shimpool_pool_session_call: " << error;
    return result;
  }

  shimpool_session *open_session() {
    char error[1024] = {};
    shimpool_session *session = shimpool_pool_session_open(pool_, error, sizeof error);
    if (!session) ADD_FAILURE() << "shimpool_pool_session_open: " << error;
    return session;
  }

  shimpool_stats stats() const {
    shimpool_stats s{};
    EXPECT_EQ(shimpool_pool_stats(pool_, &s, sizeof s), 0);
    return s;
  }

 private:
  shimpool_pool *pool_ = nullptr;
};

// Sessions opened together, so each holds its own instance; closed at the end.
class Sessions {
 public:
  Sessions(TestPool &pool, int count) : pool_(pool) {
    for (int i = 0; i < count; ++i) all.push_back(pool.open_session());
  }
  ~Sessions() {
    for (shimpool_session *session : all)
      if (session) shimpool_pool_session_close(pool_.get(), session);
  }
  std::vector<shimpool_session *> all;

 private:
  TestPool &pool_;
};

}  // namespace dynamic_test
