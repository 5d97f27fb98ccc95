int zeta(void);
int alpha(void);
struct s { int m; };
int mu(void);
