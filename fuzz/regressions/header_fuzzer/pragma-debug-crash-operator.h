_Pragma("clang __debug crash")
int dbg_operator(int);
