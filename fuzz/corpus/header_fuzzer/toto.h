#ifndef TOTO_H
#define TOTO_H
#ifdef __cplusplus
extern "C" {
#endif
int toto_foo(int a, int b);
void toto_bar(char *text);
typedef int (*toto_callback)(int value, void *context);
int toto_apply(toto_callback fn, int value, void *context);
int toto_wait_event(const char *path, int timeout_ms);
void toto_signal_event(const char *path);
int toto_sum3(int a, int b, int c);
const void *toto_instance_id(void);
int toto_counter_add(int n);
int toto_set_option(const char *name, int value);
int toto_get_option(const char *name);
int toto_parse_number(const char *text);
int toto_last_error(void);
void toto_init(void);
int toto_is_initialized(void);
const char *toto_version(void);
#ifdef __cplusplus
} 
#endif
#endif
