#include "dep.h"
#include <stddef.h>
int own_function(size_t n);
