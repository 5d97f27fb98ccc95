#pragma clang __debug overflow_stack
int dbg_overflow_stack(int);
