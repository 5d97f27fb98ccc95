#include <stdarg.h>
int d_vsay(int n, va_list ap);
int d_first(void);
int d_say(int n, ...);
