/* scalars.c - see scalars.h. Results depend on every bit of every argument,
 * so an argument the shim passes in the wrong place changes them. */
#include "scalars.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int8_t scalars_i8(int8_t v) { return (int8_t)(v ^ 0x5a); }
uint8_t scalars_u8(uint8_t v) { return (uint8_t)(v * 3u + 1u); }
int16_t scalars_i16(int16_t v) { return (int16_t)(v ^ 0x1234); }
uint16_t scalars_u16(uint16_t v) { return (uint16_t)(v * 7u); }
int32_t scalars_i32(int32_t a, int32_t b) { return (int32_t)((uint32_t)a * 31u - (uint32_t)b); }
uint32_t scalars_u32(uint32_t v) { return v * 2654435761u; }
scalars_handle scalars_i64(scalars_handle v) { return (int64_t)((uint64_t)v * 6364136223846793005ull); }
uint64_t scalars_u64(uint64_t v) { return v ^ (v >> 29); }
size_t scalars_length(const char *text) { return strlen(text); }
float scalars_f32(float v) { return v * 1.5f - 0.25f; }
double scalars_f64(double a, double b) { return a / 3.0 + b * b; }
bool scalars_not(bool v) { return !v; }

scalars_color scalars_next_color(scalars_color color)
{
    return color == SCALARS_RED ? SCALARS_GREEN : color == SCALARS_GREEN ? SCALARS_BLUE : SCALARS_RED;
}

const char *scalars_describe(int32_t v)
{
    static char buffer[64];
    snprintf(buffer, sizeof buffer, "value %d", (int)v);
    return buffer;
}

unsigned char scalars_first_byte(const char *text) { return (unsigned char)text[0]; }

double scalars_mix(int8_t a, uint16_t b, int32_t c, int64_t d, float e, double f, const char *g,
                   uint8_t h, int32_t i, double j, float k, int64_t l, int32_t m, double n)
{
    return a * 1.0 + b * 2.0 + c * 3.0 + (double)d * 4.0 + e * 5.0 + f * 6.0 +
           (double)strlen(g) * 7.0 + h * 8.0 + i * 9.0 + j * 10.0 + k * 11.0 +
           (double)l * 12.0 + m * 13.0 + n * 14.0;
}

static uint64_t calls;
uint64_t scalars_count(void) { return ++calls; }

long double scalars_long_double(long double v) { return v * 2; }
int scalars_sum_pair(struct scalars_pair pair) { return pair.a + pair.b; }
void scalars_fill(char *buffer) { strcpy(buffer, "filled"); }
void scalars_exit(int status) { exit(status); }
