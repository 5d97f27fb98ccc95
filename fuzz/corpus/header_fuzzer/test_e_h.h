enum color { RED, GREEN };
typedef enum { SMALL, LARGE } size_kind;
enum color e_next(enum color c, size_kind k);
