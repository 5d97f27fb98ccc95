const char *q_name(const char *s, char *const t,
                   const volatile int *p, const int **pp);
