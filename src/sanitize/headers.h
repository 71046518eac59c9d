/* headers.h — message headers as the milter sees them: split, rebuilt, and the drop table.
 *
 * Postfix hands a milter each header as (name, value) with folded lines joined by "\n" and, with
 * SMFIP_HDR_LEADSPC, the space after the colon kept. `mugai sanitize` splits a file the same way
 * so that both paths feed mugai_sanitize() identical bytes. Pure functions, except
 * mugai_headers_read(), which reads the block from the message stream.
 */
#pragma once
#include <gmime/gmime.h>
#include "sanitize/result.h"

/* Postfix's default header_size_limit: a longer header keeps only its first bytes. */
#define MUGAI_HEADER_MAX 102400

/* Split the header block at the start of DATA into HEADERS (mugai_header *, values keep their
 * leading whitespace). Stops at the empty line (consumed) or, like Postfix, at the first line that
 * is not a header (which then starts the body). Returns the offset where the body starts. */
gsize mugai_headers_split(const char *data, gsize len, GPtrArray *headers);

/* A GPtrArray that frees the mugai_header entries it holds. (transfer full) */
GPtrArray *mugai_headers_new(void);

/* The header block at the start of RAW (at most CAP bytes read), split as above. NULL, with
 * *FAILURE set (transfer full), on a read error. (transfer full) */
GPtrArray *mugai_headers_read(GMimeStream *raw, guint64 cap, char **failure);

/* Append "NAME:VALUE\r\n" to OUT, folded lines as "\r\n"; VALUE as received (leading space kept).
 * ADD_SPACE puts one space after the colon when VALUE has none of its own (mugai's own headers). */
void mugai_header_write(GByteArray *out, const char *name, const char *value, gboolean add_space);

/* Append the header block as a milter receives it: each header "NAME:VALUE\r\n", then the
 * empty line. The one way the milter's spool, the CLI and attached messages build it. */
void mugai_headers_write_block(GByteArray *out, const GPtrArray *headers);

/* Postfix addresses a header by name (ASCII case ignored) and occurrence: a table for counting
 * them, and the occurrence (from 1) of NAME counting this one. */
GHashTable *mugai_header_counter_new(void); /* (transfer full) */
guint mugai_header_counter_next(GHashTable *counter, const char *name);

/* TRUE for X-Mugai-* (a sender could forge what mugai writes). */
gboolean mugai_header_is_forged(const char *name);

/* TRUE when header NAME must not survive RESULT: forged X-Mugai-* always; on inbound mail the
 * headers that make a client act (a read receipt sent from inside to the internet, a face image
 * drawn); the MIME headers when the body was rewritten (they described the old body). */
gboolean mugai_header_is_dropped(const char *name, const mugai_result *result);

/* TRUE when the OCCURRENCE-th header NAME does not survive RESULT: dropped by name, or removed
 * one by one (mugai_result_remove_header). */
gboolean mugai_header_is_removed(const char *name, guint occurrence, const mugai_result *result);

/* Render the delivered header block: INPUT minus dropped and removed headers, plus RESULT's
 * added headers, then the empty line. */
void mugai_headers_render(GByteArray *out, const GPtrArray *input, const mugai_result *result);
