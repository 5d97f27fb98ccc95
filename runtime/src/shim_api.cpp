// The C entry points generated wrappers and hosts call.
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <cwchar>

#include "errors.h"
#include "held_leases.h"
#include "shim_context.h"
#include "sessions.h"
#include "shimpool/shim_runtime.h"

using shimpool::Instance;
using shimpool::ShimContext;

namespace {

void copy_message(const std::string &text, char *out, size_t size) {
  if (!out || size == 0) return;
  size_t n = std::min(text.size(), size - 1);
  std::memcpy(out, text.data(), n);
  out[n] = '\0';
}

}  // namespace

namespace {

void *const *enter(shimpool_shim *shim, shimpool_lease *lease, shimpool::Pool::Preference preference) {
  ShimContext &context = ShimContext::of(shim);
  std::string error;
  shimpool::HeldLease *held = nullptr;
  Instance *instance = context.pool().enter(error, preference, &held);
  if (!instance) shimpool::fail(shim, error);
  lease->instance = instance;
  lease->held = held;
  return instance->functions.data();
}

}  // namespace

extern "C" void *const *shimpool_enter(shimpool_shim *shim, shimpool_lease *lease) {
  return enter(shim, lease, shimpool::Pool::Preference::Affinity);
}

extern "C" void *const *shimpool_enter_sticky(shimpool_shim *shim, shimpool_lease *lease) {
  return enter(shim, lease, shimpool::Pool::Preference::Sticky);
}

extern "C" void *const *shimpool_direct(shimpool_shim *shim) {
  std::string error;
  Instance *instance = ShimContext::of(shim).pool().pinned(error);
  if (!instance) shimpool::fail(shim, error);
  shimpool::platform::prepare_thread(instance->thread_setup);
  return instance->functions.data();
}

extern "C" void shimpool_record_broadcast(shimpool_shim *shim, shimpool_lease *lease,
                                          shimpool_replay_fn replay, const void *arguments,
                                          size_t size) {
  ShimContext::of(shim).broadcasts().record(*static_cast<Instance *>(lease->instance), replay,
                                            arguments, size);
}

extern "C" const char *shimpool_keep_string(shimpool_shim *, const char *text) {
  if (!text) return nullptr;
  return strdup(text);  // lives as long as the recorded call: the process
}

extern "C" const wchar_t *shimpool_keep_wstring(shimpool_shim *, const wchar_t *text) {
  if (!text) return nullptr;
  size_t bytes = (std::wcslen(text) + 1) * sizeof(wchar_t);
  auto *copy = static_cast<wchar_t *>(std::malloc(bytes));
  if (copy) std::memcpy(copy, text, bytes);
  return copy;
}

extern "C" void shimpool_leave(shimpool_shim *, shimpool_lease *lease) {
  // The record enter() filled in on this thread: its pool is the shim's.
  auto *held = static_cast<shimpool::HeldLease *>(lease->held);
  held->pool->leave(*held);
}

extern "C" int shimpool_get_stats(shimpool_shim *shim, shimpool_stats *out, size_t out_size) {
  if (!out) return -1;
  ShimContext &context = ShimContext::of(shim);
  shimpool_stats stats = context.pool().stats();
  stats.sessions_open = context.sessions_open().load();
  std::memcpy(out, &stats, std::min(out_size, sizeof stats));
  return 0;
}

extern "C" void shimpool_start(shimpool_shim *shim) {
  std::string ignored;  // reported by the first call, not while the library is being loaded
  (void)ShimContext::of(shim, ignored);
}

extern "C" int shimpool_set_error_handler(shimpool_shim *shim, shimpool_error_handler handler,
                                          void *context) {
  std::atomic_ref(shim->error_context).store(context);
  std::atomic_ref(shim->error_handler).store(handler);
  return 0;
}

extern "C" int shimpool_probe(shimpool_shim *shim, char *message, size_t message_size) {
  std::string error;
  ShimContext *context = ShimContext::of(shim, error);
  if (context) {
    if (context->pool().enter(error)) {
      context->pool().leave();
      copy_message("ready", message, message_size);
      return 0;
    }
  }
  copy_message(error, message, message_size);
  return -1;
}

extern "C" int shimpool_session_begin(shimpool_shim *shim) {
  ShimContext &context = ShimContext::of(shim);
  std::string error;
  if (!context.pool().enter(error)) shimpool::fail(shim, error);
  return 0;
}

extern "C" int shimpool_session_end(shimpool_shim *shim) {
  return ShimContext::of(shim).pool().leave() ? 0 : -1;
}

extern "C" shimpool_session *shimpool_session_open(shimpool_shim *shim) {
  ShimContext &context = ShimContext::of(shim);
  std::string error;
  Instance *instance = context.pool().acquire(error);
  if (!instance) shimpool::fail(shim, error);
  auto *session = new shimpool_session;
  session->instance = instance;
  context.sessions_open().fetch_add(1);
  return session;
}

extern "C" void shimpool_session_close(shimpool_shim *shim, shimpool_session *session) {
  if (!session) return;
  ShimContext &context = ShimContext::of(shim);
  {
    std::lock_guard wait_for_calls(session->mutex);
    context.pool().release(session->instance);
  }
  context.sessions_open().fetch_sub(1);
  delete session;
}

extern "C" void *const *shimpool_session_enter(shimpool_shim *shim, shimpool_session *session,
                                               shimpool_lease *lease) {
  ShimContext &context = ShimContext::of(shim);
  std::string error;
  if (!shimpool::enter_session(context.pool(), *session, *lease, error))
    shimpool::fail(shim, error);
  context.on_lease(*session->instance);  // broadcasts recorded since the session's last call
  return session->instance->functions.data();
}

extern "C" void shimpool_session_leave(shimpool_shim *shim, shimpool_session *session,
                                       shimpool_lease *lease) {
  shimpool::leave_session(ShimContext::of(shim).pool(), *session, *lease);
}
