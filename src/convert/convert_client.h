/* convert_client.h — convert one attachment in a mugai-convert worker process (issue 8), or
 * (PPAP) open one password-protected archive there (unlock_client.c).
 *
 * What the sanitizer calls: it starts the worker with posix_spawn (never fork() in the threaded
 * milter), feeds it the bytes, reads its framed answer under a wall-clock deadline and reaps it.
 * Whatever the worker does — crash, hang, run out of memory, write too much — the call returns an
 * outcome with a reason and the worker is gone. No global state: safe from any thread.
 */
#pragma once
#include <glib.h>

#include "convert/convert.h"

/* The worker's installed path (CMake: <prefix>/libexec/mugai/mugai-convert). */
#ifndef MUGAI_CONVERT_PROGRAM
#define MUGAI_CONVERT_PROGRAM "/usr/local/libexec/mugai/mugai-convert"
#endif

typedef struct {
  const char *program;       /* (nullable) the worker; NULL: MUGAI_CONVERT_PROGRAM */
  guint timeout_ms;          /* wall clock from spawn to exit; 0: 30000 */
  guint cpu_seconds;         /* the worker's RLIMIT_CPU; 0: timeout rounded up */
  guint memory_mb;           /* the worker's RLIMIT_AS; 0: 1024 */
  mugai_convert_limits limits;
} mugai_convert_client_options;

/* Defaults: 30 s, 1024 MB, mugai_convert_limits_init(). */
void mugai_convert_client_options_init(mugai_convert_client_options *options);

typedef enum {
  MUGAI_CONVERT_DONE,     /* text produced (maybe empty, maybe truncated: see warnings) */
  MUGAI_CONVERT_REFUSED,  /* the worker read it and said why not: encrypted, damaged, bomb... */
  MUGAI_CONVERT_TIMEOUT,  /* killed at the deadline */
  MUGAI_CONVERT_LIMIT,    /* CPU or memory limit, or more output than allowed */
  MUGAI_CONVERT_CRASHED,  /* died by a signal, or exited without a valid answer */
  MUGAI_CONVERT_ERROR,    /* could not be started */
} mugai_convert_status;

typedef struct {
  mugai_convert_status status;
  char *reason;          /* (nullable) for everything but DONE: "timeout after 30000 ms",
                            "crashed (signal 11)", "memory limit", "encrypted", ... */
  char *kind;            /* as the worker said ("pdf"), "" when unknown */
  char *unit;            /* (nullable) "pages", "sheets", "slides", "files" */
  guint count;
  guint warnings;        /* mugai_convert_warning bits */
  GString *text;         /* UTF-8; empty unless DONE */
  guint64 peak_rss_kb;   /* the worker's peak resident memory (getrusage of the child) */
  guint64 elapsed_ms;
} mugai_convert_outcome;

/* Convert LEN bytes of DATA (libmagic type MIME and file NAME, both nullable). (transfer full) */
mugai_convert_outcome *mugai_convert_run(const mugai_convert_client_options *options,
                                         const void *data, gsize len, const char *mime,
                                         const char *name);
void mugai_convert_outcome_free(mugai_convert_outcome *outcome); /* NULL-safe */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(mugai_convert_outcome, mugai_convert_outcome_free)

/* "done", "refused", "timeout", "limit", "crashed", "error" (static) */
const char *mugai_convert_status_name(mugai_convert_status status);

/* PPAP: what opening one archive in a worker came to. */
typedef struct {
  mugai_unlock unlock;        /* status, failure, password_index, members (never NULL), skipped;
                               * FAILED when the worker did not answer (RUN says how) or the
                               * passwords could not be sent */
  mugai_convert_status run;   /* DONE: the worker answered; TIMEOUT, LIMIT, CRASHED, ERROR as for
                               * a conversion, with the same reason in unlock.failure (ERROR also
                               * when no worker was started: passwords that cannot be sent) */
  guint64 peak_rss_kb;
  guint64 elapsed_ms;
} mugai_unlock_outcome;

/* Open the archive in LEN bytes of DATA in a worker with each of PASSWORDS (NULL-terminated, 1
 * to MUGAI_UNLOCK_MAX_PASSWORDS of them, each 1 to MUGAI_UNLOCK_MAX_PASSWORD_BYTES bytes with no
 * NUL, CR or LF: otherwise FAILED and no worker starts), one after another, within OPTIONS->limits
 * (max_expanded, max_member, max_entries). The passwords reach the worker on its stdin only,
 * never its argv or environment. Its answer is read up to max_expanded plus the framing
 * (members' lines and names): past that the worker is killed, FAILED "output too large". The
 * members' bytes share one buffer, freed with the last of them. (transfer full) */
mugai_unlock_outcome *mugai_convert_unlock_run(const mugai_convert_client_options *options,
                                               const void *data, gsize len,
                                               const char *const *passwords);
void mugai_unlock_outcome_free(mugai_unlock_outcome *outcome); /* NULL-safe */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(mugai_unlock_outcome, mugai_unlock_outcome_free)
