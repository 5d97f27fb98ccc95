#include <stdarg.h>
int b_set(int n, ...);
int vb_set(int n, va_list ap);
