/* callbacks.c — libmilter glue (see callbacks.h).
 *
 * Per callback: fill the message context and the spool; at end of data call mugai_sanitize() and
 * apply its result (header edits, body replaced in chunks, reply). Every internal failure answers
 * 451 4.3.0 TEMPFAIL: with milter_default_action = tempfail nothing unsanitized is ever accepted.
 * One exit helper, finish_msg(), frees the message on every final answer.
 */
#include "milter/callbacks.h"
#include "milter/contacts.h"
#include "milter/drain.h"
#include "milter/quarantine_open.h"
#include "milter/status.h"
#include "util/dsn.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include "milter/context.h"
#include "milter/log.h"
#include "sanitize/gateway.h"
#include "sanitize/gmime_autoptr.h"
#include "milter/notify.h"
#include "milter/ppap.h"
#include "quarantine/keep.h"
#include "quarantine/quarantine_id.h"
#include "sanitize/headers.h"
#include "sanitize/notification.h"
#include "sanitize/sanitize.h"

static mugai_milter_state *state; /* set once by mugai_milter_desc() before smfi_main() */

static mugai_conn *
conn_of(SMFICTX *ctx)
{
  return smfi_getpriv(ctx);
}

static const char *
queue_id_of(SMFICTX *ctx, mugai_msg *msg)
{
  if (msg && msg->queue_id == NULL) {
    const char *qid = smfi_getsymval(ctx, "i");
    if (qid && *qid)
      msg->queue_id = g_strdup(qid);
  }
  return msg && msg->queue_id ? msg->queue_id : "NOQUEUE";
}

/* Free the message and pass STATUS on: the one way a callback ends a message early. */
static sfsistat
finish_msg(mugai_conn *conn, sfsistat status)
{
  mugai_msg_free(conn->msg);
  conn->msg = NULL;
  return status;
}

static sfsistat
tempfail(SMFICTX *ctx, mugai_conn *conn, const char *why)
{
  const mugai_reason_info *info = mugai_reason_get(MUGAI_REASON_INTERNAL);
  mugai_log_warning("%s: temporary failure: %s", queue_id_of(ctx, conn ? conn->msg : NULL), why);
  mugai_status_count(MUGAI_VERDICT_TEMPFAIL, FALSE);
  smfi_setreply(ctx, (char *) info->code, (char *) info->status, (char *) info->text);
  return conn ? finish_msg(conn, SMFIS_TEMPFAIL) : SMFIS_TEMPFAIL;
}

static mugai_conn *
conn_new_from_state(const char *client)
{
  g_mutex_lock(&state->lock);
  mugai_conn *conn = mugai_conn_new(state->policy, client);
  g_mutex_unlock(&state->lock);
  return conn;
}

#define NOREPLY_STAGES (SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_HDR | SMFIP_NR_EOH | SMFIP_NR_BODY)

/* SMFIS_CONTINUE, or SMFIS_NOREPLY where STAGE (an SMFIP_NR_* bit) was agreed to send none. */
static sfsistat
go_on(const mugai_conn *conn, unsigned long stage)
{
  return conn && (conn->noreply & stage) ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

static sfsistat
on_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2, unsigned long f3,
             unsigned long *pf0, unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
  (void) f2;
  (void) f3;
  const unsigned long needed = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGBODY;
  if ((f0 & needed) != needed) {
    mugai_log_warning("the MTA does not offer header and body changes; refusing to run");
    return SMFIS_REJECT;
  }
  *pf0 = needed;
  /* Header values exactly as received (space after the colon too); no DATA or unknown command,
   * which mugai does not read; and no reply where mugai never refuses (connect, HELO) or can
   * refuse later as well (each header, end of headers, each body chunk: mugai_msg overflow).
   * Each reply is a round trip: without them Postfix's cleanup sends the whole message in one
   * go, and the worker reads it without going back to libmilter's pool between commands. */
  *pf1 = f1 & (SMFIP_HDR_LEADSPC | SMFIP_NODATA | SMFIP_NOUNKNOWN | NOREPLY_STAGES);
  *pf2 = 0;
  *pf3 = 0;
  /* The agreement is per connection and negotiation comes before connect: keep it in the
   * connection context, created here (connect completes it). */
  mugai_conn *conn = conn_new_from_state("unknown");
  conn->leading_space = (f1 & SMFIP_HDR_LEADSPC) != 0;
  conn->noreply = f1 & NOREPLY_STAGES;
  mugai_conn_free(conn_of(ctx));
  smfi_setpriv(ctx, conn);
  return SMFIS_CONTINUE;
}

static void
format_address(const _SOCK_ADDR *addr, char *out, size_t len)
{
  g_strlcpy(out, "unknown", len);
  if (addr == NULL)
    return;
  if (addr->sa_family == AF_INET)
    inet_ntop(AF_INET, &((const struct sockaddr_in *) addr)->sin_addr, out, len);
  else if (addr->sa_family == AF_INET6)
    inet_ntop(AF_INET6, &((const struct sockaddr_in6 *) addr)->sin6_addr, out, len);
}

static sfsistat
on_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *addr)
{
  (void) hostname;
  char client[INET6_ADDRSTRLEN] = "";
  format_address(addr, client, sizeof client);
  mugai_conn *conn = conn_of(ctx);
  if (conn == NULL) { /* an MTA that does not negotiate: no leading-space agreement */
    conn = conn_new_from_state(client);
    smfi_setpriv(ctx, conn);
  }
  g_free(conn->client_addr);
  conn->client_addr = g_strdup(client);
  const char *daemon = smfi_getsymval(ctx, "{daemon_name}");
  g_free(conn->daemon_name);
  conn->daemon_name = daemon && *daemon ? g_strdup(daemon) : NULL;
  conn->direction = mugai_gateway_direction(conn->policy, conn->client_addr, conn->daemon_name);
  return go_on(conn, SMFIP_NR_CONN);
}

static sfsistat
on_helo(SMFICTX *ctx, char *helo)
{
  mugai_conn *conn = conn_of(ctx);
  if (conn == NULL)
    return tempfail(ctx, NULL, "no connection context at HELO");
  g_free(conn->helo);
  conn->helo = g_strdup(helo);
  return go_on(conn, SMFIP_NR_HELO);
}

static char *
strip_brackets(const char *addr)
{
  gsize len = strlen(addr);
  if (len >= 2 && addr[0] == '<' && addr[len - 1] == '>')
    return g_strndup(addr + 1, len - 2);
  return g_strdup(addr);
}

/* The ESMTP SIZE= the client declared at MAIL FROM; 0 when none (or not a number). */
static guint64
declared_size(char **argv)
{
  for (int i = 1; argv && argv[0] && argv[i]; i++) {
    if (g_ascii_strncasecmp(argv[i], "SIZE=", 5) != 0)
      continue;
    guint64 n = 0;
    return g_ascii_string_to_unsigned(argv[i] + 5, 10, 0, G_MAXUINT64, &n, NULL) ? n : 0;
  }
  return 0;
}

/* [notify]: tell the inside sender of refused outbound mail why, when a notification is due.
 * HEADERS (nullable): those of the message as received so far. */
static void
notify_sender(const mugai_conn *conn, const mugai_envelope *envelope, const GPtrArray *headers,
              const mugai_result *result)
{
  const mugai_policy *policy = conn->policy; /* [notify] is never a rule's */
  if (!mugai_notification_due(policy, envelope, headers, result))
    return;
  g_autoptr(GDateTime) now = g_date_time_new_now_local();
  mugai_notify_send(policy->notify.sendmail_command, envelope->queue_id, envelope->mail_from,
                    mugai_notification_build(policy, envelope, headers, result, now));
}

/* An answer before the end of data: RESULT's reply set and its summary line logged, for the
 * message in progress with RCPTS (NULL-terminated) as its recipients; the sender notified when
 * [notify] says so. */
static void
answer_early(SMFICTX *ctx, mugai_conn *conn, const mugai_result *result, const char *const *rcpts)
{
  smfi_setreply(ctx, (char *) result->reply_code, (char *) result->reply_status,
                result->reply_text);
  mugai_envelope envelope = {
    .client_addr = conn->client_addr,
    .mail_from = conn->msg->mail_from,
    .rcpts = rcpts,
    .direction = conn->direction,
    .queue_id = queue_id_of(ctx, conn->msg),
  };
  g_autofree char *line = mugai_summary_line(&envelope, result, 0);
  mugai_log(LOG_INFO, "%s", line);
  mugai_status_count(result->verdict, result->reason == MUGAI_REASON_VIRUS);
  notify_sender(conn, &envelope, conn->msg->headers, result);
}

/* The answer to a message of SIZE bytes too big for POLICY, refused for RCPTS. */
static void
reply_too_big(SMFICTX *ctx, mugai_conn *conn, const mugai_policy *policy, guint64 size,
              const char *const *rcpts)
{
  g_autoptr(mugai_result) result = mugai_result_new(conn->direction);
  result->in_size = size;
  mugai_gateway_refuse_size(result, policy, conn->direction);
  answer_early(ctx, conn, result, rcpts);
}

/* Refuse the message in progress as too big: the reply, the summary line, the message freed. */
static sfsistat
refuse_too_big(SMFICTX *ctx, mugai_conn *conn, guint64 size)
{
  g_ptr_array_add(conn->msg->rcpts, NULL);
  reply_too_big(ctx, conn, conn->msg->policy ? conn->msg->policy : conn->policy, size,
                (const char *const *) conn->msg->rcpts->pdata);
  return finish_msg(conn, SMFIS_REJECT);
}

/* [ratelimit] for the message in progress (RCPT NULL, at MAIL FROM) or one recipient: counted
 * and SMFIS_CONTINUE, or deferred with 451 4.7.1 — the whole message at MAIL FROM (its summary
 * line logged), only that recipient at RCPT TO: the message goes on with the others and gets its
 * summary line at its end, so the recipient gets a short line of its own. */
static sfsistat
check_rate(SMFICTX *ctx, mugai_conn *conn, const char *rcpt)
{
  if (mugai_gateway_sender_allowed(conn->policy, conn->msg->mail_from))
    return SMFIS_CONTINUE; /* [lists] allow_senders: neither counted nor limited */
  g_auto(mugai_rate_outcome) out = {0};
  mugai_rate_limiter_check(state->rates, conn->policy, conn->direction,
                           rcpt ? MUGAI_RATE_RECIPIENT : MUGAI_RATE_MESSAGE, conn->msg->mail_from,
                           conn->client_addr, g_get_monotonic_time() / G_USEC_PER_SEC, &out);
  if (out.overflow)
    mugai_log_warning("%s", out.overflow);
  if (out.deferred == NULL)
    return SMFIS_CONTINUE;
  if (out.loud) /* once per key and window; every deferral has its summary line below */
    mugai_log(LOG_WARNING, "%s: %s", queue_id_of(ctx, conn->msg), out.loud);
  if (rcpt == NULL) {
    const char *none[] = {NULL};
    answer_early(ctx, conn, out.deferred, none);
    return finish_msg(conn, SMFIS_TEMPFAIL);
  }
  const mugai_result *r = out.deferred;
  smfi_setreply(ctx, (char *) r->reply_code, (char *) r->reply_status, r->reply_text);
  g_autofree char *from = g_strescape(conn->msg->mail_from, NULL);
  g_autofree char *to = g_strescape(rcpt, NULL);
  mugai_log(LOG_INFO, "%s: recipient deferred: from=<%.100s> to=<%.100s> client=%.64s "
            "reason=%s reply=\"%s %s %s\"", queue_id_of(ctx, conn->msg), from, to,
            conn->client_addr, mugai_reason_get(r->reason)->word, r->reply_code, r->reply_status,
            r->reply_text);
  return SMFIS_TEMPFAIL;
}

static sfsistat
on_envfrom(SMFICTX *ctx, char **argv)
{
  mugai_conn *conn = conn_of(ctx);
  if (conn == NULL)
    return tempfail(ctx, NULL, "no connection context at MAIL FROM");
  mugai_msg_free(conn->msg); /* a connection carries many messages */
  /* Each message starts under the policy in force at its MAIL FROM and keeps it to the end, so a
   * reload reaches long SMTP sessions too but never changes the rules under a message. */
  g_mutex_lock(&state->lock);
  if (conn->policy != state->policy) {
    mugai_policy_unref(conn->policy);
    conn->policy = mugai_policy_ref(state->policy);
  }
  g_mutex_unlock(&state->lock);
  g_autofree char *from = strip_brackets(argv && argv[0] ? argv[0] : "");
  conn->msg = mugai_msg_new(conn->policy, from);
  conn->direction = mugai_gateway_direction(conn->policy, conn->client_addr, conn->daemon_name);
  conn->msg->size_cap = mugai_gateway_size_cap_for_sender(conn->policy, conn->direction, from);
  conn->msg->declared_size = declared_size(argv);
  if (conn->msg->declared_size > conn->msg->size_cap) /* refused before a byte of it is sent */
    return refuse_too_big(ctx, conn, conn->msg->declared_size);
  sfsistat status = check_rate(ctx, conn, NULL);
  /* Once per message, before any recipient chooses its rule: the one lookup of the sender. */
  if (status == SMFIS_CONTINUE && conn->direction == MUGAI_DIRECTION_IN &&
      mugai_gateway_uses_first_contact(conn->policy))
    conn->msg->first_contact =
        mugai_milter_first_contact(state, conn->policy, queue_id_of(ctx, conn->msg), from);
  return status;
}


/* Every recipient of a message shares the policy of the first one accepted: one body is never
 * sanitized under two policies. A recipient another [rule NAME] matches is deferred with 452
 * 4.5.3, which makes the client send it again in a message of its own. */
static sfsistat
on_envrcpt(SMFICTX *ctx, char **argv)
{
  mugai_conn *conn = conn_of(ctx);
  if (conn == NULL || conn->msg == NULL)
    return tempfail(ctx, conn, "no message context at RCPT TO");
  mugai_msg *msg = conn->msg;
  g_autofree char *rcpt = strip_brackets(argv && argv[0] ? argv[0] : "");
  const mugai_policy *chosen = mugai_gateway_rule_policy(conn->policy, msg->mail_from, rcpt,
                                                         msg->first_contact);
  guint64 cap = mugai_gateway_size_cap(chosen, conn->direction);
  if (msg->policy == NULL && msg->declared_size > cap) { /* its rule allows less than the
                                                          * sender's best */
    const char *rcpts[] = {rcpt, NULL};
    reply_too_big(ctx, conn, chosen, msg->declared_size, rcpts);
    return SMFIS_REJECT;
  }
  if (msg->policy != NULL && chosen != msg->policy) {
    g_autofree char *to = g_strescape(rcpt, NULL);
    g_autofree char *its = mugai_gateway_policy_name(chosen);
    g_autofree char *message = mugai_gateway_policy_name(msg->policy);
    mugai_log(LOG_INFO, "%s: to=<%.100s> is under %s, the message under %s: deferred to a "
              "message of its own (452 4.5.3)", queue_id_of(ctx, msg), to, its, message);
    smfi_setreply(ctx, "452", "4.5.3", "Recipient under another policy rule of this gateway; "
                  "send it in a separate message");
    return SMFIS_TEMPFAIL;
  }
  sfsistat status = check_rate(ctx, conn, rcpt); /* only recipients the message would take */
  if (status != SMFIS_CONTINUE)
    return status;
  if (msg->policy == NULL) {
    msg->policy = chosen;
    msg->size_cap = cap;
  }
  g_ptr_array_add(msg->rcpts, g_steal_pointer(&rcpt));
  return SMFIS_CONTINUE;
}

static sfsistat
spool_write(SMFICTX *ctx, mugai_conn *conn, const void *data, gsize len)
{
  guint64 size = mugai_spool_get_size(conn->msg->spool) + len;
  if (size > conn->msg->size_cap) /* a sender may lie about SIZE or leave it out */
    return refuse_too_big(ctx, conn, size);
  g_autoptr(GError) error = NULL;
  if (!mugai_spool_write(conn->msg->spool, data, len, &error))
    return tempfail(ctx, conn, error->message);
  return SMFIS_CONTINUE;
}

/* Spool DATA at a stage that sends no reply: a failure is kept for the next stage that answers
 * (answer_kept_failure), and nothing after it is spooled. */
static sfsistat
spool_write_noreply(mugai_msg *msg, const void *data, gsize len)
{
  if (msg->overflow || msg->failure)
    return SMFIS_NOREPLY;
  guint64 size = mugai_spool_get_size(msg->spool) + len;
  g_autoptr(GError) error = NULL;
  if (size > msg->size_cap)
    msg->overflow = size;
  else if (!mugai_spool_write(msg->spool, data, len, &error))
    msg->failure = g_strdup(error->message);
  return SMFIS_NOREPLY;
}

/* Spool DATA at a stage (SMFIP_NR_* bit) that replies or not. */
static sfsistat
spool_at(SMFICTX *ctx, mugai_conn *conn, unsigned long stage, const void *data, gsize len)
{
  if (conn->noreply & stage)
    return spool_write_noreply(conn->msg, data, len);
  return spool_write(ctx, conn, data, len);
}

/* A failure kept from a stage without replies, answered now: TRUE with *STATUS set (the message
 * refused as too big or deferred, and freed); FALSE when there is none. */
static gboolean
answer_kept_failure(SMFICTX *ctx, mugai_conn *conn, sfsistat *status)
{
  mugai_msg *msg = conn->msg;
  if (msg->overflow) {
    *status = refuse_too_big(ctx, conn, msg->overflow);
    return TRUE;
  }
  if (msg->failure) {
    g_autofree char *why = g_steal_pointer(&msg->failure);
    *status = tempfail(ctx, conn, why);
    return TRUE;
  }
  return FALSE;
}

/* Without a message context a stage that sends no reply can only let the end of data defer. */
static sfsistat
no_message(SMFICTX *ctx, mugai_conn *conn, unsigned long stage, const char *where)
{
  if (conn && (conn->noreply & stage))
    return SMFIS_NOREPLY;
  g_autofree char *why = g_strdup_printf("no message context %s", where);
  return tempfail(ctx, conn, why);
}

static sfsistat
on_header(SMFICTX *ctx, char *name, char *value)
{
  mugai_conn *conn = conn_of(ctx);
  if (conn == NULL || conn->msg == NULL)
    return no_message(ctx, conn, SMFIP_NR_HDR, "at a header");
  mugai_header *header = g_new0(mugai_header, 1);
  header->name = g_strdup(name);
  /* Without SMFIP_HDR_LEADSPC Postfix strips the space after the colon: put the usual one back. */
  header->value = conn->leading_space ? g_strdup(value) : g_strconcat(" ", value, NULL);
  g_ptr_array_add(conn->msg->headers, header);
  g_autoptr(GByteArray) line = g_byte_array_new();
  mugai_header_write(line, header->name, header->value, FALSE);
  return spool_at(ctx, conn, SMFIP_NR_HDR, line->data, line->len);
}

static sfsistat
on_eoh(SMFICTX *ctx)
{
  mugai_conn *conn = conn_of(ctx);
  if (conn == NULL || conn->msg == NULL)
    return no_message(ctx, conn, SMFIP_NR_EOH, "at end of headers");
  conn->msg->headers_done = TRUE;
  sfsistat status;
  if (!(conn->noreply & SMFIP_NR_EOH) && answer_kept_failure(ctx, conn, &status))
    return status;
  return spool_at(ctx, conn, SMFIP_NR_EOH, "\r\n", 2);
}

static sfsistat
on_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
  mugai_conn *conn = conn_of(ctx);
  if (conn == NULL || conn->msg == NULL)
    return no_message(ctx, conn, SMFIP_NR_BODY, "in the body");
  sfsistat status;
  if (!(conn->noreply & SMFIP_NR_BODY) && answer_kept_failure(ctx, conn, &status))
    return status;
  return spool_at(ctx, conn, SMFIP_NR_BODY, chunk, len);
}

/* Change values in place first, then delete the headers the result drops or removes, last first,
 * then add. Postfix addresses a header by name and occurrence among the headers still there
 * (case-insensitively): a change does not move any occurrence, and deleting from the end keeps
 * the earlier ones where the result counted them, even when a name keeps some of its headers
 * (Authentication-Results: the trusted one stays, the forged ones go; OpenDKIM up to 2.10.3
 * lost count there and let a forged one through). One pass with a table keeps a message with
 * tens of thousands of headers linear. */
static gboolean
apply_headers(SMFICTX *ctx, const mugai_conn *conn, const mugai_result *result)
{
  const GPtrArray *headers = conn->msg->headers;
  g_autoptr(GHashTable) seen = mugai_header_counter_new();
  g_autofree guint *occurrence = g_new0(guint, headers->len + 1);
  for (guint i = 0; i < headers->len; i++) {
    const mugai_header *h = g_ptr_array_index(headers, i);
    occurrence[i] = mugai_header_counter_next(seen, h->name);
  }
  for (guint i = 0; i < result->change_headers->len; i++) {
    const mugai_header_change *c = g_ptr_array_index(result->change_headers, i);
    const char *v = c->value;
    g_autofree char *value = g_strdup(conn->leading_space || *v != ' ' ? v : v + 1);
    if (smfi_chgheader(ctx, c->name, (int) c->occurrence, value) != MI_SUCCESS)
      return FALSE;
  }
  for (guint i = headers->len; i-- > 0;) {
    const mugai_header *h = g_ptr_array_index(headers, i);
    if (mugai_header_is_removed(h->name, occurrence[i], result) &&
        smfi_chgheader(ctx, h->name, (int) occurrence[i], NULL) != MI_SUCCESS)
      return FALSE;
  }
  for (guint i = 0; i < result->add_headers->len; i++) {
    const mugai_header *h = g_ptr_array_index(result->add_headers, i);
    g_autofree char *value = conn->leading_space ? g_strconcat(" ", h->value, NULL)
                                                 : g_strdup(h->value);
    if (smfi_addheader(ctx, h->name, value) != MI_SUCCESS)
      return FALSE;
  }
  return TRUE;
}

/* libmilter sends the new body in protocol-sized chunks itself. */
static gboolean
apply_body(SMFICTX *ctx, const mugai_result *result)
{
  if (result->body == NULL)
    return TRUE;
  if (result->body->len > G_MAXINT)
    return FALSE;
  return smfi_replacebody(ctx, result->body->data, (int) result->body->len) == MI_SUCCESS;
}

/* The store the message's policy keeps originals in: NULL without [quarantine] dir, and when the
 * dir was changed by a reload (the store open is the one of the start; keep() then defers). */
static mugai_quarantine *
quarantine_for(const mugai_policy *policy)
{
  return mugai_milter_quarantine(state, policy);
}

/* Judge the message under POLICY, with QUARANTINE (nullable) the store it is kept in, where
 * PPAP looks for what waits for a password mail's passwords. */
static mugai_result *
sanitize_msg(SMFICTX *ctx, mugai_conn *conn, const mugai_policy *policy,
             mugai_quarantine *quarantine, mugai_envelope *envelope, const char *quarantine_id)
{
  mugai_msg *msg = conn->msg;
  g_ptr_array_add(msg->rcpts, NULL);
  *envelope = (mugai_envelope) {
    .client_addr = conn->client_addr,
    .helo = conn->helo,
    .mail_from = msg->mail_from,
    .rcpts = (const char *const *) msg->rcpts->pdata,
    .direction = conn->direction,
    .queue_id = queue_id_of(ctx, msg),
    .quarantine_id = quarantine_id,
  };
  g_autoptr(GError) error = NULL;
  if (!msg->headers_done && !mugai_spool_write(msg->spool, "\r\n", 2, &error)) {
    mugai_result *result = mugai_result_new(envelope->direction);
    mugai_result_set_refusal(result, MUGAI_VERDICT_TEMPFAIL, MUGAI_REASON_INTERNAL, error->message);
    return result;
  }
  g_autoptr(GMimeStream) raw = mugai_spool_get_stream(msg->spool, &error);
  if (raw == NULL) {
    mugai_result *result = mugai_result_new(envelope->direction);
    mugai_result_set_refusal(result, MUGAI_VERDICT_TEMPFAIL, MUGAI_REASON_INTERNAL, error->message);
    return result;
  }
  /* Lent to this message until it is given back: a reload may swap the scanner meanwhile, and
   * the old one is freed on the reload thread, never here. */
  g_autofree char *scan_failure = NULL;
  mugai_scanner *scanner = mugai_scan_holder_get(state->scanners, &scan_failure);
  mugai_services services = {.filetype = state->filetype, .scanner = scanner,
                             .scanner_failure = scan_failure, .converter = state->converter,
                             .converter_failure = state->converter_failure};
  mugai_milter_ppap ppap; /* the password mail's side of PPAP, lent for this call */
  mugai_milter_ppap_init(&ppap, quarantine, policy, &services, envelope->queue_id);
  services.unlocker = quarantine ? &ppap.unlocker : NULL; /* nothing held: no text searched */
  mugai_result *result = mugai_sanitize(policy, raw, envelope, &services);
  mugai_scan_holder_put(state->scanners, scanner);
  return result;
}

/* One line per attachment that the policy converts but that was removed instead, so an admin
 * sees a timeout, a crash or a missing worker without reading notices. */
static void
log_not_converted(const char *queue_id, const mugai_result *result)
{
  for (guint i = 0; result->verdict == MUGAI_VERDICT_DELIVER && i < result->parts->len; i++) {
    const mugai_part *part = g_ptr_array_index(result->parts, i);
    if (part->conversion == NULL || part->conversion->failure == NULL)
      continue;
    g_autofree char *name = g_strescape(part->name ? part->name : "", NULL);
    g_autofree char *why = g_strescape(part->conversion->failure, NULL);
    mugai_log(LOG_INFO, "%s: part %s (\"%.100s\", %s) not converted to text: %s; removed", queue_id,
              part->path, name, part->conversion->type, why);
  }
}

/* Anything else (tempfail, or a verdict this milter does not know) keeps the mail queued. A held
 * message is in the quarantine by now: accepted, and not delivered. */
static sfsistat
verdict_status(mugai_verdict verdict)
{
  switch (verdict) {
  case MUGAI_VERDICT_REJECT:
    return SMFIS_REJECT;
  case MUGAI_VERDICT_DISCARD:
  case MUGAI_VERDICT_HOLD:
    return SMFIS_DISCARD;
  default:
    return SMFIS_TEMPFAIL;
  }
}

static sfsistat
on_eom(SMFICTX *ctx)
{
  mugai_conn *conn = conn_of(ctx);
  if (conn == NULL || conn->msg == NULL)
    return tempfail(ctx, conn, "no message context at end of data");
  sfsistat kept;
  if (answer_kept_failure(ctx, conn, &kept))
    return kept;
  gint64 started = g_get_monotonic_time(); /* mugai's own time, not the client's upload time */
  mugai_envelope envelope;
  const mugai_policy *policy = conn->msg->policy ? conn->msg->policy : conn->policy;
  mugai_quarantine *quarantine = quarantine_for(policy);
  /* Made before judging, so the notice can name it; used only when the original is kept. */
  g_autofree char *quarantine_id = quarantine ? mugai_quarantine_id_new(g_get_real_time() /
                                                                        G_USEC_PER_SEC) : NULL;
  g_autoptr(mugai_result) result =
      sanitize_msg(ctx, conn, policy, quarantine, &envelope, quarantine_id);
  /* Kept durably before any answer: a store that fails turns the result into the tempfail. */
  if (result->quarantine &&
      (quarantine || mugai_quarantine_policy_enabled(&policy->quarantine) ||
       result->verdict == MUGAI_VERDICT_HOLD) &&
      !mugai_quarantine_keep(quarantine, quarantine_id, conn->msg->spool, &envelope, result)) {
    g_autofree char *where_kept = policy->quarantine.backend == MUGAI_QUARANTINE_BACKEND_POSTGRESQL
                                      ? mugai_dsn_redact(policy->quarantine.dsn)
                                      : g_strdup(policy->quarantine.dir);
    mugai_log_warning("%s: original not kept in the quarantine %s: %s; deferred",
                      envelope.queue_id,
                      quarantine ? mugai_quarantine_get_location(quarantine) : where_kept,
                      result->detail);
  }
  sfsistat status = SMFIS_CONTINUE;
  if (result->verdict == MUGAI_VERDICT_DELIVER) {
    if (!apply_headers(ctx, conn, result) || !apply_body(ctx, result)) {
      mugai_result_set_refusal(result, MUGAI_VERDICT_TEMPFAIL, MUGAI_REASON_INTERNAL,
                               "the MTA refused a header or body change");
    }
  }
  if (result->verdict != MUGAI_VERDICT_DELIVER) {
    if (result->reply_text)
      smfi_setreply(ctx, result->reply_code, result->reply_status, result->reply_text);
    status = verdict_status(result->verdict);
  }
  double ms = (g_get_monotonic_time() - started) / 1000.0;
  if (result->reason == MUGAI_REASON_VIRUS) /* one line per detection, to grep and count */
    mugai_log(LOG_WARNING, "%s: virus found: %s; %s", envelope.queue_id, result->detail,
              result->verdict == MUGAI_VERDICT_DISCARD ? "discarded"
              : result->verdict == MUGAI_VERDICT_HOLD  ? "held"
                                                       : "rejected");
  log_not_converted(envelope.queue_id, result);
  if (result->verdict == MUGAI_VERDICT_HOLD)
    mugai_log(LOG_INFO, "%s: held in the quarantine as %s (%s): accepted, not delivered",
              envelope.queue_id, result->quarantine_id, mugai_reason_get(result->reason)->word);
  g_autofree char *line = mugai_summary_line(&envelope, result, ms);
  mugai_log(result->verdict == MUGAI_VERDICT_TEMPFAIL ? LOG_WARNING : LOG_INFO, "%s", line);
  mugai_status_count(result->verdict, result->reason == MUGAI_REASON_VIRUS);
  notify_sender(conn, &envelope, conn->msg->headers, result);
  if (status == SMFIS_CONTINUE && conn->direction == MUGAI_DIRECTION_OUT) /* accepted */
    mugai_milter_learn_contacts(state, conn->policy, envelope.queue_id, envelope.mail_from,
                                envelope.rcpts);
  return finish_msg(conn, status);
}

static sfsistat
on_abort(SMFICTX *ctx)
{
  mugai_conn *conn = conn_of(ctx);
  if (conn)
    finish_msg(conn, SMFIS_CONTINUE);
  return SMFIS_CONTINUE;
}

static sfsistat
on_close(SMFICTX *ctx)
{
  mugai_conn_free(conn_of(ctx)); /* NULL when the connection ended before negotiation */
  smfi_setpriv(ctx, NULL);
  return SMFIS_CONTINUE;
}

/* The callbacks that read STATE, gated by drain.h: once mugai-milter is stopping they answer
 * without it, and main() frees it only after those inside have left. The others read only their
 * connection's context, which outlives STATE. */
static sfsistat
refuse_stopping(SMFICTX *ctx, mugai_conn *conn)
{
  if (conn && conn->msg)
    mugai_log_warning("%s: temporary failure: mugai-milter is stopping", queue_id_of(ctx, conn->msg));
  smfi_setreply(ctx, "451", "4.3.2", "Mail gateway restarting, try again later");
  return conn && conn->msg ? finish_msg(conn, SMFIS_TEMPFAIL) : SMFIS_TEMPFAIL;
}

#define GATED(call, refusal)                                                                       \
  G_STMT_START {                                                                                   \
    if (!mugai_drain_enter())                                                                      \
      return (refusal);                                                                            \
    sfsistat gated_status = (call);                                                                \
    mugai_drain_leave();                                                                           \
    return gated_status;                                                                           \
  } G_STMT_END

static sfsistat
gated_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
                unsigned long f3, unsigned long *pf0, unsigned long *pf1, unsigned long *pf2,
                unsigned long *pf3)
{
  GATED(on_negotiate(ctx, f0, f1, f2, f3, pf0, pf1, pf2, pf3), SMFIS_REJECT);
}

static sfsistat
gated_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *addr)
{
  mugai_conn *conn = conn_of(ctx); /* refused at MAIL FROM, where a reply is always sent */
  GATED(on_connect(ctx, hostname, addr), conn ? go_on(conn, SMFIP_NR_CONN) : SMFIS_TEMPFAIL);
}

static sfsistat
gated_envfrom(SMFICTX *ctx, char **argv)
{
  GATED(on_envfrom(ctx, argv), refuse_stopping(ctx, conn_of(ctx)));
}

static sfsistat
gated_envrcpt(SMFICTX *ctx, char **argv)
{
  GATED(on_envrcpt(ctx, argv), refuse_stopping(ctx, conn_of(ctx)));
}

static sfsistat
gated_eom(SMFICTX *ctx)
{
  GATED(on_eom(ctx), refuse_stopping(ctx, conn_of(ctx)));
}

struct smfiDesc *
mugai_milter_desc(mugai_milter_state *milter_state)
{
  static struct smfiDesc desc = {
    .xxfi_name = "mugai",
    .xxfi_version = SMFI_VERSION,
    .xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGBODY,
    .xxfi_connect = gated_connect,
    .xxfi_helo = on_helo,
    .xxfi_envfrom = gated_envfrom,
    .xxfi_envrcpt = gated_envrcpt,
    .xxfi_header = on_header,
    .xxfi_eoh = on_eoh,
    .xxfi_body = on_body,
    .xxfi_eom = gated_eom,
    .xxfi_abort = on_abort,
    .xxfi_close = on_close,
    .xxfi_negotiate = gated_negotiate,
  };
  state = milter_state;
  return &desc;
}
