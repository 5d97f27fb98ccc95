/*
 * vendor.c - the implementation of the consumer's thread-unsafe library (see
 * vendor.h). The sleep inside vendor_scale_add keeps the global scratch value
 * exposed long enough that concurrent callers reliably overlap: the original
 * library corrupts results, and a shim must load more than one instance.
 */
#define _POSIX_C_SOURCE 200809L

#include "vendor.h"

#include <sched.h>
#include <time.h>

/* volatile: keeps the value in memory, where other threads can clobber it. */
static volatile int scratch;
static int counter;

int vendor_scale_add(int a, int b)
{
    const struct timespec pause = {0, 50 * 1000}; /* 50 us */

    scratch = a;
    sched_yield();
    nanosleep(&pause, NULL);
    scratch = scratch * 3;
    sched_yield();
    return scratch + b;
}

int vendor_counter_add(int n)
{
    counter += n;
    return counter;
}
