// Calls the C++ corpus through its generated shim (a .cpp wrapper, chosen from
// the .hpp extension): default arguments, C++ types by value, bool, callbacks,
// returned references, and the C++-only functions left out of the shim.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <string>

#include "cpp_api.hpp"
#include "cpp_api_shimpool.h"

namespace {

uint64_t pooled_calls() {
  shimpool_stats s{};
  EXPECT_EQ(shimpool_cpp_api_stats(&s, sizeof s), 0);
  return s.calls;
}

TEST(CppApiAbi, DefaultArgumentsReachTheLibrary) {
  const uint64_t before = pooled_calls();
  EXPECT_EQ(cpp_scale(21), 42);  // the default factor is supplied by the caller
  EXPECT_EQ(cpp_scale(5, 3), 15);
  EXPECT_EQ(pooled_calls(), before + 2);
}

TEST(CppApiAbi, StructByValue) {
  cpp_pair p = cpp_make_pair(7);
  EXPECT_EQ(p.first, 7);
  EXPECT_EQ(p.second, 0.5);
  EXPECT_EQ(cpp_pair_sum({40, 1.75}), 41.75);
}

TEST(CppApiAbi, BoolAndStrings) {
  EXPECT_STREQ(cpp_greeting(), "hi");
  EXPECT_STREQ(cpp_greeting(true), "Good day");
}

int square(int v) { return v * v; }

TEST(CppApiAbi, CallbackWithDefaultValue) {
  EXPECT_EQ(cpp_apply(square), 490);
  EXPECT_EQ(cpp_apply(square, 3), 90);
}

TEST(CppApiAbi, InlineCppFunctionsCallThroughTheShim) {
  const uint64_t before = pooled_calls();
  EXPECT_EQ(cpp_twice(4), 8);     // calls cpp_scale: pooled
  EXPECT_EQ(cpp_twice(1.5), 3.0);  // pure inline: not
  EXPECT_EQ(pooled_calls(), before + 1);
}

// A reference result reaches the host as that same reference: to the object in
// the library instance, not to a copy in the wrapper.
TEST(CppApiAbi, ReturnedReferencesAliasTheLibrarysObject) {
  const uint64_t before = pooled_calls();
  int *address = cpp_counter_address();
  ASSERT_NE(address, nullptr);
  int &counter = cpp_counter();
  EXPECT_EQ(&counter, address);
  counter = 41;
  EXPECT_EQ(*cpp_counter_address(), 41);
  int &&moved = cpp_counter_moved();
  EXPECT_EQ(&moved, address);
  EXPECT_EQ(pooled_calls(), before + 4);
}

// The C++ overload double cpp_scale(double) shares the extern "C" function's
// name; the wrapper still calls the right one. (The overload itself lives in
// the library only, which this test does not link.)
TEST(CppApiAbi, ExternCFunctionWithACppOverload) {
  int (*scale)(int, int) = cpp_scale;
  Dl_info info{};
  ASSERT_NE(dladdr(reinterpret_cast<void *>(scale), &info), 0);
  EXPECT_NE(std::string(info.dli_fname).find("cpp_api_shim"), std::string::npos) << info.dli_fname;
  const uint64_t before = pooled_calls();
  EXPECT_EQ(scale(6, 7), 42);
  EXPECT_EQ(pooled_calls(), before + 1);
}

TEST(CppApiAbi, CppLinkageFunctionsAreNotExported) {
  void *shim = dlopen(CPP_API_SHIM_FILE, RTLD_NOW | RTLD_NOLOAD);
  ASSERT_NE(shim, nullptr) << dlerror();
  EXPECT_NE(dlsym(shim, "cpp_scale"), nullptr);
  EXPECT_EQ(dlsym(shim, "cpp_mangled"), nullptr);
  EXPECT_EQ(dlsym(shim, "_Z11cpp_mangledi"), nullptr);
  EXPECT_EQ(dlsym(shim, "_Z9cpp_twicei"), nullptr);
  EXPECT_EQ(dlsym(shim, "_Z9cpp_scaled"), nullptr);
  dlclose(shim);
}

}  // namespace
