/* part_decode.h — a leaf's content, transfer-decoded once as it streams by: its size and SHA-256,
 * its first bytes, and all of it for the scanner when it goes beyond them. Quoted-printable goes
 * through qp_decode.h, base64 and uuencode through GMime's filters. */
#pragma once
#include <gmime/gmime.h>
#include "sanitize/spool.h"

/* The decoded content of a leaf: always its size and hash; its first KEEP bytes when asked; all of
 * it, for the scanner, when it went beyond them and the caller gave a spool. */
typedef struct {
  guint64 size;
  char *sha256;
  GByteArray *kept;   /* first bytes, up to the caller's cap */
  gboolean cut;       /* content went beyond the cap */
  mugai_spool *whole; /* (nullable) everything, once it went beyond the cap */
} mugai_decoded;

/* Decode PART into OUT (zeroed by the caller, OUT->whole set when the scanner wants everything):
 * size, sha256 and the first KEEP bytes always; past them, all of it into OUT->whole. AS_TEXT: a
 * text part labelled base64 whose content is plainly prose is read as it is. FALSE with *FAILURE
 * set (transfer full) when the part cannot be read or kept; OUT is cleared by the caller either
 * way (mugai_decoded_clear). Memory stays flat in the size of the part beyond KEEP. */
gboolean mugai_part_decode(GMimePart *part, gsize keep, gboolean as_text, mugai_decoded *out,
                           char **failure);
void mugai_decoded_clear(mugai_decoded *d);
