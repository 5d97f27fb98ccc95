// Calls the C++ corpus through its generated shim (a .cpp wrapper, chosen from
// the .hpp extension): default arguments, C++ types by value, bool, callbacks,
// and the C++-only functions left out of the shim.
#include <dlfcn.h>
#include <gtest/gtest.h>

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

TEST(CppApiAbi, CppLinkageFunctionsAreNotExported) {
  void *shim = dlopen(CPP_API_SHIM_FILE, RTLD_NOW | RTLD_NOLOAD);
  ASSERT_NE(shim, nullptr) << dlerror();
  EXPECT_NE(dlsym(shim, "cpp_scale"), nullptr);
  EXPECT_EQ(dlsym(shim, "cpp_mangled"), nullptr);
  EXPECT_EQ(dlsym(shim, "_Z11cpp_mangledi"), nullptr);
  EXPECT_EQ(dlsym(shim, "_Z9cpp_twicei"), nullptr);
  dlclose(shim);
}

}  // namespace
