/* fidelity.c - the "original" library behind the fidelity shim. Formulas weigh
 * each argument by its position so the tests can tell any mix-up. */
#include "fidelity.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Sum of value i weighted by i + 1: count ints then count doubles. */
double vfid_weigh(int count, va_list values) {
  double total = 0;
  for (int i = 0; i < count; ++i) total += (i + 1) * va_arg(values, int);
  for (int i = 0; i < count; ++i) total += (i + 1) * va_arg(values, double);
  return total;
}

double fid_weigh(int count, ...) {
  va_list values;
  va_start(values, count);
  double total = vfid_weigh(count, values);
  va_end(values);
  return total;
}

int fid_vformat(char *out, size_t size, const char *format, va_list arguments) {
  return vsnprintf(out, size, format, arguments);
}

int fid_format(char *out, size_t size, const char *format, ...) {
  va_list arguments;
  va_start(arguments, format);
  int written = fid_vformat(out, size, format, arguments);
  va_end(arguments);
  return written;
}

struct fid_point fid_point_add(struct fid_point a, struct fid_point b) {
  struct fid_point r = {a.x + b.x, a.y + b.y};
  return r;
}

struct fid_vec2 fid_vec2_scale(struct fid_vec2 v, double k) {
  struct fid_vec2 r = {v.x * k, v.y * k};
  return r;
}

struct fid_mixed fid_mixed_make(float f, int32_t i, double d) {
  struct fid_mixed r = {f, i, d};
  return r;
}

double fid_mixed_sum(struct fid_mixed m) { return m.f + m.i * 10.0 + m.d * 100.0; }

struct fid_big fid_big_make(int64_t a, int64_t b, int64_t c, const char *tag) {
  struct fid_big r;
  memset(&r, 0, sizeof r);
  r.a = a;
  r.b = b;
  r.c = c;
  strncpy(r.tag, tag, sizeof r.tag - 1);
  return r;
}

int64_t fid_big_checksum(struct fid_big big) {
  int64_t tag_sum = 0;
  for (size_t i = 0; i < sizeof big.tag && big.tag[i]; ++i) tag_sum += (unsigned char)big.tag[i];
  return big.a + 3 * big.b + 7 * big.c + 11 * tag_sum;
}

union fid_bits fid_bits_negate(union fid_bits bits) {
  bits.u ^= UINT64_C(1) << 63;
  return bits;
}

enum fid_color fid_color_next(enum fid_color c) {
  switch (c) {
    case FID_RED: return FID_GREEN;
    case FID_GREEN: return FID_BLUE;
    default: return FID_RED;
  }
}

const char *fid_color_name(enum fid_color c) {
  switch (c) {
    case FID_RED: return "red";
    case FID_GREEN: return "green";
    case FID_BLUE: return "blue";
  }
  return "unknown";
}

int fid_apply(int (*fn)(int, void *), int value, void *context) { return fn(value, context) + 1; }

int fid_fold(fid_binop op, const int *values, size_t count, int initial) {
  int acc = initial;
  for (size_t i = 0; i < count; ++i) acc = op(acc, values[i]);
  return acc;
}

double fid_apply_vec2(double (*fn)(struct fid_vec2), struct fid_vec2 v) { return fn(v) * 2.0; }

static int op_add(int a, int b) { return a + b; }
static int op_sub(int a, int b) { return a - b; }
static int op_mul(int a, int b) { return a * b; }

int (*fid_pick_op(char op))(int, int) {
  switch (op) {
    case '+': return op_add;
    case '-': return op_sub;
    case '*': return op_mul;
  }
  return NULL;
}

int64_t fid_mix(int8_t a, uint16_t b, int32_t c, int64_t d, float e, double f) {
  return (int64_t)a + 10 * (int64_t)b + 100 * (int64_t)c + 1000 * d + (int64_t)(10000.0f * e) +
         (int64_t)(100000.0 * f);
}

double fid_many(int a, double b, int64_t c, float d, char e, short f, double g, unsigned h,
                long i, double j) {
  return a + 2 * b + 3.0 * c + 4.0 * d + 5.0 * e + 6.0 * f + 7 * g + 8.0 * h + 9.0 * i + 10 * j;
}

int64_t fid_many_ints(int8_t a1, int16_t a2, int32_t a3, int64_t a4, uint8_t a5, uint16_t a6,
                      uint32_t a7, uint64_t a8, int a9, long a10) {
  return a1 + 2 * (int64_t)a2 + 3 * (int64_t)a3 + 4 * a4 + 5 * (int64_t)a5 + 6 * (int64_t)a6 +
         7 * (int64_t)a7 + 8 * (int64_t)a8 + 9 * (int64_t)a9 + 10 * (int64_t)a10;
}

double fid_many_doubles(double a1, float a2, double a3, float a4, double a5, float a6, double a7,
                        float a8, double a9, float a10) {
  return a1 + 2 * a2 + 3 * a3 + 4 * a4 + 5 * a5 + 6 * a6 + 7 * a7 + 8 * a8 + 9 * a9 + 10 * a10;
}

long double fid_long_double(long double x, int scale) { return x * scale; }

bool fid_is_even(fid_count n) { return n % 2 == 0; }

fid_count fid_count_bits(uint64_t v) {
  fid_count n = 0;
  for (; v; v &= v - 1) ++n;
  return n;
}

int fid_sum4(const int values[4]) {
  return values[0] + 2 * values[1] + 3 * values[2] + 4 * values[3];
}

int fid_trace3(const int m[3][3]) { return m[0][0] + m[1][1] + m[2][2]; }

void fid_divmod(int a, int b, int *quotient, int *remainder) {
  *quotient = a / b;
  *remainder = a % b;
}

size_t fid_copy_upper(char *restrict dst, const char *restrict src, size_t size) {
  size_t length = strlen(src);
  if (size == 0) return length;
  size_t i = 0;
  for (; i + 1 < size && src[i]; ++i) dst[i] = (char)toupper((unsigned char)src[i]);
  dst[i] = '\0';
  return length;
}

int fid_read_volatile(const volatile int *p) { return *p; }

const char *fid_version(void) { return "fidelity 1.2.3"; }

void fid_set_flag(int *flag) { *flag = 42; }

#if defined(__x86_64__)
int64_t __attribute__((ms_abi)) fid_ms_mix(int a, double b, int64_t c, float d, int e) {
  return a + (int64_t)(10 * b) + 100 * c + (int64_t)(1000 * d) + 10000 * (int64_t)e;
}

int __attribute__((ms_abi)) fid_ms_apply(int (__attribute__((ms_abi)) *fn)(int), int v) {
  return fn(v) + 1;
}

static int __attribute__((ms_abi)) ms_triple(int v) { return 3 * v; }
static int __attribute__((ms_abi)) ms_negate(int v) { return -v; }

int (__attribute__((ms_abi)) *fid_ms_pick(int which))(int) {
  return which == 3 ? ms_triple : which == -1 ? ms_negate : NULL;
}
#endif

int fid_vla_sum(int n, const int values[n]) {
  int sum = 0;
  for (int i = 0; i < n; ++i) sum += (i + 1) * values[i];
  return sum;
}

int fid_vla_trace(int n, const int m[n][n]) {
  int trace = 0;
  for (int i = 0; i < n; ++i) trace += m[i][i];
  return trace;
}

void fid_leave(int code) { _exit(code); }
