#include "errors.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

#include "platform.h"
#include <cstdlib>

namespace shimpool {

namespace {
std::atomic_flag g_failing = ATOMIC_FLAG_INIT;  // trivially destructible
}

void fail(const char *shim_name, const std::string &message) noexcept {
  // Several threads may fail at once; one message is enough, the rest wait for the abort.
  if (g_failing.test_and_set()) {
    for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  // Another thread may be half-way through making a private copy: let it clean up.
  platform::stop_loading(5000);
  std::fflush(nullptr);  // what the host printed so far stays readable above the message
  std::fprintf(stderr, "shimpool[%s]: %s\n", shim_name, message.c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace shimpool
