//! blocks
typedef void (^blk_done)(int status);
int blk_run(int (^work)(void *), blk_done done);
void blk_set_callback(void (^callback)(void));
