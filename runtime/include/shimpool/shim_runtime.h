/* shimpool/shim_runtime.h: the C interface between generated wrappers and the
 * runtime. Generated code stays thin: it describes the API once and brackets
 * each real call with shimpool_enter/shimpool_leave. */
#ifndef SHIMPOOL_SHIM_RUNTIME_H
#define SHIMPOOL_SHIM_RUNTIME_H

#include <stddef.h>

#include "shimpool/stats.h"

#ifdef __cplusplus
#define SHIMPOOL_TYPEOF(expr) decltype(expr)
#define SHIMPOOL_AUTO auto
extern "C" {
#else
#define SHIMPOOL_TYPEOF(expr) __typeof__(expr)
#define SHIMPOOL_AUTO __auto_type
#endif

#if defined(_WIN32)
#define SHIMPOOL_EXPORT __declspec(dllexport)
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
} shimpool_shim_desc;

/* One per shim in static storage, constant-initialised; the runtime creates the
 * context behind it on first use and never destroys it (calls may still arrive
 * while the process exits). */
typedef struct shimpool_shim {
  const shimpool_shim_desc *desc;
  void *context; /* accessed atomically by the runtime only */
} shimpool_shim;

/* Filled by shimpool_enter, handed back to shimpool_leave. */
typedef struct shimpool_lease {
  void *instance;
} shimpool_lease;

/* Leases an instance for the calling thread (reusing the one it already holds
 * when the call is nested) and returns its function table, in the order of
 * desc->functions. Never returns NULL: load failures go to the error handler. */
void *const *shimpool_enter(shimpool_shim *shim, shimpool_lease *lease);

/* Ends the lease taken by the matching shimpool_enter. */
void shimpool_leave(shimpool_shim *shim, shimpool_lease *lease);

/* Copies min(out_size, sizeof(shimpool_stats)) bytes of counters to out.
 * Returns 0, or -1 when out is NULL. */
int shimpool_get_stats(shimpool_shim *shim, shimpool_stats *out, size_t out_size);

#ifdef __cplusplus
}
#endif

#endif /* SHIMPOOL_SHIM_RUNTIME_H */
