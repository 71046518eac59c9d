/* unlock_message.c — PPAP: the held zips of an original and the message that carries what they
 * held (see unlock_message.h). Owns the archives it finds; the caller frees the array. */
#include "quarantine/unlock_message.h"

#include <gmime/gmime.h>
#include <string.h>
#include "sanitize/archive_list.h"
#include "sanitize/gmime_autoptr.h"
#include "sanitize/headers.h"

void
mugai_locked_archive_free(mugai_locked_archive *archive)
{
  if (archive == NULL)
    return;
  g_free(archive->name);
  g_clear_pointer(&archive->data, g_bytes_unref);
  mugai_unlock_clear(&archive->open);
  g_free(archive);
}

typedef struct {
  const mugai_limits *limits;
  GPtrArray *found;
} find_job;

/* The decoded content of PART, or NULL when its encoded form is already over CAP bytes (base64
 * shrinks: what decodes to more than CAP is not looked at). (transfer full) */
static GBytes *
decoded_content(GMimePart *part, guint64 cap)
{
  GMimeDataWrapper *content = g_mime_part_get_content(part);
  GMimeStream *encoded = content ? g_mime_data_wrapper_get_stream(content) : NULL;
  gint64 size = encoded ? g_mime_stream_length(encoded) : -1;
  if (size < 0 || (guint64) size > cap + cap / 2 + 4096)
    return NULL;
  g_autoptr(GMimeStream) mem = g_mime_stream_mem_new();
  if (g_mime_data_wrapper_write_to_stream(content, mem) < 0)
    return NULL;
  GByteArray *bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
  if (bytes->len > cap)
    return NULL;
  return g_bytes_new(bytes->data, bytes->len);
}

static void
look_at_part(GMimeObject *parent, GMimeObject *object, gpointer data)
{
  (void) parent;
  find_job *job = data;
  if (!GMIME_IS_PART(object) || GMIME_IS_MULTIPART(object))
    return;
  g_autoptr(GBytes) content = decoded_content(GMIME_PART(object), job->limits->archive_bytes);
  gsize len = 0;
  const guint8 *bytes = content ? g_bytes_get_data(content, &len) : NULL;
  if (bytes == NULL || !mugai_archive_detect(bytes, len))
    return;
  mugai_archive_limits limits = {.max_depth = 0, .max_entries = job->limits->archive_entries,
                                 .max_nested_bytes = job->limits->archive_bytes};
  g_autoptr(mugai_archive_listing) listing = mugai_archive_list(bytes, len, &limits);
  if (!mugai_archive_listing_is_locked_zip(listing))
    return;
  mugai_locked_archive *archive = g_new0(mugai_locked_archive, 1);
  const char *name = g_mime_part_get_filename(GMIME_PART(object));
  archive->name = g_utf8_make_valid(name ? name : "", -1);
  archive->data = g_steal_pointer(&content);
  archive->open = (mugai_unlock){.status = MUGAI_UNLOCK_FAILED, .password_index = -1};
  g_ptr_array_add(job->found, archive);
}

GPtrArray *
mugai_unlock_find_archives(const guint8 *data, gsize len, const mugai_limits *limits)
{
  GPtrArray *found = g_ptr_array_new_with_free_func((GDestroyNotify) mugai_locked_archive_free);
  g_autoptr(GMimeStream) stream = g_mime_stream_mem_new_with_buffer((const char *) data, len);
  g_autoptr(GMimeParser) parser = g_mime_parser_new_with_stream(stream);
  g_autoptr(GMimeMessage) message = g_mime_parser_construct_message(parser, NULL);
  if (message == NULL)
    return found;
  find_job job = {.limits = limits, .found = found};
  g_mime_message_foreach(message, look_at_part, &job);
  return found;
}

char *
mugai_unlock_archive_names(const GPtrArray *archives, gboolean opened_only)
{
  GString *out = g_string_new(NULL);
  for (guint i = 0; i < archives->len; i++) {
    const mugai_locked_archive *a = g_ptr_array_index(archives, i);
    if (!opened_only || a->open.status == MUGAI_UNLOCK_OPENED)
      g_string_append_printf(out, "%s%s", out->len ? ", " : "", a->name);
  }
  return g_string_free(out, FALSE);
}

/* The wording of the new message's own text and Subject mark. */
static const char *const intro_ja[] = {
    "このメールは、", " に届いたメールに添付されていたパスワード付きファイル（",
    ("）を、後から届いたパスワードのメールで開き、検査して中身をテキストにしたものです。"
     "元のメールの本文は、先にお届けしたメールをご覧ください。")};
static const char *const intro_en[] = {
    "This mail brings the contents of the password-protected file (",
    ") attached to the mail of ",
    (", opened with the password sent afterwards, checked, and turned into text. The body of "
     "that mail was delivered to you before.")};

static char *
intro_text(const GPtrArray *archives, const char *quarantine_id, gint64 received,
           mugai_language language)
{
  g_autoptr(GDateTime) t = g_date_time_new_from_unix_local(received);
  g_autofree char *when = t ? g_date_time_format(t, "%Y-%m-%d %H:%M") : g_strdup("?");
  g_autofree char *names = mugai_unlock_archive_names(archives, TRUE);
  GString *out = g_string_new(NULL);
  if (language == MUGAI_LANG_EN)
    g_string_append_printf(out, "%s%s%s%s%s", intro_en[0], names, intro_en[1], when, intro_en[2]);
  else
    g_string_append_printf(out, "%s%s%s%s%s", intro_ja[0], when, intro_ja[1], names, intro_ja[2]);
  const char *label = language == MUGAI_LANG_EN ? "quarantine ID" : "隔離ID";
  g_string_append_printf(out, "\n(%s: %s)\n", label, quarantine_id);
  return g_string_free(out, FALSE);
}

/* The last component of a member's name, as a file name that names nothing else: an archive's
 * "../../x" or "C:\\dir\\y" is a label here, never a path. */
static char *
file_name_of(const char *member)
{
  const char *slash = strrchr(member, '/');
  const char *back = strrchr(member, '\\');
  const char *base = MAX(slash, back) ? MAX(slash, back) + 1 : member;
  if (*base == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
    base = "file";
  return g_strdup(base);
}

static GMimeObject *
member_part(const mugai_unlocked_member *member)
{
  GMimePart *part = g_mime_part_new_with_type("application", "octet-stream");
  gsize len = 0;
  const guint8 *bytes = g_bytes_get_data(member->data, &len);
  g_autoptr(GMimeStream) stream = g_mime_stream_mem_new_with_buffer((const char *) bytes, len);
  g_autoptr(GMimeDataWrapper) content =
      g_mime_data_wrapper_new_with_stream(stream, GMIME_CONTENT_ENCODING_DEFAULT);
  g_mime_part_set_content(part, content);
  g_mime_part_set_content_encoding(part, GMIME_CONTENT_ENCODING_BASE64);
  g_autofree char *name = file_name_of(member->name);
  g_mime_part_set_filename(part, name); /* RFC 2231-encoded by GMime when not ASCII */
  g_mime_object_set_disposition(GMIME_OBJECT(part), GMIME_DISPOSITION_ATTACHMENT);
  return GMIME_OBJECT(part);
}

/* The multipart body: the text, then every file of every opened archive. (transfer full) */
static GMimeObject *
body_of(const GPtrArray *archives, const char *text)
{
  GMimeMultipart *mixed = g_mime_multipart_new_with_subtype("mixed");
  GMimeTextPart *intro = g_mime_text_part_new_with_subtype("plain");
  g_mime_text_part_set_text(intro, text);
  g_mime_multipart_add(mixed, GMIME_OBJECT(intro));
  g_object_unref(intro);
  for (guint i = 0; i < archives->len; i++) {
    const mugai_locked_archive *a = g_ptr_array_index(archives, i);
    if (a->open.status != MUGAI_UNLOCK_OPENED)
      continue;
    for (guint m = 0; m < a->open.members->len; m++) {
      GMimeObject *part = member_part(g_ptr_array_index(a->open.members, m));
      g_mime_multipart_add(mixed, part);
      g_object_unref(part);
    }
  }
  return GMIME_OBJECT(mixed);
}

/* The original's headers the new message keeps, as they came, and its Message-ID. */
static void
copy_headers(GByteArray *out, const guint8 *original, gsize len, mugai_language language,
             char **message_id)
{
  g_autoptr(GPtrArray) headers = mugai_headers_new();
  mugai_headers_split((const char *) original, len, headers);
  static const char *const kept[] = {"From", "To", "Cc", "Subject"};
  g_autofree char *mark = g_mime_utils_header_encode_text(
      NULL, language == MUGAI_LANG_EN ? "[Unlocked]" : "【パスワード解除】", "utf-8");
  gboolean subject = FALSE;
  for (guint i = 0; i < headers->len; i++) {
    const mugai_header *h = g_ptr_array_index(headers, i);
    if (g_ascii_strcasecmp(h->name, "Message-ID") == 0 && *message_id == NULL)
      *message_id = g_strstrip(g_strdup(h->value));
    for (gsize k = 0; k < G_N_ELEMENTS(kept); k++) {
      if (g_ascii_strcasecmp(h->name, kept[k]) != 0)
        continue;
      if (k == 3 && subject)
        continue; /* one Subject */
      if (k == 3) {
        g_autofree char *value = g_strdup_printf(" %s%s", mark, h->value);
        mugai_header_write(out, "Subject", value, FALSE);
        subject = TRUE;
      } else {
        mugai_header_write(out, h->name, h->value, FALSE);
      }
    }
  }
  if (!subject)
    mugai_header_write(out, "Subject", mark, TRUE);
}

GByteArray *
mugai_unlock_build_message(const guint8 *original, gsize len, const GPtrArray *archives,
                           const char *quarantine_id, gint64 received, mugai_language language)
{
  GByteArray *out = g_byte_array_new();
  g_autofree char *message_id = NULL;
  copy_headers(out, original, len, language, &message_id);
  g_autoptr(GDateTime) now = g_date_time_new_now_local();
  g_autofree char *date = g_mime_utils_header_format_date(now); /* RFC 5322, not the locale's */
  mugai_header_write(out, "Date", date, TRUE);
  g_autofree char *own_id = g_mime_utils_generate_message_id(g_get_host_name());
  g_autofree char *own = g_strdup_printf("<%s>", own_id);
  mugai_header_write(out, "Message-ID", own, TRUE);
  if (message_id && *message_id && strchr(message_id, '\n') == NULL) {
    mugai_header_write(out, "In-Reply-To", message_id, TRUE);
    mugai_header_write(out, "References", message_id, TRUE);
  }
  mugai_header_write(out, "MIME-Version", "1.0", TRUE);
  g_autofree char *text = intro_text(archives, quarantine_id, received, language);
  g_autoptr(GMimeObject) body = body_of(archives, text);
  g_autoptr(GMimeStream) mem = g_mime_stream_mem_new();
  g_autoptr(GMimeFormatOptions) format = g_mime_format_options_new();
  g_mime_format_options_set_newline_format(format, GMIME_NEWLINE_FORMAT_DOS);
  g_mime_object_write_to_stream(body, format, mem); /* its Content-Type, the blank line, parts */
  GByteArray *written = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
  g_byte_array_append(out, written->data, written->len);
  return out;
}
