//! x86_64-windows
int __attribute__((stdcall)) ls_std(int a, double b);
int __attribute__((fastcall)) ls_fast(int a, int b);
int __attribute__((vectorcall)) ls_vector(int a, double b);
int ls_plain(int a);
int _ls_underscored(int a);
int __attribute__((stdcall)) ls_none(void);
