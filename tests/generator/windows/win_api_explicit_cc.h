/* Explicit calling conventions that are no-ops on the target (__cdecl always,
 * __fastcall/__stdcall on x86_64): Clang keeps them as attribute sugar. */
#ifndef WIN_API_EXPLICIT_CC_H
#define WIN_API_EXPLICIT_CC_H

#include <windows.h>

int __cdecl win_cc_plain(int value);
int __fastcall win_cc_fast(int a, int b);

#endif
