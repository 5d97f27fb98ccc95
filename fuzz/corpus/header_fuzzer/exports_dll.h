//! x86_64-windows
#ifndef EXPORTS_DLL_H
#define EXPORTS_DLL_H
int win_add(int a, int b);
int win_sub(int a, int b);
unsigned long win_tick(void);
#endif
