#pragma clang __debug llvm_fatal_error
int dbg_llvm_fatal_error(int);
