/* shimpool/stats.h: the pool counters a shim reports. Shared verbatim by the
 * runtime and every generated shim header, so hosts need no runtime headers. */
#ifndef SHIMPOOL_STATS_H
#define SHIMPOOL_STATS_H

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

#endif /* SHIMPOOL_STATS_H */
