/* The API of stdcall_dll.dll: WINAPI functions, exported by MinGW with their
 * stdcall decorations on i686 (win_stdcall_add@8). */
#ifndef STDCALL_DLL_H
#define STDCALL_DLL_H

#include <windows.h>

int WINAPI win_stdcall_add(int a, int b);
DWORD WINAPI win_stdcall_tick(void);

#endif
