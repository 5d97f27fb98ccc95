#ifndef FIDELITY_H
#define FIDELITY_H
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
#define FID_RESTRICT __restrict
#else
#define FID_RESTRICT restrict
#endif
#ifdef __cplusplus
extern "C" {
#endif
typedef int32_t fid_int;
typedef fid_int fid_count;
struct fid_point { int32_t x, y; };                 
struct fid_vec2 { double x, y; };                   
struct fid_mixed { float f; int32_t i; double d; }; 
struct fid_big { int64_t a, b, c; char tag[8]; };   
union fid_bits { uint64_t u; double d; float f[2]; };
enum fid_color { FID_RED = 1, FID_GREEN = 2, FID_BLUE = 4 };
typedef int (*fid_binop)(int, int);
struct fid_point fid_point_add(struct fid_point a, struct fid_point b);
struct fid_vec2 fid_vec2_scale(struct fid_vec2 v, double k);
struct fid_mixed fid_mixed_make(float f, int32_t i, double d);
double fid_mixed_sum(struct fid_mixed m);
struct fid_big fid_big_make(int64_t a, int64_t b, int64_t c, const char *tag);
int64_t fid_big_checksum(struct fid_big big);
union fid_bits fid_bits_negate(union fid_bits bits); 
enum fid_color fid_color_next(enum fid_color c);
const char *fid_color_name(enum fid_color c);
int fid_apply(int (*fn)(int, void *), int value, void *context);
int fid_fold(fid_binop op, const int *values, size_t count, int initial);
double fid_apply_vec2(double (*fn)(struct fid_vec2), struct fid_vec2 v);
int (*fid_pick_op(char op))(int, int); 
int64_t fid_mix(int8_t a, uint16_t b, int32_t c, int64_t d, float e, double f);
double fid_many(int a, double b, int64_t c, float d, char e, short f, double g, unsigned h,
                long i, double j);
int64_t fid_many_ints(int8_t a1, int16_t a2, int32_t a3, int64_t a4, uint8_t a5, uint16_t a6,
                      uint32_t a7, uint64_t a8, int a9, long a10);
double fid_many_doubles(double a1, float a2, double a3, float a4, double a5, float a6, double a7,
                        float a8, double a9, float a10);
long double fid_long_double(long double x, int scale); 
bool fid_is_even(fid_count n);
fid_count fid_count_bits(uint64_t v);
int fid_sum4(const int values[4]);
int fid_trace3(const int m[3][3]);
void fid_divmod(int a, int b, int *quotient, int *remainder);
size_t fid_copy_upper(char *FID_RESTRICT dst, const char *FID_RESTRICT src, size_t size);
int fid_read_volatile(const volatile int *p);
const char *fid_version(void);
void fid_set_flag(int *flag); 
#if defined(__x86_64__)
int64_t __attribute__((ms_abi)) fid_ms_mix(int a, double b, int64_t c, float d, int e);
int __attribute__((ms_abi)) fid_ms_apply(int (__attribute__((ms_abi)) *fn)(int), int v);
int (__attribute__((ms_abi)) *fid_ms_pick(int which))(int);
#endif
double fid_weigh(int count, ...);
double vfid_weigh(int count, va_list values);
int fid_format(char *out, size_t size, const char *format, ...);
int fid_vformat(char *out, size_t size, const char *format, va_list arguments);
__attribute__((noreturn)) void fid_leave(int code);
#ifndef __cplusplus
int fid_vla_sum(int n, const int values[n]);
int fid_vla_trace(int n, const int m[n][n]);
#endif
#ifdef __cplusplus
} 
#endif
#endif
