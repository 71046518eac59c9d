/* part_scan.c — every decoded leaf goes to the scanner whole (see part_scan.h).
 *
 * Parts are scanned as a client would save them: transfer-decoded, never the encoded text, and
 * whole, never a prefix. A part larger than [scan] max_file_size is "too big" without a scan
 * (the backends check archive members against it themselves).
 */
#include "sanitize/part_scan.h"

#include <string.h>

#define RAW_CHUNK 65536

mugai_spool *
mugai_part_scan_spool_new(const mugai_walk *walk)
{
  if (walk->scanner == NULL)
    return NULL;
  return mugai_spool_new(walk->policy->spool_dir, walk->policy->spool_memory);
}

/* Rank of a scan reason: which answer wins when parts disagree. */
static int
rank(mugai_reason reason)
{
  switch (reason) {
  case MUGAI_REASON_VIRUS:
    return 3;
  case MUGAI_REASON_SCAN_TOO_BIG:
    return 2;
  case MUGAI_REASON_SCAN_ERROR:
    return 1;
  default:
    return 0;
  }
}

/* Remember the scanner's answer for the message when it outranks what is there. */
static void
note(mugai_walk *walk, mugai_reason reason, const char *name, char *take_detail)
{
  if (rank(reason) <= rank(walk->scan_reason)) {
    g_free(take_detail);
    return;
  }
  walk->scan_reason = reason;
  g_free(walk->scan_name);
  walk->scan_name = g_strdup(name);
  g_free(walk->scan_detail);
  walk->scan_detail = take_detail;
  /* An infection is final and a failing scanner would fail again on the next part. */
  if (reason != MUGAI_REASON_SCAN_TOO_BIG && walk->limit == MUGAI_REASON_NONE)
    walk->limit = reason;
}

/* The raw message and the delivered text are scanned as a whole, not as a part. */
#define AS_RECEIVED "the message as received"
#define AS_DELIVERED "the text to be delivered"

/* "part 1.2 (\"a.zip\")", or LABEL without a part, for the log. (transfer full) */
static char *
where(const mugai_part *part, const char *label)
{
  if (part == NULL)
    return g_strdup(label);
  if (part->name == NULL)
    return g_strdup_printf("part %s", part->path);
  g_autofree char *name = g_strescape(part->name, NULL);
  return g_strdup_printf("part %s (\"%.100s\")", part->path, name);
}

static void
record(mugai_walk *walk, mugai_part *part, const char *label, mugai_scan_result *r)
{
  /* A verdict no engine should give is a scan that cannot be trusted, never a pass. */
  if (r->verdict != MUGAI_SCAN_CLEAN && r->verdict != MUGAI_SCAN_INFECTED &&
      r->verdict != MUGAI_SCAN_TOO_BIG && r->verdict != MUGAI_SCAN_ERROR) {
    g_autofree char *was = r->detail;
    r->detail = g_strdup_printf("the scanner answered an unknown verdict %d%s%s", (int) r->verdict,
                                was ? ": " : "", was ? was : "");
    r->verdict = MUGAI_SCAN_ERROR;
  }
  if (part != NULL) {
    part->scanned = TRUE;
    part->scan_verdict = r->verdict;
    g_free(part->signature);
    part->signature = g_strdup(r->signature);
  }
  g_autofree char *at = where(part, label);
  switch (r->verdict) {
  case MUGAI_SCAN_CLEAN:
    return;
  case MUGAI_SCAN_INFECTED:
    note(walk, MUGAI_REASON_VIRUS, r->signature, g_strdup_printf("%s in %s", r->signature, at));
    return;
  case MUGAI_SCAN_TOO_BIG:
    note(walk, MUGAI_REASON_SCAN_TOO_BIG, r->signature,
         g_strdup_printf("%s: %s", at, r->detail ? r->detail : "too big to scan"));
    return;
  case MUGAI_SCAN_ERROR:
    note(walk, MUGAI_REASON_SCAN_ERROR, NULL,
         g_strdup_printf("%s: %s", at, r->detail ? r->detail : "scan failed"));
    return;
  }
}

static void
too_big(mugai_walk *walk, mugai_part *part, const char *label, const char *limit,
        char *take_detail)
{
  g_auto(mugai_scan_result) r = {.verdict = MUGAI_SCAN_TOO_BIG};
  r.signature = g_strconcat("Heuristics.Limits.Exceeded.", limit, NULL);
  r.detail = take_detail;
  record(walk, part, label, &r);
}

static void
scan_bytes(mugai_walk *walk, mugai_part *part, const char *label, const guint8 *data, gsize len)
{
  g_auto(mugai_scan_result) r = {0};
  mugai_scanner_scan(walk->scanner, data, len, part ? part->name : NULL, &r);
  record(walk, part, label, &r);
}

/* A part spooled to disk, read by the scanner itself: a mapping of it all would be resident
 * whole (the scanner chooses: libclamav maps one up to 8 MB, and pages through a larger one). */
static void
scan_file(mugai_walk *walk, mugai_part *part, mugai_spool *whole, guint64 size)
{
  if (mugai_spool_get_size(whole) != size) { /* never scan a prefix */
    g_autofree char *at = where(part, NULL);
    note(walk, MUGAI_REASON_SCAN_ERROR, NULL,
         g_strdup_printf("%s: only %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
                         " bytes reached the scanner", at, mugai_spool_get_size(whole), size));
    return;
  }
  g_auto(mugai_scan_result) r = {0};
  mugai_scanner_scan_fd(walk->scanner, mugai_spool_get_fd(whole), size, part ? part->name : NULL,
                        &r);
  record(walk, part, NULL, &r);
}

void
mugai_part_scan(mugai_walk *walk, mugai_part *part, guint64 size, const GByteArray *prefix,
                mugai_spool *whole)
{
  if (walk->scanner == NULL || walk->limit != MUGAI_REASON_NONE)
    return;
  guint64 max = walk->policy->scan.max_file_size;
  if (size > max) {
    too_big(walk, part, NULL, "MaxFileSize",
            g_strdup_printf("too big to scan: %" G_GUINT64_FORMAT " bytes, over max_file_size (%"
                            G_GUINT64_FORMAT " bytes)", size, max));
    return;
  }
  if (whole != NULL && mugai_spool_is_on_disk(whole) && mugai_scanner_can_scan_fd(walk->scanner)) {
    scan_file(walk, part, whole, size);
    return;
  }
  const guint8 *data = prefix ? prefix->data : NULL;
  gsize len = prefix ? prefix->len : 0;
  g_autoptr(GError) error = NULL;
  if (whole != NULL && mugai_spool_get_size(whole) > 0 &&
      !mugai_spool_view(whole, &data, &len, &error)) {
    g_autofree char *at = where(part, NULL);
    note(walk, MUGAI_REASON_SCAN_ERROR, NULL, g_strdup_printf("%s: %s", at, error->message));
    return;
  }
  if ((guint64) len != size) { /* the caller kept less than it decoded: never scan a prefix */
    g_autofree char *at = where(part, NULL);
    note(walk, MUGAI_REASON_SCAN_ERROR, NULL,
         g_strdup_printf("%s: only %zu of %" G_GUINT64_FORMAT " bytes reached the scanner", at, len,
                         size));
    return;
  }
  scan_bytes(walk, part, NULL, data, len);
}

void
mugai_part_scan_raw(mugai_walk *walk, GMimeStream *raw)
{
  if (walk->scanner == NULL || walk->limit != MUGAI_REASON_NONE)
    return;
  if (GMIME_IS_STREAM_MEM(raw) && raw->bound_start == 0 && raw->bound_end == -1) {
    GByteArray *bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(raw));
    if ((guint64) bytes->len > walk->policy->scan.max_file_size)
      too_big(walk, NULL, AS_RECEIVED, "MaxFileSize",
              g_strdup("too big to scan: over max_file_size"));
    else
      scan_bytes(walk, NULL, AS_RECEIVED, bytes->data, bytes->len);
    return;
  }
  g_autoptr(mugai_spool) copy = mugai_part_scan_spool_new(walk); /* a file stream: read it once */
  g_autoptr(GError) error = NULL;
  g_autofree char *buf = g_malloc(RAW_CHUNK);
  gssize n = 0;
  gboolean ok = g_mime_stream_reset(raw) == 0;
  while (ok && (n = g_mime_stream_read(raw, buf, RAW_CHUNK)) > 0)
    ok = mugai_spool_write(copy, buf, (gsize) n, &error);
  const guint8 *data = NULL;
  gsize len = 0;
  if (ok && n < 0 && !g_mime_stream_eos(raw))
    ok = FALSE;
  if (ok)
    ok = mugai_spool_view(copy, &data, &len, &error);
  if (!ok) {
    note(walk, MUGAI_REASON_SCAN_ERROR, NULL,
         g_strdup_printf(AS_RECEIVED ": %s",
                         error ? error->message : "cannot read it again"));
    return;
  }
  if ((guint64) len > walk->policy->scan.max_file_size) {
    too_big(walk, NULL, AS_RECEIVED, "MaxFileSize", g_strdup("too big to scan: over max_file_size"));
    return;
  }
  scan_bytes(walk, NULL, AS_RECEIVED, data, len);
}

void
mugai_part_scan_delivered(mugai_walk *walk, const char *text, gsize len)
{
  if (walk->scanner == NULL || walk->limit != MUGAI_REASON_NONE)
    return;
  if ((guint64) len > walk->policy->scan.max_file_size) {
    too_big(walk, NULL, AS_DELIVERED, "MaxFileSize", g_strdup("too big to scan: over max_file_size"));
    return;
  }
  scan_bytes(walk, NULL, AS_DELIVERED, (const guint8 *) text, len);
}
