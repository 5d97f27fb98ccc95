//! i686-linux
#define WINAPI __attribute__((stdcall))
#define FASTCALL __attribute__((fastcall))
int WINAPI (FASTCALL *cc_select(int))(int, int);
void __attribute__((noreturn, regparm(2))) cc_fail(int a, int b);
