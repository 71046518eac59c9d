/* payload_strip.h — find and cut encoded files hidden in text: uuencode (also begin-base64), yEnc
 * and BinHex 4.0 blocks. Mail clients decode these into attachments, so in the sanitized text
 * they would be an attachment in disguise. Pure. */
#pragma once
#include <glib.h>

typedef struct {
  const char *type; /* static: "application/x-uuencode", "application/x-yenc",
                       "application/mac-binhex40" */
  char *name;       /* (nullable) the file name the block carries, UTF-8 */
  gsize size;       /* bytes of the block as it stood in the text */
  char *sha256;     /* of those bytes */
} mugai_payload;

void mugai_payload_free(mugai_payload *payload); /* NULL-safe */

/* Remove every such block from TEXT at or after offset FROM (a line start); append each one found
 * to FOUND (a GPtrArray freeing with mugai_payload_free). Returns how many were removed. */
guint mugai_payloads_strip(GString *text, gsize from, GPtrArray *found);
