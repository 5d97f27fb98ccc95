#define MSABI __attribute__((ms_abi))
typedef int MSABI ms_fn(int);
int (__attribute__((ms_abi)) *ms_pick(int))(int);
long MSABI (MSABI *ms_both(void))(double);
int (MSABI *(MSABI *ms_deep(void))(void))(int);
int (MSABI *(*ms_table(void))[4])(int);
ms_fn *ms_named(void);
void ms_take(int (MSABI *(*get)(void))(int), int (MSABI *fns[2])(int));
