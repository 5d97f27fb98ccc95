#pragma clang __debug crash
int dbg_crash(int);
