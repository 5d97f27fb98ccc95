static inline int s_helper(int x) { return x + 1; }
static int s_private(int);
int s_public(int);
