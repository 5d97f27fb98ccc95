#pragma clang __debug assert
int dbg_assert(int);
