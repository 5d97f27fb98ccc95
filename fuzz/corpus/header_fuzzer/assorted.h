#include <stddef.h>
#include <stdarg.h>
typedef struct widget widget;
typedef enum { W_OK, W_FAIL = -1 } w_status;
typedef void (*w_handler)(widget *, int (*)(const char *, ...), void *);
struct w_pair { int a; struct { double d[2]; } inner; };
union w_any { long l; void *p; };
extern int w_errno;
w_status w_open(const char *path, widget **out);
int w_old();
int w_old(int, long);
_Noreturn void w_abort(const char *why);
__attribute__((deprecated("use w_open"))) int w_create(void);
_Atomic int *w_counter(void);
unsigned _BitInt(24) w_bits(_BitInt(7) small);
float _Complex w_complex(double _Complex z);
typedef float w_vec4 __attribute__((vector_size(16)));
w_vec4 w_scale(w_vec4 v, float k);
struct w_pair w_pair_make(union w_any any, const volatile int *restrict p);
void w_each(w_handler handler, void *ctx);
int (*w_lookup(const char name[static 4]))(int, ...);
int w_printf(widget *w, const char *format, ...);
int w_vprintf(widget *w, const char *format, va_list arguments);
static inline int w_inline(void) { return 0; }
int w_set_level(int level);
int w_init(void);
const char *w_version(void);
int w_last_error(void);
void w_set_name(const char *name, const wchar_t *wide);
#define W_DECLARE(name) int w_##name(int)
W_DECLARE(made_by_macro);
