//! c++
struct pair_t { int a; double b; };
extern "C" {
int cpp_scale(int value, int factor = 2);
pair_t cpp_pair(int a, double b = 0.5);
const char *cpp_greet(bool formal = false);
void cpp_reset();
}
extern "C" int cpp_single(int);
int cpp_mangled(int);
inline int cpp_twice(int v) { return cpp_scale(v); }
inline double cpp_twice(double v) { return v * 2; }
namespace ns { int hidden(int); }
struct widget { int method(int); };
template <typename T> T cpp_id(T t) { return t; }
