/* check-exports fixture: a library with symbol versions (versioned.map):
 * versioned_add has an old version, VERS_1.0, and the default, VERS_2.0. */
#ifndef VERSIONED_H
#define VERSIONED_H

int versioned_add(int a, int b);
int versioned_scale(int value);

#endif
