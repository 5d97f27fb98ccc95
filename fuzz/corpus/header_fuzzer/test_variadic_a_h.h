int a_open(void);
int a_close(void);
int a_debug_dump(void);
int b_other(void);
int a_log(const char *fmt, ...);
