#include <stdarg.h>
void q_log(int level, const char *fmt, ...);
void vq_log(const char *fmt, va_list ap);
void q_vlog(int level, const char *fmt, va_list ap);
