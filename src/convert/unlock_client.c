/* unlock_client.c — PPAP: open one password-protected archive in a mugai-convert worker
 * (see convert_client.h): the passwords framed for its stdin, and the parse of its answer
 * (main.c's header describes both); worker_spawn.c runs it.
 *
 * Owns, for one call: the password lines (wiped before they are freed) and the worker's answer,
 * whose member bytes the outcome's GBytes share without a copy. Never: a password on the worker's
 * argv or in its environment (ps shows both), a member name used as a path, or a length from the
 * worker believed past the bytes it sent.
 */
#include "convert/convert_client.h"

#include <string.h>
#include "convert/worker_spawn.h"

#define HEADER_MAX 4096    /* the answer's header lines */
#define MEMBER_LINE_MAX 64 /* "member: NAMELEN DATALEN\n" */

void
mugai_unlock_outcome_free(mugai_unlock_outcome *outcome)
{
  if (outcome == NULL)
    return;
  mugai_unlock_clear(&outcome->unlock);
  g_free(outcome);
}

/* The passwords as the worker's first lines; NULL with *WHY when one cannot be framed (the
 * worker checks the same, so a bad one never reaches libarchive). *N: how many. */
static GString *
password_lines(const char *const *passwords, guint *n, char **why)
{
  GString *lines = g_string_new(NULL);
  for (*n = 0; passwords[*n]; (*n)++) {
    gsize len = strlen(passwords[*n]);
    if (*n == MUGAI_UNLOCK_MAX_PASSWORDS) {
      *why = g_strdup_printf("more than %d passwords", MUGAI_UNLOCK_MAX_PASSWORDS);
    } else if (len == 0 || len > MUGAI_UNLOCK_MAX_PASSWORD_BYTES || strpbrk(passwords[*n], "\r\n")) {
      *why = g_strdup_printf("password %u is not usable (empty, longer than %d bytes, or with a "
                             "line break)", *n + 1, MUGAI_UNLOCK_MAX_PASSWORD_BYTES);
    } else {
      g_string_append_len(lines, passwords[*n], (gssize) len);
      g_string_append_c(lines, '\n');
      continue;
    }
    explicit_bzero(lines->str, lines->len);
    g_string_free(lines, TRUE);
    return NULL;
  }
  if (*n == 0) {
    *why = g_strdup("no password to try");
    g_string_free(lines, TRUE);
    return NULL;
  }
  return lines;
}

/* One header line "KEY: VALUE" into U; FALSE when it is not one the worker writes. */
static gboolean
header_line(char *line, guint n_passwords, guint max_members, mugai_unlock *u, guint64 *members)
{
  char *value = strstr(line, ": ");
  if (value == NULL)
    return FALSE;
  *value = '\0';
  value += 2;
  guint64 v = 0;
  if (strcmp(line, "status") == 0)
    return mugai_unlock_status_from_name(value, &u->status) && u->status != MUGAI_UNLOCK_FAILED;
  if (strcmp(line, "reason") == 0) {
    g_free(u->failure);
    u->failure = g_utf8_make_valid(value, -1); /* untrusted bytes */
    return TRUE;
  }
  if (strcmp(line, "password") == 0) {
    gboolean ok = g_ascii_string_to_unsigned(value, 10, 0, n_passwords - 1, &v, NULL);
    u->password_index = (int) v;
    return ok;
  }
  if (strcmp(line, "members") == 0)
    return g_ascii_string_to_unsigned(value, 10, 0, max_members, members, NULL);
  if (strcmp(line, "skipped") == 0) {
    gboolean ok = g_ascii_string_to_unsigned(value, 10, 0, G_MAXUINT, &v, NULL);
    u->skipped = (guint) v;
    return ok;
  }
  return FALSE;
}

/* Member I of the answer at *POS in ALL (the whole answer): its line, name and data, each
 * length checked against what is left. */
static mugai_unlocked_member *
member_at(GBytes *all, gsize *pos)
{
  gsize total = 0;
  const char *s = g_bytes_get_data(all, &total);
  const char *nl = memchr(s + *pos, '\n', MIN(total - *pos, (gsize) MEMBER_LINE_MAX));
  if (nl == NULL)
    return NULL;
  g_autofree char *line = g_strndup(s + *pos, (gsize) (nl - (s + *pos)));
  g_auto(GStrv) f = g_strsplit(line, " ", -1);
  guint64 name_len = 0, data_len = 0;
  if (g_strv_length(f) != 3 || strcmp(f[0], "member:") != 0 ||
      !g_ascii_string_to_unsigned(f[1], 10, 0, MUGAI_UNLOCK_MAX_NAME_BYTES, &name_len, NULL) ||
      !g_ascii_string_to_unsigned(f[2], 10, 0, G_MAXSIZE, &data_len, NULL))
    return NULL;
  gsize at = (gsize) (nl + 1 - s);
  if (name_len > total - at || data_len > total - at - name_len ||
      memchr(s + at, '\0', name_len))
    return NULL;
  mugai_unlocked_member *m = g_new0(mugai_unlocked_member, 1);
  m->name = g_utf8_make_valid(s + at, (gssize) name_len);
  m->data = g_bytes_new_from_bytes(all, at + name_len, data_len);
  *pos = at + name_len + data_len;
  return m;
}

/* The whole answer ALL into U, or FALSE: then U may hold part of it, to be cleared. */
static gboolean
parse_answer(GBytes *all, guint n_passwords, guint max_members, mugai_unlock *u)
{
  gsize total = 0;
  const char *s = g_bytes_get_data(all, &total);
  const char *end = total ? g_strstr_len(s, (gssize) MIN(total, HEADER_MAX), "\n\n") : NULL;
  if (end == NULL)
    return FALSE;
  g_autofree char *head = g_strndup(s, (gsize) (end - s));
  g_auto(GStrv) lines = g_strsplit(head, "\n", -1);
  guint64 members = 0;
  u->status = MUGAI_UNLOCK_FAILED;
  for (char **l = lines; *l; l++)
    if (!header_line(*l, n_passwords, max_members, u, &members))
      return FALSE;
  if (u->status == MUGAI_UNLOCK_FAILED || (u->status == MUGAI_UNLOCK_OPENED) != (u->password_index >= 0))
    return FALSE;
  gsize pos = (gsize) (end + 2 - s);
  for (guint64 i = 0; i < members; i++) {
    mugai_unlocked_member *m = member_at(all, &pos);
    if (m == NULL)
      return FALSE;
    g_ptr_array_add(u->members, m);
  }
  return pos == total && (u->status == MUGAI_UNLOCK_OPENED || members == 0);
}

/* FAILED with REASON (transfer full). */
static mugai_unlock_outcome *
failed(mugai_unlock_outcome *o, char *take_reason)
{
  mugai_unlock_clear(&o->unlock);
  o->unlock.members = g_ptr_array_new_with_free_func((GDestroyNotify) mugai_unlocked_member_free);
  o->unlock.status = MUGAI_UNLOCK_FAILED;
  o->unlock.failure = take_reason;
  return o;
}

mugai_unlock_outcome *
mugai_convert_unlock_run(const mugai_convert_client_options *options, const void *data, gsize len,
                         const char *const *passwords)
{
  mugai_unlock_outcome *o = g_new0(mugai_unlock_outcome, 1);
  o->unlock = (mugai_unlock){.password_index = -1};
  o->run = MUGAI_CONVERT_ERROR;
  guint n = 0;
  char *why = NULL;
  GString *lines = password_lines(passwords, &n, &why);
  if (lines == NULL)
    return failed(o, why);
  g_autoptr(GPtrArray) argv = mugai_worker_argv(options);
  g_ptr_array_add(argv, g_strdup_printf("--unlock=%u", n));
  g_ptr_array_add(argv, NULL);
  const mugai_convert_limits *l = &options->limits;
  gsize max_out = l->max_expanded + HEADER_MAX +
                  (gsize) l->max_entries * (MUGAI_UNLOCK_MAX_NAME_BYTES + MEMBER_LINE_MAX);
  g_auto(mugai_worker_end) end = {0};
  mugai_worker_run(options, argv, (const guint8 *) lines->str, lines->len, data, len, max_out,
                   &end);
  explicit_bzero(lines->str, lines->len);
  g_string_free(lines, TRUE);
  o->run = end.status;
  o->peak_rss_kb = end.peak_rss_kb;
  o->elapsed_ms = end.elapsed_ms;
  if (end.status != MUGAI_CONVERT_DONE)
    return failed(o, g_steal_pointer(&end.reason));
  o->unlock.members = g_ptr_array_new_with_free_func((GDestroyNotify) mugai_unlocked_member_free);
  g_autoptr(GBytes) all = g_byte_array_free_to_bytes(g_steal_pointer(&end.out));
  if (!parse_answer(all, n, l->max_entries, &o->unlock)) {
    o->run = MUGAI_CONVERT_CRASHED;
    return failed(o, g_strdup("crashed (no valid answer)"));
  }
  if (o->unlock.status != MUGAI_UNLOCK_OPENED && o->unlock.failure == NULL)
    o->unlock.failure = g_strdup("not opened");
  return o;
}
