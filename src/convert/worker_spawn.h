/* worker_spawn.h — run one mugai-convert worker to its end: spawn, feed stdin, collect stdout
 * under a cap and a deadline, reap, and say how it ended. Private to the two clients
 * (convert_client.c for a conversion, unlock_client.c for PPAP), which build its arguments and
 * parse its answer. */
#pragma once
#include "convert/convert_client.h"

/* The worker's argv without its terminating NULL: the program and the options both modes take
 * (CPU, memory and the limits in O). The caller adds its own and then NULL. (transfer full) */
GPtrArray *mugai_worker_argv(const mugai_convert_client_options *o);

typedef struct {
  mugai_convert_status status; /* DONE: it exited 0 or 1, OUT holds an answer to parse; else why
                                * not (TIMEOUT, LIMIT, CRASHED, ERROR) with REASON */
  char *reason;                /* (nullable) !DONE: "timeout after 30000 ms", "memory limit"... */
  GByteArray *out;             /* its stdout, at most the cap */
  guint64 peak_rss_kb;         /* getrusage of the child */
  guint64 elapsed_ms;
} mugai_worker_end;

/* Run the worker with ARGV (NULL-terminated); its stdin gets HEAD_LEN bytes of HEAD then LEN of
 * DATA (either may be empty), its stdout is kept up to MAX_OUT bytes. END is filled, never
 * left half: the worker is reaped before this returns. */
void mugai_worker_run(const mugai_convert_client_options *o, GPtrArray *argv, const guint8 *head,
                      gsize head_len, const guint8 *data, gsize len, gsize max_out,
                      mugai_worker_end *end);
void mugai_worker_end_clear(mugai_worker_end *end);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(mugai_worker_end, mugai_worker_end_clear)
