#include "errors.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "platform.h"

namespace shimpool {
namespace {
std::atomic_flag g_failing = ATOMIC_FLAG_INIT;  // trivially destructible
}

void fail(const shimpool_shim *shim, const std::string &message) noexcept {
  // Several threads may fail at once; one report is enough, the rest wait for the abort.
  if (g_failing.test_and_set()) {
    for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  // Another thread may be half-way through making a private copy: let it clean up.
  platform::stop_loading(5000);
  std::fflush(nullptr);  // what the host printed so far stays readable above the message
  auto handler = std::atomic_ref(const_cast<shimpool_shim *>(shim)->error_handler).load();
  void *context = std::atomic_ref(const_cast<shimpool_shim *>(shim)->error_context).load();
  if (handler) {
    handler(shim->desc->name, message.c_str(), context);
  } else {
    std::fprintf(stderr, "shimpool[%s]: %s\n", shim->desc->name, message.c_str());
    std::fflush(stderr);
  }
  std::abort();
}

}  // namespace shimpool
