#ifndef VERSIONED_H
#define VERSIONED_H
int versioned_add(int a, int b);
int versioned_scale(int value);
#endif
