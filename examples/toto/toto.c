/*
 * toto.c - the implementation of the example thread-unsafe library (see toto.h).
 *
 * Every function keeps its working state in file-static globals and widens the
 * window in which another thread can overwrite them (sched_yield, busy loops),
 * so the races are reliably visible even on a machine with few cores.
 *
 * Build: cc -std=c11 -shared -fPIC -o libtoto.so toto.c -Wl,-soname,libtoto.so
 *        x86_64-w64-mingw32-gcc -shared -o toto.dll toto.c
 */
#define _POSIX_C_SOURCE 200809L

#include "toto.h"

#include <ctype.h>
#include <string.h>

/* The little the library needs from the system: yield, a millisecond clock
 * and sleep, and a file that exists or not (the event). */
#if defined(_WIN32)
#define WIN32_LEAN_AND_MEAN
#include <windows.h>

static void yield(void) { SwitchToThread(); }
static long long now_ms(void) { return (long long)GetTickCount64(); }
static void sleep_one_ms(void) { Sleep(1); }
static int file_exists(const char *path) { return GetFileAttributesA(path) != INVALID_FILE_ATTRIBUTES; }
static void create_file(const char *path)
{
    HANDLE file = CreateFileA(path, GENERIC_WRITE, 0, NULL, OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
    if (file != INVALID_HANDLE_VALUE)
        CloseHandle(file);
}
#else
#include <fcntl.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

static void yield(void) { sched_yield(); }
static long long now_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}
static void sleep_one_ms(void)
{
    const struct timespec one_ms = {0, 1000000};
    nanosleep(&one_ms, NULL);
}
static int file_exists(const char *path) { return access(path, F_OK) == 0; }
static void create_file(const char *path)
{
    int fd = open(path, O_CREAT | O_WRONLY, 0600);
    if (fd >= 0)
        close(fd);
}
#endif

#define TOTO_TEXT_MAX 255

/* volatile: otherwise the compiler, seeing that nothing else in this file
 * reads it, keeps toto_foo's value in a register and the race disappears. */
static volatile int scratch;                /* toto_foo's working value */
static char text_buffer[TOTO_TEXT_MAX + 1]; /* toto_bar's working buffer */
static int counter;                         /* toto_counter_add's state */

/* Keeps the CPU busy for a moment while a global holds a half-done result. */
static void linger(void)
{
    volatile int spin = 0;
    yield();
    for (int i = 0; i < 300; ++i)
        spin = spin + 1;
}

/* noinline keeps toto_sum3's call to toto_foo a real call to the exported
 * symbol even with compilers that inline across default-visibility functions. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
int toto_foo(int a, int b)
{
    scratch = a;
    linger();
    return scratch + b;
}

void toto_bar(char *text)
{
    size_t length = strnlen(text, TOTO_TEXT_MAX);

    memcpy(text_buffer, text, length);
    text_buffer[length] = '\0';
    yield();
    for (size_t i = 0; i < length; ++i) {
        if (i == length / 2)
            yield();
        text_buffer[i] = (char)toupper((unsigned char)text_buffer[i]);
    }
    memcpy(text, text_buffer, length);
    text[length] = '\0';
}

int toto_apply(toto_callback fn, int value, void *context)
{
    return fn(value, context);
}

int toto_wait_event(const char *path, int timeout_ms)
{
    long long deadline = now_ms() + timeout_ms;

    for (;;) {
        if (file_exists(path))
            return 1;
        if (now_ms() >= deadline)
            return 0;
        sleep_one_ms();
    }
}

void toto_signal_event(const char *path)
{
    create_file(path);
}

int toto_sum3(int a, int b, int c)
{
    /* An ordinary call to an exported function: in a -fPIC shared library it
     * goes through the PLT, so the dynamic linker may bind it to another
     * library's toto_foo (a shim's wrapper). Deliberate: see toto.h. */
    return toto_foo(a, b) + c;
}

const void *toto_instance_id(void)
{
    return &counter;
}

int toto_counter_add(int n)
{
    counter += n;
    return counter;
}

#define TOTO_MAX_OPTIONS 16

static struct {
    char name[32];
    int value;
} options[TOTO_MAX_OPTIONS];
static int option_count;
static int last_error;
static int initialized;

static int find_option(const char *name)
{
    for (int i = 0; i < option_count; ++i)
        if (strncmp(options[i].name, name, sizeof options[i].name - 1) == 0)
            return i;
    return -1;
}

int toto_set_option(const char *name, int value)
{
    int i = find_option(name);
    if (i < 0) {
        if (option_count == TOTO_MAX_OPTIONS)
            return 0;
        i = option_count++;
        strncpy(options[i].name, name, sizeof options[i].name - 1);
        options[i].value = 0;
    }
    int previous = options[i].value;
    options[i].value = value;
    return previous;
}

int toto_get_option(const char *name)
{
    int i = find_option(name);
    return i < 0 ? 0 : options[i].value;
}

int toto_parse_number(const char *text)
{
    int value = 0;
    for (int i = 0; text[i]; ++i) {
        if (!isdigit((unsigned char)text[i])) {
            last_error = i + 1;
            return -1;
        }
        value = value * 10 + (text[i] - '0');
    }
    last_error = 0;
    return value;
}

int toto_last_error(void)
{
    return last_error;
}

void toto_init(void)
{
    initialized = 1;
}

int toto_is_initialized(void)
{
    return initialized;
}

const char *toto_version(void)
{
    return "toto 1.0";
}
