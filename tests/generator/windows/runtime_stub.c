/* Stands in for the shimpool runtime when a shim DLL is linked only to look at
 * its export table (the runtime is not cross-built in this tree): every entry
 * point the wrappers call, doing nothing. */
#include <shimpool/shim_runtime.h>

static void *const no_functions[1] = {0};

void *const *shimpool_enter(shimpool_shim *shim, shimpool_lease *lease) { (void)shim; (void)lease; return no_functions; }
void *const *shimpool_enter_sticky(shimpool_shim *shim, shimpool_lease *lease) { (void)shim; (void)lease; return no_functions; }
void *const *shimpool_direct(shimpool_shim *shim) { (void)shim; return no_functions; }
void shimpool_record_broadcast(shimpool_shim *shim, shimpool_lease *lease, shimpool_replay_fn replay,
                               const void *arguments, size_t size) {
  (void)shim; (void)lease; (void)replay; (void)arguments; (void)size;
}
const char *shimpool_keep_string(shimpool_shim *shim, const char *text) { (void)shim; return text; }
const wchar_t *shimpool_keep_wstring(shimpool_shim *shim, const wchar_t *text) { (void)shim; return text; }
void shimpool_leave(shimpool_shim *shim, shimpool_lease *lease) { (void)shim; (void)lease; }
int shimpool_get_stats(shimpool_shim *shim, shimpool_stats *out, size_t out_size) { (void)shim; (void)out; (void)out_size; return 0; }
void shimpool_start(shimpool_shim *shim) { (void)shim; }
int shimpool_set_error_handler(shimpool_shim *shim, shimpool_error_handler handler, void *context) {
  (void)shim; (void)handler; (void)context;
  return 0;
}
int shimpool_probe(shimpool_shim *shim, char *message, size_t message_size) { (void)shim; (void)message; (void)message_size; return 0; }
int shimpool_session_begin(shimpool_shim *shim) { (void)shim; return 0; }
int shimpool_session_end(shimpool_shim *shim) { (void)shim; return 0; }
shimpool_session *shimpool_session_open(shimpool_shim *shim) { (void)shim; return 0; }
void shimpool_session_close(shimpool_shim *shim, shimpool_session *session) { (void)shim; (void)session; }
void *const *shimpool_session_enter(shimpool_shim *shim, shimpool_session *session, shimpool_lease *lease) {
  (void)shim; (void)session; (void)lease;
  return no_functions;
}
void shimpool_session_leave(shimpool_shim *shim, shimpool_session *session, shimpool_lease *lease) {
  (void)shim; (void)session; (void)lease;
}
