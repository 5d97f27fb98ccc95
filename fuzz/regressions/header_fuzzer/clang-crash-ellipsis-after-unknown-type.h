#include <stdarg.h>
void q_log(int level, const chmode(DI) ...);
void va_log(const char *fmt, va_list ap);
void q_vlog(int level, const char *fmt, va_list ap);
