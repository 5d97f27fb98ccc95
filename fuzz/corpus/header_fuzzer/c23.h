//! c23
#include <stdint.h>
[[noreturn]] void c23_exit(int code);
[[deprecated]] int c23_old(void);
typeof(int) c23_typed(typeof(c23_old) *f);
int c23_empty();
enum c23_small : unsigned char { C23_A, C23_B };
enum c23_small c23_pick(bool which, typeof(nullptr) none, _BitInt(12) bits);
