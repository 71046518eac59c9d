/* walk.c — the MIME walk (see walk.h).
 *
 * Decides for every entity: text/plain and text/html that are not attachments become body text
 * (one alternative of a multipart/alternative, the rest dropped); message/rfc822 is inlined with
 * its own headers; every other leaf is removed and named. Depth and part counts are checked on
 * every recursion (multipart and message/rfc822 alike). Never logs: it records into the result.
 */
#include "sanitize/walk.h"

#include <string.h>
#include "sanitize/archive_list.h"
#include "sanitize/attachment_text.h"
#include "sanitize/charset.h"
#include "sanitize/gmime_autoptr.h"
#include "sanitize/header_decode.h"
#include "sanitize/headers.h"
#include "sanitize/html2text.h"
#include "sanitize/notice.h"
#include "sanitize/part_decode.h"
#include "sanitize/part_scan.h"
#include "sanitize/payload_strip.h"
#include "sanitize/tnef_list.h"

/* USE: the reader gets what can be read; DROP: an unused alternative; ENCRYPTED: inside
 * multipart/encrypted, where nothing can be checked, so everything is removed. */
typedef enum { MODE_USE, MODE_DROP, MODE_ENCRYPTED } walk_mode;

static void walk_entity(mugai_walk *walk, GMimeObject *obj, const char *path, guint depth,
                        walk_mode mode);

static char *
child_path(const char *prefix, guint index)
{
  return *prefix ? g_strdup_printf("%s.%u", prefix, index + 1) : g_strdup_printf("%u", index + 1);
}

static void
on_parser_warning(gint64 offset, GMimeParserWarning code, const gchar *item, gpointer user_data)
{
  (void) offset;
  (void) item;
  mugai_walk *walk = user_data;
  switch (code) {
  case GMIME_CRIT_INVALID_HEADER_NAME:
  case GMIME_CRIT_CONFLICTING_HEADER:
  case GMIME_CRIT_CONFLICTING_PARAMETER:
  case GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY:
  case GMIME_CRIT_NESTING_OVERFLOW:
  case GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT:
    walk->crit_warning = TRUE;
    break;
  default:
    break;
  }
}

GMimeMessage *
mugai_walk_parse(mugai_walk *walk, GMimeStream *stream)
{
  static const char *fallback[] = {"UTF-8", "CP932", "EUC-JP", "ISO-8859-1", NULL};
  g_autoptr(GMimeParserOptions) options = g_mime_parser_options_new();
  g_mime_parser_options_set_fallback_charsets(options, fallback);
  g_mime_parser_options_set_rfc2047_compliance_mode(options, GMIME_RFC_COMPLIANCE_LOOSE);
  g_mime_parser_options_set_parameter_compliance_mode(options, GMIME_RFC_COMPLIANCE_LOOSE);
  g_mime_parser_options_set_warning_callback(options, on_parser_warning, walk);
  g_autoptr(GMimeParser) parser = g_mime_parser_new_with_stream(stream);
  g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
  return g_mime_parser_construct_message(parser, options);
}

gboolean
mugai_walk_out_of_time(mugai_walk *walk)
{
  if (walk->deadline && g_get_monotonic_time() > walk->deadline && walk->limit == MUGAI_REASON_NONE)
    walk->limit = MUGAI_REASON_TIME;
  return walk->limit == MUGAI_REASON_TIME;
}

static gboolean
enter(mugai_walk *walk, guint depth)
{
  if (walk->limit != MUGAI_REASON_NONE || walk->failure)
    return FALSE;
  if (mugai_walk_out_of_time(walk))
    return FALSE;
  if (depth > walk->policy->limits.mime_depth) {
    walk->limit = MUGAI_REASON_MIME_DEPTH;
    return FALSE;
  }
  if (++walk->entities > walk->policy->limits.mime_parts) {
    walk->limit = MUGAI_REASON_MIME_PARTS;
    return FALSE;
  }
  return TRUE;
}

/* Delivery and disposition reports are plain text fields (RFC 3464, 8098) that tell the reader why
 * mail bounced: they are shown as text, not removed. */
static gboolean
is_report_text(const char *type)
{
  static const char *const types[] = {
    "message/delivery-status", "message/global-delivery-status", "message/disposition-notification",
    "message/global-disposition-notification", "text/rfc822-headers", "message/global-headers",
  };
  for (gsize i = 0; i < G_N_ELEMENTS(types); i++)
    if (strcmp(type, types[i]) == 0)
      return TRUE;
  return FALSE;
}

/* A text part named like something Windows runs (.js, .bat, .hta...) is a file, not body text:
 * the reader must not be invited to save and open it. */
static gboolean
has_script_name(const char *name)
{
  static const char *const extensions[] = {
    ".bat", ".cmd", ".com", ".exe", ".scr", ".pif", ".js", ".jse", ".vbs", ".vbe", ".ps1",
    ".psm1", ".psd1", ".hta", ".wsf", ".wsh", ".msi", ".lnk", ".reg", ".sh",
  };
  if (name == NULL)
    return FALSE;
  g_autofree char *lower = g_ascii_strdown(name, -1);
  g_strchomp(lower); /* "a.js " opens as a.js */
  for (gsize i = 0; i < G_N_ELEMENTS(extensions); i++)
    if (g_str_has_suffix(lower, extensions[i]))
      return TRUE;
  return FALSE;
}

/* A part declared as text whose content is binary (control bytes, which text does not have, beyond
 * one in twenty of its first 8 KB; ESC is text in ISO-2022-JP) is a file, not body text. */
static gboolean
looks_binary(const GByteArray *data)
{
  gsize n = MIN(data->len, (gsize) 8192), controls = 0;
  if (n == 0)
    return FALSE;
  /* yEnc is binary inside text by design: its blocks are defused in the text instead. */
  if (memmem(data->data, data->len, "=ybegin ", 8))
    return FALSE;
  for (gsize i = 0; i < n; i++) {
    guchar c = data->data[i];
    if ((c < 0x20 && !strchr("\t\n\r\f\v\x1b", c)) || c == 0x7f)
      controls++;
  }
  return controls * 20 > n;
}

/* Parts no reader reads as text, each with the reason the report and the notice give. */
static const char *
special_leaf_reason(GMimeObject *obj, const char *type)
{
  static const struct { const char *type, *reason; } table[] = {
    {"application/pkcs7-signature", "signature"}, {"application/x-pkcs7-signature", "signature"},
    {"application/pgp-signature", "signature"},   {"application/pgp-encrypted", "encrypted_control"},
    {"message/external-body", "external_body"},   {"text/calendar", "calendar"},
    {"text/x-vcalendar", "calendar"},             {"application/ics", "calendar"},
    {"text/vcard", "vcard"},                      {"text/x-vcard", "vcard"},
    {"text/directory", "vcard"},                  {"application/ms-tnef", "tnef"},
    {"application/vnd.ms-tnef", "tnef"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(table); i++)
    if (strcmp(type, table[i].type) == 0)
      return table[i].reason;
  if (strcmp(type, "application/pkcs7-mime") == 0 || strcmp(type, "application/x-pkcs7-mime") == 0) {
    /* S/MIME puts signed content inside the PKCS #7 blob too ("opaque" signing): without
     * unpacking it, which would need the whole CMS stack, it is as unreadable as ciphertext. */
    const char *smime = g_mime_object_get_content_type_parameter(obj, "smime-type");
    return smime && g_ascii_strcasecmp(smime, "signed-data") == 0 ? "opaque_signed" : "encrypted";
  }
  return NULL;
}

static gboolean
is_attachment(GMimeObject *obj)
{
  const char *disposition = g_mime_object_get_disposition(obj);
  return disposition && g_ascii_strcasecmp(disposition, "attachment") == 0;
}

static char *
lower_type(GMimeObject *obj)
{
  GMimeContentType *ct = g_mime_object_get_content_type(obj);
  g_autofree char *type = ct ? g_mime_content_type_get_mime_type(ct) : g_strdup("text/plain");
  return g_ascii_strdown(type, -1);
}

/* Append text with its line ends as "\n": parts arrive with CRLF (and sometimes a bare CR). */
static void
append_lf(GString *out, const char *text, gsize len)
{
  gsize start = 0;
  for (gsize i = 0; i < len; i++) {
    if (text[i] != '\r')
      continue;
    g_string_append_len(out, text + start, i - start);
    g_string_append_c(out, '\n');
    if (i + 1 < len && text[i + 1] == '\n')
      i++;
    start = i + 1;
  }
  g_string_append_len(out, text + start, len - start);
}

/* Append text for the reader, never past [limits] text_size: a body that would grow beyond it is
 * cut at a character boundary, once, with a "[...]" line, instead of growing first and being cut
 * at the end (60 MB of half-width kana triple in UTF-8). */
static void
append_body_text(mugai_walk *walk, const char *text, gsize len)
{
  GString *out = walk->text;
  gsize cap = walk->policy->limits.text_bytes;
  if (walk->text_full)
    return;
  if (out->len + len <= cap) {
    append_lf(out, text, len);
    return;
  }
  gsize room = cap > out->len ? cap - out->len : 0;
  const char *cut = room ? g_utf8_find_prev_char(text, text + room) : NULL;
  append_lf(out, text, cut ? (gsize) (cut - text) : 0);
  g_string_append(out, "\n[...]\n");
  walk->text_full = TRUE;
  walk->result->actions[MUGAI_ACTION_TRUNCATED]++;
}

/* Separate consecutive text parts with one blank line. */
static void
text_separate(GString *text)
{
  if (text->len == 0 || g_str_has_suffix(text->str, "\n\n"))
    return;
  g_string_append(text, text->str[text->len - 1] == '\n' ? "\n" : "\n\n");
}

/* PART is not delivered and is named in the notice: the one place that marks a part removed,
 * so what the report says removed is always what the notice lists. REASON is copied. */
static void
mark_removed(mugai_walk *walk, mugai_part *part, const char *reason)
{
  part->action = MUGAI_PART_REMOVED;
  g_free(part->reason);
  part->reason = g_strdup(reason);
  walk->result->actions[MUGAI_ACTION_REMOVED]++;
}

/* Files hidden in the text as uuencode, yEnc or BinHex are defused (no client can decode them any
 * more) and reported as removed parts of the text part that carried them (same path). */
static void
strip_payloads(mugai_walk *walk, gsize from, const char *path)
{
  g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func((GDestroyNotify) mugai_payload_free);
  guint budget = walk->policy->limits.mime_parts - MIN(walk->entities, walk->policy->limits.mime_parts);
  guint defused = mugai_payloads_defuse(walk->text, from, budget, found);
  if (defused == 0)
    return;
  walk->entities += defused; /* each is a file: it counts against [limits] mime_parts */
  if (walk->entities > walk->policy->limits.mime_parts)
    walk->limit = MUGAI_REASON_MIME_PARTS;
  for (guint i = 0; i < found->len; i++) {
    mugai_payload *payload = g_ptr_array_index(found, i);
    mugai_part *part = mugai_result_add_part(walk->result, path, payload->type);
    part->name = g_steal_pointer(&payload->name);
    part->size = payload->size;
    g_free(part->sha256);
    part->sha256 = g_steal_pointer(&payload->sha256);
    mark_removed(walk, part, "embedded_payload_defused");
  }
}

static void
append_text_part(mugai_walk *walk, GMimeObject *obj, gboolean html, mugai_decoded *d, mugai_part *part)
{
  gsize text_start = walk->text->len;
  const char *label = g_mime_object_get_content_type_parameter(obj, "charset");
  g_autofree char *sniffed = NULL;
  if (html && (label == NULL || g_ascii_strcasecmp(label, "us-ascii") == 0))
    label = sniffed = mugai_html_sniff_charset((const char *) d->kept->data, d->kept->len);
  mugai_charset_info info = {0};
  gsize len = 0;
  g_autofree char *utf8 =
      mugai_charset_to_utf8(label, (const char *) d->kept->data, d->kept->len, &len, &info);
  if (info.detected || info.replacements ||
      (strcmp(info.used, "UTF-8") != 0 && strcmp(info.used, "US-ASCII") != 0))
    walk->result->actions[MUGAI_ACTION_CHARSET]++;
  if (d->cut)
    walk->result->actions[MUGAI_ACTION_TRUNCATED]++;
  g_clear_pointer(&d->kept, g_byte_array_unref); /* decoded: the raw bytes go before the copy */
  text_separate(walk->text);
  if (!html) {
    append_body_text(walk, utf8, len);
    part->action = MUGAI_PART_KEPT;
    g_free(part->reason);
    part->reason = g_strdup("body");
    strip_payloads(walk, text_start, part->path); /* links: once over all text, sanitize.c */
    return;
  }
  const mugai_limits *limits = &walk->policy->limits;
  mugai_html_options options = {.max_output = limits->text_bytes, .max_depth = 256,
                                .links = walk->defang, .report = &walk->links};
  gboolean cut = FALSE;
  g_autofree char *rendered = mugai_html_to_text(utf8, len, &options, &cut);
  if (cut)
    walk->result->actions[MUGAI_ACTION_TRUNCATED]++;
  append_body_text(walk, rendered, strlen(rendered));
  walk->result->actions[MUGAI_ACTION_HTML2TEXT]++;
  part->action = MUGAI_PART_CONVERTED;
  g_free(part->reason);
  part->reason = g_strdup("html_body");
  strip_payloads(walk, text_start, part->path);
}

/* All of a part's decoded bytes (at most CAP) into *DATA and *LEN: D's first bytes when that is all of
 * it, the scanner's copy when there is one, else the part decoded again into AGAIN (cleared by
 * the caller). FALSE with walk->failure set when it cannot be read again. */
static gboolean
whole_content(mugai_walk *walk, GMimePart *obj, const mugai_decoded *d, gsize cap, mugai_decoded *again,
              const guint8 **data, gsize *len)
{
  *data = d->kept->data;
  *len = d->kept->len;
  g_autoptr(GError) error = NULL;
  if (d->cut && d->whole) { /* the scanner's copy */
    if (!mugai_spool_view(d->whole, data, len, &error)) {
      walk->failure = g_strdup_printf("cannot read a part again: %s", error->message);
      return FALSE;
    }
  } else if (d->cut) {
    if (!mugai_part_decode(obj, cap, FALSE, again, &walk->failure))
      return FALSE;
    *data = again->kept->data;
    *len = again->kept->len;
  }
  return TRUE;
}

/* PPAP: is LISTING an archive to hold in the quarantine for its password mail ([ppap] unlock)?
 * Only on inbound mail whose original will be kept (it has a quarantine id). */
static gboolean
holds_for_password(const mugai_walk *walk, const mugai_archive_listing *listing)
{
  return walk->policy->ppap.unlock && walk->quarantine_id != NULL &&
         walk->result->direction == MUGAI_DIRECTION_IN &&
         mugai_archive_listing_is_locked_zip(listing);
}

/* The files inside a removed archive or winmail.dat are named in the notice (the reader learns
 * what was sent, a password-protected zip is called out). D holds the part's first bytes, and all
 * of them when the scanner asked for it; otherwise the whole part is decoded again, only when it is
 * an archive no larger than [limits] archive_size. */
static void
list_contents(mugai_walk *walk, GMimePart *obj, mugai_part *part, const mugai_decoded *d)
{
  const guint8 *head = d->kept->data;
  gboolean tnef = mugai_tnef_detect(head, d->kept->len);
  if (!tnef && !mugai_archive_detect(head, d->kept->len))
    return;
  const mugai_limits *limits = &walk->policy->limits;
  walk->result->actions[MUGAI_ACTION_ARCHIVE_LISTED]++;
  if (d->size > limits->archive_bytes) {
    part->contents = mugai_archive_listing_new(tnef ? "tnef" : "archive");
    part->contents->truncated = TRUE; /* too big to read: named, not listed */
    return;
  }
  mugai_decoded again = {0};
  const guint8 *data = NULL;
  gsize len = 0;
  if (!whole_content(walk, obj, d, limits->archive_bytes, &again, &data, &len)) {
    mugai_decoded_clear(&again);
    return;
  }
  mugai_archive_limits archive = {
    .max_depth = limits->archive_depth,
    .max_entries = limits->archive_entries,
    .max_nested_bytes = limits->archive_bytes,
    .deadline = walk->deadline,
  };
  part->contents = tnef ? mugai_tnef_list(data, len, &archive) : mugai_archive_list(data, len, &archive);
  if (part->contents->encrypted)
    walk->result->actions[MUGAI_ACTION_ENCRYPTED]++;
  if (holds_for_password(walk, part->contents)) {
    part->locked = TRUE;
    walk->result->locked_archives++;
    walk->result->actions[MUGAI_ACTION_LOCKED]++;
  }
  mugai_decoded_clear(&again);
  mugai_walk_out_of_time(walk);
}

/* A removed file whose type the policy converts, scanned clean (or with no scanner at all): its
 * text replaces it below the body. One that cannot be converted stays removed and is listed like
 * any other (with the reason it was not converted). */
static void
convert_file(mugai_walk *walk, GMimePart *obj, mugai_part *part, const mugai_decoded *d)
{
  gboolean clean = !part->scanned || part->scan_verdict == MUGAI_SCAN_CLEAN;
  if (walk->limit != MUGAI_REASON_NONE || walk->failure)
    return;
  if (!clean) {
    mugai_attachment_not_converted(walk, part, "not converted: the virus scan did not pass it");
  } else if (mugai_attachment_may_convert(walk, part)) { /* before the part is decoded again */
    mugai_decoded again = {0};
    const guint8 *data = NULL;
    gsize len = 0;
    if (whole_content(walk, obj, d, (gsize) walk->policy->convert.file_size, &again, &data, &len))
      mugai_attachment_convert(walk, part, data, len);
    mugai_decoded_clear(&again);
    mugai_walk_out_of_time(walk);
  }
  if (part->action == MUGAI_PART_REMOVED && walk->failure == NULL)
    list_contents(walk, obj, part, d);
}

static void inline_message(mugai_walk *walk, GMimeMessage *inner, const char *prefix, guint depth,
                           walk_mode mode);

/* Attached messages reach here as leaves (see mugai_sanitize_init()). */
static gboolean
is_message_type(const char *type)
{
  return strcmp(type, "message/rfc822") == 0 || strcmp(type, "message/global") == 0 ||
         strcmp(type, "message/news") == 0 || strcmp(type, "message/partial") == 0;
}

/* An attached message is read exactly like the top-level one: its header block split as Postfix
 * splits it (a line that is not a header starts the body, where GMime would drop it), then parsed,
 * then walked. A fragment of a message/partial is shown as far as it can be read. */
/* Returns FALSE when GMime could make no message of it at all (the caller then names the part as
 * removed: nothing may vanish without a notice). */
static gboolean
walk_attached_message(mugai_walk *walk, GByteArray *take_raw, const char *path, guint depth,
                      walk_mode mode)
{
  g_autoptr(GPtrArray) headers = mugai_headers_new();
  gsize body = mugai_headers_split((const char *) take_raw->data, take_raw->len, headers);
  GByteArray *rebuilt = g_byte_array_sized_new(take_raw->len + 64);
  mugai_headers_write_block(rebuilt, headers);
  g_byte_array_append(rebuilt, take_raw->data + body, take_raw->len - body);
  g_byte_array_unref(take_raw); /* one copy per nesting level, not two */
  g_autoptr(GMimeStream) stream = g_mime_stream_mem_new_with_byte_array(rebuilt); /* owns it */
  g_autoptr(GMimeMessage) inner = mugai_walk_parse(walk, stream);
  if (inner == NULL)
    return FALSE;
  inline_message(walk, inner, path, depth + 1, mode);
  return TRUE;
}

static void
walk_leaf(mugai_walk *walk, GMimeObject *obj, const char *path, guint depth, walk_mode mode)
{
  g_autofree char *type = lower_type(obj);
  mugai_part *part = mugai_result_add_part(walk->result, path, type);
  part->name = mugai_part_filename(obj); /* RFC 2047/2231 with CP932 extensions, not iconv's */
  if (is_message_type(type)) {
    mugai_decoded d = {0};
    if (mugai_part_decode(GMIME_PART(obj), walk->policy->limits.message_bytes, FALSE, &d,
                    &walk->failure)) {
      part->size = d.size;
      g_free(part->sha256);
      part->sha256 = g_steal_pointer(&d.sha256);
      part->action = MUGAI_PART_CONTAINER;
      if (strcmp(type, "message/partial") == 0) {
        /* A fragment cannot be put together again here (the others travel separately) and
         * reaches the reader only as the text it holds: never as a message to reassemble. */
        g_free(part->reason);
        part->reason = g_strdup("partial_fragment");
        if (mode == MODE_USE)
          walk->result->actions[MUGAI_ACTION_PARTIAL]++;
      }
      /* Not text in any alternative: what cannot be read is named, whatever the mode. */
      if (mode == MODE_ENCRYPTED)
        mark_removed(walk, part, "encrypted");
      else if (!walk_attached_message(walk, g_steal_pointer(&d.kept), path, depth, mode))
        mark_removed(walk, part, "unparseable_message");
    }
    mugai_decoded_clear(&d);
    return;
  }
  gboolean plain = strcmp(type, "text/plain") == 0 || is_report_text(type);
  gboolean html = strcmp(type, "text/html") == 0;
  gboolean script = has_script_name(part->name);
  gboolean text_type = (plain || html) && !is_attachment(obj) && !script;
  const mugai_limits *limits = &walk->policy->limits;
  gsize keep = text_type ? (html ? limits->html_bytes : limits->text_bytes)
                         : MAX(MUGAI_FILETYPE_PREFIX, MUGAI_ARCHIVE_DETECT_PREFIX);

  mugai_decoded d = {.whole = mugai_part_scan_spool_new(walk)};
  if (!mugai_part_decode(GMIME_PART(obj), keep, text_type, &d, &walk->failure)) {
    mugai_decoded_clear(&d);
    return;
  }
  part->size = d.size;
  g_free(part->sha256);
  part->sha256 = g_steal_pointer(&d.sha256);
  gboolean binary = text_type && looks_binary(d.kept);
  gboolean readable = text_type && !binary; /* text a reader would get */
  gboolean body_text = mode == MODE_USE && readable;
  /* The true type matters for what is removed (the notice, the report, later the quarantine);
   * for text the reader gets, the charset decoder already vouches for it, and libmagic's text
   * rules would cost more than the rest of sanitizing together. */
  if (!readable && walk->services && walk->services->filetype &&
      walk->typed++ < MUGAI_FILETYPE_MAX_PER_MESSAGE) {
    g_free(part->detected_type);
    part->detected_type = mugai_filetype_detect(walk->services->filetype, d.kept->data,
                                                MIN(d.kept->len, (gsize) MUGAI_FILETYPE_PREFIX),
                                                type);
  }
  g_free(part->reason);
  part->reason = NULL;
  const char *special = special_leaf_reason(obj, type);
  mugai_attachment_fate fate = MUGAI_FATE_REMOVE;
  if (body_text && mode == MODE_USE) {
    mugai_part_scan(walk, part, d.size, d.kept, d.whole); /* before the text takes the bytes */
    append_text_part(walk, obj, html, &d, part);
  } else if (mode == MODE_DROP && readable) {
    /* Another representation of the text that was kept. A file inside an unused alternative
     * is still a file the sender sent: it falls through and is named like any other. */
    part->action = MUGAI_PART_DROPPED;
    part->reason = g_strdup("alternative");
  } else if (special && (strcmp(special, "signature") == 0 ||
                         strcmp(special, "encrypted_control") == 0)) {
    /* A signature cannot survive sanitizing (the signed content changes) and says nothing to
     * the reader; the "Version: 1" part of PGP/MIME is protocol, not content. */
    part->action = MUGAI_PART_DROPPED;
    part->reason = g_strdup(special);
    if (strcmp(special, "signature") == 0)
      walk->result->actions[MUGAI_ACTION_SIGNATURE]++;
  } else {
    mark_removed(walk, part, mode == MODE_ENCRYPTED ? "encrypted"
                             : special              ? special
                             : binary               ? "binary_content"
                             : script               ? "script_name"
                             : is_attachment(obj) || part->name ? "attachment"
                                                                : "not_text");
    if (mode == MODE_ENCRYPTED || (special && (strcmp(special, "encrypted") == 0 ||
                                               strcmp(special, "opaque_signed") == 0)))
      walk->result->actions[MUGAI_ACTION_ENCRYPTED]++;
    /* Only a file as sent (an invitation, an address card too), not a structure that hides its
     * content, and never a script. */
    gboolean card = special && (strcmp(special, "calendar") == 0 || strcmp(special, "vcard") == 0);
    gboolean convertible = mode != MODE_ENCRYPTED && (special == NULL || card) && !script;
    fate = mugai_attachment_fate_of(walk, part, convertible);
    if (fate == MUGAI_FATE_REMOVE)
      list_contents(walk, GMIME_PART(obj), part, &d);
  }
  if (!body_text) /* every file and unused alternative is scanned too: a client could open it */
    mugai_part_scan(walk, part, d.size, d.kept, d.whole);
  if (fate == MUGAI_FATE_CONVERT)
    convert_file(walk, GMIME_PART(obj), part, &d);
  mugai_decoded_clear(&d);
}

/* Is CHILD one of the representations of the text (as opposed to a file someone put there)? */
static gboolean
is_text_alternative(GMimeObject *child)
{
  if (is_attachment(child) || (GMIME_IS_PART(child) && g_mime_part_get_filename(GMIME_PART(child))))
    return FALSE;
  g_autofree char *type = lower_type(child);
  return strcmp(type, "text/plain") == 0 || strcmp(type, "text/html") == 0 ||
         g_str_has_prefix(type, "multipart/");
}

/* A text/plain alternative with nothing but white space in it (some senders send one beside the
 * real HTML body) must not win over the HTML. */
static gboolean
is_blank_text(GMimeObject *child)
{
  mugai_decoded d = {0};
  char *failure = NULL;
  gboolean blank = mugai_part_decode(GMIME_PART(child), 4096, TRUE, &d, &failure) && d.size <= 4096;
  for (guint i = 0; blank && i < d.kept->len; i++)
    blank = g_ascii_isspace(d.kept->data[i]);
  mugai_decoded_clear(&d);
  g_free(failure);
  return blank;
}

/* Which child of a multipart/alternative the reader gets: the first text/plain with text in it;
 * else the last one we can render (HTML or a multipart holding it); else the first text/plain. */
static int
choose_alternative(GMimeMultipart *mp)
{
  int count = g_mime_multipart_get_count(mp);
  int blank_plain = -1;
  for (int i = 0; i < count; i++) {
    GMimeObject *child = g_mime_multipart_get_part(mp, i);
    g_autofree char *type = lower_type(child);
    if (strcmp(type, "text/plain") != 0 || !is_text_alternative(child))
      continue;
    if (!is_blank_text(child))
      return i;
    if (blank_plain < 0)
      blank_plain = i;
  }
  for (int i = count - 1; i >= 0; i--) {
    GMimeObject *child = g_mime_multipart_get_part(mp, i);
    g_autofree char *type = lower_type(child);
    if (is_text_alternative(child) && strcmp(type, "text/plain") != 0)
      return i;
  }
  return blank_plain >= 0 ? blank_plain : count - 1;
}

/* Text before the first boundary is hidden by clients when the structure is sound. When it is not
 * (no part found, or conflicting headers that other clients resolve differently), that text may be
 * all the reader would have seen, so it is kept — without the usual "This is a multi-part
 * message" line. */
static void
append_prologue(mugai_walk *walk, GMimeMultipart *mp, int count)
{
  const char *prologue = g_mime_multipart_get_prologue(mp);
  if (prologue == NULL || (count > 0 && !walk->crit_warning))
    return;
  GString *kept = g_string_new(NULL);
  g_auto(GStrv) lines = g_strsplit(prologue, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    if (strstr(lines[i], "multi-part message in MIME format") == NULL &&
        strstr(lines[i], "multipart message in MIME format") == NULL)
      g_string_append_printf(kept, "%s\n", lines[i]);
  g_autofree char *text = g_string_free(kept, FALSE);
  g_strstrip(text);
  if (*text == '\0')
    return;
  gsize len = 0;
  g_autofree char *utf8 = mugai_charset_to_utf8(NULL, text, strlen(text), &len, NULL);
  gsize start = walk->text->len;
  text_separate(walk->text);
  append_body_text(walk, utf8, len);
  strip_payloads(walk, start, "");
}

/* The root of a multipart/related: the part its "start" parameter names, else the first. */
static int
related_root(GMimeMultipart *mp)
{
  const char *start = g_mime_object_get_content_type_parameter(GMIME_OBJECT(mp), "start");
  g_autofree char *want = start ? g_strdup(start) : NULL;
  if (want)
    g_strstrip(g_strdelimit(want, "<>", ' '));
  for (int i = 0; want && i < g_mime_multipart_get_count(mp); i++) {
    const char *id = g_mime_object_get_content_id(g_mime_multipart_get_part(mp, i));
    if (id && strcmp(id, want) == 0)
      return i;
  }
  return 0;
}

/* An image the HTML body of a multipart/related shows inline (not one sent as a file). */
static gboolean
is_inline_image(GMimeObject *child)
{
  if (!GMIME_IS_PART(child) || is_attachment(child))
    return FALSE;
  GMimeContentType *ct = g_mime_object_get_content_type(child);
  return ct && g_ascii_strcasecmp(g_mime_content_type_get_media_type(ct), "image") == 0;
}

/* Inline images are part of the page, which the text replaces (its alt text says what they
 * showed): dropped, counted once in the notice when SHOWN_PAGE (the page is what the reader
 * gets), and reported; never decoded beyond a hash. */
static void
drop_inline_image(mugai_walk *walk, GMimeObject *child, const char *path, guint depth,
                  gboolean shown_page)
{
  if (!enter(walk, depth))
    return;
  g_autofree char *type = lower_type(child);
  mugai_part *part = mugai_result_add_part(walk->result, path, type);
  part->name = mugai_part_filename(child);
  mugai_decoded d = {.whole = mugai_part_scan_spool_new(walk)};
  if (mugai_part_decode(GMIME_PART(child), 0, FALSE, &d, &walk->failure)) {
    part->size = d.size;
    g_free(part->sha256);
    part->sha256 = g_steal_pointer(&d.sha256);
    mugai_part_scan(walk, part, d.size, d.kept, d.whole);
  }
  mugai_decoded_clear(&d);
  part->action = MUGAI_PART_DROPPED;
  g_free(part->reason);
  part->reason = g_strdup("inline_image");
  if (shown_page) /* images of an alternative the reader does not get are not worth a line */
    walk->result->actions[MUGAI_ACTION_INLINE_IMAGES]++;
}

static void
walk_children(mugai_walk *walk, GMimeMultipart *mp, const char *prefix, guint depth,
              walk_mode mode)
{
  g_autofree char *type = lower_type(GMIME_OBJECT(mp));
  int count = g_mime_multipart_get_count(mp);
  if (mode == MODE_USE)
    append_prologue(walk, mp, count);
  int chosen = -1, root = -1;
  if (mode == MODE_USE && strcmp(type, "multipart/alternative") == 0 && count > 0)
    chosen = choose_alternative(mp);
  if (mode != MODE_ENCRYPTED && strcmp(type, "multipart/related") == 0 && count > 0)
    root = related_root(mp);
  walk_mode inner = mode == MODE_USE && strcmp(type, "multipart/encrypted") == 0 ? MODE_ENCRYPTED
                                                                                 : mode;
  for (int i = 0; i < count; i++) {
    g_autofree char *path = child_path(prefix, (guint) i);
    GMimeObject *child = g_mime_multipart_get_part(mp, i);
    /* Only other representations of the text are dropped quietly; a file placed among the
     * alternatives is removed and named like any attachment. */
    gboolean drop = chosen >= 0 && i != chosen && is_text_alternative(child);
    if (drop)
      walk->result->actions[MUGAI_ACTION_ALTERNATIVE]++;
    if (root >= 0 && i != root && is_inline_image(child)) {
      drop_inline_image(walk, child, path, depth, mode == MODE_USE);
      continue;
    }
    walk_entity(walk, child, path, depth, drop ? MODE_DROP : inner);
  }
}

static void
inline_message(mugai_walk *walk, GMimeMessage *inner, const char *prefix, guint depth,
               walk_mode mode)
{
  if (!enter(walk, depth))
    return;
  if (mode == MODE_USE) {
    GMimeObject *o = GMIME_OBJECT(inner);
    g_autofree char *from = mugai_header_decode_address(mugai_object_get_raw_header(o, "From"));
    g_autofree char *to = mugai_header_decode_address(mugai_object_get_raw_header(o, "To"));
    g_autofree char *date = mugai_header_decode_text(mugai_object_get_raw_header(o, "Date"));
    g_autofree char *subject = mugai_header_decode_text(mugai_object_get_raw_header(o, "Subject"));
    text_separate(walk->text);
    mugai_notice_write_forwarded(walk->text, walk->policy->notice_language, from, date, subject,
                                 to);
    walk->result->actions[MUGAI_ACTION_INLINED]++;
  }
  GMimeObject *body = g_mime_message_get_mime_part(inner);
  if (body == NULL)
    return;
  if (GMIME_IS_MULTIPART(body)) {
    walk_children(walk, GMIME_MULTIPART(body), prefix, depth + 1, mode);
    return;
  }
  g_autofree char *path = child_path(prefix, 0);
  walk_entity(walk, body, path, depth, mode);
}

static void
walk_entity(mugai_walk *walk, GMimeObject *obj, const char *path, guint depth, walk_mode mode)
{
  if (!enter(walk, depth))
    return;
  if (GMIME_IS_MULTIPART(obj)) {
    g_autofree char *type = lower_type(obj);
    mugai_result_add_part(walk->result, path, type)->action = MUGAI_PART_CONTAINER;
    walk_children(walk, GMIME_MULTIPART(obj), path, depth + 1, mode);
  } else if (GMIME_IS_PART(obj)) {
    walk_leaf(walk, obj, path, depth, mode);
  } else { /* anything GMime could not classify as a part: never delivered */
    g_autofree char *type = lower_type(obj);
    mark_removed(walk, mugai_result_add_part(walk->result, path, type), "not_text");
  }
}

/* GMime files the Content-* headers of a message under its top-level MIME part. */
static const char *
first_content_type(GMimeObject *body, guint *count)
{
  GMimeHeaderList *list = g_mime_object_get_header_list(body);
  const char *first = NULL;
  *count = 0;
  for (int i = 0; i < g_mime_header_list_get_count(list); i++) {
    GMimeHeader *header = g_mime_header_list_get_header_at(list, i);
    if (g_ascii_strcasecmp(g_mime_header_get_name(header), "Content-Type") != 0)
      continue;
    if (first == NULL)
      first = g_mime_header_get_value(header);
    (*count)++;
  }
  return first;
}

void
mugai_walk_first_reading(mugai_walk *walk, GMimeMessage *message, GMimeStream *raw)
{
  GMimeObject *body = g_mime_message_get_mime_part(message);
  guint count = 0;
  const char *first = body ? first_content_type(body, &count) : NULL;
  if (count < 2 || first == NULL)
    return;
  g_autoptr(GMimeContentType) declared = g_mime_content_type_parse(NULL, first);
  gboolean html = g_mime_content_type_is_type(declared, "text", "html");
  if (!html && !g_mime_content_type_is_type(declared, "text", "plain"))
    return;
  if (GMIME_IS_PART(body) && g_mime_content_type_is_type(
        g_mime_object_get_content_type(body), "text", html ? "html" : "plain"))
    return; /* both readings agree */

  gsize cap = (html ? walk->policy->limits.html_bytes : walk->policy->limits.text_bytes) + 65536;
  g_autoptr(GByteArray) bytes = g_byte_array_sized_new(MIN(cap, (gsize) 1 << 20));
  char buf[16384];
  gssize n = 0;
  if (g_mime_stream_reset(raw) == -1) {
    walk->failure = g_strdup("cannot rewind the message");
    return;
  }
  while (bytes->len < cap && (n = g_mime_stream_read(raw, buf, MIN(sizeof buf, cap - bytes->len))) > 0)
    g_byte_array_append(bytes, (const guint8 *) buf, (guint) n);
  if (n < 0 && !g_mime_stream_eos(raw)) {
    walk->failure = g_strdup("read error while reading the message again");
    return;
  }
  g_autoptr(GPtrArray) headers = mugai_headers_new();
  gsize offset = mugai_headers_split((const char *) bytes->data, bytes->len, headers);
  gsize len = 0;
  g_autofree char *utf8 = mugai_charset_to_utf8(g_mime_content_type_get_parameter(declared, "charset"),
                                                (const char *) bytes->data + offset,
                                                bytes->len - offset, &len, NULL);
  gsize start = walk->text->len;
  text_separate(walk->text);
  mugai_notice_write_first_reading(walk->text, walk->policy->notice_language);
  if (html) {
    mugai_html_options options = {.max_output = walk->policy->limits.text_bytes, .max_depth = 256,
                                  .links = walk->defang, .report = &walk->links};
    g_autofree char *rendered = mugai_html_to_text(utf8, len, &options, NULL);
    append_body_text(walk, rendered, strlen(rendered));
  } else {
    append_body_text(walk, utf8, len);
  }
  strip_payloads(walk, start, "");
  walk->result->actions[MUGAI_ACTION_AMBIGUOUS]++;
}

void
mugai_walk_message_body(mugai_walk *walk, GMimeObject *body)
{
  if (body == NULL)
    return;
  if (GMIME_IS_MULTIPART(body)) {
    if (enter(walk, 1))
      walk_children(walk, GMIME_MULTIPART(body), "", 2, MODE_USE);
    return;
  }
  walk_entity(walk, body, "1", 1, MODE_USE);
}

void
mugai_walk_attached_texts(mugai_walk *walk)
{
  for (guint i = 0; walk->attached && i < walk->attached->len; i++) {
    mugai_attached_text *t = g_ptr_array_index(walk->attached, i);
    gsize start = walk->text->len;
    text_separate(walk->text);
    g_autoptr(GString) header = g_string_new(NULL);
    mugai_notice_write_attachment_header(header, walk->policy->notice_language, t->part);
    append_body_text(walk, header->str, header->len);
    append_body_text(walk, t->text->str, t->text->len);
    if (t->cut) {
      g_autoptr(GString) cut = g_string_new(walk->text->len && walk->text->str[walk->text->len - 1] != '\n' ? "\n" : "");
      mugai_notice_write_attachment_cut(cut, walk->policy->notice_language);
      append_body_text(walk, cut->str, cut->len);
    }
    strip_payloads(walk, start, t->part->path);
  }
}
