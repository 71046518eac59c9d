/* tnef_list.c — a small walker over the TNEF attribute stream that reads attachment names and
 * sizes, nothing else (see tnef_list.h).
 *
 * Why not a library: Debian's libytnef has a long CVE history and parses the whole message (RTF,
 * recipients, MAPI of every kind); a notice needs names and sizes, so this walker reads only the
 * attributes that carry them and skips the rest by length. Format ([MS-OXTNEF]): 4-byte signature,
 * 2-byte key, then attributes of 1 byte level, 4 byte id (low 16 bits id, high 16 type), 4 byte
 * length, data, 2 byte checksum (sum of data bytes mod 65536), all little endian.
 *
 * Owns only its working state during one call. Must never read outside DATA: every read goes
 * through a cursor that checks what is left first, counts come from the data and are checked
 * against the bytes that could hold them, nothing recurses (an embedded message, itself TNEF-like
 * inside PR_ATTACH_DATA_OBJ, is named, not opened). Attachments that are archives are listed by
 * mugai_archive_list() on the bytes already in DATA, one level down.
 */
#include "sanitize/tnef_list.h"

#include <string.h>

#define TNEF_SIGNATURE 0x223E9F78u
#define LVL_MESSAGE 1
#define LVL_ATTACHMENT 2
/* Attribute ids, low 16 bits (the high 16 are the type, which writers do not always agree on). */
#define ATT_ATTACH_REND_DATA 0x9002 /* starts an attachment */
#define ATT_ATTACH_TITLE 0x8010     /* 8-bit file name, OEM codepage */
#define ATT_ATTACH_DATA 0x800F      /* the file bytes */
#define ATT_ATTACHMENT 0x9005       /* MAPI properties of the attachment */
#define ATT_OEM_CODEPAGE 0x9007
/* MAPI property ids and types. */
#define PR_DISPLAY_NAME 0x3001
#define PR_ATTACH_DATA_OBJ 0x3701
#define PR_ATTACH_FILENAME 0x3704
#define PR_ATTACH_LONG_FILENAME 0x3707
#define PT_STRING8 0x001E
#define PT_UNICODE 0x001F
#define PT_BINARY 0x0102
#define PT_OBJECT 0x000D
#define MV_FLAG 0x1000
/* Archive attachments opened; each gets this share of max_scan_bytes, so all stay within it. */
#define MAX_NESTED_LISTS 8

typedef struct {
  const guint8 *p;
  gsize len;
  gsize pos;
} cursor;

static gboolean
cur_u16(cursor *c, guint *out)
{
  if (c->len - c->pos < 2)
    return FALSE;
  *out = c->p[c->pos] | (guint) c->p[c->pos + 1] << 8;
  c->pos += 2;
  return TRUE;
}

static gboolean
cur_u32(cursor *c, guint32 *out)
{
  if (c->len - c->pos < 4)
    return FALSE;
  const guint8 *b = c->p + c->pos;
  *out = b[0] | (guint32) b[1] << 8 | (guint32) b[2] << 16 | (guint32) b[3] << 24;
  c->pos += 4;
  return TRUE;
}

static gboolean
cur_skip(cursor *c, guint64 n)
{
  if (n > c->len - c->pos)
    return FALSE;
  c->pos += (gsize) n;
  return TRUE;
}

/* A MAPI name candidate: raw bytes in DATA, 8-bit (codepage) or UTF-16LE. */
typedef struct {
  const guint8 *bytes;
  gsize len;
  gboolean utf16;
} raw_name;

typedef struct {
  raw_name title;     /* attAttachTitle */
  raw_name mapi[3];   /* PR_ATTACH_LONG_FILENAME, PR_ATTACH_FILENAME, PR_DISPLAY_NAME */
  guint64 size;
  gboolean size_known;
  mugai_archive_listing *nested; /* the attachment's own members, when it is an archive */
} tnef_attachment;

static void
attachment_free(gpointer p)
{
  tnef_attachment *att = p;
  mugai_archive_listing_free(att->nested);
  g_free(att);
}

typedef struct {
  const mugai_archive_limits *limits;
  mugai_archive_listing *listing;
  GPtrArray *attachments; /* tnef_attachment * */
  guint32 codepage;       /* attOemCodepage, 0 until seen */
  guint listed;           /* attachments plus nested entries, against max_entries */
  guint nested_lists;     /* attachments listed as archives, against MAX_NESTED_LISTS */
} tnef_walk;

/* ---- MAPI property block (attAttachment) ---------------------------------------------------- */

static gsize
fixed_value_size(guint type)
{
  switch (type) {
  case 0x0001: case 0x0002: case 0x0003: case 0x0004: case 0x000A: case 0x000B:
    return 4; /* null, short, long, float, error, boolean: padded to 4 */
  case 0x0005: case 0x0006: case 0x0007: case 0x0014: case 0x0040:
    return 8; /* double, currency, apptime, int64, systime */
  case 0x0048:
    return 16; /* clsid */
  default:
    return 0;
  }
}

/* Skip a named property's name (GUID, kind, id or UTF-16 string). */
static gboolean
skip_property_name(cursor *c)
{
  guint32 kind, n;
  if (!cur_skip(c, 16) || !cur_u32(c, &kind))
    return FALSE;
  if (kind == 0)
    return cur_skip(c, 4);
  if (kind != 1 || !cur_u32(c, &n))
    return FALSE;
  return cur_skip(c, ((guint64) n + 3) & ~(guint64) 3);
}

/* The values of one property; names of interest are remembered in ATT. FALSE: cannot go on. */
static gboolean
read_property_values(cursor *c, guint type, guint id, tnef_attachment *att)
{
  guint base = type & ~MV_FLAG;
  gboolean variable = base == PT_STRING8 || base == PT_UNICODE || base == PT_BINARY ||
                      base == PT_OBJECT;
  guint32 count = 1;
  /* Variable-length types carry a value count even when single-valued. */
  if (((type & MV_FLAG) || variable) && (!cur_u32(c, &count) || count > (c->len - c->pos) / 4))
    return FALSE;
  for (guint32 v = 0; v < count; v++) {
    if (!variable) {
      gsize size = fixed_value_size(base);
      if (size == 0 || !cur_skip(c, size))
        return FALSE;
      continue;
    }
    guint32 vlen;
    if (!cur_u32(c, &vlen) || vlen > c->len - c->pos)
      return FALSE;
    raw_name value = {c->p + c->pos, vlen, base == PT_UNICODE};
    int slot = id == PR_ATTACH_LONG_FILENAME ? 0 : id == PR_ATTACH_FILENAME ? 1
             : id == PR_DISPLAY_NAME ? 2 : -1;
    if (v == 0 && slot >= 0 && (base == PT_STRING8 || base == PT_UNICODE))
      att->mapi[slot] = value;
    if (v == 0 && id == PR_ATTACH_DATA_OBJ && !att->size_known) {
      /* An object's bytes start with its 16-byte interface id. */
      att->size = base == PT_OBJECT && vlen >= 16 ? vlen - 16 : vlen;
      att->size_known = TRUE;
    }
    if (!cur_skip(c, ((guint64) vlen + 3) & ~(guint64) 3))
      return FALSE;
  }
  return TRUE;
}

/* FALSE when the block is malformed; what was read before stays. */
static gboolean
read_mapi_block(const guint8 *data, gsize len, tnef_attachment *att)
{
  cursor c = {data, len, 0};
  guint32 count;
  if (!cur_u32(&c, &count) || count > len / 4)
    return FALSE;
  for (guint32 i = 0; i < count; i++) {
    guint type, id;
    if (!cur_u16(&c, &type) || !cur_u16(&c, &id))
      return FALSE;
    if (id >= 0x8000 && !skip_property_name(&c))
      return FALSE;
    if (!read_property_values(&c, type, id, att))
      return FALSE;
  }
  return TRUE;
}

/* ---- names ---------------------------------------------------------------------------------- */

/* UTF-16LE to UTF-8, up to the first NUL; unpaired surrogates become U+FFFD. */
static char *
utf16le_to_utf8(const guint8 *p, gsize len)
{
  GString *out = g_string_sized_new(len);
  for (gsize i = 0; i + 1 < len; i += 2) {
    gunichar c = p[i] | (gunichar) p[i + 1] << 8;
    if (c == 0)
      break;
    if (c >= 0xD800 && c <= 0xDBFF && i + 3 < len) {
      gunichar lo = p[i + 2] | (gunichar) p[i + 3] << 8;
      if (lo >= 0xDC00 && lo <= 0xDFFF) {
        c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
        i += 2;
      }
    }
    if (c >= 0xD800 && c <= 0xDFFF)
      c = 0xFFFD;
    g_string_append_unichar(out, c);
  }
  return g_string_free(out, FALSE);
}

/* Windows codepages as mugai_charset_to_utf8() labels; unknown ones read as CP932, which the
 * decoder overrules when the bytes are UTF-8 or EUC-JP. */
static const char *
codepage_label(guint32 codepage)
{
  switch (codepage) {
  case 65001: return "UTF-8";
  case 1252: case 28591: return "WINDOWS-1252";
  case 1250: return "WINDOWS-1250";
  case 1251: return "WINDOWS-1251";
  case 20932: case 51932: return "EUC-JP";
  case 50220: case 50221: case 50222: return "ISO-2022-JP";
  case 936: return "CP936";
  case 949: return "CP949";
  case 950: return "CP950";
  default: return "CP932";
  }
}

static char *
name_of(const raw_name *name, guint32 codepage)
{
  if (name->utf16) {
    g_autofree char *utf8 = utf16le_to_utf8(name->bytes, name->len);
    return mugai_archive_name_to_utf8(utf8, strlen(utf8), NULL);
  }
  gsize len = name->len;
  const guint8 *nul = memchr(name->bytes, 0, len); /* 8-bit strings end in NUL (and padding) */
  if (nul)
    len = (gsize) (nul - name->bytes);
  return mugai_archive_name_to_utf8((const char *) name->bytes, len, codepage_label(codepage));
}

static char *
attachment_name(const tnef_attachment *att, guint32 codepage)
{
  /* The long name first (the title is 8.3 in older Outlook); an empty one does not count. */
  const raw_name *order[] = {&att->mapi[0], &att->title, &att->mapi[1], &att->mapi[2]};
  for (gsize i = 0; i < G_N_ELEMENTS(order); i++) {
    if (order[i]->bytes == NULL)
      continue;
    char *name = name_of(order[i], codepage);
    if (*name)
      return name;
    g_free(name);
  }
  return g_strdup("");
}

/* ---- the attribute stream ------------------------------------------------------------------- */

/* The attachment level-2 attributes go to; NULL past max_entries (then truncated). */
static tnef_attachment *
current_attachment(tnef_walk *walk, gboolean start)
{
  if (!start && walk->attachments->len > 0)
    return g_ptr_array_index(walk->attachments, walk->attachments->len - 1);
  if (walk->listed >= walk->limits->max_entries) {
    walk->listing->truncated = TRUE;
    return NULL;
  }
  tnef_attachment *att = g_new0(tnef_attachment, 1);
  g_ptr_array_add(walk->attachments, att);
  walk->listed++;
  return att;
}

/* The attachment's bytes are an archive: list it one level down, in what is left of the limits. */
static void
list_nested(tnef_walk *walk, tnef_attachment *att, const guint8 *data, gsize len)
{
  const mugai_archive_limits *limits = walk->limits;
  if (limits->max_depth == 0 || att->nested != NULL || !mugai_archive_detect(data, len))
    return;
  if (len > limits->max_nested_bytes || walk->nested_lists >= MAX_NESTED_LISTS) {
    walk->listing->truncated = TRUE;
    return;
  }
  walk->nested_lists++;
  mugai_archive_limits sub = *limits;
  sub.max_depth = limits->max_depth - 1;
  sub.max_entries = limits->max_entries - walk->listed;
  sub.max_scan_bytes =
      (limits->max_scan_bytes ? limits->max_scan_bytes : MUGAI_ARCHIVE_DEFAULT_SCAN_BYTES) /
      MAX_NESTED_LISTS;
  att->nested = mugai_archive_list(data, len, &sub);
  walk->listed += att->nested->entries->len;
}

/* One attribute. FALSE: stop walking (max_entries reached). */
static gboolean
handle_attribute(tnef_walk *walk, guint level, guint32 id, const guint8 *data, gsize len)
{
  guint att_id = id & 0xFFFF;
  if (level == LVL_MESSAGE) {
    if (att_id == ATT_OEM_CODEPAGE && len >= 4)
      walk->codepage = data[0] | (guint32) data[1] << 8 | (guint32) data[2] << 16 |
                       (guint32) data[3] << 24;
    return TRUE;
  }
  if (att_id != ATT_ATTACH_REND_DATA && att_id != ATT_ATTACH_TITLE && att_id != ATT_ATTACH_DATA &&
      att_id != ATT_ATTACHMENT)
    return TRUE;
  tnef_attachment *att = current_attachment(walk, att_id == ATT_ATTACH_REND_DATA);
  if (att == NULL)
    return FALSE;
  switch (att_id) {
  case ATT_ATTACH_TITLE:
    att->title = (raw_name){data, len, FALSE};
    break;
  case ATT_ATTACH_DATA:
    att->size = len;
    att->size_known = TRUE;
    list_nested(walk, att, data, len);
    break;
  case ATT_ATTACHMENT:
    if (!read_mapi_block(data, len, att))
      walk->listing->damaged = TRUE;
    break;
  default:
    break;
  }
  return TRUE;
}

/* Walk the attributes after the signature and key. */
static void
walk_stream(tnef_walk *walk, const guint8 *data, gsize len)
{
  cursor c = {data, len, 6};
  while (c.pos < c.len) {
    guint level = c.p[c.pos];
    guint32 id, alen;
    guint checksum = 0;
    c.pos++;
    if (!cur_u32(&c, &id) || !cur_u32(&c, &alen) ||
        (level != LVL_MESSAGE && level != LVL_ATTACHMENT) || alen > c.len - c.pos ||
        c.len - c.pos - alen < 2) {
      /* Cut short, or a length past the end: nothing after it can be trusted. */
      walk->listing->damaged = TRUE;
      return;
    }
    const guint8 *body = c.p + c.pos;
    c.pos += alen;
    cur_u16(&c, &checksum); /* two bytes are there: checked above */
    guint sum = 0;
    for (gsize i = 0; i < alen; i++)
      sum = (sum + body[i]) & 0xFFFF;
    if (sum != checksum)
      walk->listing->damaged = TRUE; /* a bad sum alone hides no name: list it, but say so */
    if (!handle_attribute(walk, level, id, body, alen))
      return;
  }
}

gboolean
mugai_tnef_detect(const guint8 *data, gsize len)
{
  return data != NULL && len >= 6 && data[0] == 0x78 && data[1] == 0x9F && data[2] == 0x3E &&
         data[3] == 0x22;
}

static void
emit_entries(tnef_walk *walk)
{
  mugai_archive_listing *listing = walk->listing;
  for (guint i = 0; i < walk->attachments->len; i++) {
    tnef_attachment *att = g_ptr_array_index(walk->attachments, i);
    mugai_archive_entry *e =
        mugai_archive_listing_add(listing, attachment_name(att, walk->codepage), 0);
    e->size = att->size;
    e->size_known = att->size_known;
    if (att->nested == NULL)
      continue;
    listing->encrypted |= att->nested->encrypted;
    listing->truncated |= att->nested->truncated;
    listing->damaged |= att->nested->damaged;
    for (guint k = 0; k < att->nested->entries->len; k++) {
      mugai_archive_entry *n = g_ptr_array_index(att->nested->entries, k);
      mugai_archive_entry *copy =
          mugai_archive_listing_add(listing, g_strdup(n->name), n->depth + 1);
      copy->size = n->size;
      copy->size_known = n->size_known;
      copy->encrypted = n->encrypted;
    }
  }
}

mugai_archive_listing *
mugai_tnef_list(const guint8 *data, gsize len, const mugai_archive_limits *limits)
{
  g_return_val_if_fail(limits != NULL, mugai_archive_listing_new("tnef"));
  mugai_archive_listing *listing = mugai_archive_listing_new("tnef");
  if (!mugai_tnef_detect(data, len)) {
    listing->damaged = TRUE;
    return listing;
  }
  tnef_walk walk = {limits, listing, g_ptr_array_new_with_free_func(attachment_free), 0, 0, 0};
  walk_stream(&walk, data, len);
  /* Names are decoded last: attOemCodepage may come after the attachments it applies to. */
  emit_entries(&walk);
  g_ptr_array_unref(walk.attachments);
  return listing;
}
