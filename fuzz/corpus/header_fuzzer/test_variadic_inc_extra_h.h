#define EXTRA_OK 1
