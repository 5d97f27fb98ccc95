struct n0 { int a, b; };
struct n1 { struct n0 x, y; };
struct n2 { struct n1 x, y; };
struct n3 { struct n2 x, y, z[2]; };
void n_set_all(struct n3 value);
int (*(*n_table(int which))[4])(struct n1, ...);
void n_matrix(int rows, int cols, double m[rows][cols], double v[*]);
