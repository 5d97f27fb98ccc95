/*
 * vendor.h - the header of "vendor", a tiny thread-unsafe C library used by the
 * install test's consumer project (tests/install/consumer). Like the libraries
 * shimpool exists for, it keeps its working state in globals.
 */
#ifndef VENDOR_H
#define VENDOR_H

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Returns a * 3 + b, computed through a global scratch variable that is held
 * across a yield and a short sleep: concurrent calls overwrite each other's
 * scratch value and return wrong results.
 */
int vendor_scale_add(int a, int b);

/* Adds n to a global counter and returns its new value. */
int vendor_counter_add(int n);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* VENDOR_H */
