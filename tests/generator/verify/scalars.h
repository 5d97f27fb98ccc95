/* scalars.h - a library with one function per kind of value `shimpool verify`
 * passes and compares, and a few it must leave out, saying why. */
#ifndef SCALARS_H
#define SCALARS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum scalars_color { SCALARS_RED, SCALARS_GREEN = 7, SCALARS_BLUE = -3 } scalars_color;
typedef int64_t scalars_handle;

int8_t scalars_i8(int8_t v);
uint8_t scalars_u8(uint8_t v);
int16_t scalars_i16(int16_t v);
uint16_t scalars_u16(uint16_t v);
int32_t scalars_i32(int32_t a, int32_t b);
uint32_t scalars_u32(uint32_t v);
scalars_handle scalars_i64(scalars_handle v);
uint64_t scalars_u64(uint64_t v);
size_t scalars_length(const char *text);
float scalars_f32(float v);
double scalars_f64(double a, double b);
bool scalars_not(bool v);
scalars_color scalars_next_color(scalars_color color);
const char *scalars_describe(int32_t v); /* a string in the library's static buffer */
unsigned char scalars_first_byte(const char *text);
double scalars_mix(int8_t a, uint16_t b, int32_t c, int64_t d, float e, double f, const char *g,
                   uint8_t h, int32_t i, double j, float k, int64_t l, int32_t m, double n);
uint64_t scalars_count(void); /* state: one more on every call */

/* Left out, each for a reason the report gives. */
long double scalars_long_double(long double v);
struct scalars_pair { int a, b; };
int scalars_sum_pair(struct scalars_pair pair);
void scalars_fill(char *buffer);
_Noreturn void scalars_exit(int status);

#endif /* SCALARS_H */
