int rd_late();
int rd_late(int value);
int rd_early(int value, const char *name);
int rd_early();
