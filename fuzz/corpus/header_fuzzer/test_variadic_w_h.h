#include <stdarg.h>
int w_say(int n, ...);
long w_other(int n, va_list ap);
int w_plain(int n, int m);
