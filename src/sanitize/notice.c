/* notice.c — the reader's notice (see notice.h).
 *
 * The frame of the notice is the template of the policy ([notice] template_ja / template_en, the
 * built-in config/notice.LANG.txt by default); the values that fill it, and all their wording in
 * both languages, are made here. Pure: it reads the result, it never changes it.
 */
#include "sanitize/notice.h"
#include "sanitize/notice_ppap.h"

#include <string.h>
#include "config/notice_template.h"
#include "sanitize/authentication.h"
#include "sanitize/converter.h"

#define MAX_NAME_CHARS 120
#define MAX_LISTED_ENTRIES 50 /* per archive, in the notice; the JSON report has them all */

typedef struct {
  const char *html, *signature, *encrypted, *inline_images[2], *partial, *truncated, *defanged,
      *links_dropped;
  const char *no_name, *bytes, *detected, *contents, *contents_encrypted, *contents_more,
      *contents_unlisted, *contents_damaged, *entry_encrypted;
  const char *warning_title, *warning_shown, *warning_target, *warning_more[2];
  const char *claim_inside[2], *claim_display[4]; /* texts around the header and addresses */
  const char *auth_title, *auth_nothing, *auth_more[2], *dmarc_fail[3];
  const char *forwarded, *first_reading;
  const char *from, *date, *subject, *to;
  /* attachments turned into text: the line above each one's text, its notes, why one is not */
  const char *text_of[3], *units[4], *unit_one[4], *text_cut, *not_converted;
  const char *convert_notes[4]; /* macros, embedded, external links, skipped members */
  const char *failures[8][2];   /* the worker's reason (prefix) and how the reader is told it */
} wording;

static const char *const unit_names[4] = {"pages", "sheets", "slides", "files"};

static const wording ja = {
  .html = "HTML形式の本文はテキストに変換しました。",
  .signature = "電子署名は削除しました（無害化により本文が変わるため、署名は検証できません）。",
  .encrypted = "暗号化された部分（または中身を検査できない部分）があったため削除しました。",
  .inline_images = {"本文中の画像を ", " 個削除しました。"},
  .partial = "このメールは分割されたメッセージ（message/partial）の一部です。テキストのみを表示しています。",
  .truncated = "本文が長すぎるため、後半を省略しました。",
  .defanged = "リンクはクリックできない形に書き換えました（例: hxxps://example[.]com）。",
  .links_dropped = "スクリプト等を実行するリンク先（javascript: など）は削除しました。",
  .no_name = "(名前なし)",
  .bytes = "バイト",
  .detected = "実際の形式",
  .contents = "中身",
  .contents_encrypted = "パスワード付き",
  .contents_more = "ほか",
  .contents_unlisted = "大きすぎるため中身は一覧できません",
  .contents_damaged = "壊れているため一部しか読めません",
  .entry_encrypted = "パスワード付き",
  .warning_title = "【注意】表示されている文字と実際のリンク先が異なるリンクがあります。"
                   "フィッシング詐欺の可能性があります。",
  .warning_shown = "表示",
  .warning_target = "実際のリンク先",
  .warning_more = {"ほか ", " 件"},
  .claim_inside = {"【注意】このメールは外部から届きましたが、",
                   " が内部のアドレスを名乗っています。なりすましの可能性があります。"},
  .claim_display = {"【注意】",
                    " の表示名にあるアドレス ", " は実際の差出アドレスではありません（実際: ", "）"},
  .auth_title = "送信元認証",
  .auth_nothing = "結果なし",
  .auth_more = {"ほか ", " 件"},
  .dmarc_fail = {"【注意】このメールは差出人のドメイン (",
                 ") の送信元認証 (DMARC) に失敗しました。なりすましの可能性があります。",
                 "【注意】このメールは送信元認証 (DMARC) に失敗しました。なりすましの可能性があります。"},
  .forwarded = "---------- 添付されたメッセージ ----------\n",
  .first_reading = "---------- 本文の別の読み方（最初の Content-Type による） ----------\n",
  .from = "差出人", .date = "日時", .subject = "件名", .to = "宛先",
  .text_of = {"---------- 添付ファイル「", "」のテキスト（", "） ----------\n"},
  .units = {"ページ", "シート", "スライド", "ファイル"},
  .unit_one = {"ページ", "シート", "スライド", "ファイル"},
  .text_cut = "(truncated) 長すぎるため、この先は省略しました。",
  .not_converted = "テキストに変換できませんでした",
  .convert_notes = {"マクロが含まれていました（実行していません）。",
                    "埋め込まれたオブジェクトは変換していません。",
                    "外部へのリンク（外部データ）は取得していません。",
                    "変換できない種類のファイルが含まれていたため、その部分は省きました。"},
  .failures = {{"encrypted", "パスワードで保護されています"},
               {"timeout", "変換に時間がかかりすぎました"},
               {"damaged", "ファイルが壊れています"},
               {"too large", "ファイルが大きすぎます"},
               {"unsupported", "読めない形式です"},
               {"no text", "読み取れる文字がありません（画像だけの文書かもしれません）"},
               {"no converter", "変換の仕組みが使えない状態です（管理者に連絡してください）"},
               {"", "変換処理が制限を超えたか、失敗しました"}},
};

static const wording en = {
  .html = "The HTML body was converted to text.",
  .signature = "The digital signature was removed (sanitizing changes the content, so it could "
               "not be verified).",
  .encrypted = "Encrypted content (or content that cannot be inspected) was removed.",
  .inline_images = {"", " images shown in the body were removed."},
  .partial = "This message is one fragment of a split message (message/partial); only its text "
             "is shown.",
  .truncated = "The body was too long; its end was cut off.",
  .defanged = "Links were rewritten so that they cannot be clicked (e.g. hxxps://example[.]com).",
  .links_dropped = "Links that run scripts (javascript: and the like) were removed.",
  .no_name = "(no name)",
  .bytes = "bytes",
  .detected = "actual type",
  .contents = "contents",
  .contents_encrypted = "password-protected",
  .contents_more = "more",
  .contents_unlisted = "too large to list its contents",
  .contents_damaged = "damaged: only partly readable",
  .entry_encrypted = "password-protected",
  .warning_title = "WARNING: some links show one address but lead to another. This may be "
                   "phishing.",
  .warning_shown = "shown",
  .warning_target = "actual target",
  .warning_more = {"", " more"},
  .claim_inside = {"WARNING: this message came from outside, but its ",
                   " claims an inside address. It may be an impersonation."},
  .claim_display = {"WARNING: the ", " display name shows the address ",
                    ", which is not the real sender (real: ", ")."},
  .auth_title = "Sender authentication",
  .auth_nothing = "no results",
  .auth_more = {"", " more"},
  .dmarc_fail = {"WARNING: this message failed the sender authentication (DMARC) of its From "
                 "domain (", "). It may be an impersonation.",
                 "WARNING: this message failed the sender authentication (DMARC). It may be an "
                 "impersonation."},
  .forwarded = "---------- Attached message ----------\n",
  .first_reading = "---------- The body as its first Content-Type header declares it ----------\n",
  .from = "From", .date = "Date", .subject = "Subject", .to = "To",
  .text_of = {"---------- Text of the attachment \"", "\" (", ") ----------\n"},
  .units = {"pages", "sheets", "slides", "files"},
  .unit_one = {"page", "sheet", "slide", "file"},
  .text_cut = "(truncated) The rest of this file's text was cut.",
  .not_converted = "could not be turned into text",
  .convert_notes = {"It contained macros (not run).", "Embedded objects were not converted.",
                    "Links to outside data were not fetched.",
                    "Files of types that cannot be converted were left out."},
  .failures = {{"encrypted", "it is password-protected"},
               {"timeout", "converting it took too long"},
               {"damaged", "the file is damaged"},
               {"too large", "the file is too large"},
               {"unsupported", "its format cannot be read"},
               {"no text", "it holds no text (perhaps only pictures)"},
               {"no converter", "the converter is not available (tell your administrator)"},
               {"", "the converter hit a limit or failed"}},
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

/* The files inside a removed archive, indented under it. */
static void
append_contents(GString *out, const mugai_archive_listing *listing, const wording *w)
{
  g_string_append_printf(out, "    %s (%s", w->contents, listing->format);
  if (listing->encrypted)
    g_string_append_printf(out, ", %s", w->contents_encrypted);
  if (listing->damaged)
    g_string_append_printf(out, ", %s", w->contents_damaged);
  if (listing->truncated && listing->entries->len == 0)
    g_string_append_printf(out, ", %s", w->contents_unlisted);
  g_string_append(out, listing->entries->len ? "):\n" : ")\n");
  guint shown = MIN(listing->entries->len, (guint) MAX_LISTED_ENTRIES);
  for (guint i = 0; i < shown; i++) {
    const mugai_archive_entry *e = g_ptr_array_index(listing->entries, i);
    g_autofree char *name = mugai_notice_display_name(e->name);
    g_string_append_printf(out, "%*s- %s", 6 + 2 * (int) MIN(e->depth, 4u), "",
                           *name ? name : w->no_name);
    if (e->size_known || e->encrypted) {
      g_string_append(out, " (");
      if (e->size_known)
        append_size(out, e->size, w);
      if (e->encrypted)
        g_string_append_printf(out, "%s%s", e->size_known ? ", " : "", w->entry_encrypted);
      g_string_append_c(out, ')');
    }
    g_string_append_c(out, '\n');
  }
  if (listing->entries->len > shown || (listing->truncated && listing->entries->len))
    g_string_append_printf(out, "      - … (%s)\n", w->contents_more);
}

/* The warning bits convert_notes[] speak of, in that order. */
static const guint note_bits[4] = {MUGAI_CONVERT_WARN_MACROS, MUGAI_CONVERT_WARN_EMBEDDED,
                                   MUGAI_CONVERT_WARN_EXTERNAL_LINKS, MUGAI_CONVERT_WARN_SKIPPED};

/* Why a file the policy converts is removed instead: in the reader's words, then the converter's
 * own (the words an admin greps the log for). */
static void
append_failure(GString *out, const char *failure, const wording *w)
{
  const char *said = NULL, *prefix = "";
  for (gsize i = 0; said == NULL && i < G_N_ELEMENTS(w->failures); i++)
    if (g_str_has_prefix(failure, w->failures[i][0]))
      prefix = w->failures[i][0], said = w->failures[i][1];
  /* mugai's own reasons are said in full; the worker's details (which limit, which member) are
   * added as it wrote them. */
  gboolean own = strcmp(prefix, "no text") == 0 || strcmp(prefix, "too large") == 0;
  g_string_append_printf(out, "    %s: %s", w->not_converted, said);
  if (!own && strcmp(failure, prefix) != 0) {
    g_autofree char *shown = mugai_notice_display_name(failure);
    g_string_append_printf(out, " (%s)", shown);
  }
  g_string_append_c(out, '\n');
}

/* {removed}: each removed part with its name, declared type, size, true type and SHA-256. */
static char *
removed_text(const mugai_policy *policy, const mugai_result *result, const wording *w,
             guint *count)
{
  GString *out = g_string_new(NULL);
  *count = 0;
  for (guint i = 0; i < result->parts->len; i++) {
    const mugai_part *part = g_ptr_array_index(result->parts, i);
    if (part->action != MUGAI_PART_REMOVED)
      continue;
    (*count)++;
    g_autofree char *name = part->name ? mugai_notice_display_name(part->name) : NULL;
    g_string_append_printf(out, "  - %s (%s, ", name && *name ? name : w->no_name, part->type);
    append_size(out, part->size, w);
    g_string_append(out, ")\n");
    const char *detected = part->detected_type;
    if (detected && *detected && strcmp(detected, part->type) != 0 &&
        strcmp(detected, "application/octet-stream") != 0)
      g_string_append_printf(out, "    %s: %s\n", w->detected, detected);
    if (part->sha256 && *part->sha256)
      g_string_append_printf(out, "    SHA-256: %s\n", part->sha256);
    if (part->contents)
      append_contents(out, part->contents, w);
    if (part->locked)
      mugai_notice_ppap_locked(out, policy->notice_language, policy->ppap.window);
    if (part->conversion && part->conversion->failure && !part->locked)
      append_failure(out, part->conversion->failure, w);
  }
  return g_string_free(out, FALSE);
}

/* "PDF, 3 pages, 125.0 KB": what a converted file was. */
static void
append_text_summary(GString *out, const mugai_part *part, const wording *w)
{
  const mugai_part_conversion *c = part->conversion;
  g_autofree char *type = g_ascii_strup(c->type, -1);
  g_string_append_printf(out, "%s, ", type);
  for (gsize i = 0; c->unit && c->count && i < G_N_ELEMENTS(unit_names); i++)
    if (strcmp(c->unit, unit_names[i]) == 0)
      g_string_append_printf(out, "%u %s, ", c->count, c->count == 1 ? w->unit_one[i] : w->units[i]);
  append_size(out, part->size, w);
}

/* {converted}: each attachment whose text follows the body, with what was not run or fetched. */
static char *
converted_text(const mugai_result *result, const wording *w)
{
  GString *out = g_string_new(NULL);
  for (guint i = 0; i < result->parts->len; i++) {
    const mugai_part *part = g_ptr_array_index(result->parts, i);
    if (part->action != MUGAI_PART_EXTRACTED)
      continue;
    g_autofree char *name = part->name ? mugai_notice_display_name(part->name) : NULL;
    g_string_append_printf(out, "  - %s (", name && *name ? name : w->no_name);
    append_text_summary(out, part, w);
    g_string_append(out, ")\n");
    for (guint bit = 0; bit < G_N_ELEMENTS(w->convert_notes); bit++)
      if (part->conversion->warnings & note_bits[bit])
        g_string_append_printf(out, "    %s\n", w->convert_notes[bit]);
  }
  return g_string_free(out, FALSE);
}

static void
append_line(GString *out, const char *text)
{
  g_string_append(out, text);
  g_string_append_c(out, '\n');
}

/* {actions}: one line for each thing done to the body that the reader should know. */
static char *
actions_text(const mugai_policy *policy, const mugai_result *result, const wording *w)
{
  const guint *a = result->actions;
  GString *out = g_string_new(NULL);
  mugai_notice_ppap_attempts(out, policy->notice_language, result, policy->ppap.window);
  if (a[MUGAI_ACTION_PARTIAL])
    append_line(out, w->partial);
  if (a[MUGAI_ACTION_HTML2TEXT])
    append_line(out, w->html);
  if (a[MUGAI_ACTION_INLINE_IMAGES]) {
    g_string_append_printf(out, "%s%u%s\n", w->inline_images[0], a[MUGAI_ACTION_INLINE_IMAGES],
                           w->inline_images[1]);
  }
  if (a[MUGAI_ACTION_SIGNATURE])
    append_line(out, w->signature);
  if (a[MUGAI_ACTION_ENCRYPTED])
    append_line(out, w->encrypted);
  if (a[MUGAI_ACTION_LINK_DROPPED])
    append_line(out, w->links_dropped);
  if (a[MUGAI_ACTION_LINK_DEFANGED])
    append_line(out, w->defanged);
  if (a[MUGAI_ACTION_TRUNCATED])
    append_line(out, w->truncated);
  return g_string_free(out, FALSE);
}

/* {authentication}: "送信元認証: SPF=pass, DKIM=pass (example.jp), DMARC=fail (example.com)",
 * the trusted results ([authentication]); NULL when no trusted header was found. */
static char *
authentication_text(const mugai_result *result, const wording *w)
{
  if (result->auth_id == NULL)
    return NULL;
  GString *out = g_string_new(w->auth_title);
  g_string_append(out, ": ");
  for (guint i = 0; i < result->auth_checks->len; i++) {
    const mugai_auth_check *check = g_ptr_array_index(result->auth_checks, i);
    g_autofree char *method = g_ascii_strup(check->method, -1);
    g_autofree char *value = mugai_notice_display_name(check->result);
    g_string_append_printf(out, "%s%s=%s", i ? ", " : "", method, value);
    if (check->domain && strcmp(check->method, "spf") != 0) { /* SPF's is the envelope's */
      g_autofree char *domain = mugai_notice_display_name(check->domain);
      g_string_append_printf(out, " (%s)", domain);
    }
  }
  if (result->auth_checks->len == 0)
    g_string_append(out, w->auth_nothing);
  if (result->auth_checks_total > result->auth_checks->len)
    g_string_append_printf(out, ", %s%u%s", w->auth_more[0],
                           result->auth_checks_total - result->auth_checks->len, w->auth_more[1]);
  return g_string_free(out, FALSE);
}

/* "【注意】...ドメイン (example.com) の送信元認証 (DMARC) に失敗しました..." */
static void
dmarc_fail_text(GString *out, const mugai_result *result, const wording *w)
{
  const mugai_auth_check *fail = mugai_authentication_dmarc_fail(result);
  g_autofree char *domain = fail && fail->domain ? mugai_notice_display_name(fail->domain) : NULL;
  if (domain)
    g_string_append_printf(out, "%s%s%s\n\n", w->dmarc_fail[0], domain, w->dmarc_fail[1]);
  else
    g_string_append_printf(out, "%s\n\n", w->dmarc_fail[2]);
}

/* {warnings}: links whose visible text names another host than the one they lead to. */
/* "WARNING: ... From (taro@city.example.lg.jp) ..." for a claimed inside sender. */
static void
claim_text(GString *out, const mugai_result *result, const wording *w)
{
  g_autofree char *address = mugai_notice_display_name(result->claim_address);
  if (result->claim_real == NULL) {
    g_string_append_printf(out, "%s%s (%s)%s\n\n", w->claim_inside[0], result->claim_header,
                           address, w->claim_inside[1]);
    return;
  }
  g_autofree char *real = mugai_notice_display_name(result->claim_real);
  g_string_append_printf(out, "%s%s%s%s%s%s%s\n\n", w->claim_display[0], result->claim_header,
                         w->claim_display[1], address, w->claim_display[2], real,
                         w->claim_display[3]);
}

static char *
warnings_text(const mugai_result *result, const wording *w)
{
  gboolean links = result->link_warnings != NULL && result->link_warnings->len > 0;
  gboolean dmarc = result->actions[MUGAI_ACTION_DMARC_FAIL] > 0;
  if (!links && result->claim_header == NULL && !dmarc)
    return NULL;
  GString *out = g_string_new(NULL);
  if (dmarc)
    dmarc_fail_text(out, result, w);
  if (result->claim_header != NULL)
    claim_text(out, result, w);
  if (!links)
    return g_string_free(out, FALSE);
  g_string_append(out, w->warning_title);
  g_string_append_c(out, '\n');
  for (guint i = 0; i < result->link_warnings->len; i++) {
    const mugai_link_warning *lw = g_ptr_array_index(result->link_warnings, i);
    g_autofree char *text = mugai_notice_display_name(lw->text);
    g_autofree char *target = mugai_notice_display_name(lw->target);
    g_string_append_printf(out, "  - %s: %s\n    %s: %s\n", w->warning_shown, text,
                           w->warning_target, target);
  }
  if (result->link_warnings_total > result->link_warnings->len) {
    g_string_append_printf(out, "  - %s%u%s\n", w->warning_more[0],
                           result->link_warnings_total - result->link_warnings->len,
                           w->warning_more[1]);
  }
  g_string_append_c(out, '\n');
  return g_string_free(out, FALSE);
}

gboolean
mugai_notice_needed(const mugai_result *result)
{
  static const mugai_action shown[] = {
    MUGAI_ACTION_REMOVED, MUGAI_ACTION_HTML2TEXT, MUGAI_ACTION_SIGNATURE, MUGAI_ACTION_ENCRYPTED,
    MUGAI_ACTION_INLINE_IMAGES, MUGAI_ACTION_PARTIAL, MUGAI_ACTION_LINK_DEFANGED,
    MUGAI_ACTION_LINK_DROPPED, MUGAI_ACTION_LINK_MISMATCH, MUGAI_ACTION_IMPERSONATION,
    MUGAI_ACTION_DMARC_FAIL, MUGAI_ACTION_TEXT_EXTRACTED, MUGAI_ACTION_UNLOCKED,
    MUGAI_ACTION_UNLOCK_FAILED,
  };
  for (gsize i = 0; i < G_N_ELEMENTS(shown); i++)
    if (result->actions[shown[i]])
      return TRUE;
  return FALSE;
}

gboolean
mugai_notice_write(GString *out, const mugai_policy *policy, const mugai_result *result,
                   const char *queue_id, const char *quarantine_id)
{
  if (!mugai_notice_needed(result))
    return FALSE;
  const wording *w = words_for(policy->notice_language);
  guint count = 0;
  g_autofree char *removed = removed_text(policy, result, w, &count);
  g_autofree char *actions = actions_text(policy, result, w);
  g_autofree char *warnings = warnings_text(result, w);
  g_autofree char *authentication = authentication_text(result, w);
  g_autofree char *converted = converted_text(result, w);
  g_autofree char *count_text = count ? g_strdup_printf("%u", count) : NULL;
  const char *values[MUGAI_NOTICE_FIELD_COUNT] = {
    [MUGAI_NOTICE_WARNINGS] = warnings,
    [MUGAI_NOTICE_ACTIONS] = actions,
    [MUGAI_NOTICE_REMOVED] = removed,
    [MUGAI_NOTICE_REMOVED_COUNT] = count_text,
    [MUGAI_NOTICE_QUEUE_ID] = queue_id,
    [MUGAI_NOTICE_AUTHENTICATION] = authentication,
    [MUGAI_NOTICE_QUARANTINE_ID] = quarantine_id,
    [MUGAI_NOTICE_CONVERTED] = converted,
  };
  mugai_notice_template_expand(out, policy->notice_template[policy->notice_language].text, values);
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

void
mugai_notice_write_attachment_header(GString *out, mugai_language language, const mugai_part *part)
{
  const wording *w = words_for(language);
  g_autofree char *name = part->name ? mugai_notice_display_name(part->name) : NULL;
  g_string_append_printf(out, "%s%s%s", w->text_of[0], name && *name ? name : w->no_name,
                         w->text_of[1]);
  append_text_summary(out, part, w);
  g_string_append(out, w->text_of[2]);
  for (guint bit = 0; bit < G_N_ELEMENTS(w->convert_notes); bit++)
    if (part->conversion->warnings & note_bits[bit])
      g_string_append_printf(out, "%s\n", w->convert_notes[bit]);
}

void
mugai_notice_write_attachment_cut(GString *out, mugai_language language)
{
  g_string_append_printf(out, "%s\n", words_for(language)->text_cut);
}
