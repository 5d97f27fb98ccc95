//! c89
int kr_add();
long kr_mix(int, ...);
double kr_twin();
