#include <stdarg.h>
int m_say(int n, ...);
int vm_say(int n, va_list ap);
int m_say_list(int n, va_list ap);
