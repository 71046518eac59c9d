/* sanitize.c — mugai_sanitize(): parse, walk, build the sanitized message (see sanitize.h).
 *
 * Owns nothing beyond one call. Every path ends in a result: deliver (possibly rewritten), a final
 * refusal from the reason table, or tempfail for anything internal. Never "accept as is" unless
 * the message already is what the reader may get: one text/plain part in UTF-8 or ASCII.
 */
#include "sanitize/sanitize.h"

#include <string.h>
#ifdef MUGAI_ASAN
#include <sanitizer/lsan_interface.h>
#endif
#include "sanitize/body_writer.h"
#include "sanitize/authentication.h"
#include "sanitize/autoforward.h"
#include "sanitize/charset_encode.h"
#include "sanitize/gateway.h"
#include "sanitize/header_clean.h"
#include "sanitize/headers.h"
#include "sanitize/impersonation.h"
#include "sanitize/individual_number.h"
#include "sanitize/notice.h"
#include "sanitize/password_mail.h"
#include "sanitize/part_scan.h"
#include "sanitize/prescan.h"
#include "sanitize/shown_addresses.h"
#include "util/units.h"
#include "sanitize/gmime_autoptr.h"
#include "sanitize/attachment_text.h"
#include "sanitize/walk.h"

/* Record which of the message's own headers mugai removes whatever happens to the body. */
static void
note_dropped_headers(GMimeMessage *message, mugai_result *result)
{
  GMimeHeaderList *list = g_mime_object_get_header_list(GMIME_OBJECT(message));
  int count = g_mime_header_list_get_count(list);
  for (int i = 0; i < count; i++) {
    const char *name = g_mime_header_get_name(g_mime_header_list_get_header_at(list, i));
    if (mugai_header_is_forged(name))
      result->actions[MUGAI_ACTION_FORGED] = 1;
    else if (mugai_header_is_dropped(name, result)) /* rewrite_mime is still FALSE here */
      result->actions[MUGAI_ACTION_ACTIVE_HEADERS] = 1;
  }
}

/* Only an identity transfer encoding passes unchanged: with base64 or quoted-printable, what a
 * client decodes could differ from what GMime decoded (padding, stray characters, a false label). */
static gboolean
identity_encoding(GMimeObject *body)
{
  const char *value = g_mime_object_get_header(body, "Content-Transfer-Encoding");
  if (value == NULL)
    return TRUE;
  switch (g_mime_content_encoding_from_string(value)) {
  case GMIME_CONTENT_ENCODING_7BIT:
  case GMIME_CONTENT_ENCODING_8BIT:
  case GMIME_CONTENT_ENCODING_BINARY:
    return TRUE;
  default:
    return FALSE;
  }
}

/* The original body may go to the reader untouched only when it already is plain text that every
 * client shows as such: one text/plain part, ASCII or correctly labelled UTF-8, nothing changed. */
static gboolean
can_pass_unchanged(GMimeMessage *message, const mugai_walk *walk)
{
  for (guint i = 0; i < MUGAI_ACTION_COUNT; i++)
    if (!mugai_action_is_header_only(i) && walk->result->actions[i])
      return FALSE; /* header-only actions never require a new body */
  GMimeObject *body = g_mime_message_get_mime_part(message);
  if (body == NULL || !GMIME_IS_PART(body) || walk->result->parts->len != 1)
    return FALSE;
  const mugai_part *part = g_ptr_array_index(walk->result->parts, 0);
  if (part->action != MUGAI_PART_KEPT || part->name || strcmp(part->type, "text/plain") != 0)
    return FALSE; /* a file name makes clients show the text as an attachment */
  return identity_encoding(body);
}

/* The link kinds POLICY wants defanged, in OPTIONS; NULL when none. */
static const mugai_link_options *
link_options(const mugai_policy *policy, mugai_link_options *options)
{
  const mugai_link_policy *lp = &policy->links;
  *options = (mugai_link_options){lp->defang_web, lp->defang_mailto, lp->defang_tel};
  return lp->defang_web || lp->defang_mailto || lp->defang_tel ? options : NULL;
}

/* The links the walk saw become actions and the notice's warnings. */
static void
take_link_report(mugai_link_report *links, mugai_result *result)
{
  result->actions[MUGAI_ACTION_LINK_DEFANGED] += links->defanged;
  result->actions[MUGAI_ACTION_LINK_DROPPED] += links->dropped;
  result->actions[MUGAI_ACTION_LINK_MISMATCH] += links->mismatched_total;
  result->link_warnings_total = links->mismatched_total;
  if (links->mismatched == NULL)
    return;
  gsize n = 0;
  gpointer *warnings = g_ptr_array_steal(links->mismatched, &n); /* the array is left empty */
  for (gsize i = 0; i < n; i++)
    g_ptr_array_add(result->link_warnings, warnings[i]);
  g_free(warnings);
}

static void
cap_text(GString *text, guint64 cap, mugai_result *result)
{
  if (text->len <= cap)
    return;
  const char *end = text->str + cap;
  const char *boundary = g_utf8_find_prev_char(text->str, end + 1);
  gsize keep = boundary ? (gsize) (boundary - text->str) : 0;
  g_string_truncate(text, keep);
  g_string_append(text, "\n[...]\n");
  result->actions[MUGAI_ACTION_TRUNCATED]++;
}

/* The new body: notice, text, transfer encoding. FALSE when the scanner flags the text as the
 * reader would get it (WALK then holds the scanner's answer); nothing is built then. */
static gboolean
build_body(const mugai_policy *policy, mugai_walk *walk)
{
  mugai_result *result = walk->result;
  GString *text = walk->text;
  const char *queue_id = walk->queue_id;
  cap_text(text, policy->limits.text_bytes, result);
  /* The notice goes in front of the text in place: a 16 MB body is not copied to make room. */
  g_autoptr(GString) notice = g_string_new(NULL);
  mugai_notice_write(notice, policy, result, queue_id, walk->quarantine_id);
  mugai_link_options defang;
  mugai_links_process_text(notice, 0, link_options(policy, &defang), NULL); /* file names */
  g_string_prepend_len(text, notice->str, (gssize) notice->len);
  if (result->actions[MUGAI_ACTION_BANNER]) { /* [notice] banner: above the notice too */
    g_string_prepend(text, "\n\n");
    g_string_prepend(text, policy->banner);
  }
  if (text->len && text->str[text->len - 1] != '\n')
    g_string_append_c(text, '\n');
  mugai_part_scan_delivered(walk, text->str, text->len);
  if (walk->scan_reason != MUGAI_REASON_NONE)
    return FALSE;
  const char *cte = NULL, *type = "text/plain; charset=UTF-8";
  /* ISO-2022-JP when asked for and every character has a form in it; else UTF-8, per message. */
  g_autoptr(GByteArray) jis = policy->output_charset == MUGAI_OUTPUT_ISO2022JP
                                  ? mugai_charset_utf8_to_iso2022jp(text->str, text->len) : NULL;
  if (jis) {
    g_string_truncate(text, 0); /* the UTF-8 copy is no longer needed */
    result->body = mugai_body_encode((const char *) jis->data, jis->len, &cte);
    type = "text/plain; charset=ISO-2022-JP";
  } else {
    result->body = mugai_body_encode(text->str, text->len, &cte);
  }
  result->out_size = result->body->len;
  result->rewrite_mime = TRUE;
  mugai_result_add_header(result, "MIME-Version", "1.0");
  mugai_result_add_header(result, "Content-Type", type);
  mugai_result_add_header(result, "Content-Transfer-Encoding", cte);
  return TRUE;
}

/* The [scan] answer to what the scanner said about the message; the reply names the signature
 * (or the limit that stopped the scan). */
static void
refuse_for_scan(const mugai_policy *policy, const mugai_walk *walk, mugai_result *result)
{
  mugai_answer answer = walk->scan_reason == MUGAI_REASON_VIRUS          ? policy->scan.infected
                        : walk->scan_reason == MUGAI_REASON_SCAN_TOO_BIG ? policy->scan.too_big
                                                                         : policy->scan.scan_error;
  mugai_verdict verdict = answer == MUGAI_ANSWER_HOLD       ? MUGAI_VERDICT_HOLD
                          : answer == MUGAI_ANSWER_DISCARD  ? MUGAI_VERDICT_DISCARD
                          : answer == MUGAI_ANSWER_TEMPFAIL ? MUGAI_VERDICT_TEMPFAIL
                                                            : MUGAI_VERDICT_REJECT;
  mugai_result_set_refusal(result, verdict, walk->scan_reason, walk->scan_detail);
  if (walk->scan_name && result->reply_text)
    mugai_result_name_in_reply(result, walk->scan_name);
}

/* FALSE (and the message refused as [scan] scan_error says) when a scanner should be there and
 * is not: never deliver what no engine looked at. */
static gboolean
have_scanner(const mugai_policy *policy, mugai_walk *walk)
{
  if (policy->scan.backend == MUGAI_SCAN_BACKEND_NONE) {
    walk->result->actions[MUGAI_ACTION_NOT_SCANNED] = 1;
    return TRUE;
  }
  if (walk->scanner != NULL)
    return TRUE;
  const char *why = walk->services ? walk->services->scanner_failure : NULL;
  walk->scan_reason = MUGAI_REASON_SCAN_ERROR;
  walk->scan_detail = g_strconcat("no virus scanner is loaded", why ? ": " : "", why, NULL);
  refuse_for_scan(policy, walk, walk->result);
  return FALSE;
}

/* The walk stopped at a limit, or at a file of a type the direction refuses (whose type the reply
 * names, with that rule's clause). */
static void
refuse_for_limit(const mugai_policy *policy, const mugai_walk *walk, mugai_result *result)
{
  mugai_result_set_refusal(result, MUGAI_VERDICT_REJECT, walk->limit, walk->limit_detail);
  if (walk->limit != MUGAI_REASON_ATTACHMENT_TYPE)
    return;
  mugai_result_name_in_reply(result, walk->limit_detail);
  mugai_result_set_clause(result, result->direction == MUGAI_DIRECTION_IN
                                      ? policy->inbound.reject_type_clause
                                      : policy->outbound.reject_type_clause);
}

/* [outbound] attachments and max_attachment_size over the parts the walk of outbound mail found:
 * an attachment is what the walk of inbound mail would remove (files, encrypted parts, files
 * hidden in the text), not the inline images of an HTML body nor a signature. FALSE when refused. */
static gboolean
check_attachments(const mugai_policy *policy, const mugai_result *parts, mugai_result *result)
{
  const mugai_direction_policy *out = &policy->outbound;
  guint attached = 0;
  const mugai_part *largest = NULL;
  for (guint i = 0; i < parts->parts->len; i++) {
    const mugai_part *part = g_ptr_array_index(parts->parts, i);
    if (part->action != MUGAI_PART_REMOVED)
      continue;
    attached++;
    if (largest == NULL || part->size > largest->size)
      largest = part;
  }
  char limit[MUGAI_SIZE_TEXT_MAX];
  if (attached && out->refuse_attachments) {
    g_autofree char *detail = g_strdup_printf("%u attached", attached);
    mugai_result_set_refusal(result, MUGAI_VERDICT_REJECT, MUGAI_REASON_ATTACHMENT, detail);
    mugai_result_reply_note(result, "%u attached", attached);
  } else if (largest && out->max_attachment_bytes && largest->size > out->max_attachment_bytes) {
    mugai_format_size(out->max_attachment_bytes, limit);
    g_autofree char *name = g_strescape(largest->name ? largest->name : "", NULL);
    g_autofree char *detail = g_strdup_printf("part %s \"%.100s\" of %" G_GUINT64_FORMAT
                                              " bytes, over %s", largest->path, name,
                                              largest->size, limit);
    mugai_result_set_refusal(result, MUGAI_VERDICT_REJECT, MUGAI_REASON_ATTACHMENT_TOO_BIG, detail);
    mugai_result_reply_note(result, "part %s, limit %s", largest->path, limit);
  } else {
    return TRUE;
  }
  mugai_result_set_clause(result, out->attachment_clause);
  return FALSE;
}

/* Outbound mail is delivered as it came, once every part is scanned and its text (subject, text
 * and HTML bodies, as the walk reads them for inbound mail) holds no individual number. The walk
 * reports into a scratch result: nothing is removed from outbound mail. Since the reader's client
 * gets the message as it is, the message as received (RAW) is scanned too, whatever [scan]
 * raw_message says: what lies outside every MIME part (a preamble, an epilogue, a multipart whose
 * boundary never comes) is never a leaf the walk scans, and leaves unscanned otherwise. */
static void
check_outbound(const mugai_policy *policy, GMimeMessage *message, GMimeStream *raw,
               mugai_walk *walk)
{
  mugai_result *result = walk->result;
  if (!have_scanner(policy, walk))
    return;
  g_autoptr(mugai_result) scratch = mugai_result_new(MUGAI_DIRECTION_OUT);
  walk->result = scratch;
  mugai_walk_message_body(walk, g_mime_message_get_mime_part(message));
  if (walk->failure == NULL)
    mugai_part_scan_raw(walk, raw);
  walk->result = result;
  if (walk->failure) {
    mugai_result_set_refusal(result, MUGAI_VERDICT_TEMPFAIL, MUGAI_REASON_INTERNAL, walk->failure);
    return;
  }
  if (walk->scan_reason != MUGAI_REASON_NONE) {
    refuse_for_scan(policy, walk, result);
    return;
  }
  if (walk->limit != MUGAI_REASON_NONE) { /* not read to the end: not checked, not sent */
    refuse_for_limit(policy, walk, result);
    return;
  }
  if (!check_attachments(policy, scratch, result))
    return;
  if (policy->outbound.individual_numbers == MUGAI_INDIVIDUAL_NUMBERS_OFF)
    return;
  const char *subject = g_mime_message_get_subject(message); /* decoded by GMime */
  gboolean in_subject = subject && mugai_individual_number_find(subject, strlen(subject), NULL);
  if (in_subject || mugai_individual_number_find(walk->text->str, walk->text->len, NULL)) {
    gboolean hold = policy->outbound.individual_numbers == MUGAI_INDIVIDUAL_NUMBERS_HOLD;
    mugai_result_set_refusal(result, hold ? MUGAI_VERDICT_HOLD : MUGAI_VERDICT_REJECT,
                             MUGAI_REASON_INDIVIDUAL_NUMBER,
                             in_subject ? "in the Subject" : "in the text");
    mugai_result_set_clause(result, policy->outbound.individual_number_clause);
  }
}

/* DOMAIN (nullable) as an SMTP reply may carry it: ASCII (an internationalized name in its xn--
 * form), anything else '?', at most 100 bytes. (transfer full) (nullable) */
static char *
reply_domain(const char *domain)
{
  if (domain == NULL)
    return NULL;
  g_autofree char *ascii = g_hostname_to_ascii(domain);
  char *safe = g_strndup(ascii ? ascii : domain, 100);
  return g_strcanon(safe, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-", '?');
}

/* [authentication]: the trusted results read and the untrusted copies marked for removal; FALSE
 * when the message is refused (a DMARC fail that dmarc_fail rejects, or a flood of headers). */
static gboolean
check_authentication(const mugai_policy *policy, GMimeStream *raw, mugai_result *result)
{
  const mugai_authentication_policy *ap = &policy->authentication;
  if (ap->trusted_authserv_ids[0] == NULL)
    return TRUE;
  g_autofree char *failure = NULL;
  g_autoptr(GPtrArray) headers = mugai_headers_read(raw, policy->limits.message_bytes, &failure);
  if (headers == NULL) {
    mugai_result_set_refusal(result, MUGAI_VERDICT_TEMPFAIL, MUGAI_REASON_INTERNAL, failure);
    return FALSE;
  }
  if (!mugai_authentication_read(policy, headers, result))
    return FALSE;
  const mugai_auth_check *fail = mugai_authentication_dmarc_fail(result);
  if (fail == NULL || ap->dmarc_fail == MUGAI_DMARC_FAIL_NO)
    return TRUE;
  if (ap->dmarc_fail == MUGAI_DMARC_FAIL_REJECT ||
      (ap->dmarc_fail == MUGAI_DMARC_FAIL_REJECT_IF_P_REJECT && fail->policy_reject)) {
    g_autofree char *domain = reply_domain(fail->domain);
    g_autofree char *detail = g_strdup_printf("dmarc=fail header.from=%s%s",
                                              domain ? domain : "(none)",
                                              fail->policy_reject ? " (p=reject)" : "");
    mugai_result_set_refusal(result, MUGAI_VERDICT_REJECT, MUGAI_REASON_DMARC, detail);
    if (domain)
      mugai_result_reply_note(result, "%s", domain);
    mugai_result_set_clause(result, ap->clause);
    return FALSE;
  }
  result->actions[MUGAI_ACTION_DMARC_FAIL]++;
  return TRUE;
}

/* [impersonation]: FALSE when the claim refuses the message; a warning is noted for the notice. */
static gboolean
check_impersonation(const mugai_policy *policy, GMimeMessage *message,
                    const mugai_envelope *envelope, mugai_result *result)
{
  g_autoptr(mugai_impersonation) claim = mugai_impersonation_find(policy, message, envelope);
  if (claim == NULL)
    return TRUE;
  g_autofree char *detail = claim->real
      ? g_strdup_printf("%s display name shows %s, the sender is %s", claim->header, claim->claimed,
                        claim->real)
      : g_strdup_printf("%s claims the inside address %s", claim->header, claim->claimed);
  if (policy->impersonation.action == MUGAI_IMPERSONATION_REJECT) {
    mugai_result_set_refusal(result, MUGAI_VERDICT_REJECT, MUGAI_REASON_IMPERSONATION, detail);
    mugai_result_set_clause(result, policy->impersonation.clause);
    return FALSE;
  }
  result->actions[MUGAI_ACTION_IMPERSONATION]++;
  result->claim_header = g_strdup(claim->header);
  result->claim_address = g_steal_pointer(&claim->claimed);
  result->claim_real = g_steal_pointer(&claim->real);
  return TRUE;
}

static void
sanitize_inbound(const mugai_policy *policy, GMimeMessage *message, GMimeStream *raw,
                 mugai_walk *walk)
{
  if (!have_scanner(policy, walk))
    return;
  mugai_walk_message_body(walk, g_mime_message_get_mime_part(message));
  if (walk->limit == MUGAI_REASON_NONE && walk->failure == NULL)
    mugai_walk_first_reading(walk, message, raw);
  if (walk->limit == MUGAI_REASON_NONE && walk->failure == NULL)
    mugai_walk_attached_texts(walk); /* below all of the body, before links are looked at */
  if (policy->scan.raw_message && walk->failure == NULL)
    mugai_part_scan_raw(walk, raw);
  if (walk->crit_warning) /* GMime reported a problem that lets other parsers read it otherwise */
    walk->result->actions[MUGAI_ACTION_UNTRUSTED]++;
  mugai_result *result = walk->result;
  /* PPAP: only a mail that will be delivered may open what is held for its sender; before the
   * links are rewritten, which would change a password that looks like a host name. */
  if (walk->failure == NULL && walk->scan_reason == MUGAI_REASON_NONE &&
      walk->limit == MUGAI_REASON_NONE)
    mugai_password_mail(policy, walk->envelope, walk->services, walk->text, result,
                        &walk->failure);
  /* Every line the reader gets, not only text parts: prologues, second readings, the headers
   * of inlined messages (the notice gets its own pass in build_body()). */
  mugai_links_process_text(walk->text, 0, walk->defang, &walk->links);
  take_link_report(&walk->links, result);
  if (walk->failure) {
    mugai_result_set_refusal(result, MUGAI_VERDICT_TEMPFAIL, MUGAI_REASON_INTERNAL, walk->failure);
    return;
  }
  if (walk->scan_reason != MUGAI_REASON_NONE) {
    refuse_for_scan(policy, walk, result);
    return;
  }
  if (walk->limit != MUGAI_REASON_NONE) {
    refuse_for_limit(policy, walk, result);
    return;
  }
  if (*policy->banner != '\0') /* a banner needs a new body, even for plain text */
    result->actions[MUGAI_ACTION_BANNER] = 1;
  if (!can_pass_unchanged(message, walk)) {
    gboolean explained = FALSE;
    for (guint i = 0; i < MUGAI_ACTION_COUNT; i++)
      explained = explained || (!mugai_action_is_header_only(i) && result->actions[i]);
    if (!explained) /* plain text, but not in a form that may pass as it came */
      result->actions[MUGAI_ACTION_REENCODED]++;
    if (!build_body(policy, walk)) {
      refuse_for_scan(policy, walk, result);
      return;
    }
  }
  g_autofree char *failure = NULL;
  const char *tags[3] = {NULL};
  gsize n = 0;
  if (*policy->gateway.external_subject_tag) /* all inbound mail comes from outside */
    tags[n++] = policy->gateway.external_subject_tag;
  if (*policy->subject_tag && result->body != NULL && mugai_notice_needed(result))
    tags[n++] = policy->subject_tag;
  if (!mugai_headers_clean(policy, raw, tags, result, &failure))
    mugai_result_set_refusal(result, MUGAI_VERDICT_TEMPFAIL, MUGAI_REASON_INTERNAL, failure);
}

/* 550 5.7.1 naming the marker's header and the clause. */
static void
refuse_autoforward(const mugai_policy *policy, const char *marker, mugai_result *result)
{
  mugai_result_set_refusal(result, MUGAI_VERDICT_REJECT, MUGAI_REASON_AUTOFORWARD, marker);
  g_autofree char *header = g_strndup(marker, strcspn(marker, ":"));
  mugai_result_reply_note(result, "%s", header);
  mugai_result_set_clause(result, policy->autoforward.clause);
}

/* Whether the original must be kept (see result.h): what the reader gets differs from what came,
 * or nothing came through and the reason is one an admin may want to review or release. */
static gboolean
must_keep(const mugai_result *result)
{
  switch (result->verdict) {
  case MUGAI_VERDICT_DELIVER:
    return result->body != NULL;
  case MUGAI_VERDICT_HOLD:
    return TRUE;
  case MUGAI_VERDICT_REJECT:
  case MUGAI_VERDICT_DISCARD:
    return mugai_reason_get(result->reason)->keep;
  default:
    return FALSE;
  }
}

void
mugai_sanitize_init(void)
{
  static const char *const subtypes[] = {"rfc822", "news", "global", "partial"};
#ifdef MUGAI_ASAN
  /* Registering our types replaces entries g_mime_init() made, and GMime 3.2 drops the replaced
   * ones (91 bytes, once per process). Not ours to fix, so LeakSanitizer is told to ignore what
   * g_mime_init() allocates and keeps reporting every other leak. */
  __lsan_disable();
#endif
  g_mime_init();
#ifdef MUGAI_ASAN
  __lsan_enable();
#endif
  for (gsize i = 0; i < G_N_ELEMENTS(subtypes); i++)
    g_mime_object_register_type("message", subtypes[i], GMIME_TYPE_PART);
}

mugai_result *
mugai_sanitize(const mugai_policy *policy, GMimeStream *raw, const mugai_envelope *envelope,
               const mugai_services *services)
{
  g_return_val_if_fail(policy != NULL && raw != NULL && envelope != NULL, NULL);
  gint64 started = g_get_monotonic_time();
  mugai_result *result = mugai_result_new(envelope->direction);
  result->rule = g_strdup(policy->rule.name);
  result->list = policy->rule.list;
  gint64 length = g_mime_stream_length(raw);
  if (length < 0) {
    mugai_result_set_refusal(result, MUGAI_VERDICT_TEMPFAIL, MUGAI_REASON_INTERNAL,
                             "cannot tell the message's length");
    return result;
  }
  result->in_size = (guint64) length;
  if (result->in_size > mugai_gateway_size_cap(policy, envelope->direction)) {
    mugai_gateway_refuse_size(result, policy, envelope->direction);
    return result;
  }

  mugai_reason prescan = mugai_prescan(raw, &policy->limits);
  if (prescan != MUGAI_REASON_NONE) {
    mugai_result_set_refusal(result, prescan == MUGAI_REASON_INTERNAL ? MUGAI_VERDICT_TEMPFAIL
                                                                       : MUGAI_VERDICT_REJECT,
                             prescan, prescan == MUGAI_REASON_INTERNAL ? "cannot read the message" : NULL);
    return result;
  }
  mugai_walk walk = {.policy = policy, .services = services, .envelope = envelope,
                     .result = result};
  walk.deadline = started + (gint64) policy->limits.seconds_per_message * G_USEC_PER_SEC;
  walk.queue_id = envelope->queue_id;
  walk.quarantine_id = envelope->quarantine_id;
  walk.scanner = services ? services->scanner : NULL;
  mugai_link_options defang;
  walk.defang = link_options(policy, &defang);
  mugai_link_report_init(&walk.links);
  walk.text = g_string_new(NULL);
  g_autoptr(GMimeMessage) message = mugai_walk_parse(&walk, raw);
  if (message == NULL) {
    mugai_result_set_refusal(result, MUGAI_VERDICT_REJECT, MUGAI_REASON_MALFORMED, NULL);
  } else {
    GMimeObject *body = g_mime_message_get_mime_part(message);
    GMimeContentType *ct = body ? g_mime_object_get_content_type(body) : NULL;
    g_autofree char *type = ct ? g_mime_content_type_get_mime_type(ct) : g_strdup("text/plain");
    result->message_type = g_ascii_strdown(type, -1);
    note_dropped_headers(message, result);
    g_autofree char *forwarded = mugai_autoforward_marker(policy, message, envelope);
    guint shown = envelope->direction == MUGAI_DIRECTION_OUT && policy->outbound.max_shown_external
                      ? mugai_shown_external_addresses(policy, message) : 0;
    if (forwarded != NULL) {
      refuse_autoforward(policy, forwarded, result);
    } else if (shown > policy->outbound.max_shown_external) {
      g_autofree char *detail = g_strdup_printf("%u outside addresses in To and Cc, over %u", shown,
                                                policy->outbound.max_shown_external);
      mugai_result_set_refusal(result, MUGAI_VERDICT_REJECT, MUGAI_REASON_SHOWN_ADDRESSES, detail);
      mugai_result_reply_note(result, "%u, at most %u", shown, policy->outbound.max_shown_external);
      mugai_result_set_clause(result, policy->outbound.shown_clause);
    }
    else if (envelope->direction == MUGAI_DIRECTION_IN) {
      /* A refusal by either check is final: the body is not read then. */
      if (check_authentication(policy, raw, result) &&
          check_impersonation(policy, message, envelope, result))
        sanitize_inbound(policy, message, raw, &walk);
    } else {
      check_outbound(policy, message, raw, &walk);
    }
  }
  if (result->verdict == MUGAI_VERDICT_DELIVER) {
    g_autofree char *actions = mugai_actions_format(result->actions);
    mugai_result_add_header(result, "X-Mugai-Actions", actions);
  } else if (result->verdict != MUGAI_VERDICT_TEMPFAIL) { /* a refusal by a rule of the policy */
    mugai_result_set_clause(result, policy->rule.clause);
  }
  result->quarantine = must_keep(result);
  g_string_free(walk.text, TRUE);
  g_free(walk.failure);
  g_free(walk.scan_name);
  g_free(walk.scan_detail);
  g_free(walk.limit_detail);
  mugai_attachment_texts_clear(&walk);
  mugai_link_report_clear(&walk.links);
  return result;
}

char *
mugai_summary_line(const mugai_envelope *envelope, const mugai_result *result, double ms)
{
  guint rcpts = 0;
  while (envelope->rcpts && envelope->rcpts[rcpts])
    rcpts++;
  g_autofree char *from = g_strescape(envelope->mail_from ? envelope->mail_from : "", NULL);
  g_autofree char *summary = mugai_result_summary(result, ms);
  return g_strdup_printf("%s: from=<%.100s> rcpts=%u client=%.64s %s",
                         envelope->queue_id && *envelope->queue_id ? envelope->queue_id : "NOQUEUE",
                         from, rcpts, envelope->client_addr ? envelope->client_addr : "unknown",
                         summary);
}
