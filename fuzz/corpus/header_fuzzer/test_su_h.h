struct pt { int x, y; };
union bits { double d; unsigned long long u; };
typedef struct { int a; } anon_t;
struct pt su_mid(struct pt a, union bits b);
union bits su_flip(union bits b);
anon_t su_anon(anon_t x);
