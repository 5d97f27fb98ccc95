/* A small Windows API: includes windows.h and declares WINAPI (stdcall)
 * functions, as vendor DLL headers do. Used by windows_test.cpp (explicit
 * __cdecl/__fastcall are in win_api_explicit_cc.h). */
#ifndef WIN_API_H
#define WIN_API_H

#include <windows.h>

#ifdef __cplusplus
extern "C" {
#endif

DWORD WINAPI win_api_count(HANDLE handle, LPCSTR text);
BOOL WINAPI win_api_set_flag(BOOL flag, LPVOID context);
LPCWSTR WINAPI win_api_name(void);
int win_api_plain(int value);
typedef int (CALLBACK *win_api_callback)(HWND window, LPARAM data);
int WINAPI win_api_each(win_api_callback callback, LPARAM data);

#ifdef __cplusplus
}
#endif

#endif
