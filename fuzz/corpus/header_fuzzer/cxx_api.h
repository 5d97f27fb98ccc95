//! c++
namespace vendor { struct handle { int id; }; enum class mode : short { fast, safe }; }
extern "C" {
typedef struct opaque opaque;
int cx_open(const char *name, vendor::handle *out, vendor::mode m = vendor::mode::safe) noexcept;
void cx_close(vendor::handle &h);
int cx_each(void (*fn)(const vendor::handle &) noexcept);
[[noreturn]] void cx_fail(const char *why);
int cx_set_option(const char *name, long value);
}
namespace vendor { extern "C" int cx_in_namespace(int); }
template <typename T> T cx_template(T value);
struct cx_class { static int method(); };
