/*
 * toto_wrong_signatures.h - examples/toto/toto.h with two declarations that do
 * not match the library: toto_foo takes doubles instead of ints (other
 * registers) and toto_sum3 is declared ms_abi (another calling convention).
 * A shim generated from it compiles and loads, and returns wrong results for
 * those two functions: what `shimpool verify` must catch.
 *
 * The original comment follows.
 *
 * toto.h - the vendor header of "toto", an example of a thread-unsafe C library.
 *
 * toto stands for the closed-source libraries shimpool exists for: it keeps its
 * state in globals, so concurrent calls from several threads corrupt each other's
 * results. Each function below exists to demonstrate one property a shim must have
 * (see examples/toto/demo.cpp and tests/e2e/toto_scenarios_test.cpp).
 */
#ifndef TOTO_WRONG_SIGNATURES_H
#define TOTO_WRONG_SIGNATURES_H

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Returns a + b, computed through a global scratch variable that is held for a
 * while (a yield and a short busy loop): concurrent calls overwrite each other's
 * scratch value and return wrong sums. Demonstrates corruption of plain results.
 */
int toto_foo(double a, double b); /* wrong: the library takes two ints */

/*
 * Uppercases `text` (at most 255 characters) in place, through a global buffer:
 * concurrent calls mix their texts. Demonstrates corruption of data passed by
 * pointer.
 */
void toto_bar(char *text);

/* A host callback for toto_apply: receives the value and the host's context. */
typedef int (*toto_callback)(int value, void *context);

/*
 * Calls fn(value, context) and returns its result. Lets the host re-enter the
 * library from inside a library call (nesting on the same thread).
 */
int toto_apply(toto_callback fn, int value, void *context);

/*
 * Blocks until a file exists at `path` (polled every millisecond) or until
 * timeout_ms elapses. Returns 1 if the event was set, 0 on timeout. Modeled on
 * AutoIt's "wait for window": the event lives outside the library's memory, so
 * separate instances of the library see it, and a host that serializes all calls
 * with one lock deadlocks (the wait holds the lock the signal needs).
 */
int toto_wait_event(const char *path, int timeout_ms);

/* Sets the event toto_wait_event waits for: creates the file at `path`. */
void toto_signal_event(const char *path);

/*
 * Returns a + b + c, calling toto_foo through its exported symbol. Demonstrates
 * a library calling its own exported functions: a private copy's internal calls
 * must stay inside that copy.
 */
__attribute__((ms_abi)) int toto_sum3(int a, int b, int c); /* wrong: the library uses the platform's convention */

/*
 * Returns the address of one of the library's globals: distinct for every
 * loaded copy ("instance") of the library.
 */
const void *toto_instance_id(void);

/*
 * Adds n to a global counter and returns its new value: state that a sequence
 * of calls depends on.
 */
int toto_counter_add(int n);

/*
 * Library-wide options, in the style of AutoIt's AU3_AutoItSetOption: set once,
 * they change how every later call behaves. toto_set_option stores `value`
 * under `name` (at most 16 options, names up to 31 characters) and returns the
 * previous value; toto_get_option returns it (0 if unset). A shim must apply
 * the setter to every instance ("broadcast" policy).
 */
int toto_set_option(const char *name, int value);
int toto_get_option(const char *name);

/*
 * errno-style error reporting: toto_parse_number stores 0 in the library's
 * last error when `text` is a decimal number and returns it, else stores the
 * position of the first bad character (1-based) and returns -1.
 * toto_last_error reads it back: it must run where the parse ran ("sticky").
 */
int toto_parse_number(const char *text);
int toto_last_error(void);

/*
 * One-time set-up the vendor requires before other calls, like AU3_Init:
 * toto_is_initialized returns 1 once toto_init has run in this instance
 * ("init" policy: a shim runs it on every new instance).
 */
void toto_init(void);
int toto_is_initialized(void);

/* A constant string: thread-safe, needs no instance of its own ("direct"). */
const char *toto_version(void);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* TOTO_WRONG_SIGNATURES_H */
