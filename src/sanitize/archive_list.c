/* archive_list.c — list an archive attachment's members with libarchive (see archive_list.h).
 *
 * Owns nothing beyond one call: each level of nesting opens its own struct archive over bytes in
 * memory and frees it before returning. What it must never do: decompress member data except to
 * look into a member that may be an archive, read more than the limits allow, run an external
 * program (libarchive falls back to `lrzip -d` and the like when a library is missing), or touch
 * the file system (libarchive's mtree format opens the local files an input names).
 *
 * Member names: libarchive converts names it knows the charset of (zip's UTF-8 flag, 7z's UTF-16,
 * pax) to the thread's locale, and fails on non-ASCII in the C locale a daemon runs in. So each
 * listing runs under a thread-local C.UTF-8 locale (uselocale, restored before returning). Names
 * of unknown charset come through as raw bytes and are decoded by mugai_archive_name_to_utf8().
 *
 * Nesting: every member's first MUGAI_ARCHIVE_DETECT_PREFIX bytes are inflated to see whether it
 * is an archive (by magic, never by name); one is read whole (up to max_nested_bytes) and listed
 * one level down while depth < max_depth, else it stays closed and the listing says truncated.
 * A compressed zip/7z (x.zip.gz) is a gzip with one member, the zip, like any nesting; only
 * tar/cpio/ar are listed through their compression (tar.gz), as everyone names them.
 *
 * Bounds: recursion only for nested archives, depth < max_depth <= MUGAI_ARCHIVE_DEPTH_CAP; every
 * header read counts toward max_entries (+ a fixed allowance for skipped directories and bad
 * headers); libarchive gets its input in CHUNK-byte pieces through our read callback, which
 * refuses to go on once the decompressed bytes (max_scan_bytes) or the deadline are spent — that
 * is what stops a tar.gz bomb inside a single archive_read_next_header() call. In solid formats
 * (7z, rar, cab) skipping the rest of a member we looked at inflates it, so its whole declared
 * size is charged to max_scan_bytes before we look; what they inflate internally otherwise is
 * seen by no byte count, only by the deadline.
 */
#include "sanitize/archive_list.h"

#include <archive.h>
#include <archive_entry.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include "sanitize/charset.h"

/* Input handed to libarchive per read callback: a limit is noticed within this much compressed
 * input (16 KiB of xz'd zeros is ~100 MB of output, a fraction of a second). */
#define CHUNK 16384
/* Headers read without listing an entry (directories, unreadable headers) beyond max_entries. */
#define MAX_UNLISTED 4096
/* A raw name longer than this is cut before decoding; the result is cut at NAME_MAX anyway. */
#define NAME_RAW_MAX 4096

typedef struct {
  const mugai_archive_limits *limits;
  mugai_archive_listing *listing;
  guint max_depth;    /* limits->max_depth, clamped */
  guint64 nested_max; /* limits->max_nested_bytes, clamped to what a GByteArray holds */
  guint64 scan_used;  /* decompressed bytes so far, all levels */
  guint64 scan_max;
  guint unlisted;     /* headers read but not listed, all levels */
  gboolean stop;      /* a limit was hit: every level unwinds */
} list_ctx;

/* One level's input, read by libarchive through the callbacks below. */
typedef struct {
  list_ctx *ctx;
  struct archive *a;
  const guint8 *data;
  gsize len;
  gsize pos;
  gint64 filter_seen; /* archive_filter_bytes(a, 0) already added to ctx->scan_used */
  gboolean over;      /* the callback refused: a limit was hit, not damage */
} mem_source;

/* ---- names ---------------------------------------------------------------------------------- */

char *
mugai_archive_name_to_utf8(const char *raw, gsize len, const char *label)
{
  if (raw == NULL)
    return g_strdup("");
  len = MIN(len, (gsize) NAME_RAW_MAX);
  g_autofree char *utf8 = NULL;
  if (g_utf8_validate_len(raw, len, NULL)) /* fails on NUL too: those go through the decoder */
    utf8 = g_strndup(raw, len);
  else
    utf8 = mugai_charset_to_utf8(label, raw, len, NULL, NULL);
  GString *out = g_string_sized_new(MIN(strlen(utf8), (gsize) MUGAI_ARCHIVE_NAME_MAX));
  for (const char *p = utf8; *p; p = g_utf8_next_char(p)) {
    gunichar c = g_utf8_get_char(p);
    gsize clen = (gsize) (g_utf8_next_char(p) - p);
    if (out->len + clen > MUGAI_ARCHIVE_NAME_MAX)
      break;
    if (g_unichar_iscntrl(c)) /* tabs, newlines, ESC, C1: would break the notice's lines */
      g_string_append_c(out, ' ');
    else
      g_string_append_len(out, p, (gssize) clen);
  }
  return g_string_free(out, FALSE);
}

/* ---- listing -------------------------------------------------------------------------------- */

static void
entry_free(gpointer p)
{
  mugai_archive_entry *entry = p;
  g_free(entry->name);
  g_free(entry);
}

mugai_archive_listing *
mugai_archive_listing_new(const char *format)
{
  mugai_archive_listing *listing = g_new0(mugai_archive_listing, 1);
  listing->format = format;
  listing->entries = g_ptr_array_new_with_free_func(entry_free);
  return listing;
}

void
mugai_archive_listing_free(mugai_archive_listing *listing)
{
  if (listing == NULL)
    return;
  g_ptr_array_unref(listing->entries);
  g_free(listing);
}

mugai_archive_entry *
mugai_archive_listing_add(mugai_archive_listing *listing, char *take_name, guint depth)
{
  mugai_archive_entry *entry = g_new0(mugai_archive_entry, 1);
  entry->name = take_name ? take_name : g_strdup("");
  entry->depth = depth;
  g_ptr_array_add(listing->entries, entry);
  return entry;
}

/* ---- detection ------------------------------------------------------------------------------ */

typedef struct {
  gsize offset;
  const char *magic;
  gsize len;
} magic_def;

#define M(off, s) {off, s, sizeof(s) - 1}
static const magic_def magics[] = {
  M(0, "PK\x03\x04"), M(0, "PK\x05\x06"), M(0, "PK\x07\x08PK\x03\x04"),  /* zip, empty, spanned */
  M(0, "7z\xbc\xaf\x27\x1c"), M(0, "Rar!\x1a\x07"),                      /* 7z, rar 4 and 5 */
  M(0, "\x1f\x8b\x08"), M(0, "\x1f\x9d"), M(0, "\xfd" "7zXZ\x00"),        /* gzip, compress, xz */
  M(0, "LZIP"), M(0, "\x28\xb5\x2f\xfd"), M(0, "\x04\x22\x4d\x18"),       /* lzip, zstd, lz4 */
  M(0, "MSCF\x00\x00\x00\x00"), M(0, "!<arch>\n"), M(0, "xar!"),           /* cab, ar, xar */
  M(0, "070707"), M(0, "070701"), M(0, "070702"), M(0, "\xed\xab\xee\xdb"), /* cpio, rpm */
  M(257, "ustar"), M(0x8001, "CD001"), M(0x8801, "CD001"), M(0x9001, "CD001"), /* tar, iso */
};
#undef M

/* Office Open XML and OpenDocument files are zips, but a reader wants "report.docx", not
 * "[Content_Types].xml, word/document.xml...": their first member's name gives them away. */
static gboolean
is_office_zip(const guint8 *data, gsize len)
{
  static const char *const first_members[] = {"[Content_Types].xml", "_rels/.rels", "mimetype"};
  if (len < 30 || memcmp(data, "PK\x03\x04", 4) != 0)
    return FALSE;
  gsize name_len = data[26] | (gsize) data[27] << 8;
  for (gsize i = 0; i < G_N_ELEMENTS(first_members); i++)
    if (name_len == strlen(first_members[i]) && len >= 30 + name_len &&
        memcmp(data + 30, first_members[i], name_len) == 0)
      return TRUE;
  return FALSE;
}

gboolean
mugai_archive_detect(const guint8 *data, gsize len)
{
  if (data == NULL)
    return FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS(magics); i++) {
    const magic_def *m = &magics[i];
    if (len >= m->offset + m->len && memcmp(data + m->offset, m->magic, m->len) == 0)
      return !is_office_zip(data, len);
  }
  if (len >= 4 && memcmp(data, "BZh", 3) == 0 && data[3] >= '1' && data[3] <= '9')
    return TRUE;
  /* LHA: "-lh5-" or "-lzs-" after a two-byte header size and checksum. */
  return len >= 7 && data[2] == '-' && data[3] == 'l' && (data[4] == 'h' || data[4] == 'z') &&
         data[6] == '-';
}

/* ---- libarchive setup ----------------------------------------------------------------------- */

/* Every format of archive_read_support_format_all() but mtree (reads local files), raw (would
 * make any text an archive; used on its own for compressed single files) and empty. */
static int (*const format_fns[])(struct archive *) = {
  archive_read_support_format_7zip, archive_read_support_format_ar,
  archive_read_support_format_cab, archive_read_support_format_cpio,
  archive_read_support_format_iso9660, archive_read_support_format_lha,
  archive_read_support_format_rar, archive_read_support_format_rar5,
  archive_read_support_format_tar, archive_read_support_format_warc,
  archive_read_support_format_xar, archive_read_support_format_zip,
};

static int (*const filter_fns[])(struct archive *) = {
  archive_read_support_filter_bzip2, archive_read_support_filter_compress,
  archive_read_support_filter_gzip, archive_read_support_filter_lzip,
  archive_read_support_filter_lzma, archive_read_support_filter_xz,
  archive_read_support_filter_uu, archive_read_support_filter_rpm,
  archive_read_support_filter_lrzip, archive_read_support_filter_lzop,
  archive_read_support_filter_grzip, archive_read_support_filter_lz4,
  archive_read_support_filter_zstd,
};

static void
add_filters(struct archive *a)
{
  for (gsize i = 0; i < G_N_ELEMENTS(filter_fns); i++) {
    /* ARCHIVE_WARN means "through an external program": try on a scratch handle first, since a
     * registered filter cannot be taken back. */
    struct archive *probe = archive_read_new();
    int r = filter_fns[i](probe);
    archive_read_free(probe);
    if (r == ARCHIVE_OK)
      filter_fns[i](a);
  }
}

/* Counts decompressed bytes and checks the deadline; FALSE once either is spent. */
static gboolean
source_within_limits(mem_source *src)
{
  list_ctx *ctx = src->ctx;
  if (src->a != NULL && archive_filter_code(src->a, 0) > ARCHIVE_FILTER_NONE) {
    gint64 bytes = archive_filter_bytes(src->a, 0);
    if (bytes > src->filter_seen) {
      ctx->scan_used += (guint64) (bytes - src->filter_seen);
      src->filter_seen = bytes;
    }
  }
  if (ctx->scan_used > ctx->scan_max ||
      (ctx->limits->deadline != 0 && g_get_monotonic_time() > ctx->limits->deadline))
    src->over = TRUE;
  return !src->over;
}

static la_ssize_t
source_read(struct archive *a, void *user, const void **buf)
{
  mem_source *src = user;
  if (!source_within_limits(src)) {
    archive_set_error(a, -1, "mugai listing limit reached"); /* -1: libarchive's "misc" */
    return ARCHIVE_FATAL;
  }
  gsize n = MIN((gsize) CHUNK, src->len - src->pos);
  *buf = src->data + src->pos;
  src->pos += n;
  return (la_ssize_t) n;
}

static la_int64_t
source_skip(struct archive *a, void *user, la_int64_t request)
{
  (void) a;
  mem_source *src = user;
  if (request <= 0)
    return 0;
  gsize n = MIN((guint64) request, (guint64) (src->len - src->pos));
  src->pos += n;
  return (la_int64_t) n;
}

static la_int64_t
source_seek(struct archive *a, void *user, la_int64_t offset, int whence)
{
  (void) a;
  mem_source *src = user;
  gint64 base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? (gint64) src->pos : (gint64) src->len;
  if ((offset < 0 && -offset > base) || (offset > 0 && offset > (gint64) src->len - base))
    return ARCHIVE_FATAL;
  src->pos = (gsize) (base + offset);
  return (la_int64_t) src->pos;
}

/* Open SRC->a over SRC's bytes with every archive format (RAW: only the raw format, for a
 * compressed single file). Returns archive_read_open1()'s result; SRC->a is always set. */
static int
reader_open(mem_source *src, gboolean raw)
{
  struct archive *a = archive_read_new();
  if (raw)
    archive_read_support_format_raw(a);
  else
    for (gsize i = 0; i < G_N_ELEMENTS(format_fns); i++)
      format_fns[i](a);
  add_filters(a);
  src->a = a;
  src->pos = 0;
  src->filter_seen = 0;
  archive_read_set_callback_data(a, src);
  archive_read_set_read_callback(a, source_read);
  archive_read_set_skip_callback(a, source_skip);
  archive_read_set_seek_callback(a, source_seek);
  return archive_read_open1(a);
}

/* OPENED: A has a format (archive_read_has_encrypted_entries() crashes on one that has none). */
static gboolean
error_says_encrypted(struct archive *a, gboolean opened)
{
  /* libarchive says "The archive header is encrypted...", "RAR encryption support unavailable",
   * "Crypto codec not supported", "Passphrase required"... */
  const char *msg = archive_error_string(a);
  g_autofree char *lower = msg ? g_ascii_strdown(msg, -1) : NULL;
  return (lower && (strstr(lower, "crypt") || strstr(lower, "passphrase"))) ||
         (opened && archive_read_has_encrypted_entries(a) > 0);
}

/* After libarchive gave up: a limit of ours, a password, or damage. */
static void
note_failure(list_ctx *ctx, mem_source *src, struct archive *a)
{
  if (src->over) {
    ctx->listing->truncated = TRUE;
    ctx->stop = TRUE;
  } else if (error_says_encrypted(a, TRUE)) {
    ctx->listing->encrypted = TRUE;
  } else {
    ctx->listing->damaged = TRUE;
  }
}

static const char *
format_name(struct archive *a, gboolean raw)
{
  int filter = archive_filter_code(a, 0);
  if (raw) {
    switch (filter) {
    case ARCHIVE_FILTER_GZIP: return "gzip";
    case ARCHIVE_FILTER_BZIP2: return "bzip2";
    case ARCHIVE_FILTER_XZ: return "xz";
    case ARCHIVE_FILTER_LZMA: return "lzma";
    case ARCHIVE_FILTER_ZSTD: return "zstd";
    case ARCHIVE_FILTER_LZ4: return "lz4";
    case ARCHIVE_FILTER_LZIP: return "lzip";
    case ARCHIVE_FILTER_COMPRESS: return "compress";
    default: return "compressed";
    }
  }
  switch (archive_format(a) & ARCHIVE_FORMAT_BASE_MASK) {
  case ARCHIVE_FORMAT_ZIP: return "zip";
  case ARCHIVE_FORMAT_7ZIP: return "7z";
  case ARCHIVE_FORMAT_RAR: case ARCHIVE_FORMAT_RAR_V5: return "rar";
  case ARCHIVE_FORMAT_CAB: return "cab";
  case ARCHIVE_FORMAT_ISO9660: return "iso";
  case ARCHIVE_FORMAT_LHA: return "lha";
  case ARCHIVE_FORMAT_XAR: return "xar";
  case ARCHIVE_FORMAT_AR: return "ar";
  case ARCHIVE_FORMAT_CPIO: return "cpio";
  case ARCHIVE_FORMAT_WARC: return "warc";
  case ARCHIVE_FORMAT_TAR:
    switch (filter) {
    case ARCHIVE_FILTER_NONE: return "tar";
    case ARCHIVE_FILTER_GZIP: return "tar.gz";
    case ARCHIVE_FILTER_BZIP2: return "tar.bz2";
    case ARCHIVE_FILTER_XZ: return "tar.xz";
    case ARCHIVE_FILTER_ZSTD: return "tar.zst";
    default: return "tar";
    }
  default: return "archive";
  }
}

/* Formats whose members are read without decompressing the ones before them (7z, rar and cab
 * blocks are solid: skipping the rest of a member we peeked at inflates all of it). */
static gboolean
members_independent(struct archive *a, gboolean raw)
{
  switch (raw ? ARCHIVE_FORMAT_RAW : archive_format(a) & ARCHIVE_FORMAT_BASE_MASK) {
  case ARCHIVE_FORMAT_ZIP: case ARCHIVE_FORMAT_TAR: case ARCHIVE_FORMAT_CPIO:
  case ARCHIVE_FORMAT_AR: case ARCHIVE_FORMAT_ISO9660: case ARCHIVE_FORMAT_RAW:
    return TRUE;
  default:
    return FALSE;
  }
}

/* ---- one level ------------------------------------------------------------------------------ */

static void list_level(list_ctx *ctx, const guint8 *data, gsize len, guint depth);

/* Append up to WANT more bytes of the current member to BUF; COUNT: add them to the scan bytes
 * (FALSE when a decompression filter already counts them, or they were charged up front).
 * FALSE on a read error or a spent limit (recorded). */
static gboolean
read_member(list_ctx *ctx, mem_source *src, GByteArray *buf, gsize want, gboolean count,
            gboolean *eof)
{
  while (want > 0 && !*eof) {
    gsize step = MIN(want, (gsize) 65536);
    gsize old = buf->len;
    g_byte_array_set_size(buf, (guint) (old + step));
    la_ssize_t got = archive_read_data(src->a, buf->data + old, step);
    g_byte_array_set_size(buf, (guint) (old + (got > 0 ? (gsize) got : 0)));
    if (got < 0) {
      /* FATAL: the data is corrupt. FAILED or WARN: this member is unreadable (a method
       * libarchive lacks, like deflate64) but the archive is fine; it stays unopened. */
      if (got == ARCHIVE_FATAL || src->over)
        note_failure(ctx, src, src->a);
      return FALSE;
    }
    if (got == 0)
      *eof = TRUE;
    if (count)
      ctx->scan_used += (guint64) got;
    want -= (gsize) got;
    if (!source_within_limits(src)) {
      note_failure(ctx, src, src->a);
      return FALSE;
    }
  }
  return TRUE;
}

/* The member just listed as E may be an archive: look at its first bytes and, when it is one,
 * fits and DEPTH < max_depth, list it one level down; when it is one that is not opened, the
 * listing is truncated (there is more inside than it shows). */
static void
maybe_open_member(list_ctx *ctx, mem_source *src, gboolean raw, mugai_archive_entry *e,
                  guint depth)
{
  guint64 cap = ctx->nested_max;
  gboolean count = archive_filter_code(src->a, 0) <= ARCHIVE_FILTER_NONE;
  if (!members_independent(src->a, raw) && e->size_known) {
    /* Skipping what we do not read of it will inflate it all: charge that up front. */
    if (ctx->scan_used + e->size > ctx->scan_max) {
      ctx->listing->truncated = TRUE;
      return;
    }
    ctx->scan_used += e->size;
    count = FALSE;
  }
  g_autoptr(GByteArray) buf = g_byte_array_new();
  gboolean eof = FALSE;
  if (!read_member(ctx, src, buf, MUGAI_ARCHIVE_DETECT_PREFIX, count, &eof))
    return;
  if (eof) { /* the whole member was read: its size is known, whatever a header claimed */
    e->size = buf->len;
    e->size_known = TRUE;
  }
  if (!mugai_archive_detect(buf->data, buf->len))
    return;
  if (depth >= ctx->max_depth || (e->size_known && e->size > cap) || buf->len > cap) {
    ctx->listing->truncated = TRUE; /* an archive, too big to open */
    return;
  }
  if (!read_member(ctx, src, buf, (gsize) (cap - buf->len + 1), count, &eof))
    return;
  if (buf->len > cap) {
    ctx->listing->truncated = TRUE;
    return;
  }
  if (!e->size_known) {
    e->size = buf->len;
    e->size_known = TRUE;
  }
  list_level(ctx, buf->data, buf->len, depth + 1);
}

/* The name a gzip header stores (FNAME), "" without one. */
static char *
gzip_stored_name(const guint8 *data, gsize len)
{
  if (len < 10 || data[0] != 0x1f || data[1] != 0x8b || !(data[3] & 0x08))
    return g_strdup("");
  gsize pos = 10;
  if (data[3] & 0x04) { /* FEXTRA: two-byte length, then that much */
    if (len < 12)
      return g_strdup("");
    pos = 12 + (data[10] | (gsize) data[11] << 8);
  }
  if (pos >= len)
    return g_strdup("");
  const guint8 *end = memchr(data + pos, 0, len - pos);
  if (end == NULL)
    return g_strdup("");
  /* RFC 1952 says Latin-1; Japanese Windows tools write CP932, and the decoder tells them apart. */
  return mugai_archive_name_to_utf8((const char *) data + pos, (gsize) (end - (data + pos)),
                                    "CP932");
}

/* The entry's name as UTF-8: the locale's form (raw bytes when libarchive knows no charset),
 * else the forms libarchive converted to. */
char *
mugai_archive_entry_name(struct archive_entry *ae)
{
  const char *path = archive_entry_pathname(ae);
  if (path == NULL)
    path = archive_entry_pathname_utf8(ae);
  if (path != NULL)
    return mugai_archive_name_to_utf8(path, strlen(path), "CP932");
  G_STATIC_ASSERT(sizeof(wchar_t) == sizeof(gunichar)); /* glibc's wchar_t is UCS-4 */
  const wchar_t *wide = archive_entry_pathname_w(ae);
  if (wide == NULL)
    return g_strdup("");
  g_autofree char *utf8 = g_ucs4_to_utf8((const gunichar *) wide, -1, NULL, NULL, NULL);
  return mugai_archive_name_to_utf8(utf8, utf8 ? strlen(utf8) : 0, NULL);
}

static void
list_entry(list_ctx *ctx, mem_source *src, struct archive_entry *ae, gboolean raw, guint depth)
{
  char *name;
  if (raw) {
    name = gzip_stored_name(src->data, src->len);
  } else {
    name = mugai_archive_entry_name(ae);
  }
  mugai_archive_entry *e = mugai_archive_listing_add(ctx->listing, name, depth);
  if (archive_entry_size_is_set(ae) && archive_entry_size(ae) >= 0) {
    e->size = (guint64) archive_entry_size(ae);
    e->size_known = TRUE;
  } else if (raw && src->len >= 18 && archive_filter_code(src->a, 0) == ARCHIVE_FILTER_GZIP) {
    const guint8 *t = src->data + src->len - 4; /* ISIZE: the size mod 2^32, as gzip -l says */
    e->size = t[0] | (guint64) t[1] << 8 | (guint64) t[2] << 16 | (guint64) t[3] << 24;
    e->size_known = TRUE;
  }
  e->encrypted = archive_entry_is_encrypted(ae) != 0;
  if (e->encrypted)
    ctx->listing->encrypted = TRUE;
  /* A gzip trailer's size of 0 may be a lie (or 4 GiB): only a header's 0 means empty. */
  if (!e->encrypted && (raw || !e->size_known || e->size > 0))
    maybe_open_member(ctx, src, raw, e, depth);
}

static void
read_entries(list_ctx *ctx, mem_source *src, gboolean raw, guint depth)
{
  mugai_archive_listing *listing = ctx->listing;
  while (!ctx->stop) {
    if (!source_within_limits(src)) {
      note_failure(ctx, src, src->a);
      break;
    }
    if (ctx->unlisted > MAX_UNLISTED) {
      listing->truncated = TRUE;
      ctx->stop = TRUE;
      break;
    }
    struct archive_entry *ae;
    int r = archive_read_next_header(src->a, &ae);
    if (r == ARCHIVE_EOF)
      break;
    if (r == ARCHIVE_FATAL || src->over) {
      note_failure(ctx, src, src->a);
      break;
    }
    if (listing->entries->len >= ctx->limits->max_entries) {
      listing->truncated = TRUE; /* a header past the cap: there is more */
      ctx->stop = TRUE;
      break;
    }
    if (r < ARCHIVE_WARN) { /* RETRY, FAILED: this header is lost, the next may do */
      listing->damaged = TRUE;
      ctx->unlisted++;
      continue;
    }
    if (archive_entry_filetype(ae) == AE_IFDIR) {
      ctx->unlisted++;
      continue;
    }
    list_entry(ctx, src, ae, raw, depth);
  }
  if (archive_read_has_encrypted_entries(src->a) > 0)
    listing->encrypted = TRUE;
}

/* Is the archive SRC->a is open on one that is compressed whole by convention (tar.gz, cpio.xz)?
 * Reads its first header, so SRC->a must be opened again to list it. */
static gboolean
compressed_container(mem_source *src)
{
  struct archive_entry *ae;
  if (archive_read_next_header(src->a, &ae) < ARCHIVE_WARN)
    return TRUE; /* let the listing report what went wrong */
  switch (archive_format(src->a) & ARCHIVE_FORMAT_BASE_MASK) {
  case ARCHIVE_FORMAT_TAR: case ARCHIVE_FORMAT_CPIO: case ARCHIVE_FORMAT_AR:
    archive_read_free(src->a);
    return reader_open(src, FALSE) >= ARCHIVE_WARN;
  default:
    return FALSE;
  }
}

/* Open DATA as an archive, else as a compressed single file. FALSE (recorded) when neither
 * works; else SRC->a is open and *RAW says which. */
static gboolean
level_open(list_ctx *ctx, mem_source *src, gboolean *raw)
{
  *raw = FALSE;
  gboolean opened = reader_open(src, FALSE) >= ARCHIVE_WARN;
  if (opened) {
    if (archive_filter_code(src->a, 0) <= ARCHIVE_FILTER_NONE || compressed_container(src))
      return TRUE;
    /* A zip.gz: the gzip's one member is the zip, listed one level down like any nesting. */
  }
  gboolean encrypted = !opened && error_says_encrypted(src->a, FALSE);
  archive_read_free(src->a);
  src->a = NULL;
  if (!src->over && !encrypted) {
    if (reader_open(src, TRUE) >= ARCHIVE_WARN &&
        archive_filter_code(src->a, 0) > ARCHIVE_FILTER_NONE) {
      *raw = TRUE;
      return TRUE;
    }
    archive_read_free(src->a);
    src->a = NULL;
  }
  if (src->over) {
    ctx->listing->truncated = TRUE;
    ctx->stop = TRUE;
  } else if (encrypted) {
    ctx->listing->encrypted = TRUE;
  } else {
    ctx->listing->damaged = TRUE; /* no format and no compression libarchive reads */
  }
  return FALSE;
}

static void
list_level(list_ctx *ctx, const guint8 *data, gsize len, guint depth)
{
  mem_source src = {ctx, NULL, data, len, 0, 0, FALSE};
  gboolean raw;
  if (!level_open(ctx, &src, &raw))
    return;
  read_entries(ctx, &src, raw, depth);
  if (depth == 0) /* libarchive names the format once it has read a header */
    ctx->listing->format = format_name(src.a, raw);
  archive_read_free(src.a);
}

mugai_archive_listing *
mugai_archive_list(const guint8 *data, gsize len, const mugai_archive_limits *limits)
{
  g_return_val_if_fail(limits != NULL, mugai_archive_listing_new("unknown"));
  mugai_archive_listing *listing = mugai_archive_listing_new("unknown");
  if (data == NULL || len == 0) {
    listing->damaged = TRUE;
    return listing;
  }
  list_ctx ctx = {
    .limits = limits,
    .listing = listing,
    .max_depth = MIN(limits->max_depth, (guint) MUGAI_ARCHIVE_DEPTH_CAP),
    .nested_max = MIN(limits->max_nested_bytes, (guint64) G_MAXINT32),
    .scan_max = limits->max_scan_bytes ? limits->max_scan_bytes : MUGAI_ARCHIVE_DEFAULT_SCAN_BYTES,
  };
  /* Thread-local: other threads keep their locale; ours is restored before returning. */
  locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t) 0);
  locale_t old = utf8 ? uselocale(utf8) : (locale_t) 0;
  list_level(&ctx, data, len, 0);
  if (utf8) {
    uselocale(old);
    freelocale(utf8);
  }
  return listing;
}

gboolean
mugai_archive_listing_is_locked_zip(const mugai_archive_listing *listing)
{
  if (strcmp(listing->format, "zip") != 0)
    return FALSE;
  for (guint i = 0; i < listing->entries->len; i++) {
    const mugai_archive_entry *e = g_ptr_array_index(listing->entries, i);
    if (e->depth == 0 && e->encrypted)
      return TRUE;
  }
  return FALSE;
}
