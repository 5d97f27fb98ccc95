#include "exports_dll.h"

int win_add(int a, int b) { return a + b; }
int win_sub(int a, int b) { return a - b; }
int win_secret(void) { return 42; }
