//! i686-windows
#ifndef STDCALL_DLL_H
#define STDCALL_DLL_H
typedef unsigned long DWORD;
typedef int BOOL;
typedef void *HANDLE, *HWND, *LPVOID;
typedef const char *LPCSTR;
typedef const unsigned short *LPCWSTR;
typedef long long LPARAM;
#define WINAPI __stdcall
#define CALLBACK __stdcall
int WINAPI win_stdcall_add(int a, int b);
DWORD WINAPI win_stdcall_tick(void);
#endif
