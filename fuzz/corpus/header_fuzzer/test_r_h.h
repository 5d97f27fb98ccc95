int (*r_pick(int which))(int, int);
void (*r_signal(int sig, void (*fn)(int)))(int);
