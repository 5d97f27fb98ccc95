/* check-exports fixture: the header declares exports_missing, which
 * exports_mismatch.c does not define, and does not declare exports_extra,
 * which it does. exports_counter is exported data (not declared here). */
#ifndef EXPORTS_MISMATCH_H
#define EXPORTS_MISMATCH_H

int exports_add(int a, int b);
void exports_reset(void);
int exports_missing(int value);

#endif
