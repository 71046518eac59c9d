/* zip_read.c — read a zip in memory with libarchive, inside the call's budgets (see zip_read.h).
 *
 * Owns the struct archive for one call and the members it keeps. Bombs: each member is inflated in
 * pieces and stops at max_member, and all members of all levels share max_expanded, so a 10 KB
 * docx that inflates to 10 GB costs at most the cap. Never: an external program (only libarchive's
 * zip reader is enabled), the file system, or names in the process locale (a thread-local
 * C.UTF-8 locale, like sanitize/archive_list.c).
 */
#include "convert/zip_read.h"

#include <archive.h>
#include <archive_entry.h>
#include <locale.h>
#include <string.h>
#include "sanitize/archive_list.h"

#define PIECE 65536

void
mugai_zip_free(mugai_zip *zip)
{
  if (zip == NULL)
    return;
  g_ptr_array_unref(zip->names);
  g_hash_table_unref(zip->members);
  g_hash_table_unref(zip->unread);
  g_free(zip);
}

GBytes *
mugai_zip_get(mugai_zip *zip, const char *name)
{
  return g_hash_table_lookup(zip->members, name);
}

gboolean
mugai_zip_contains(mugai_zip *zip, const char *name)
{
  return g_hash_table_contains(zip->members, name) || g_hash_table_contains(zip->unread, name);
}

gboolean
mugai_zip_has_prefix(mugai_zip *zip, const char *prefix)
{
  for (guint i = 0; i < zip->names->len; i++)
    if (g_str_has_prefix(zip->names->pdata[i], prefix))
      return TRUE;
  return FALSE;
}

mugai_inflate_end
mugai_archive_inflate(struct archive *a, guint64 max_member, guint64 *expanded,
                      guint64 max_expanded, GBytes **out)
{
  g_autoptr(GByteArray) buf = g_byte_array_new();
  g_autofree guint8 *piece = g_malloc(PIECE);
  for (;;) {
    la_ssize_t n = archive_read_data(a, piece, PIECE);
    if (n == 0)
      break;
    if (n < 0) /* ARCHIVE_WARN too: that is how a bad CRC or authentication code comes back */
      return MUGAI_INFLATE_ERROR;
    *expanded += (guint64) n;
    if (buf->len + (guint64) n > max_member)
      return MUGAI_INFLATE_MEMBER_CAP;
    if (*expanded > max_expanded)
      return MUGAI_INFLATE_TOTAL_CAP;
    g_byte_array_append(buf, piece, (guint) n);
  }
  *out = g_byte_array_free_to_bytes(g_steal_pointer(&buf));
  return MUGAI_INFLATE_OK;
}

/* Inflate the current member within both caps; NULL with *FAILURE on damage or a cap. */
static GBytes *
read_member(mugai_convert_ctx *ctx, struct archive *a, const char *name, char **failure)
{
  GBytes *bytes = NULL;
  mugai_inflate_end end = mugai_archive_inflate(a, ctx->limits->max_member, &ctx->expanded,
                                                ctx->limits->max_expanded, &bytes);
  if (end == MUGAI_INFLATE_ERROR)
    *failure = g_strdup_printf("damaged zip member %.100s: %.100s", name, archive_error_string(a));
  else if (end != MUGAI_INFLATE_OK)
    *failure = g_strdup_printf("zip bomb: %.100s inflates past the limit", name);
  return bytes;
}

static mugai_zip *
read_all(mugai_convert_ctx *ctx, struct archive *a, mugai_zip_want want, gpointer user,
         char **failure)
{
  g_autoptr(mugai_zip) zip = g_new0(mugai_zip, 1);
  zip->names = g_ptr_array_new_with_free_func(g_free);
  zip->members = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_bytes_unref);
  zip->unread = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  struct archive_entry *e;
  int ret;
  while ((ret = archive_read_next_header(a, &e)) == ARCHIVE_OK || ret == ARCHIVE_WARN) {
    if (++ctx->entries > ctx->limits->max_entries) {
      *failure = g_strdup_printf("more than %u zip members", ctx->limits->max_entries);
      return NULL;
    }
    /* Names without the UTF-8 flag are what Japanese Windows wrote: CP932, decoded as the
     * engine decodes them for its listing, so the text names the member the notice names. */
    g_autofree char *name = mugai_archive_entry_name(e);
    if (archive_entry_filetype(e) != AE_IFREG)
      continue;
    g_ptr_array_add(zip->names, g_strdup(name));
    if (archive_entry_is_encrypted(e)) {
      zip->encrypted = TRUE;
      g_hash_table_insert(zip->unread, g_strdup(name), (gpointer) "encrypted");
      continue;
    }
    gint64 declared = archive_entry_size_is_set(e) ? archive_entry_size(e) : -1;
    if (g_hash_table_contains(zip->members, name))
      continue;
    /* A big photo in an ordinary zip is not a bomb: left unread, named; a member that declares
     * less than it inflates to is still stopped by read_member(). */
    if (declared > 0 && (guint64) declared > ctx->limits->max_member) {
      g_hash_table_insert(zip->unread, g_strdup(name), (gpointer) "larger than the member limit");
      continue;
    }
    if (!want(name, declared, user)) {
      g_hash_table_insert(zip->unread, g_strdup(name), (gpointer) "not text");
      continue;
    }
    GBytes *bytes = read_member(ctx, a, name, failure);
    if (bytes == NULL)
      return NULL;
    g_hash_table_insert(zip->members, g_steal_pointer(&name), bytes);
  }
  if (ret != ARCHIVE_EOF) {
    *failure = g_strdup_printf("damaged zip: %.100s", archive_error_string(a));
    return NULL;
  }
  return g_steal_pointer(&zip);
}

mugai_zip *
mugai_zip_read(mugai_convert_ctx *ctx, const void *data, gsize len, mugai_zip_want want,
               gpointer user, char **failure)
{
  locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t) 0);
  locale_t old = utf8 ? uselocale(utf8) : (locale_t) 0;
  struct archive *a = archive_read_new();
  archive_read_support_format_zip(a);
  mugai_zip *zip = NULL;
  if (archive_read_open_memory(a, data, len) != ARCHIVE_OK)
    *failure = g_strdup_printf("not a zip: %.100s", archive_error_string(a));
  else
    zip = read_all(ctx, a, want, user, failure);
  archive_read_free(a);
  if (utf8) {
    uselocale(old);
    freelocale(utf8);
  }
  return zip;
}
