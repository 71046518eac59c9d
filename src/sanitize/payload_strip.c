/* payload_strip.c — defuse uuencode, yEnc and BinHex blocks in text (see payload_strip.h).
 *
 * Hand-written because no maintained library finds these inside free text: GMime decodes them
 * only when a MIME header declares them. One linear pass over the lines builds the new text:
 * every line that opens a block, anywhere (inside another block too), and the block's end markers
 * are left out, so no client finds a block to decode; the data lines stay as inert text.
 */
#include "sanitize/payload_strip.h"

#include <string.h>
#include "util/sha256.h"

typedef enum { BLOCK_NONE, BLOCK_UU, BLOCK_UU64, BLOCK_YENC, BLOCK_BINHEX, BLOCK_PGP } block_kind;

/* A line without its line end and trailing blanks. */
typedef struct {
  const char *s;
  gsize len;
} line_view;

typedef struct {
  GPtrArray *found;
  guint max;              /* records kept at most; blocks beyond are defused all the same */
  guint count;            /* blocks defused */
  block_kind kind;        /* the open block, BLOCK_NONE outside one */
  mugai_payload *current; /* (nullable) its record */
  mugai_sha256 *sum;
} defuser;

void
mugai_payload_free(mugai_payload *payload)
{
  if (payload == NULL)
    return;
  g_free(payload->name);
  g_free(payload->sha256);
  g_free(payload);
}

/* Could TEXT from FROM hold a block? Every line that opens or ends one starts with its marker
 * ("begin", "=y", the PGP armor) but BinHex's, which may stand anywhere in its line: one search,
 * and a look at the first bytes of each line. */
static gboolean
has_marker(const GString *text, gsize from)
{
  const char *s = text->str + from, *end = text->str + text->len;
  if (memmem(s, (gsize) (end - s), "BinHex", 6))
    return TRUE;
  static const char *const starts[] = {"begin", "=y", "-----BEGIN PGP MESSAGE"};
  for (const char *line = s; line != NULL && line < end;) {
    gsize left = (gsize) (end - line);
    for (gsize i = 0; i < G_N_ELEMENTS(starts); i++)
      if (*line == starts[i][0] && left >= strlen(starts[i]) &&
          memcmp(line, starts[i], strlen(starts[i])) == 0)
        return TRUE;
    line = memchr(line, '\n', left);
    line = line ? line + 1 : NULL;
  }
  return FALSE;
}

static gsize
next_line(const char *text, gsize len, gsize pos)
{
  const char *nl = memchr(text + pos, '\n', len - pos);
  return nl ? (gsize) (nl - text) + 1 : len;
}

static line_view
view(const char *text, gsize start, gsize end)
{
  line_view v = {text + start, end - start};
  while (v.len > 0 && strchr("\n\r \t", v.s[v.len - 1]))
    v.len--;
  return v;
}

static gboolean
is_word(line_view v, const char *word)
{
  return v.len == strlen(word) && memcmp(v.s, word, v.len) == 0;
}

static gboolean
has_prefix(line_view v, const char *prefix)
{
  gsize n = strlen(prefix);
  return v.len >= n && memcmp(v.s, prefix, n) == 0;
}

/* A uuencoded data line: every character between space and backquote. */
static gboolean
uu_data_line(line_view v)
{
  if (v.len == 0)
    return FALSE;
  for (gsize i = 0; i < v.len; i++)
    if ((guchar) v.s[i] < 0x20 || (guchar) v.s[i] > 0x60)
      return FALSE;
  return TRUE;
}

/* "begin 644 name" or "begin-base64 644 name": offset of the name (maybe the line's end), or 0. */
static gsize
uu_mode_end(line_view v, gboolean *base64)
{
  gsize i;
  if (has_prefix(v, "begin-base64 ")) {
    *base64 = TRUE;
    i = 13;
  } else if (has_prefix(v, "begin ")) {
    *base64 = FALSE;
    i = 6;
  } else {
    return 0;
  }
  gsize digits = 0;
  while (i < v.len && v.s[i] >= '0' && v.s[i] <= '7' && digits < 5) {
    i++;
    digits++;
  }
  if (digits < 3 || digits > 4 || (i < v.len && v.s[i] != ' '))
    return 0;
  return i < v.len ? i + 1 : i;
}

static char *
name_from(line_view v, gsize at)
{
  if (at >= v.len)
    return NULL;
  g_autofree char *name = g_strndup(v.s + at, v.len - at);
  g_strstrip(name);
  return *name ? g_utf8_make_valid(name, -1) : NULL;
}

/* Does line V (NEXT is the line after it) open a block? Sets KIND and NAME (transfer full). */
static gboolean
opens_block(line_view v, line_view next, block_kind *kind, char **name)
{
  gboolean base64 = FALSE;
  gsize at = uu_mode_end(v, &base64);
  if (at && (at < v.len || base64 || uu_data_line(next))) {
    *kind = base64 ? BLOCK_UU64 : BLOCK_UU;
    *name = name_from(v, at);
    return TRUE;
  }
  if (has_prefix(v, "=ybegin ")) {
    const char *key = g_strstr_len(v.s, (gssize) v.len, " name=");
    *kind = BLOCK_YENC;
    *name = key ? name_from(v, (gsize) (key + 6 - v.s)) : NULL;
    return TRUE;
  }
  /* An OpenPGP message (RFC 4880 armor) is ciphertext a client's plug-in would decrypt into
   * content nobody checked, files included: without its armor lines it is inert text. */
  if (has_prefix(v, "-----BEGIN PGP MESSAGE")) {
    *kind = BLOCK_PGP;
    *name = NULL;
    return TRUE;
  }
  if (g_strstr_len(v.s, (gssize) v.len, "(This file must be converted with BinHex")) {
    *kind = BLOCK_BINHEX;
    *name = NULL;
    return TRUE;
  }
  return FALSE;
}

static const char *
block_type(block_kind kind)
{
  switch (kind) {
  case BLOCK_YENC:
    return "application/x-yenc";
  case BLOCK_BINHEX:
    return "application/mac-binhex40";
  case BLOCK_PGP:
    return "application/pgp-encrypted";
  default:
    return "application/x-uuencode";
  }
}

static void
close_block(defuser *d)
{
  if (d->current) {
    d->current->sha256 = mugai_sha256_hex(d->sum);
    g_ptr_array_add(d->found, d->current);
    d->current = NULL;
  }
  d->kind = BLOCK_NONE;
}

static void
open_block(defuser *d, block_kind kind, char *take_name)
{
  close_block(d);
  d->kind = kind;
  d->count++;
  if (d->found->len >= d->max) {
    g_free(take_name);
    return;
  }
  d->current = g_new0(mugai_payload, 1);
  d->current->type = block_type(kind);
  d->current->name = take_name;
  mugai_sha256_reset(d->sum);
}

/* Inside the open block: does line V end it? *DROP says whether V is a marker to leave out. */
static gboolean
ends_block(const defuser *d, line_view v, gboolean *drop)
{
  *drop = FALSE;
  switch (d->kind) {
  case BLOCK_UU:
    if (is_word(v, "end"))
      return *drop = TRUE;
    return v.len > 0 && !uu_data_line(v); /* an ordinary line: the data ended without "end" */
  case BLOCK_UU64:
    return *drop = is_word(v, "====");
  case BLOCK_YENC:
    return *drop = has_prefix(v, "=yend");
  case BLOCK_BINHEX:
    return v.len > 1 && v.s[v.len - 1] == ':' && v.s[0] != ':';
  case BLOCK_PGP:
    return *drop = has_prefix(v, "-----END PGP MESSAGE");
  default:
    return FALSE;
  }
}

/* An armor line of an OpenPGP message: "-----BEGIN PGP MESSAGE-----" or its END. */
static gboolean
is_pgp_marker(line_view v)
{
  return has_prefix(v, "-----BEGIN PGP MESSAGE") || has_prefix(v, "-----END PGP MESSAGE");
}

/* Its words stay for the reader, bracketed instead of dashed: no plug-in takes that for armor. */
static void
append_pgp_marker(GString *out, line_view v)
{
  gsize a = 0, b = v.len;
  while (a < b && v.s[a] == '-')
    a++;
  while (b > a && v.s[b - 1] == '-')
    b--;
  g_string_append_c(out, '[');
  g_string_append_len(out, v.s + a, (gssize) (b - a));
  g_string_append(out, "]\n");
}

static void
account(defuser *d, const char *line, gsize len)
{
  if (d->current) {
    mugai_sha256_update(d->sum, line, len);
    d->current->size += len;
  }
}

guint
mugai_payloads_defuse(GString *text, gsize from, guint max, GPtrArray *found)
{
  if (from >= text->len || !has_marker(text, from))
    return 0;
  defuser d = {.found = found, .max = max, .sum = mugai_sha256_new()};
  GString *out = g_string_sized_new(text->len - from);
  const char *s = text->str;
  gsize len = text->len;
  for (gsize pos = from, next; pos < len; pos = next) {
    next = next_line(s, len, pos);
    line_view v = view(s, pos, next);
    block_kind kind = BLOCK_NONE;
    char *name = NULL;
    gboolean drop = FALSE;
    if (opens_block(v, view(s, next, next_line(s, len, next)), &kind, &name)) {
      open_block(&d, kind, name);
      account(&d, s + pos, next - pos);
      drop = TRUE;
    } else if (d.kind != BLOCK_NONE) {
      gboolean ends = ends_block(&d, v, &drop);
      account(&d, s + pos, next - pos);
      if (ends)
        close_block(&d);
    }
    /* Any yEnc part marker, in or out of a block, could restart decoding: never let one pass. */
    drop = drop || has_prefix(v, "=ypart ") || has_prefix(v, "=yend") ||
           has_prefix(v, "-----BEGIN PGP MESSAGE");
    if (!drop)
      g_string_append_len(out, s + pos, (gssize) (next - pos));
    else if (is_pgp_marker(v))
      append_pgp_marker(out, v);
  }
  close_block(&d);
  g_string_truncate(text, from);
  g_string_append_len(text, out->str, (gssize) out->len);
  g_string_free(out, TRUE);
  mugai_sha256_free(d.sum);
  return d.count;
}
