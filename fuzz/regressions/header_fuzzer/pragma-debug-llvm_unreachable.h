#pragma clang __debug llvm_unreachable
int dbg_llvm_unreachable(int);
