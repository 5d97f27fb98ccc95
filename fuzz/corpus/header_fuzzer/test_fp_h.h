typedef int (*binop)(int, int);
int fp_apply(int (*fn)(int, void *), void *ctx);
int fp_fold(binop op, int init);
