//! i686-linux
int __attribute__((stdcall)) cc_std(int a, int b);
int __attribute__((fastcall)) cc_fast(int a);
int cc_plain(int a);
