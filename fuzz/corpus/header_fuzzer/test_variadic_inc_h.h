#include <stdarg.h>
int vi_print(const char *fmt, va_list ap);
