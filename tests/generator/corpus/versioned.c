#include "versioned.h"

/* versioned_add@VERS_1.0: the old behaviour, kept for old binaries. */
int versioned_add_v1(int a, int b) { return a + b + 1; }
__asm__(".symver versioned_add_v1, versioned_add@VERS_1.0");

/* versioned_add@@VERS_2.0: what new links bind to. */
int versioned_add_v2(int a, int b) { return a + b; }
__asm__(".symver versioned_add_v2, versioned_add@@VERS_2.0");

int versioned_scale(int value) { return value * 2; }
