typedef double vec3[3];
int a_sum(const int v[4], int m[3][3], int n, char s[], vec3 w,
          int (*p)[2], int q[static 5]);
