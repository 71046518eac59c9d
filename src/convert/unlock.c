/* unlock.c — PPAP: open a password-protected archive in memory (see unlock.h).
 *
 * One pass over the whole archive per password, each with a fresh struct archive holding that one
 * passphrase. Why not hand libarchive all of them at once: it keeps the first that passes an
 * entry's quick check, and ZipCrypto's check is one byte, so a wrong password passes it once in
 * 256 and the right one after it would never be tried. So every regular member is inflated in
 * full on each pass (libarchive checks its CRC, or the AES authentication code, at the end), and
 * the first password whose pass reads every member wins.
 *
 * Owns, for one call: the struct archive of the current pass and the members read so far (kept
 * only from the pass that opened the archive). Bombs: a declared size over max_member, or declared
 * sizes adding up past max_expanded, end the call before anything is inflated; the bytes actually
 * inflated are counted too, because declared sizes lie. A limit hit ends the whole call (REFUSED),
 * never the pass only: the next password would meet the same bomb. Never: the file system (member
 * names are data, never paths), an external program (only the zip, 7z and RAR readers and no
 * filter are enabled), or names in the process locale (a thread-local C.UTF-8 one, as zip_read.c).
 */
#include "convert/unlock.h"

#include <archive.h>
#include <archive_entry.h>
#include <locale.h>
#include <string.h>
#include "convert/zip_read.h"
#include "sanitize/archive_list.h"

/* What one pass with one password came to. */
typedef enum {
  PASS_OPENED, /* every member read and checked */
  PASS_WRONG,  /* an encrypted member did not open with this password: try the next one */
  PASS_FINAL,  /* the answer whatever the password: a limit, damage, an unsupported cipher */
} pass_end;

typedef struct {
  const mugai_convert_limits *limits;
  GPtrArray *members;      /* this pass's mugai_unlocked_member * */
  guint skipped, entries;
  guint64 declared, expanded;
  gboolean data_failed;    /* the quick check passed but the data did not (CRC, inflate) */
  mugai_unlock_status status; /* PASS_FINAL: the call's answer, FAILURE why */
  char *failure;
} pass;

/* "64 MiB", "100 KiB", "1000 bytes": the limit as the notice names it. */
static char *
size_words(guint64 n)
{
  if (n >= (1u << 20) && n % (1u << 20) == 0)
    return g_strdup_printf("%" G_GUINT64_FORMAT " MiB", n >> 20);
  if (n >= 1024 && n % 1024 == 0)
    return g_strdup_printf("%" G_GUINT64_FORMAT " KiB", n >> 10);
  return g_strdup_printf("%" G_GUINT64_FORMAT " bytes", n);
}

static pass_end
final(pass *p, mugai_unlock_status status, char *take_failure)
{
  p->status = status;
  p->failure = take_failure;
  return PASS_FINAL;
}

static pass_end
too_large(pass *p, gboolean one_member)
{
  guint64 cap = one_member ? p->limits->max_member : p->limits->max_expanded;
  g_autofree char *words = size_words(cap);
  return final(p, MUGAI_UNLOCK_REFUSED,
               g_strdup_printf(one_member ? "a member too large when unpacked (more than %s)"
                                          : "too large when unpacked (more than %s)", words));
}

/* After an error on encrypted data or headers: TRUE (and P final) when it is a cipher libarchive
 * 3.6 cannot read at all (7-Zip's AES, RAR's), told by A's format rather than by its error
 * message, which differs by reader and version. */
static gboolean
unsupported_cipher(pass *p, struct archive *a)
{
  int base = archive_format(a) & ARCHIVE_FORMAT_BASE_MASK;
  if (base == ARCHIVE_FORMAT_7ZIP)
    final(p, MUGAI_UNLOCK_UNSUPPORTED, g_strdup("7-Zip AES encryption is not supported"));
  else if (base == ARCHIVE_FORMAT_RAR || base == ARCHIVE_FORMAT_RAR_V5)
    final(p, MUGAI_UNLOCK_UNSUPPORTED, g_strdup("RAR encryption is not supported"));
  else
    return FALSE;
  return TRUE;
}

/* The member's name, valid UTF-8 of at most MUGAI_UNLOCK_MAX_NAME_BYTES. */
static char *
member_name(struct archive_entry *e)
{
  char *name = mugai_archive_entry_name(e);
  if (strlen(name) > MUGAI_UNLOCK_MAX_NAME_BYTES) {
    const char *cut = g_utf8_find_prev_char(name, name + MUGAI_UNLOCK_MAX_NAME_BYTES + 1);
    name[cut ? cut - name : 0] = '\0';
  }
  return name;
}

/* Inflate the current regular member, counting what it really gives against both caps. */
static pass_end
read_member(pass *p, struct archive *a, struct archive_entry *e)
{
  gint64 declared = archive_entry_size_is_set(e) ? archive_entry_size(e) : -1;
  if (declared > 0 && (guint64) declared > p->limits->max_member)
    return too_large(p, TRUE);
  p->declared += (guint64) MAX(declared, 0);
  if (p->declared > p->limits->max_expanded)
    return too_large(p, FALSE);
  GBytes *bytes = NULL;
  mugai_inflate_end end = mugai_archive_inflate(a, p->limits->max_member, &p->expanded,
                                                p->limits->max_expanded, &bytes);
  if (end == MUGAI_INFLATE_MEMBER_CAP || end == MUGAI_INFLATE_TOTAL_CAP)
    return too_large(p, end == MUGAI_INFLATE_MEMBER_CAP);
  if (end == MUGAI_INFLATE_ERROR) {
    const char *why = archive_error_string(a);
    if (!archive_entry_is_data_encrypted(e))
      return final(p, MUGAI_UNLOCK_REFUSED,
                   g_strdup_printf("damaged archive: %.200s", why ? why : "unreadable member"));
    if (unsupported_cipher(p, a))
      return PASS_FINAL;
    /* "Incorrect passphrase" is the quick check; anything else came after it passed. */
    p->data_failed |= why == NULL || !g_str_has_prefix(why, "Incorrect passphrase");
    return PASS_WRONG;
  }
  mugai_unlocked_member *m = g_new0(mugai_unlocked_member, 1);
  m->name = member_name(e);
  m->data = bytes;
  g_ptr_array_add(p->members, m);
  return PASS_OPENED;
}

static pass_end
read_entries(pass *p, struct archive *a)
{
  struct archive_entry *e;
  int ret;
  while ((ret = archive_read_next_header(a, &e)) == ARCHIVE_OK || ret == ARCHIVE_WARN) {
    if (++p->entries > p->limits->max_entries)
      return final(p, MUGAI_UNLOCK_REFUSED,
                   g_strdup_printf("more than %u entries", p->limits->max_entries));
    mode_t type = archive_entry_filetype(e);
    if (type == AE_IFDIR)
      continue;
    /* Links and devices are never written anywhere; they are left out and counted. */
    if (type != AE_IFREG || archive_entry_hardlink(e) != NULL) {
      p->skipped++;
      continue;
    }
    pass_end end = read_member(p, a, e);
    if (end != PASS_OPENED)
      return end;
  }
  if (ret == ARCHIVE_EOF)
    return PASS_OPENED;
  /* A header that does not read: 7-Zip's encrypted headers, or damage. */
  if (archive_read_has_encrypted_entries(a) > 0 && unsupported_cipher(p, a))
    return PASS_FINAL;
  const char *why = archive_error_string(a);
  return final(p, MUGAI_UNLOCK_REFUSED,
               g_strdup_printf("damaged archive: %.200s", why ? why : "unreadable entry"));
}

static pass_end
one_pass(pass *p, const void *data, gsize len, const char *password)
{
  struct archive *a = archive_read_new();
  archive_read_support_format_zip(a);
  archive_read_support_format_7zip(a);
  archive_read_support_format_rar(a);
  archive_read_support_format_rar5(a);
  pass_end end;
  if (archive_read_add_passphrase(a, password) != ARCHIVE_OK)
    end = final(p, MUGAI_UNLOCK_REFUSED, g_strdup("unusable password")); /* the client checks */
  else if (archive_read_open_memory(a, data, len) != ARCHIVE_OK)
    end = final(p, MUGAI_UNLOCK_REFUSED, g_strdup("not a zip, 7z or RAR archive"));
  else
    end = read_entries(p, a);
  archive_read_free(a);
  return end;
}

static void
start_pass(pass *p, const mugai_convert_limits *limits)
{
  g_clear_pointer(&p->members, g_ptr_array_unref);
  *p = (pass){.limits = limits, .data_failed = p->data_failed};
  p->members = g_ptr_array_new_with_free_func((GDestroyNotify) mugai_unlocked_member_free);
}

static void
try_passwords(const void *data, gsize len, const char *const *passwords, guint n,
              const mugai_convert_limits *limits, mugai_unlock *out)
{
  pass p = {0};
  for (guint i = 0; i < n; i++) {
    start_pass(&p, limits);
    pass_end end = one_pass(&p, data, len, passwords[i]);
    if (end == PASS_WRONG)
      continue;
    out->status = end == PASS_OPENED ? MUGAI_UNLOCK_OPENED : p.status;
    out->failure = p.failure;
    if (end == PASS_OPENED) {
      out->password_index = (int) i;
      out->skipped = p.skipped;
      out->members = g_steal_pointer(&p.members);
    }
    g_clear_pointer(&p.members, g_ptr_array_unref);
    return;
  }
  g_clear_pointer(&p.members, g_ptr_array_unref);
  out->status = MUGAI_UNLOCK_WRONG_PASSWORD;
  /* "wrong password" first: the notice (sanitize/notice_ppap.c) words that prefix for the reader.
   * A data error after the quick check is a wrong password that passed it (ZipCrypto: 1 in 256)
   * or a damaged member: from the outside they look alike, so the rest says both. */
  const char *doubt = p.data_failed ? " (past the quick check, the data did not check out: a "
                                      "wrong password or a damaged archive)" : "";
  out->failure = n == 1 ? g_strdup_printf("wrong password%s", doubt)
                        : g_strdup_printf("wrong password: none of the %u passwords opened it%s",
                                          n, doubt);
}

void
mugai_unlock_archive(const void *data, gsize len, const char *const *passwords, guint n_passwords,
                     const mugai_convert_limits *limits, mugai_unlock *out)
{
  out->password_index = -1;
  if (n_passwords == 0) {
    out->status = MUGAI_UNLOCK_REFUSED;
    out->failure = g_strdup("no password to try");
  } else {
    /* Thread-local: the worker is one thread, but tests call this from theirs. */
    locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t) 0);
    locale_t old = utf8 ? uselocale(utf8) : (locale_t) 0;
    try_passwords(data, len, passwords, n_passwords, limits, out);
    if (utf8) {
      uselocale(old);
      freelocale(utf8);
    }
  }
  if (out->members == NULL)
    out->members = g_ptr_array_new_with_free_func((GDestroyNotify) mugai_unlocked_member_free);
}
