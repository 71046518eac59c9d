/* unlock_message.h — PPAP, the MIME side of unlocking a held original: which of its parts are
 * the password-protected zips the sanitizer held (sanitize/walk.c says the same), and the new
 * message that carries the files of the opened ones to the recipient, to be sanitized like any
 * inbound mail. In memory only: nothing decrypted is ever written to a file. */
#pragma once
#include <glib.h>
#include "config/policy.h"
#include "sanitize/converter.h"

/* One password-protected zip of a held original. */
typedef struct {
  char *name;        /* its file name as the mail gives it (UTF-8), "" when none */
  GBytes *data;      /* the zip, decoded */
  mugai_unlock open; /* what the worker made of it (status MUGAI_UNLOCK_FAILED until tried) */
} mugai_locked_archive;

void mugai_locked_archive_free(mugai_locked_archive *archive); /* NULL-safe */

/* (transfer full) mugai_locked_archive *, in MIME order: each leaf of the message in DATA (LEN
 * bytes) that decodes to a zip whose own members are password-protected and is no larger than
 * LIMITS->archive_bytes; empty when there is none. GMime must be set up (mugai_sanitize_init). */
GPtrArray *mugai_unlock_find_archives(const guint8 *data, gsize len, const mugai_limits *limits);

/* (transfer full) the message that brings the files of the opened archives in ARCHIVES (those
 * whose open.status is OPENED) to the recipient: the original's From, To, Cc and Subject (marked
 * as unlocked), In-Reply-To and References naming the original's Message-ID, a text in
 * LANGUAGE saying what it is (the original's QUARANTINE_ID, when it came), then each file as an
 * attachment named by the last component of its name in the archive. CRLF lines, a header
 * block as the milter passes one. */
GByteArray *mugai_unlock_build_message(const guint8 *original, gsize len, const GPtrArray *archives,
                                       const char *quarantine_id, gint64 received,
                                       mugai_language language);

/* "a.zip, b.zip": the names of ARCHIVES (OPENED_ONLY: of those opened), for notices and the
 * audit. (transfer full) */
char *mugai_unlock_archive_names(const GPtrArray *archives, gboolean opened_only);
