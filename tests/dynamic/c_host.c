/* c_host.c - the C example of docs/dynamic.md, compiled as C: shimpool/dynamic.h
 * is a C header, and the calls a C host makes work. Exits 0 when toto_foo(40, 2)
 * returns 42 through a dynamic pool of the library named on the command line. */
#include <shimpool/dynamic.h>

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s LIBTOTO\n", argv[0]);
        return 2;
    }
    char error[512];
    shimpool_pool_options options = {.size = sizeof(shimpool_pool_options)};
    options.max_instances = 8;
    options.strategy = getenv("SHIMPOOL_TOTO_STRATEGY"); /* sanitizer builds: namespace */
    shimpool_pool *pool = shimpool_pool_open(argv[1], &options, error, sizeof error);
    if (!pool) {
        fprintf(stderr, "%s\n", error);
        return 1;
    }
    shimpool_function *foo =
        shimpool_pool_function(pool, "toto_foo", "i32(i32,i32)", NULL, error, sizeof error);
    shimpool_value args[2] = {{.i32 = 40}, {.i32 = 2}}, result;
    if (!foo || shimpool_pool_call(pool, foo, &result, args, error, sizeof error) != 0) {
        fprintf(stderr, "%s\n", error);
        return 1;
    }
    printf("toto_foo(40, 2) = %d\n", result.i32);
    if (shimpool_pool_close(pool, error, sizeof error) != 0) {
        fprintf(stderr, "%s\n", error);
        return 1;
    }
    return result.i32 == 42 ? 0 : 1;
}
