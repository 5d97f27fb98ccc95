//! i686-windows ms
typedef int (__stdcall *cb_std)(int);
typedef int (__fastcall *cb_fast)(int, int);
int __stdcall cv_register(cb_std a, cb_fast b);
int __fastcall cv_fast(int a, long long b);
int __vectorcall cv_vector(float a, double b);
int __thiscall cv_this(void *self);
__declspec(dllimport) int __cdecl cv_imported(int);
__declspec(noreturn) void __stdcall cv_exit(unsigned code);
void (__stdcall *__stdcall cv_pick(int which))(void);
__declspec(dllimport) extern int cv_data;
