int n_ok(int);
int n_log(int level, const char *fmt, ...);
