/* unlock.h — PPAP: open the password-protected zips of a held original with given passwords,
 * and send what they held, sanitized like any inbound mail, to its recipients through the
 * release relay — recorded as a release, so it is sent once. The one way the milter (a password
 * mail) and `mugai quarantine unlock` (an admin's password file) do it.
 *
 * Nothing decrypted is written to a file: the files go from the worker (converter.h's unlock)
 * to memory, to the sanitizer, to the relay.
 */
#pragma once
#include "quarantine/store.h"
#include "sanitize/sanitize.h"

typedef struct {
  mugai_quarantine *q;
  const mugai_policy *policy;     /* judges the opened files (the recipients' rule); its [convert]
                                   * bounds the worker, [quarantine] release_relay is used */
  const mugai_services *services; /* converter (needed), scanner, filetype; unlocker unused */
  const char *const *passwords;   /* NULL-terminated, at least one */
  const char *reason;             /* the audit's reason ("PPAP: password mail 4XyZ") */
  const char *by;                 /* (nullable) the audit detail's "by=": who gave the passwords */
} mugai_unlock_job;

/* Try JOB's passwords on the held original ENTRY (locked, not released). ATTEMPT (zeroed by the
 * caller) gets the id, names, time and what happened: OPENED (sent, released; detail the relay's
 * reply) or NOT_OPENED (detail why: "wrong password", a worker's refusal, "a virus was found in
 * it: SIG", "still refused when sanitized: ..."). FALSE with ERROR when a retry may mend it:
 * the store, the original or the relay failed, or another release of it is in progress
 * (MUGAI_QUARANTINE_ERROR_CLAIMED); nothing was sent or marked then. */
gboolean mugai_quarantine_unlock(const mugai_unlock_job *job, const mugai_quarantine_entry *entry,
                                 mugai_unlock_attempt *attempt, GError **error);
