#include <stdarg.h>
int p_print(const char *fmt, ...);
int vp_print(const char *fmt, va_list ap);
