//! c++
#ifndef CPP_API_HPP
#define CPP_API_HPP
#include <stdint.h>
namespace std { using ::int32_t; }
struct cpp_pair {
  std::int32_t first;
  double second;
};
extern "C" {
int cpp_scale(int value, int factor = 2);
cpp_pair cpp_make_pair(std::int32_t first, double second = 0.5);
double cpp_pair_sum(cpp_pair pair);
const char *cpp_greeting(bool formal = false);
int cpp_apply(int (*fn)(int), int value = 7);
#ifdef __clang__
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wreturn-type-c-linkage"
#endif
int &cpp_counter();
int &&cpp_counter_moved();
#ifdef __clang__
#pragma clang diagnostic pop
#endif
int *cpp_counter_address();
}
inline int cpp_twice(int value) { return cpp_scale(value); }  // reaches the library via cpp_scale
inline double cpp_twice(double value) { return value * 2; }
int cpp_mangled(int value);  // defined in the library, mangled, so never wrapped
double cpp_scale(double value);  // an overload of the extern "C" cpp_scale: never wrapped
#endif  // CPP_API_HPP
