int rd_twice(int);
int rd_other(void);
int rd_twice(int value);
extern int rd_twice(int);
