/* attachment_text.c — attachments refused, converted or removed (see attachment_text.h).
 *
 * The converter runs in a sandboxed worker, so what comes back is still untrusted text: it is
 * made valid UTF-8, stripped of control characters, and markup a client could render is defused
 * here; walk.c then appends it under its header line like body text (caps, encoded payloads,
 * links).
 */
#include "sanitize/attachment_text.h"

#include <string.h>
#include "config/document_type.h"
#include "sanitize/converter.h"

#define MAX_FAILURE 200 /* bytes of a converter's reason kept */
/* A file is not started with less than this left of [convert] text_per_message: a heading over
 * three characters of text helps nobody; the file is named as removed instead. */
#define MIN_TEXT_LEFT 1024

/* The type list entry of LIST (NULL-terminated, nullable) naming the part, or NULL. */
static const char *
listed(char **list, const char *type, const char *mime)
{
  for (char **e = list; e && *e; e++)
    if (mugai_document_type_matches(*e, type, mime))
      return *e;
  return NULL;
}

/* libmagic's type, unless it only said "some bytes": then what the sender declared. */
static const char *
effective_mime(const mugai_part *part)
{
  const char *detected = part->detected_type;
  if (detected && *detected && strcmp(detected, "application/octet-stream") != 0)
    return detected;
  return part->type;
}

mugai_attachment_fate
mugai_attachment_fate_of(mugai_walk *walk, const mugai_part *part, gboolean convertible)
{
  gboolean inbound = walk->result->direction == MUGAI_DIRECTION_IN;
  const mugai_direction_policy *dir = inbound ? &walk->policy->inbound : &walk->policy->outbound;
  const char *mime = effective_mime(part);
  const char *type = mugai_document_type(part->detected_type, part->type, part->name);
  if (listed(dir->reject_types, type, mime) != NULL) {
    if (walk->limit == MUGAI_REASON_NONE) { /* the first reason to stop is the one given */
      walk->limit = MUGAI_REASON_ATTACHMENT_TYPE;
      g_free(walk->limit_detail);
      walk->limit_detail = g_strdup(type ? type : mime);
    }
    return MUGAI_FATE_REJECT;
  }
  /* Outbound mail is read only to check it: what leaves is the original, never a conversion. */
  if (inbound && convertible && type && listed(dir->convert_types, type, NULL))
    return MUGAI_FATE_CONVERT;
  return MUGAI_FATE_REMOVE;
}

static mugai_part_conversion *
conversion_of(mugai_part *part)
{
  if (part->conversion == NULL) {
    part->conversion = g_new0(mugai_part_conversion, 1);
    const char *type = mugai_document_type(part->detected_type, part->type, part->name);
    part->conversion->type = g_strdup(type ? type : "");
  }
  return part->conversion;
}

void
mugai_attachment_not_converted(mugai_walk *walk, mugai_part *part, const char *format, ...)
{
  (void) walk;
  va_list args;
  va_start(args, format);
  g_autofree char *why = g_strdup_vprintf(format, args);
  va_end(args);
  mugai_part_conversion *c = conversion_of(part);
  g_free(c->failure);
  /* The worker's words reach the notice and the log: valid UTF-8, one line, bounded. */
  g_autofree char *valid = g_utf8_make_valid(why, -1);
  g_strdelimit(valid, "\r\n\t", ' ');
  c->failure = g_utf8_substring(valid, 0, MIN(g_utf8_strlen(valid, -1), MAX_FAILURE));
}

/* Is the text at P a tag a client that sniffs HTML in plain text would render (the tags
 * ../shared/tools/mailcheck.py looks for, which are the ones that run or load something)? */
static gboolean
renderable_tag(const char *p, const char *end)
{
  static const char *const tags[] = {"html", "body", "script", "style", "iframe", "object",
                                     "embed", "form", "a ", "img "};
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\n'))
    p++;
  for (gsize i = 0; i < G_N_ELEMENTS(tags); i++) {
    gsize n = strlen(tags[i]);
    if ((gsize) (end - p) >= n && g_ascii_strncasecmp(p, tags[i], n) == 0)
      return TRUE;
  }
  return FALSE;
}

/* The worker's text as the reader may get it: valid UTF-8, no control characters but line ends
 * and tabs (no C1 either: a terminal takes U+009B as CSI), and "<script" written "＜script" so
 * that no client that guesses HTML in plain text renders it. (transfer full) */
static GString *
clean_text(const GString *raw)
{
  /* NUL bytes say nothing to a reader (make_valid would show each as U+FFFD): they go first. */
  g_autoptr(GString) no_nul = g_string_sized_new(raw->len);
  for (gsize i = 0; i < raw->len; i++)
    if (raw->str[i] != '\0')
      g_string_append_c(no_nul, raw->str[i]);
  g_autofree char *valid = g_utf8_make_valid(no_nul->str, (gssize) no_nul->len);
  gsize len = strlen(valid);
  GString *out = g_string_sized_new(len + 16);
  const char *end = valid + len;
  for (const char *p = valid; p < end; p = g_utf8_next_char(p)) {
    gunichar c = g_utf8_get_char(p);
    if (c == '<' && renderable_tag(p + 1, end))
      g_string_append(out, "\xEF\xBC\x9C"); /* U+FF1C FULLWIDTH LESS-THAN SIGN */
    else if ((c < 0x20 && c != '\n' && c != '\t') || (c >= 0x7F && c <= 0x9F))
      continue;
    else
      g_string_append_len(out, p, g_utf8_next_char(p) - p);
  }
  return out;
}

static gboolean
is_blank(const GString *text)
{
  for (const char *p = text->str; *p; p = g_utf8_next_char(p))
    if (!g_unichar_isspace(g_utf8_get_char(p)))
      return FALSE;
  return TRUE;
}

/* The bounds of this conversion: [convert], the message's attachment text still allowed, and
 * the time the message has left. FALSE when nothing is left of either. */
static gboolean
limits_for(const mugai_walk *walk, mugai_conversion_limits *limits)
{
  const mugai_convert_policy *p = &walk->policy->convert;
  guint64 left = p->text_per_message > walk->attached_bytes
                     ? p->text_per_message - walk->attached_bytes : 0;
  if (left < MIN(p->text_per_file, (guint64) MIN_TEXT_LEFT))
    left = 0;
  guint64 timeout_ms = p->timeout * 1000;
  if (walk->deadline) {
    /* At most half of what the message has left: a worker that hangs costs its file, and the
     * rest of the message is still read in time (else the whole mail would be refused). */
    gint64 remaining = (walk->deadline - g_get_monotonic_time()) / 1000;
    timeout_ms = MIN(timeout_ms, (guint64) MAX(remaining / 2, 0));
  }
  mugai_conversion_limits_of(p, limits);
  limits->timeout_ms = timeout_ms;
  limits->max_output = MIN(p->text_per_file, left);
  return limits->max_output > 0 && limits->timeout_ms > 0;
}

gboolean
mugai_attachment_may_convert(mugai_walk *walk, mugai_part *part)
{
  if (walk->services == NULL || walk->services->converter == NULL) {
    mugai_attachment_not_converted(walk, part, "no converter: %s",
                                   walk->services && walk->services->converter_failure
                                       ? walk->services->converter_failure
                                       : "not available");
    return FALSE;
  }
  if (part->size > walk->policy->convert.file_size) {
    mugai_attachment_not_converted(walk, part, "too large to convert (over [convert] file_size)");
    return FALSE;
  }
  return TRUE;
}

void
mugai_attachment_convert(mugai_walk *walk, mugai_part *part, const guint8 *data, gsize len)
{
  mugai_part_conversion *c = conversion_of(part);
  mugai_converter *converter = walk->services->converter;
  mugai_conversion_limits limits;
  if (!limits_for(walk, &limits)) {
    mugai_attachment_not_converted(walk, part, limits.max_output == 0
                                       ? "no attachment text left for this message "
                                         "([convert] text_per_message)"
                                       : "timeout: no time left for this message");
    return;
  }
  g_auto(mugai_conversion) out = {0};
  mugai_converter_convert(converter, data, len, effective_mime(part), part->name, &limits, &out);
  if (!out.done) {
    mugai_attachment_not_converted(walk, part, "%s", out.failure);
    return;
  }
  g_autoptr(GString) text = clean_text(out.text);
  if (is_blank(text)) {
    /* A scanned page, a picture in a document: nothing to read, so the reader must learn that
     * a file was removed (and may ask for it), not get an empty heading. */
    mugai_attachment_not_converted(walk, part, "no text in it (only pictures?)");
    return;
  }
  mugai_attached_text *t = g_new0(mugai_attached_text, 1);
  t->part = part;
  t->text = g_steal_pointer(&text);
  t->cut = (out.warnings & MUGAI_CONVERT_WARN_TRUNCATED) != 0;
  c->unit = g_strdup(out.unit);
  c->count = out.count;
  c->warnings = out.warnings;
  c->text_bytes = t->text->len;
  c->truncated = t->cut;
  walk->attached_bytes += out.text->len;
  if (walk->attached == NULL)
    walk->attached = g_ptr_array_new();
  g_ptr_array_add(walk->attached, t);
  /* Not a removal any more: the file is gone, but what it says is delivered. */
  part->action = MUGAI_PART_EXTRACTED;
  g_free(part->reason);
  part->reason = g_strdup("text_extracted");
  walk->result->actions[MUGAI_ACTION_REMOVED]--;
  walk->result->actions[MUGAI_ACTION_TEXT_EXTRACTED]++;
}

void
mugai_attachment_texts_clear(mugai_walk *walk)
{
  for (guint i = 0; walk->attached && i < walk->attached->len; i++) {
    mugai_attached_text *t = g_ptr_array_index(walk->attached, i);
    g_string_free(t->text, TRUE);
    g_free(t);
  }
  g_clear_pointer(&walk->attached, g_ptr_array_unref);
}
