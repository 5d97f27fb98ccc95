//! i686-linux
int __attribute__((stdcall)) ls_std(int a);
int ls_plain(int a);
