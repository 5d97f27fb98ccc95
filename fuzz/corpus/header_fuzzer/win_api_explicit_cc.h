//! x86_64-windows ms
#ifndef WIN_API_EXPLICIT_CC_H
#define WIN_API_EXPLICIT_CC_H
typedef unsigned long DWORD;
typedef int BOOL;
typedef void *HANDLE, *HWND, *LPVOID;
typedef const char *LPCSTR;
typedef const unsigned short *LPCWSTR;
typedef long long LPARAM;
#define WINAPI __stdcall
#define CALLBACK __stdcall
int __cdecl win_cc_plain(int value);
int __fastcall win_cc_fast(int a, int b);
#endif
