/* shimpool/types.h: the types of a shim's own API (statistics, sessions, error
 * handler). Shared verbatim by the runtime and every generated shim header, so
 * hosts need no runtime headers. */
#ifndef SHIMPOOL_TYPES_H
#define SHIMPOOL_TYPES_H

#include <stddef.h>
#include <stdint.h>

/* Fields only grow at the end: a caller passes sizeof its own struct and gets
 * the prefix it knows. */
typedef struct shimpool_stats {
  uint64_t live_instances;    /* instances loaded now */
  uint64_t idle_instances;    /* loaded and not leased */
  uint64_t max_instances;     /* configured upper bound */
  uint64_t calls;             /* calls that took a lease (nested calls excluded) */
  uint64_t waits;             /* calls that found no idle instance and waited */
  uint64_t wait_ns;           /* total time spent waiting, nanoseconds */
  uint64_t creations;         /* instances loaded successfully */
  uint64_t creation_failures; /* instance loads that failed */
  uint64_t evictions;         /* idle instances unloaded */
  uint64_t acquire_timeouts;  /* calls that gave up waiting for an instance */
  uint64_t sessions_open;     /* handle-form sessions open now */
} shimpool_stats;

/* A handle-form session: one instance reserved from open to close. */
typedef struct shimpool_session shimpool_session;

/* Called with a complete message when an instance cannot be had. If it
 * returns, the process aborts: a drop-in function has no error channel and must
 * never return a wrong result. It may end the process its own way instead. */
typedef void (*shimpool_error_handler)(const char *shim_name, const char *message, void *context);

#endif /* SHIMPOOL_TYPES_H */
