// host.cpp - the consumer project's host program: calls the thread-unsafe toto
// library from a pool of worker threads.
//
// Built twice (see CMakeLists.txt):
//   toto_host           linked with the shim; also opens a handle-form session
//                       from several threads and prints the shim's statistics,
//                       through the generated toto_shimpool.h.
//   toto_host_original  (TOTO_HOST_ORIGINAL) linked with the original library.
//
// Exit status: 0 when every result was exact, the wait was signalled and the
// session (shim only) kept its state on one instance; 1 otherwise.
#include "toto.h"
#ifndef TOTO_HOST_ORIGINAL
#include "toto_shimpool.h"  // generated; on the include path through toto_shim
#endif

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <latch>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr int kWorkers = 8;
constexpr int kCallsPerWorker = 2000;

// Runs job(worker) on kWorkers threads that all start at once.
void on_every_worker(const std::function<void(int)> &job) {
  std::latch start(kWorkers);
  std::vector<std::jthread> workers;
  for (int w = 0; w < kWorkers; ++w)
    workers.emplace_back([&, w] {
      start.arrive_and_wait();
      job(w);
    });
}

// Workload 1: toto_foo and toto_bar from every worker, each result checked.
long run_concurrent_calls() {
  std::atomic<long> wrong{0};
  on_every_worker([&](int w) {
    const std::string text = "worker-" + std::to_string(w) + "-" + std::string(10 + w, char('a' + w));
    std::string expected = text;
    for (char &c : expected) c = char(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    for (int i = 0; i < kCallsPerWorker; ++i) {
      const int a = w * 1000000 + i;  // distinct between workers
      if (toto_foo(a, w) != a + w) ++wrong;
      char buffer[256];
      std::memcpy(buffer, text.c_str(), text.size() + 1);
      toto_bar(buffer);
      if (expected != buffer) ++wrong;
    }
  });
  std::printf("concurrent calls: %d, wrong results: %ld\n", 2 * kWorkers * kCallsPerWorker,
              wrong.load());
  return wrong.load();
}

// Workload 2: one worker waits for an event that another sets 100 ms later.
bool run_wait_signal() {
  const char *tmp = std::getenv("TMPDIR");
  std::string dir = std::string(tmp && *tmp ? tmp : "/tmp") + "/toto-consumer-XXXXXX";
  if (!mkdtemp(dir.data())) {
    std::perror("mkdtemp");
    return false;
  }
  const std::string event = dir + "/event";
  int signalled = 0;
  const auto begin = std::chrono::steady_clock::now();
  {
    std::jthread waiter([&] { signalled = toto_wait_event(event.c_str(), 10000); });
    std::jthread signaller([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      toto_signal_event(event.c_str());
    });
  }
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - begin).count();
  unlink(event.c_str());
  rmdir(dir.c_str());
  std::printf("wait/signal: %s after %lld ms\n", signalled ? "signalled" : "timed out",
              static_cast<long long>(ms));
  return signalled == 1;
}

#ifndef TOTO_HOST_ORIGINAL
// Workload 3: one handle-form session used from every worker thread. Its
// counter must see exactly the session's own additions, on one instance, while
// the workers' unrelated calls run on other instances.
bool run_session() {
  shimpool_session *session = shimpool_toto_session_open();
  if (!session) {
    std::printf("sessions: shimpool_toto_session_open failed\n");
    return false;
  }
  constexpr int kAddsPerWorker = 4;
  const int base = toto_counter_add_session(session, 0);
  std::vector<std::vector<int>> values(kWorkers);
  std::vector<const void *> ids(kWorkers);
  on_every_worker([&](int w) {
    for (int i = 0; i < kAddsPerWorker; ++i) {
      values[w].push_back(toto_counter_add_session(session, 1));
      toto_counter_add(1000);  // outside the session: another instance
    }
    ids[w] = toto_instance_id_session(session);
  });
  const int final_value = toto_counter_add_session(session, 0);
  shimpool_toto_session_close(session);

  std::vector<int> all;
  for (const auto &v : values) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  bool in_sequence = true;
  for (size_t i = 0; i < all.size(); ++i) in_sequence &= all[i] == base + int(i) + 1;
  const size_t instances = std::set<const void *>(ids.begin(), ids.end()).size();
  const bool ok = in_sequence && final_value == base + int(all.size()) && instances == 1;
  std::printf("sessions: %zu calls from %d threads took the counter from %d to %d%s; %zu "
              "instance(s) served the session%s\n",
              all.size(), kWorkers, base, final_value, in_sequence ? ", one step each" : ", NOT in sequence",
              instances, ok ? ": state kept on one instance" : ": FAILED");
  return ok;
}

void print_stats() {
  shimpool_stats stats{};
  if (shimpool_toto_stats(&stats, sizeof stats) != 0) {
    std::printf("shim statistics: unavailable\n");
    return;
  }
  std::printf("shim statistics: instances live %llu, idle %llu, max %llu; calls %llu; waits %llu; "
              "creations %llu, creation failures %llu\n",
              (unsigned long long)stats.live_instances, (unsigned long long)stats.idle_instances,
              (unsigned long long)stats.max_instances, (unsigned long long)stats.calls,
              (unsigned long long)stats.waits, (unsigned long long)stats.creations,
              (unsigned long long)stats.creation_failures);
}
#endif

}  // namespace

int main() {
#ifdef TOTO_HOST_ORIGINAL
  std::printf("library: original libtoto.so\n");
#else
  std::printf("library: shimpool shim of libtoto.so\n");
#endif
  const long wrong = run_concurrent_calls();
  const bool signalled = run_wait_signal();
  bool session_ok = true;
#ifndef TOTO_HOST_ORIGINAL
  session_ok = run_session();
  print_stats();
#endif

  std::string reasons;
  auto add_reason = [&](const char *reason) { reasons += (reasons.empty() ? "" : "; ") + std::string(reason); };
  if (wrong > 0) add_reason("concurrent calls corrupted the library's globals");
  if (!signalled) add_reason("the wait timed out");
  if (!session_ok) add_reason("the session did not keep its state on one instance");
  if (reasons.empty()) {
    std::printf("verdict: PASS, every result exact and the wait was signalled\n");
    return 0;
  }
  std::printf("verdict: FAIL, %s\n", reasons.c_str());
  return 1;
}
