#include "mixed_dll.h"

int WINAPI mixed_add(int a, int b) { return a + b; }
int __fastcall mixed_fast(int a, int b) { return a * b; }
int WINAPI mixed_both(int a, int b) { return a | b; }
int mixed_plain(int a) { return a; }
int WINAPI mixed_msvc(int a) { return -a; }
int WINAPI mixed_sub(int a, int b) { return a - b; }
