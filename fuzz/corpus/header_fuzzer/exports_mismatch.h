#ifndef EXPORTS_MISMATCH_H
#define EXPORTS_MISMATCH_H
int exports_add(int a, int b);
void exports_reset(void);
int exports_missing(int value);
#endif
