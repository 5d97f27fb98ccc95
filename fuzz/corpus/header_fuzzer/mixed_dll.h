//! i686-windows
#ifndef MIXED_DLL_H
#define MIXED_DLL_H
typedef unsigned long DWORD;
typedef int BOOL;
typedef void *HANDLE, *HWND, *LPVOID;
typedef const char *LPCSTR;
typedef const unsigned short *LPCWSTR;
typedef long long LPARAM;
#define WINAPI __stdcall
#define CALLBACK __stdcall
int WINAPI mixed_add(int a, int b);
int __fastcall mixed_fast(int a, int b);
int WINAPI mixed_both(int a, int b);
int mixed_plain(int a);
int WINAPI mixed_msvc(int a);
int WINAPI mixed_sub(int a, int b);
#endif
