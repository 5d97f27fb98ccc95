long __attribute__((ms_abi)) ms_mix(int a, double b);
int ms_call(int (__attribute__((ms_abi)) *cb)(int), int v);
