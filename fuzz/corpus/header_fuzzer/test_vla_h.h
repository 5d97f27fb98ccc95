int vla_sum(int n, const int v[n]);
int vla_trace(int rows, int cols, double m[rows][cols], int);
int vla_star(int n, int v[*]);
