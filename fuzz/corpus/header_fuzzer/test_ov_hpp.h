//! c++
extern "C" int ov_scale(int value, int factor = 2);
double ov_scale(double value);
extern "C" int &ov_counter();
extern "C" int &&ov_moved();
extern "C" void ov_safe(int) noexcept;
