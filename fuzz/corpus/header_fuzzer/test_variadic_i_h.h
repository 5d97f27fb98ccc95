#include "inc.h"
int i_print(const char *fmt, ...);
