// toto_exit_race_host.cpp - a host that ends while its threads are inside the shim.
//
//   toto_exit_race_host exit|return <delay_us> [threads]
//
// Starts `threads` threads (default 8) that call the toto shim without pause:
// pooled calls, blocking toto_wait_event calls, thread-bound and handle-form
// sessions, broadcast setters. With a tiny SHIMPOOL_TOTO_IDLE_TIMEOUT_MS the
// pool keeps evicting and creating instances, so loads are under way too.
// After `delay_us` microseconds the main thread ends the process while they
// are mid-call: `exit` calls exit(0), `return` returns 0 from main (static
// destructors and atexit handlers run either way). The process must exit 0,
// with no signal, and leave no file behind (toto_exit_race_driver checks).
#include "toto.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

namespace {

struct shimpool_session;
using SessionFn = int (*)(void);
using SessionOpenFn = shimpool_session *(*)(void);
using SessionCloseFn = void (*)(shimpool_session *);
using CounterAddSessionFn = int (*)(shimpool_session *, int);

template <typename F>
F lookup(const char *name) {
  return reinterpret_cast<F>(dlsym(RTLD_DEFAULT, name));
}

// Trivially destructible on purpose: the workers read them during exit.
std::atomic<unsigned long> g_calls{0};
char g_never_set[4096];  // an event file that never appears

int reenter(int value, void *) { return toto_foo(value, 1); }

void worker(int index) {
  const auto begin = lookup<SessionFn>("shimpool_toto_session_begin");
  const auto end = lookup<SessionFn>("shimpool_toto_session_end");
  const auto open = lookup<SessionOpenFn>("shimpool_toto_session_open");
  const auto close = lookup<SessionCloseFn>("shimpool_toto_session_close");
  const auto counter_add = lookup<CounterAddSessionFn>("toto_counter_add_session");
  char text[64];
  for (unsigned long i = 0;; ++i) {
    switch ((index + i) % 6) {
      case 0:
        (void)toto_foo(index, static_cast<int>(i));
        break;
      case 1:
        std::snprintf(text, sizeof text, "thread %d call %lu", index, i);
        toto_bar(text);  // toupper: needs the instance's C library set up on this thread
        break;
      case 2:
        // Blocking: holds an instance for a while, as AutoIt's waits do.
        (void)toto_wait_event(g_never_set, 1 + index % 3);
        break;
      case 3:
        (void)toto_apply(&reenter, index, nullptr);
        (void)toto_sum3(1, 2, 3);
        break;
      case 4:
        if (begin && end) {
          begin();
          (void)toto_counter_add(1);
          (void)toto_counter_add(1);
          end();
        } else {
          (void)toto_counter_add(1);
        }
        break;
      case 5:
        if (open && close && counter_add) {
          shimpool_session *session = open();
          (void)counter_add(session, 1);
          close(session);
        } else if (i % 64 == 5) {
          (void)toto_set_option("exit-race", static_cast<int>(i));  // broadcast: every instance
        }
        break;
    }
    g_calls.fetch_add(1, std::memory_order_relaxed);
  }
}

}  // namespace

int main(int argc, char **argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s exit|return <delay_us> [threads]\n", argv[0]);
    return 2;
  }
  const bool call_exit = std::strcmp(argv[1], "exit") == 0;
  const long delay_us = std::strtol(argv[2], nullptr, 10);
  const int threads = argc > 3 ? std::atoi(argv[3]) : 8;
  const char *tmp = std::getenv("TMPDIR");
  std::snprintf(g_never_set, sizeof g_never_set, "%s/never-set-%d", tmp && *tmp ? tmp : "/tmp",
                static_cast<int>(getpid()));

  for (int i = 0; i < threads; ++i) std::thread(worker, i).detach();
  std::this_thread::sleep_for(std::chrono::microseconds(delay_us));
  if (call_exit) std::exit(0);
  return 0;
}
