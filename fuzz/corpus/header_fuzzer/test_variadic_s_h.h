#include <stdarg.h>
typedef struct s_db s_db;
char *s_mprintf(s_db *db, const char *fmt, ...);
char *s_vmprintf(s_db *db, const char *fmt, va_list ap);
