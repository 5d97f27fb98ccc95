/* The API of exports_dll.dll (exports_dll.c, exports_dll.def): two functions
 * exported by name with explicit ordinals; a third, exported by ordinal only
 * (NONAME), is not declared; win_tick forwards to KERNEL32.GetTickCount. */
#ifndef EXPORTS_DLL_H
#define EXPORTS_DLL_H

int win_add(int a, int b);
int win_sub(int a, int b);
unsigned long win_tick(void);

#endif
