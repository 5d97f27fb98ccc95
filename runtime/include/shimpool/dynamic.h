/* shimpool/dynamic.h: pool any library at run time, without generating code.
 *
 * libshimpool_dynamic opens a pool of private instances of a library file,
 * describes its functions by signature, and calls them through the pool with
 * libffi: the same pool, policies, sessions and statistics as a generated
 * shim. Meant for hosts that would rather not compile anything (Python ctypes,
 * Node.js koffi): every entry point takes and returns plain C types, and
 * every one that can fail fills an error buffer instead of aborting.
 * See docs/dynamic.md. Linux only. */
#ifndef SHIMPOOL_DYNAMIC_H
#define SHIMPOOL_DYNAMIC_H

#include <stddef.h>
#include <stdint.h>
#include <wchar.h>

#include "shimpool/types.h"

#if defined(_WIN32)
#define SHIMPOOL_DYNAMIC_API
#else
#define SHIMPOOL_DYNAMIC_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* A pool of private instances of one library. */
typedef struct shimpool_pool shimpool_pool;
/* A function of the pool's library, described by name and signature. Owned by
 * the pool: valid until shimpool_pool_close. */
typedef struct shimpool_function shimpool_function;

/* How to open a pool. Zero means the default for every field, so a host sets
 * `size` and what it needs. Fields are only ever added at the end: `size` tells
 * the library how many this caller knows. */
typedef struct shimpool_pool_options {
  size_t size;                 /* sizeof(shimpool_pool_options); required */
  /* A C identifier naming the pool in messages and in the SHIMPOOL_<NAME>_*
   * variables that override these options (as for a shim). Default: the
   * library's file name without "lib" and extensions ("libtoto.so.1" -> "toto"). */
  const char *name;
  unsigned max_instances;      /* most instances loaded at once, 1-4096; default 8 */
  unsigned min_instances;      /* kept loaded, prewarmed in the background; default 0 */
  unsigned idle_timeout_ms;    /* unload instances idle this long; 0: never */
  unsigned acquire_timeout_ms; /* longest wait of a call for an instance; 0: no limit */
  const char *strategy;        /* "copy" (default), "memfd" or "namespace" */
  const char *temp_directory;  /* where private copies are made; default TMPDIR, else /tmp */
  /* Comma-separated names of functions taking no arguments, run on every new
   * instance right after it loads, before any call sees it ("AU3_Init"). */
  const char *init_functions;
} shimpool_pool_options;

/* One argument or result. Write (and read) the member of the value's type:
 *   bool, u8 -> u8     i8 -> i8     i16 -> i16   u16 -> u16
 *   i32, int -> i32    u32, uint -> u32          i64 -> i64   u64 -> u64
 *   long -> l          ulong -> ul  size -> size
 *   f32, float -> f32  f64, double -> f64
 *   ptr -> ptr         str -> str   wstr -> wstr */
typedef union shimpool_value {
  int8_t i8;
  uint8_t u8;
  int16_t i16;
  uint16_t u16;
  int32_t i32;
  uint32_t u32;
  int64_t i64;
  uint64_t u64;
  long l;
  unsigned long ul;
  size_t size;
  float f32;
  double f64;
  void *ptr;
  const char *str;
  const wchar_t *wstr;
} shimpool_value;

/* Opens a pool of private instances of the library file at `library_path`
 * (absolute, or relative to the working directory; a bare name is not searched
 * for). Loads the first instance, so a library that cannot be loaded fails
 * here. `options` may be NULL for the defaults. Returns NULL on failure, with
 * the reason in `error` (error_size bytes, NUL-terminated; may be NULL). */
SHIMPOOL_DYNAMIC_API shimpool_pool *shimpool_pool_open(const char *library_path,
                                                       const shimpool_pool_options *options,
                                                       char *error, size_t error_size);

/* Describes the library's function `name`:
 *   signature  "RET(ARG,ARG,...)", e.g. "i32(i32,i32)", "void(str)", "str()".
 *              Types: void bool i8 u8 i16 u16 i32 u32 i64 u64 f32 f64 int uint
 *              long ulong size float double ptr str wstr (see shimpool_value).
 *   policy     "pooled" (NULL or "" too), "sticky", "broadcast" or "direct"
 *              (docs/runtime.md, "Policies"); init functions are pool options.
 * Returns NULL on failure (no such function in the library, a malformed
 * signature or policy), with the reason in `error`. */
SHIMPOOL_DYNAMIC_API shimpool_function *shimpool_pool_function(shimpool_pool *pool,
                                                               const char *name,
                                                               const char *signature,
                                                               const char *policy, char *error,
                                                               size_t error_size);

/* Calls `function` on an instance, as its policy says. `args` holds one value
 * per parameter (NULL when there are none); `result` receives the return value
 * (may be NULL). A `str` or `ptr` result that points into the library's own
 * memory is valid only until the next call on that instance: read it inside a
 * session. Returns 0, or -1 with the reason in `error` when no instance could
 * be had (load failure, acquire timeout). */
SHIMPOOL_DYNAMIC_API int shimpool_pool_call(shimpool_pool *pool, shimpool_function *function,
                                            shimpool_value *result, const shimpool_value *args,
                                            char *error, size_t error_size);

/* Handle-form session: one instance reserved from open to close, for calls
 * that depend on each other's state and may arrive on any thread. Calls on one
 * session run one at a time. */
SHIMPOOL_DYNAMIC_API shimpool_session *shimpool_pool_session_open(shimpool_pool *pool, char *error,
                                                                  size_t error_size);
SHIMPOOL_DYNAMIC_API int shimpool_pool_session_call(shimpool_pool *pool, shimpool_session *session,
                                                    shimpool_function *function,
                                                    shimpool_value *result,
                                                    const shimpool_value *args, char *error,
                                                    size_t error_size);
/* Waits for the session's call in progress and gives its instance back. A
 * session of another pool, or NULL, is left alone. */
SHIMPOOL_DYNAMIC_API void shimpool_pool_session_close(shimpool_pool *pool,
                                                      shimpool_session *session);

/* Thread-bound session: every call the calling thread makes between begin and
 * end runs on one instance. Sessions nest. Return 0, or -1 (with the reason in
 * `error` for begin; end without begin for end). */
SHIMPOOL_DYNAMIC_API int shimpool_pool_session_begin(shimpool_pool *pool, char *error,
                                                     size_t error_size);
SHIMPOOL_DYNAMIC_API int shimpool_pool_session_end(shimpool_pool *pool);

/* Copies min(out_size, sizeof(shimpool_stats)) bytes of the pool's counters
 * (shimpool/types.h) to `out`. Returns 0, or -1 when an argument is NULL. */
SHIMPOOL_DYNAMIC_API int shimpool_pool_stats(shimpool_pool *pool, shimpool_stats *out,
                                             size_t out_size);

/* Unloads every instance and frees the pool and its functions. Refused (-1,
 * reason in `error`, the pool stays usable) while sessions are open or calls
 * hold instances. No call may start once it has begun. NULL is a no-op (0). */
SHIMPOOL_DYNAMIC_API int shimpool_pool_close(shimpool_pool *pool, char *error, size_t error_size);

#ifdef __cplusplus
}
#endif

#endif /* SHIMPOOL_DYNAMIC_H */
