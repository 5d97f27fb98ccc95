typedef unsigned long handle_t;
typedef handle_t obj_t;
void obj_use(obj_t o);
obj_t obj_make(void);
