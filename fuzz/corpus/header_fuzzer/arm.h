//! aarch64-linux
#include <stdarg.h>
__fp16 arm_half(__fp16 h);
int arm_log(const char *format, ...);
int arm_vlog(const char *format, va_list args);
struct arm_hfa { float a, b, c, d; };
struct arm_hfa arm_hfa_make(float x);
