#include <stdarg.h>
void r_log(int n, ...);
void r_vlog(int n, va_list ap);
