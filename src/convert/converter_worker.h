/* converter_worker.h — the sanitizer's converter (sanitize/converter.h) made of mugai-convert
 * workers: one posix_spawn'ed, sandboxed process per file, at most MAX_WORKERS at once per
 * process (a file waits for a free slot within its own timeout); a PPAP unlock takes a slot
 * like a conversion. Used by mugai-milter and by `mugai sanitize`, so both convert the same way. */
#pragma once
#include <glib.h>
#include "sanitize/converter.h"

/* The worker program: CONFIGURED when it is not empty, else a mugai-convert beside the running
 * program (a build tree), else the installed one. (transfer full) */
char *mugai_converter_worker_program(const char *configured);

/* A converter running PROGRAM (an absolute path to an executable). NULL with ERROR set when it
 * cannot be run. (transfer full) */
mugai_converter *mugai_converter_worker_new(const char *program, guint max_workers,
                                            GError **error);
void mugai_converter_worker_free(mugai_converter *converter); /* NULL-safe; no call in flight */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(mugai_converter, mugai_converter_worker_free)
