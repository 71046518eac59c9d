/* zip_read.h — the members of a zip in memory, read within the call's limits (libarchive). */
#pragma once
#include "convert/convert_private.h"

typedef struct {
  GPtrArray *names;     /* every member name, in archive order (UTF-8 or raw bytes made valid) */
  GHashTable *members;  /* name → GBytes of the members WANT kept */
  GHashTable *unread;   /* name → why it was not inflated (static string): "encrypted",
                           "larger than the member limit", or "not text" (WANT said no) */
  gboolean encrypted;   /* some member is encrypted (not read) */
} mugai_zip;

/* Whether to inflate member NAME of DECLARED size (-1: unknown); a member declaring more than
 * max_member is never inflated (its declared size is checked before WANT is asked). */
typedef gboolean (*mugai_zip_want)(const char *name, gint64 declared, gpointer user);

/* Read the zip; FALSE with *FAILURE (transfer full) when it is damaged or a limit is hit (too
 * many entries, a member or all members inflating past their caps: a zip bomb). */
mugai_zip *mugai_zip_read(mugai_convert_ctx *ctx, const void *data, gsize len, mugai_zip_want want,
                          gpointer user, char **failure);
void mugai_zip_free(mugai_zip *zip); /* NULL-safe */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(mugai_zip, mugai_zip_free)

/* (transfer none) (nullable) */
GBytes *mugai_zip_get(mugai_zip *zip, const char *name);
gboolean mugai_zip_has_prefix(mugai_zip *zip, const char *prefix);
/* Whether the zip has member NAME, read or not. */
gboolean mugai_zip_contains(mugai_zip *zip, const char *name);

/* Inflate the current entry of A (a libarchive reader) into *OUT (transfer full): the bytes it
 * really gives, not the size it declares, at most MAX_MEMBER of them, with *EXPANDED (shared by
 * the entries of one call) at most MAX_EXPANDED; OK or why it stopped (ERROR: as
 * archive_error_string(A) says, a bad CRC included). Also PPAP's unlock.c. */
struct archive;
typedef enum {
  MUGAI_INFLATE_OK,
  MUGAI_INFLATE_ERROR,
  MUGAI_INFLATE_MEMBER_CAP,
  MUGAI_INFLATE_TOTAL_CAP,
} mugai_inflate_end;
mugai_inflate_end mugai_archive_inflate(struct archive *a, guint64 max_member, guint64 *expanded,
                                        guint64 max_expanded, GBytes **out);
