//! i686-windows
#ifndef WIN_API_H
#define WIN_API_H
typedef unsigned long DWORD;
typedef int BOOL;
typedef void *HANDLE, *HWND, *LPVOID;
typedef const char *LPCSTR;
typedef const unsigned short *LPCWSTR;
typedef long long LPARAM;
#define WINAPI __stdcall
#define CALLBACK __stdcall
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
