/* notice.c — the reader's notice (see notice.h). All wording lives here, in both languages. */
#include "sanitize/notice.h"

#include <string.h>

#define RULE "------------------------------------------------------------\n"
#define MAX_NAME_CHARS 120

typedef struct {
  const char *title;
  const char *converted;
  const char *html;
  const char *removed_intro;
  const char *no_name;
  const char *bytes;
  const char *forwarded;
  const char *first_reading;
  const char *from, *date, *subject, *to;
} wording;

static const wording ja = {
  .title = "【無害化通知】",
  .converted = "このメールはインターネットから届いたため、安全のためテキスト形式に変換しました。\n",
  .html = "HTML形式の本文はテキストに変換しました。\n",
  .removed_intro = "次の添付ファイル等を削除しました。必要な場合は管理者にお問い合わせください。\n",
  .no_name = "(名前なし)",
  .bytes = "バイト",
  .forwarded = "---------- 添付されたメッセージ ----------\n",
  .first_reading = "---------- 本文の別の読み方（最初の Content-Type による） ----------\n",
  .from = "差出人", .date = "日時", .subject = "件名", .to = "宛先",
};

static const wording en = {
  .title = "[mugai sanitization notice]",
  .converted = "This message came from the internet and was converted to plain text for safety.\n",
  .html = "The HTML body was converted to text.\n",
  .removed_intro = "The following attachments were removed. Ask your administrator if you need them.\n",
  .no_name = "(no name)",
  .bytes = "bytes",
  .forwarded = "---------- Attached message ----------\n",
  .first_reading = "---------- The body as its first Content-Type header declares it ----------\n",
  .from = "From", .date = "Date", .subject = "Subject", .to = "To",
};

static const wording *
words_for(mugai_language language)
{
  return language == MUGAI_LANG_EN ? &en : &ja;
}

char *
mugai_notice_display_name(const char *name)
{
  g_autofree char *valid = g_utf8_make_valid(name, -1);
  GString *out = g_string_new(NULL);
  guint chars = 0;
  for (const char *p = valid; *p && chars < MAX_NAME_CHARS; p = g_utf8_next_char(p)) {
    gunichar c = g_utf8_get_char(p);
    GUnicodeType type = g_unichar_type(c);
    if (type == G_UNICODE_CONTROL || type == G_UNICODE_FORMAT || type == G_UNICODE_LINE_SEPARATOR ||
        type == G_UNICODE_PARAGRAPH_SEPARATOR)
      continue;
    /* An undecodable byte in a sender's file name shows as '?', as mail clients show it. */
    g_string_append_unichar(out, c == 0xFFFD ? '?' : c);
    chars++;
  }
  if (chars == MAX_NAME_CHARS && strlen(valid) > out->len)
    g_string_append(out, "…");
  return g_string_free(out, FALSE);
}

static void
append_size(GString *out, guint64 size, const wording *w)
{
  if (size < 1024)
    g_string_append_printf(out, "%" G_GUINT64_FORMAT " %s", size, w->bytes);
  else if (size < 1024 * 1024)
    g_string_append_printf(out, "%.1f KB", size / 1024.0);
  else
    g_string_append_printf(out, "%.1f MB", size / (1024.0 * 1024.0));
}

static void
append_removed(GString *out, const mugai_result *result, const wording *w)
{
  gboolean intro = FALSE;
  for (guint i = 0; i < result->parts->len; i++) {
    const mugai_part *part = g_ptr_array_index(result->parts, i);
    if (part->action != MUGAI_PART_REMOVED)
      continue;
    if (!intro) {
      g_string_append(out, w->removed_intro);
      intro = TRUE;
    }
    g_autofree char *name = part->name ? mugai_notice_display_name(part->name) : NULL;
    g_string_append_printf(out, "  - %s (%s, ", name && *name ? name : w->no_name, part->type);
    append_size(out, part->size, w);
    g_string_append(out, ")\n");
  }
}

gboolean
mugai_notice_write(GString *out, mugai_language language, const mugai_result *result)
{
  if (result->actions[MUGAI_ACTION_REMOVED] == 0 && result->actions[MUGAI_ACTION_HTML2TEXT] == 0)
    return FALSE;
  const wording *w = words_for(language);
  g_string_append_printf(out, "%s\n%s", w->title, w->converted);
  if (result->actions[MUGAI_ACTION_HTML2TEXT])
    g_string_append(out, w->html);
  append_removed(out, result, w);
  g_string_append(out, RULE "\n");
  return TRUE;
}

void
mugai_notice_write_forwarded(GString *out, mugai_language language, const char *from,
                             const char *date, const char *subject, const char *to)
{
  const wording *w = words_for(language);
  g_string_append(out, w->forwarded);
  const char *labels[] = {w->from, w->date, w->subject, w->to};
  const char *values[] = {from, date, subject, to};
  for (gsize i = 0; i < G_N_ELEMENTS(labels); i++) {
    if (values[i] && *values[i]) {
      g_autofree char *shown = mugai_notice_display_name(values[i]);
      g_string_append_printf(out, "%s: %s\n", labels[i], shown);
    }
  }
  g_string_append_c(out, '\n');
}

void
mugai_notice_write_first_reading(GString *out, mugai_language language)
{
  g_string_append(out, words_for(language)->first_reading);
}
