// cpp_api.cpp - the "original" C++ library behind the cpp_api shim.
#include "cpp_api.hpp"

int cpp_scale(int value, int factor) { return value * factor; }

cpp_pair cpp_make_pair(std::int32_t first, double second) { return {first, second}; }

double cpp_pair_sum(cpp_pair pair) { return pair.first + pair.second; }

const char *cpp_greeting(bool formal) { return formal ? "Good day" : "hi"; }

int cpp_apply(int (*fn)(int), int value) { return fn(value) * 10; }

int cpp_mangled(int value) { return -value; }

static int counter = 0;

int &cpp_counter() { return counter; }

int &&cpp_counter_moved() { return static_cast<int &&>(counter); }

int *cpp_counter_address() { return &counter; }

double cpp_scale(double value) { return value * 2.5; }
