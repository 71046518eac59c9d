/* message_reader.h — read a message file the way Postfix would hand it to a milter: header lines
 * split into (name, value) pairs, body lines ending in CRLF, a leading mbox "From " line dropped
 * (as sendmail(1) drops it). The result is spooled exactly as mugai-milter spools it. */
#pragma once
#include <stdio.h>
#include "sanitize/spool.h"

typedef struct {
  GPtrArray *headers;  /* mugai_header *, as the milter's header callback would see them */
  mugai_spool *spool;  /* headers rebuilt + empty line + body, the bytes mugai_sanitize() reads */
  guint64 body_offset; /* where the body starts in the spool */
} mugai_read_message;

/* Read all of INPUT. FALSE with ERROR set on an I/O error. OUT must be zeroed; clear it with
 * mugai_read_message_clear() in every case. */
gboolean mugai_read_message_from(FILE *input, const char *spool_dir, gsize spool_memory,
                                 mugai_read_message *out, GError **error);
void mugai_read_message_clear(mugai_read_message *message);
