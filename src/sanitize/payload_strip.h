/* payload_strip.h — find and defuse encoded files hidden in text: uuencode (also begin-base64),
 * yEnc and BinHex 4.0 blocks, and OpenPGP messages (ASCII armor, which a plug-in decrypts). Mail clients decode these into attachments when they see the
 * block's marker lines ("begin 644 name" ... "end", "=ybegin" ... "=yend", "(This file must be
 * converted with BinHex"); without those lines no client decodes anything, and the rest is inert
 * text. The marker lines are removed, so the file no longer reaches the reader as a file, while
 * the text around it (and any prose a sender mixed into the block) stays where it was. Pure. */
#pragma once
#include <glib.h>

typedef struct {
  const char *type; /* static: "application/x-uuencode", "application/x-yenc",
                       "application/mac-binhex40", "application/pgp-encrypted" */
  char *name;       /* (nullable) the file name the block carries, UTF-8 */
  gsize size;       /* bytes of the block as it stood in the text */
  char *sha256;     /* of those bytes */
} mugai_payload;

void mugai_payload_free(mugai_payload *payload); /* NULL-safe */

/* Defuse every such block in TEXT at or after offset FROM (a line start), in one linear pass;
 * append a record of each to FOUND (a GPtrArray freeing with mugai_payload_free) while FOUND holds
 * fewer than MAX. Returns how many blocks were defused (recorded or not). */
guint mugai_payloads_defuse(GString *text, gsize from, guint max, GPtrArray *found);
