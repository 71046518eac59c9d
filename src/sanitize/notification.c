/* notification.c — the notification mail to the sender of refused outbound mail (see
 * notification.h). GMime writes the message (encoded Subject and display name, base64 body). */
#include "sanitize/notification.h"

#include <string.h>
#include "sanitize/gateway.h"
#include "sanitize/gmime_autoptr.h"
#include "sanitize/header_decode.h"

#define SUBJECT_SHOWN 100 /* characters of the refused message's Subject */
#define RCPTS_SHOWN 10

/* What the sender reads as the reason, and what to do about it. */
static const char *
explanation(mugai_reason reason)
{
  switch (reason) {
  case MUGAI_REASON_TOO_BIG:
    return "メールのサイズが、送信できる上限を超えています。大きなファイルは、組織で認められた"
           "ファイル共有の方法で送ってください。";
  case MUGAI_REASON_AUTOFORWARD:
    return "自動転送は禁止されています。メールソフトやメールボックスの転送設定"
           "(仕分けルールの転送・リダイレクトなど)を解除してください。";
  case MUGAI_REASON_SHOWN_ADDRESSES:
    return "To・Cc に外部の宛先が多すぎます。受信者どうしが互いのアドレスを見られないよう、"
           "外部の宛先は Bcc に入れて送り直してください。";
  case MUGAI_REASON_INDIVIDUAL_NUMBER:
    return "件名または本文に個人番号(マイナンバー)と思われる番号が含まれています。"
           "個人番号はメールで送信できません。";
  case MUGAI_REASON_ATTACHMENT:
    return "送信メールへのファイルの添付は認められていません。";
  case MUGAI_REASON_ATTACHMENT_TOO_BIG:
    return "添付ファイルのサイズが、送信できる上限を超えています。";
  case MUGAI_REASON_ATTACHMENT_TYPE:
    return "送信が認められていない種類のファイルが添付されています(種類は中身で判定します)。";
  case MUGAI_REASON_VIRUS:
    return "ウイルスが検出されました。送信元のパソコンをウイルス対策ソフトで検査し、"
           "情報システム担当に連絡してください。";
  case MUGAI_REASON_SCAN_TOO_BIG:
    return "内容が大きすぎる(または圧縮の入れ子が深すぎる)ため、ウイルス検査ができませんでした。";
  case MUGAI_REASON_MIME_DEPTH:
  case MUGAI_REASON_MIME_PARTS:
  case MUGAI_REASON_MALFORMED:
  case MUGAI_REASON_HEADERS:
  case MUGAI_REASON_TIME:
    return "メールの形式に問題があり、検査できませんでした。";
  default:
    return "組織の情報セキュリティポリシーにより送信できませんでした。";
  }
}

/* The raw value of the first header NAME in HEADERS (nullable), or NULL. */
static const char *
header_value(const GPtrArray *headers, const char *name)
{
  for (guint i = 0; headers && i < headers->len; i++) {
    const mugai_header *h = g_ptr_array_index(headers, i);
    if (g_ascii_strcasecmp(h->name, name) == 0)
      return h->value;
  }
  return NULL;
}

static gboolean
is_automatic(const GPtrArray *headers)
{
  const char *a = header_value(headers, "Auto-Submitted"), *p = header_value(headers, "Precedence");
  g_autofree char *auto_submitted = g_strstrip(g_strdup(a ? a : ""));
  g_autofree char *precedence = g_strstrip(g_strdup(p ? p : ""));
  if (*auto_submitted && g_ascii_strncasecmp(auto_submitted, "no", 2) != 0)
    return TRUE;
  return g_ascii_strcasecmp(precedence, "bulk") == 0 || g_ascii_strcasecmp(precedence, "junk") == 0 ||
         g_ascii_strcasecmp(precedence, "list") == 0;
}

gboolean
mugai_notification_due(const mugai_policy *policy, const mugai_envelope *envelope,
                       const GPtrArray *headers, const mugai_result *result)
{
  const char *sender = envelope->mail_from;
  if (!policy->notify.refused_outbound || result->direction != MUGAI_DIRECTION_OUT ||
      (result->verdict != MUGAI_VERDICT_REJECT && result->verdict != MUGAI_VERDICT_DISCARD &&
       result->verdict != MUGAI_VERDICT_HOLD) ||
      sender == NULL || strchr(sender, '@') == NULL)
    return FALSE;
  if (policy->gateway.internal_domains[0] && !mugai_gateway_internal_address(policy, sender))
    return FALSE; /* never a mail to the outside */
  return !is_automatic(headers);
}

/* The decoded Subject, cut to SUBJECT_SHOWN characters; "(件名なし)" without one. */
static char *
shown_subject(const GPtrArray *headers)
{
  g_autofree char *subject = mugai_header_decode_text(header_value(headers, "Subject"));
  if (subject == NULL || *g_strstrip(subject) == '\0')
    return g_strdup("(件名なし)");
  if (g_utf8_strlen(subject, -1) <= SUBJECT_SHOWN)
    return g_steal_pointer(&subject);
  g_autofree char *cut = g_utf8_substring(subject, 0, SUBJECT_SHOWN);
  return g_strconcat(cut, "…", NULL);
}

static char *
shown_rcpts(const mugai_envelope *envelope)
{
  GString *out = g_string_new(NULL);
  guint n = 0;
  for (; envelope->rcpts && envelope->rcpts[n]; n++)
    if (n < RCPTS_SHOWN)
      g_string_append_printf(out, "%s%s", n ? ", " : "", envelope->rcpts[n]);
  if (n > RCPTS_SHOWN)
    g_string_append_printf(out, " ほか %u 件", n - RCPTS_SHOWN);
  return g_string_free(out, FALSE);
}

static char *
body_text(const mugai_policy *policy, const mugai_envelope *envelope, const GPtrArray *headers,
          const mugai_result *result, GDateTime *now)
{
  g_autofree char *subject = shown_subject(headers);
  g_autofree char *rcpts = shown_rcpts(envelope);
  g_autofree char *when = g_date_time_format(now, "%Y年%m月%d日 %H:%M");
  /* A held message was accepted (the client saw 250): its reason's reply was never sent. */
  g_autofree char *reply = result->verdict == MUGAI_VERDICT_HOLD
      ? g_strdup(result->quarantine_id ? result->quarantine_id : "")
      : g_strdup_printf("%s %s %s", result->reply_code, result->reply_status,
                        result->reply_text ? result->reply_text : "");
  static const struct {
    const char *ja, *en;
  } fates[] = {{"送信されませんでした", "not sent"}, {"破棄されました", "discarded"},
               {"送信されず、管理者の確認のため保留されています", "held for review by an admin"}};
  guint fate = result->verdict == MUGAI_VERDICT_DISCARD ? 1
               : result->verdict == MUGAI_VERDICT_HOLD  ? 2
                                                        : 0;
  GString *b = g_string_new(NULL);
  g_string_append(b, "このメールは、メールゲートウェイ(mugai)からの自動通知です。\n\n");
  g_string_append_printf(b, "あなたが送信した次のメールは、組織の情報セキュリティポリシーにより"
                            "%s。\n\n", fates[fate].ja);
  g_string_append_printf(b, "  件名: %s\n  宛先: %s\n  日時: %s\n  理由: %s\n", subject,
                         rcpts, when, explanation(result->reason));
  if (result->clause)
    g_string_append_printf(b, "  根拠: %s\n", result->clause);
  g_string_append_printf(b, "  %s: %s\n", result->verdict == MUGAI_VERDICT_HOLD ? "保管番号" : "応答",
                         reply);
  if (*policy->notify.contact)
    g_string_append_printf(b, "\nお問い合わせ: %s\n", policy->notify.contact);
  g_string_append_printf(b, "\n----\nThis is an automatic notice from the mail gateway (mugai). "
                            "Your message above was %s under the security policy: %s\n",
                         fates[fate].en, reply);
  return g_string_free(b, FALSE);
}

GByteArray *
mugai_notification_build(const mugai_policy *policy, const mugai_envelope *envelope,
                         const GPtrArray *headers, const mugai_result *result, GDateTime *now)
{
  const char *domain = policy->gateway.internal_domains[0];
  g_autofree char *postmaster = domain ? g_strconcat("postmaster@", domain, NULL)
                                       : g_strdup("postmaster");
  const char *from = *policy->notify.from ? policy->notify.from : postmaster;
  const char *at = strrchr(from, '@');
  g_autoptr(GMimeMessage) message = g_mime_message_new(TRUE);
  g_mime_message_add_mailbox(message, GMIME_ADDRESS_TYPE_FROM, "メールゲートウェイ", from);
  g_mime_message_add_mailbox(message, GMIME_ADDRESS_TYPE_TO, NULL, envelope->mail_from);
  g_autofree char *subject = shown_subject(headers);
  g_autofree char *title = g_strconcat("【送信できませんでした】", subject, NULL);
  g_mime_message_set_subject(message, title, "UTF-8");
  g_mime_message_set_date(message, now);
  g_autofree char *uuid = g_uuid_string_random();
  g_autofree char *id = g_strdup_printf("%s.notify@%s", uuid, at ? at + 1 : "mugai.invalid");
  g_mime_message_set_message_id(message, id);
  g_mime_object_set_header(GMIME_OBJECT(message), "Auto-Submitted", "auto-generated", NULL);
  g_autofree char *text = body_text(policy, envelope, headers, result, now);
  g_autoptr(GMimeTextPart) part = g_mime_text_part_new_with_subtype("plain");
  g_mime_text_part_set_text(part, text);
  g_mime_part_set_content_encoding(GMIME_PART(part), GMIME_CONTENT_ENCODING_BASE64);
  g_mime_message_set_mime_part(message, GMIME_OBJECT(part));
  GByteArray *out = g_byte_array_new();
  g_autoptr(GMimeStream) stream = g_mime_stream_mem_new_with_byte_array(out);
  g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(stream), FALSE);
  g_mime_object_write_to_stream(GMIME_OBJECT(message), NULL, stream);
  return out;
}
