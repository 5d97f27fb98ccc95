// Calls every function of the fidelity corpus through its generated shim and
// checks exact results: a wrapper whose signature differs from the header in
// any ABI-relevant way (a type, a register class, a calling convention, an
// argument position) would pass or return something else.
#include <dlfcn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <gtest/gtest.h>

#include <cstring>

#include "fidelity.h"
#include "fidelity_shimpool.h"

namespace {

shimpool_stats stats() {
  shimpool_stats s{};
  EXPECT_EQ(shimpool_fidelity_stats(&s, sizeof s), 0);
  return s;
}

// Runs `call` and checks that it took exactly one lease from the pool: the call
// went through a wrapper, not straight into a library linked by mistake.
template <typename Call>
void expect_pooled(Call call) {
  const uint64_t before = stats().calls;
  call();
  const shimpool_stats after = stats();
  EXPECT_EQ(after.calls, before + 1);
  EXPECT_GE(after.live_instances, 1u);
  EXPECT_EQ(after.creation_failures, 0u);
}

TEST(FidelityAbi, TheTestLinksTheShimNotTheOriginal) {
  // fid_version must resolve to the shim's wrapper; the original is only ever
  // loaded as private RTLD_LOCAL copies.
  void *symbol = dlsym(RTLD_DEFAULT, "fid_version");
  ASSERT_NE(symbol, nullptr);
  Dl_info info{};
  ASSERT_NE(dladdr(symbol, &info), 0);
  EXPECT_NE(std::strstr(info.dli_fname, "libfidelity_shim"), nullptr) << info.dli_fname;
}

TEST(FidelityAbi, StructsByValueInRegisters) {
  expect_pooled([] {
    fid_point p = fid_point_add({1, -2}, {40, 7});
    EXPECT_EQ(p.x, 41);
    EXPECT_EQ(p.y, 5);
  });
  fid_vec2 v = fid_vec2_scale({1.5, -2.25}, 4.0);
  EXPECT_EQ(v.x, 6.0);
  EXPECT_EQ(v.y, -9.0);
  fid_mixed m = fid_mixed_make(0.75f, -3, 2.5);
  EXPECT_EQ(m.f, 0.75f);
  EXPECT_EQ(m.i, -3);
  EXPECT_EQ(m.d, 2.5);
  EXPECT_EQ(fid_mixed_sum({0.5f, 7, 1.25}), 0.5 + 70.0 + 125.0);
}

TEST(FidelityAbi, StructsByValueInMemory) {
  fid_big big = fid_big_make(1, -2, 3000000000LL, "tag");
  EXPECT_EQ(big.a, 1);
  EXPECT_EQ(big.b, -2);
  EXPECT_EQ(big.c, 3000000000LL);
  EXPECT_STREQ(big.tag, "tag");
  expect_pooled([&] {
    EXPECT_EQ(fid_big_checksum(big), 1 - 6 + 7 * 3000000000LL + 11 * ('t' + 'a' + 'g'));
  });
}

TEST(FidelityAbi, UnionByValue) {
  fid_bits in{};
  in.d = 3.5;
  fid_bits out = fid_bits_negate(in);
  EXPECT_EQ(out.d, -3.5);
  EXPECT_EQ(out.u, in.u ^ (uint64_t{1} << 63));
}

TEST(FidelityAbi, Enums) {
  EXPECT_EQ(fid_color_next(FID_RED), FID_GREEN);
  EXPECT_EQ(fid_color_next(FID_GREEN), FID_BLUE);
  EXPECT_EQ(fid_color_next(FID_BLUE), FID_RED);
  EXPECT_STREQ(fid_color_name(FID_GREEN), "green");
  EXPECT_STREQ(fid_color_name(static_cast<fid_color>(99)), "unknown");
}

int add_context(int value, void *context) { return value + *static_cast<int *>(context); }

TEST(FidelityAbi, CallbackWithContext) {
  int context = 100;
  expect_pooled([&] { EXPECT_EQ(fid_apply(add_context, 5, &context), 106); });
}

// Re-enters the library from inside its callback: a nested call on the same
// thread, which reuses the lease instead of taking a second one.
int nested_call(int value, void *) { return fid_point_add({value, 0}, {1000, 0}).x; }

TEST(FidelityAbi, CallbackReenteringTheLibrary) {
  expect_pooled([] { EXPECT_EQ(fid_apply(nested_call, 5, nullptr), 1006); });
}

int subtract(int a, int b) { return a - b; }
double vec2_dot_self(fid_vec2 v) { return v.x * v.x + v.y * v.y; }

TEST(FidelityAbi, TypedefFunctionPointerAndStructCallback) {
  const int values[] = {1, 2, 3};
  EXPECT_EQ(fid_fold(subtract, values, 3, 10), 4);
  EXPECT_EQ(fid_apply_vec2(vec2_dot_self, {3.0, 4.0}), 50.0);
}

TEST(FidelityAbi, ReturnedFunctionPointer) {
  int (*add)(int, int) = nullptr;
  expect_pooled([&] { add = fid_pick_op('+'); });
  ASSERT_NE(add, nullptr);
  EXPECT_EQ(add(20, 22), 42);
  EXPECT_EQ(fid_pick_op('-')(20, 22), -2);
  EXPECT_EQ(fid_pick_op('*')(6, 7), 42);
  EXPECT_EQ(fid_pick_op('?'), nullptr);
}

TEST(FidelityAbi, IntegerAndFloatingPointMix) {
  EXPECT_EQ(fid_mix(-7, 65535, -3, 4000000000LL, 0.5f, 0.25),
            -7 + 655350 - 300 + 4000000000000LL + 5000 + 25000);
}

TEST(FidelityAbi, TenMixedArguments) {
  EXPECT_EQ(fid_many(1, 0.5, -3, 0.25f, 'A', -6, 2.0, 4000000000u, -9, 0.125),
            1 + 1.0 - 9.0 + 1.0 + 5.0 * 'A' - 36.0 + 14.0 + 32000000000.0 - 81.0 + 1.25);
}

TEST(FidelityAbi, TenIntegerArgumentsPastTheRegisters) {
  EXPECT_EQ(fid_many_ints(-1, -2, -3, -4, 255, 65535, 4294967295u, 5, -9, 10),
            -1 - 4 - 9 - 16 + 5 * 255 + 6 * 65535 + 7 * 4294967295LL + 40 - 81 + 100);
}

TEST(FidelityAbi, TenFloatingPointArgumentsPastTheRegisters) {
  EXPECT_EQ(fid_many_doubles(1, 2, 3, 4, 5, 6, 7, 8, 9, 0.5f),
            1 + 4 + 9 + 16 + 25 + 36 + 49 + 64 + 81 + 5.0);
}

TEST(FidelityAbi, LongDoubleAndBool) {
  EXPECT_EQ(fid_long_double(1.5L, -3), -4.5L);
  EXPECT_TRUE(fid_is_even(10));
  EXPECT_FALSE(fid_is_even(7));
  EXPECT_EQ(fid_count_bits(0xF0F0F0F0F0F0F0F0ull), 32);
}

TEST(FidelityAbi, ArraysAndPointers) {
  const int values[4] = {1, 2, 3, 4};
  EXPECT_EQ(fid_sum4(values), 1 + 4 + 9 + 16);
  const int m[3][3] = {{1, 2, 3}, {4, 5, 6}, {7, 8, 9}};
  EXPECT_EQ(fid_trace3(m), 15);
  int q = 0, r = 0;
  expect_pooled([&] { fid_divmod(47, 5, &q, &r); });
  EXPECT_EQ(q, 9);
  EXPECT_EQ(r, 2);
  int flag = 0;
  fid_set_flag(&flag);
  EXPECT_EQ(flag, 42);
  volatile int v = -17;
  EXPECT_EQ(fid_read_volatile(&v), -17);
}

TEST(FidelityAbi, StringsInAndOut) {
  char buffer[6];
  EXPECT_EQ(fid_copy_upper(buffer, "shimpool", sizeof buffer), 8u);
  EXPECT_STREQ(buffer, "SHIMP");
  // The string lives in the private copy, which stays loaded.
  EXPECT_STREQ(fid_version(), "fidelity 1.2.3");
}

#if defined(__x86_64__)
int __attribute__((ms_abi)) ms_increment(int v) { return v + 1; }

TEST(FidelityAbi, MicrosoftCallingConvention) {
  expect_pooled([] {
    EXPECT_EQ(fid_ms_mix(1, 2.5, 3, 0.5f, -4), 1 + 25 + 300 + 500 - 40000);
  });
  EXPECT_EQ(fid_ms_apply(ms_increment, 41), 43);
}

// fid_ms_pick itself is System V; what it returns is Microsoft.
TEST(FidelityAbi, ReturnedPointerToAMicrosoftFunction) {
  int (__attribute__((ms_abi)) *triple)(int) = nullptr;
  expect_pooled([&] { triple = fid_ms_pick(3); });
  ASSERT_NE(triple, nullptr);
  EXPECT_EQ(triple(14), 42);
  EXPECT_EQ(fid_ms_pick(-1)(5), -5);
  EXPECT_EQ(fid_ms_pick(0), nullptr);
}
#endif

// C only in the header, so looked up by name; each parameter array is passed
// as a pointer to its first element.
TEST(FidelityAbi, VariableLengthArrayParameters) {
  auto sum = reinterpret_cast<int (*)(int, const int *)>(dlsym(RTLD_DEFAULT, "fid_vla_sum"));
  auto trace = reinterpret_cast<int (*)(int, const int *)>(dlsym(RTLD_DEFAULT, "fid_vla_trace"));
  ASSERT_NE(sum, nullptr);
  ASSERT_NE(trace, nullptr);
  const int values[3] = {5, 6, 7};
  expect_pooled([&] { EXPECT_EQ(sum(3, values), 5 + 12 + 21); });
  const int m[3][3] = {{1, 2, 3}, {4, 5, 6}, {7, 8, 9}};
  EXPECT_EQ(trace(3, &m[0][0]), 15);
  EXPECT_EQ(trace(2, &m[0][0]), 1 + 4) << "a 2x2 view of the same memory: {1, 2}, {3, 4}";
}

// Variadic functions: the wrapper takes the variable arguments and passes them
// on as a va_list to the twin on the leased instance. Nine arguments put some
// of the ints and doubles on the stack.
TEST(FidelityAbi, VariadicThroughVaListTwin) {
  expect_pooled([] {
    EXPECT_EQ(fid_weigh(4, 1, -2, 3, 40, 0.5, 0.25, -1.0, 8.0),
              1 - 4 + 9 + 160 + 0.5 + 0.5 - 3.0 + 32.0);
  });
  EXPECT_EQ(fid_weigh(0), 0.0);
  char out[64];
  expect_pooled([&] {
    EXPECT_EQ(fid_format(out, sizeof out, "%s|%d|%.3f|%c|%lld", "abc", -7, 2.5, 'q', 1LL << 40),
              28);
  });
  EXPECT_STREQ(out, "abc|-7|2.500|q|1099511627776");
  EXPECT_EQ(fid_format(out, 4, "%d", 123456), 6);
  EXPECT_STREQ(out, "123");
}

// A noreturn function: the wrapper inherits the attribute and must compile
// without claiming to return; the call really ends the (child) process.
TEST(FidelityAbi, NoreturnFunctionEndsTheProcess) {
  pid_t pid = fork();
  if (pid == 0) fid_leave(7);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 7) << "status " << status;
}

}  // namespace
