/* The API of mixed_dll.dll (mixed_dll.c, mixed_dll.def), an i686 DLL whose
 * .def exports stdcall, fastcall and cdecl functions under every form of name
 * a .def can give them, with explicit ordinals (see mixed_dll.def). */
#ifndef MIXED_DLL_H
#define MIXED_DLL_H

#include <windows.h>

int WINAPI mixed_add(int a, int b);
int __fastcall mixed_fast(int a, int b);
int WINAPI mixed_both(int a, int b);
int mixed_plain(int a);
int WINAPI mixed_msvc(int a);
int WINAPI mixed_sub(int a, int b);

#endif
