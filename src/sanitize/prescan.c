/* prescan.c — count boundary delimiter lines before parsing (see prescan.h).
 *
 * Two passes at most, both linear: the first only counts lines that start with "--" (nearly all
 * mail stops there); only when they alone exceed the limit does the second pass learn the declared
 * boundaries and count the lines that are really their delimiters, as GMime would match them
 * ("--" boundary, optionally "--", then white space only).
 */
#include "sanitize/prescan.h"

#include <string.h>

#define CHUNK 65536
#define MAX_LINE 8192 /* longer lines are judged by their first 8 KB */
#define MAX_BOUNDARY_WORK 20000000 /* boundary comparisons GMime may make: ~0.2 s */

typedef void (*line_fn)(const char *line, gsize len, gpointer data);

/* Call FN for each line of RAW (without its line end, at most MAX_LINE bytes of it). */
static gboolean
each_line(GMimeStream *raw, line_fn fn, gpointer data)
{
  if (g_mime_stream_reset(raw) == -1)
    return FALSE;
  g_autofree char *buf = g_malloc(CHUNK);
  GString *line = g_string_sized_new(256);
  gssize n;
  while ((n = g_mime_stream_read(raw, buf, CHUNK)) > 0) {
    for (gssize i = 0; i < n;) {
      const char *nl = memchr(buf + i, '\n', (gsize) (n - i));
      gsize end = nl ? (gsize) (nl - buf) : (gsize) n;
      gsize take = MIN(end - (gsize) i, MAX_LINE > line->len ? MAX_LINE - line->len : 0);
      g_string_append_len(line, buf + i, (gssize) take);
      if (nl) {
        gsize len = line->len;
        if (len && line->str[len - 1] == '\r')
          len--;
        fn(line->str, len, data);
        g_string_truncate(line, 0);
      }
      i = (gssize) end + 1;
    }
  }
  if (line->len)
    fn(line->str, line->len, data);
  g_string_free(line, TRUE);
  gboolean complete = n == 0 || g_mime_stream_eos(raw); /* GMime streams may say -1 at their end */
  return g_mime_stream_reset(raw) != -1 && complete;
}

static void
count_dash_lines(const char *line, gsize len, gpointer data)
{
  if (len >= 3 && line[0] == '-' && line[1] == '-')
    (*(guint64 *) data)++;
}

typedef struct {
  GHashTable *boundaries; /* declared boundary values */
  guint64 delimiters;
} boundary_count;

/* Learn every boundary="..." or boundary=token a header line declares. */
static void
learn_boundaries(const char *line, gsize len, gpointer data)
{
  boundary_count *count = data;
  for (const char *p = line; (p = g_strstr_len(p, (gssize) (line + len - p), "oundary")) != NULL;) {
    p += 7;
    if (p - 8 < line || g_ascii_tolower(p[-8]) != 'b')
      continue;
    while (p < line + len && (*p == ' ' || *p == '\t'))
      p++;
    if (p >= line + len || *p != '=')
      continue;
    p++;
    while (p < line + len && (*p == ' ' || *p == '\t'))
      p++;
    gboolean quoted = p < line + len && *p == '"';
    const char *start = p + quoted, *end = start;
    while (end < line + len && (quoted ? *end != '"' : !strchr("; \t", *end)))
      end++;
    if (end > start)
      g_hash_table_add(count->boundaries, g_strndup(start, (gsize) (end - start)));
    p = end;
  }
}

static void
count_delimiters(const char *line, gsize len, gpointer data)
{
  boundary_count *count = data;
  if (len < 3 || line[0] != '-' || line[1] != '-')
    return;
  while (len > 2 && (line[len - 1] == ' ' || line[len - 1] == '\t'))
    len--;
  g_autofree char *value = g_strndup(line + 2, len - 2); /* a close delimiter ("--b--") opens no part */
  if (g_hash_table_contains(count->boundaries, value))
    count->delimiters++;
}

mugai_reason
mugai_prescan(GMimeStream *raw, const mugai_limits *limits)
{
  guint64 dash_lines = 0;
  if (!each_line(raw, count_dash_lines, &dash_lines))
    return MUGAI_REASON_INTERNAL;
  if (dash_lines <= limits->mime_parts)
    return MUGAI_REASON_NONE;
  boundary_count count = {.boundaries = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL)};
  gboolean ok = each_line(raw, learn_boundaries, &count) && each_line(raw, count_delimiters, &count);
  guint declared = g_hash_table_size(count.boundaries);
  g_hash_table_destroy(count.boundaries);
  if (!ok)
    return MUGAI_REASON_INTERNAL;
  if (count.delimiters > limits->mime_parts || declared > limits->mime_parts)
    return MUGAI_REASON_MIME_PARTS;
  /* GMime compares every "--" line with every open boundary: many boundaries (deeper than the
   * depth limit allows, if they were nested) times many such lines is work no real mail needs. */
  if (declared > limits->mime_depth && dash_lines * declared > MAX_BOUNDARY_WORK)
    return MUGAI_REASON_MIME_DEPTH;
  return MUGAI_REASON_NONE;
}
