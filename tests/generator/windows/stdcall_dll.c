#include "stdcall_dll.h"

int WINAPI win_stdcall_add(int a, int b) { return a + b; }
DWORD WINAPI win_stdcall_tick(void) { return 1; }
