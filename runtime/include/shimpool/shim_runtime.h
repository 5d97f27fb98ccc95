/* shimpool/shim_runtime.h: the C interface between generated wrappers and the
 * runtime. Generated code stays thin: it describes the API once and brackets
 * each real call with shimpool_enter/shimpool_leave. */
#ifndef SHIMPOOL_SHIM_RUNTIME_H
#define SHIMPOOL_SHIM_RUNTIME_H

#include <stddef.h>
#include <wchar.h>

#include "shimpool/types.h"

#ifdef __cplusplus
#define SHIMPOOL_AUTO decltype(auto) /* a returned reference stays a reference */
/* The result as the real call returned it, an rvalue reference included. */
#define SHIMPOOL_RETURNED(result) static_cast<decltype(result) &&>(result)
extern "C" {
#else
#define SHIMPOOL_AUTO __auto_type
#define SHIMPOOL_RETURNED(result) (result)
#endif

/* After a call to a function declared noreturn (the wrapper inherits it). */
#define SHIMPOOL_UNREACHABLE() __builtin_unreachable()

#if defined(_WIN32)
/* The generated .def file lists every export with its exact name (and ordinal):
 * dllexport would add the compiler's decorated names next to them. */
#define SHIMPOOL_EXPORT
#else
#define SHIMPOOL_EXPORT __attribute__((visibility("default")))
#endif

/* What the generator knows about one shim: constant data in the generated code. */
typedef struct shimpool_shim_desc {
  const char *name;              /* shim name, e.g. "toto" */
  const char *env_prefix;        /* e.g. "SHIMPOOL_TOTO_" */
  const char *real_library;      /* as named at generation time */
  const char *const *functions;  /* real function names, in slot order */
  size_t function_count;
  unsigned max_instances;        /* default upper bound; the environment may override */
  unsigned min_instances;        /* default number kept loaded and prewarmed */
  unsigned idle_timeout_ms;      /* default idle time before eviction; 0: never */
  unsigned acquire_timeout_ms;   /* default wait limit for an instance; 0: no limit */
  /* Runs the `init` functions on a freshly loaded instance; NULL if none. */
  void (*init_instance)(void *const *functions);
  const char *strategy;          /* default loader strategy: "copy", "memfd", "namespace" */
  /* The real library's bytes, linked into the shim by `shimpool generate
   * --embed`; instances are written from them. NULL when there are none. */
  const unsigned char *embedded_begin;
  const unsigned char *embedded_end;
  /* The SHA-256 the real library must have, 64 hex digits (`shimpool generate
   * --pin-sha256`): instances are loaded only from copies whose bytes have it.
   * NULL or "" when not pinned. */
  const char *sha256;
} shimpool_shim_desc;

/* Replays one recorded `broadcast` call on an instance. */
typedef void (*shimpool_replay_fn)(void *const *functions, const void *arguments);



/* One per shim in static storage, constant-initialised; the runtime creates the
 * context behind it on first use and never destroys it (calls may still arrive
 * while the process exits). */
typedef struct shimpool_shim {
  const shimpool_shim_desc *desc;
  void *context;                        /* accessed atomically by the runtime only */
  shimpool_error_handler error_handler; /* NULL: print the message and abort */
  void *error_context;
} shimpool_shim;

/* Filled by shimpool_enter, handed back to shimpool_leave. */
typedef struct shimpool_lease {
  void *instance;
  void *held; /* the thread's record of the lease: leaving needs no lookup */
  /* Session calls only: the thread's own lease they stand in for meanwhile. */
  void *outer_instance;
  unsigned outer_depth;
  int outer_borrowed;
} shimpool_lease;

/* Leases an instance for the calling thread (reusing the one it already holds
 * when the call is nested) and returns its function table, in the order of
 * desc->functions. Never returns NULL: load failures go to the error handler. */
void *const *shimpool_enter(shimpool_shim *shim, shimpool_lease *lease);

/* As shimpool_enter, for `sticky` functions: the instance this thread used
 * last (waiting for it if another thread has it), so errno-style getters read
 * the state the thread's previous call left. */
void *const *shimpool_enter_sticky(shimpool_shim *shim, shimpool_lease *lease);

/* For `direct` functions (thread-safe ones): the functions of an instance that
 * stays loaded, with no lease taken. */
void *const *shimpool_direct(shimpool_shim *shim);

/* For `broadcast` functions, between shimpool_enter and the real call: records
 * the call so every other instance, live or created later, replays it (in
 * order) before it next serves a call. `arguments` (size bytes) is copied; the
 * pointers it holds must stay valid forever: use shimpool_keep_string. */
void shimpool_record_broadcast(shimpool_shim *shim, shimpool_lease *lease,
                               shimpool_replay_fn replay, const void *arguments, size_t size);

/* A copy of a C string (or wide string) that lives as long as the process,
 * for recorded broadcast arguments. NULL stays NULL. */
const char *shimpool_keep_string(shimpool_shim *shim, const char *text);
const wchar_t *shimpool_keep_wstring(shimpool_shim *shim, const wchar_t *text);

/* Ends the lease taken by the matching shimpool_enter. */
void shimpool_leave(shimpool_shim *shim, shimpool_lease *lease);

/* Copies min(out_size, sizeof(shimpool_stats)) bytes of counters to out.
 * Returns 0, or -1 when out is NULL. */
int shimpool_get_stats(shimpool_shim *shim, shimpool_stats *out, size_t out_size);

/* Called when the shim is loaded: reads the configuration and prewarms the
 * minimum number of instances in the background. Never fails: a bad
 * configuration is reported by the first call. */
void shimpool_start(shimpool_shim *shim);

/* Replaces the error handler (NULL restores the default). Returns 0. */
int shimpool_set_error_handler(shimpool_shim *shim, shimpool_error_handler handler, void *context);

/* Checks that an instance can be had, loading one if none is live. Returns 0,
 * or -1 with a message in `message` (when not NULL). Never aborts. */
int shimpool_probe(shimpool_shim *shim, char *message, size_t message_size);

/* Thread-bound session: the calling thread keeps one instance from begin to
 * end; every call it makes in between runs there. Sessions nest. Returns 0, or
 * -1 (end without begin). */
int shimpool_session_begin(shimpool_shim *shim);
int shimpool_session_end(shimpool_shim *shim);

/* Handle-form session, for callers whose calls arrive on arbitrary threads:
 * one instance reserved from open to close. Calls on one session run one at a
 * time, in the order they take its lock. */
shimpool_session *shimpool_session_open(shimpool_shim *shim);
void shimpool_session_close(shimpool_shim *shim, shimpool_session *session);
void *const *shimpool_session_enter(shimpool_shim *shim, shimpool_session *session,
                                    shimpool_lease *lease);
void shimpool_session_leave(shimpool_shim *shim, shimpool_session *session,
                            shimpool_lease *lease);

#ifdef __cplusplus
}
#endif

#endif /* SHIMPOOL_SHIM_RUNTIME_H */
