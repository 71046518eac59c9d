/* unlock.c — PPAP: open a held original's zips and send what they held (see unlock.h). Owns one
 * call's claim, original, archives and opened message; the attempt goes to the caller. */
#include "quarantine/unlock.h"

#include "quarantine/unlock_message.h"
#include "sanitize/gmime_autoptr.h"
#include "sanitize/headers.h"
#include "sanitize/spool.h"
#include "util/smtp_client.h"

#define RELAY_TIMEOUT 60

/* Try the passwords on each archive; the number opened. *WHY gets the first failure, *PASSWORD
 * the index of the password that opened the first one opened. */
static guint
open_archives(const mugai_unlock_job *job, GPtrArray *archives, const char **why, int *password)
{
  mugai_conversion_limits limits; /* [convert]'s, as for converting a file */
  mugai_conversion_limits_of(&job->policy->convert, &limits);
  guint opened = 0;
  for (guint i = 0; i < archives->len; i++) {
    mugai_locked_archive *a = g_ptr_array_index(archives, i);
    gsize len = 0;
    const guint8 *data = g_bytes_get_data(a->data, &len);
    mugai_unlock_clear(&a->open);
    mugai_converter_unlock(job->services->converter, data, len, job->passwords, &limits,
                           &a->open);
    if (a->open.status == MUGAI_UNLOCK_OPENED && opened++ == 0)
      *password = a->open.password_index;
    else if (*why == NULL)
      *why = a->open.failure;
  }
  return opened;
}

/* The opened message sanitized as inbound mail to ENTRY's recipients; NULL with *WHY (transfer
 * full) when it is not delivered (a virus in a file, a limit). (transfer full) */
static GByteArray *
sanitize_opened(const mugai_unlock_job *job, const mugai_quarantine_entry *entry,
                const GByteArray *message, char **why)
{
  mugai_services services = *job->services;
  services.unlocker = NULL; /* the opened files are no password mail */
  mugai_envelope envelope = {.mail_from = entry->mail_from,
                             .rcpts = (const char *const *) entry->rcpts,
                             .client_addr = *entry->client ? entry->client : NULL,
                             .direction = MUGAI_DIRECTION_IN};
  g_autoptr(GMimeStream) raw =
      g_mime_stream_mem_new_with_buffer((const char *) message->data, message->len);
  g_autoptr(mugai_result) result = mugai_sanitize(job->policy, raw, &envelope, &services);
  if (result->verdict != MUGAI_VERDICT_DELIVER) {
    g_autofree char *summary = mugai_result_summary(result, 0);
    *why = result->reason == MUGAI_REASON_VIRUS
               ? g_strdup_printf("opened, but a virus was found in it: %s",
                                 result->detail ? result->detail : "?")
               : g_strdup_printf("opened, but still refused when sanitized: %s", summary);
    return NULL;
  }
  g_autoptr(GPtrArray) headers = mugai_headers_new();
  gsize body = mugai_headers_split((const char *) message->data, message->len, headers);
  GByteArray *out = g_byte_array_new();
  mugai_headers_render(out, headers, result);
  if (result->body)
    g_byte_array_append(out, result->body->data, result->body->len);
  else /* plain text passed as it was (cannot happen with files attached, but stay exact) */
    g_byte_array_append(out, message->data + body, message->len - (guint) body);
  return out;
}

/* "unlocked=a.zip by=... to=<x> relay=H:P reply=..." for the audit. */
static char *
audit_detail(const mugai_unlock_job *job, const mugai_quarantine_entry *entry, const char *names,
             const char *reply)
{
  g_autofree char *to = g_strjoinv(">,<", entry->rcpts);
  return g_strdup_printf("unlocked=\"%.200s\"%s%s to=<%s> relay=%s reply=\"%.200s\"", names,
                         job->by ? " by=" : "", job->by ? job->by : "", to,
                         job->policy->quarantine.release_relay, reply ? reply : "");
}

/* Under CLAIM: open, sanitize, send, record. FALSE with ERROR for what a retry may mend; *SENT
 * once the relay took it (the claim must not be given back then). */
static gboolean
unlock_claimed(const mugai_unlock_job *job, const mugai_quarantine_entry *entry,
               const char *claim, mugai_unlock_attempt *attempt, gboolean *sent, GError **error)
{
  g_autoptr(mugai_spool) spool =
      mugai_quarantine_read_original_spool(job->q, job->policy, entry->id, error);
  const guint8 *data = NULL;
  gsize len = 0;
  if (spool == NULL || !mugai_spool_view(spool, &data, &len, error))
    return FALSE;
  g_autoptr(GPtrArray) archives = mugai_unlock_find_archives(data, len, &job->policy->limits);
  attempt->names = mugai_unlock_archive_names(archives, FALSE);
  attempt->state = MUGAI_UNLOCK_ATTEMPT_NOT_OPENED;
  const char *why = NULL;
  if (archives->len == 0) {
    attempt->detail = g_strdup("no password-protected zip found in it");
    return TRUE;
  }
  int password = -1;
  if (open_archives(job, archives, &why, &password) == 0) {
    attempt->detail = g_strdup(why ? why : "not opened");
    return TRUE;
  }
  g_free(attempt->names); /* what was opened is what the notice and the audit name */
  attempt->names = mugai_unlock_archive_names(archives, TRUE);
  g_autoptr(GByteArray) message = mugai_unlock_build_message(
      data, len, archives, entry->id, entry->time, job->policy->notice_language);
  g_autoptr(GByteArray) delivered = sanitize_opened(job, entry, message, &attempt->detail);
  if (delivered == NULL)
    return TRUE;
  g_autofree char *reply = NULL;
  if (!mugai_smtp_send(job->policy->quarantine.release_relay, RELAY_TIMEOUT, entry->mail_from,
                       (const char *const *) entry->rcpts, delivered->data, delivered->len,
                       &reply, error))
    return FALSE;
  *sent = TRUE;
  g_autofree char *detail = audit_detail(job, entry, attempt->names, reply);
  g_autoptr(GError) unrecorded = NULL;
  /* Sent is what the recipient sees: the password mail goes on as opened. Not marked, the entry
   * still waits, and its claim holds off another unlock for MUGAI_QUARANTINE_CLAIM_STALE. */
  if (!mugai_quarantine_finish_release(job->q, entry->id, claim, job->reason, detail, &unrecorded))
    g_warning("%s was sent (%s) but its release could not be recorded: %s", entry->id, reply,
              unrecorded->message);
  attempt->state = MUGAI_UNLOCK_ATTEMPT_OPENED;
  attempt->password = password;
  attempt->detail = g_steal_pointer(&reply);
  return TRUE;
}

gboolean
mugai_quarantine_unlock(const mugai_unlock_job *job, const mugai_quarantine_entry *entry,
                        mugai_unlock_attempt *attempt, GError **error)
{
  g_return_val_if_fail(job->services && job->services->converter && job->passwords &&
                           job->passwords[0], FALSE);
  attempt->quarantine_id = g_strdup(entry->id);
  attempt->time = entry->time;
  attempt->password = -1;
  g_autofree char *claim =
      mugai_quarantine_claim_release(job->q, entry->id, MUGAI_QUARANTINE_CLAIM_STALE, error);
  if (claim == NULL)
    return FALSE;
  gboolean sent = FALSE;
  g_autoptr(GError) failure = NULL;
  gboolean ok = unlock_claimed(job, entry, claim, attempt, &sent, &failure);
  g_autoptr(GError) give_back = NULL;
  if (!sent && !mugai_quarantine_give_back_release(job->q, entry->id, claim, &give_back))
    g_warning("%s stays claimed for %d minutes: %s", entry->id, MUGAI_QUARANTINE_CLAIM_STALE / 60,
              give_back->message);
  if (!ok)
    g_propagate_error(error, g_steal_pointer(&failure));
  return ok;
}
