#include "exports_mismatch.h"

static int total;

/* Exported data: reported as a warning, never compared. */
int exports_counter = 0;

int exports_add(int a, int b) { return total = a + b; }
void exports_reset(void) { total = 0; }
int exports_extra(int value) { return total + value; }
