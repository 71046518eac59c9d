/* unlocker.h — PPAP as the sanitizer sees it: an interface (vtable + ctx), like converter.h.
 *
 * When an inbound mail gives candidate passwords (sanitize/passwords.h), the sanitizer asks the
 * unlocker to try them on the archives held in the quarantine for the same sender and recipient
 * (the milter's: milter/ppap.c, through quarantine/unlock.h). It never knows where they are held
 * or how the text of an opened one reaches the recipient; it only learns what happened, for the
 * password mail's notice, and whether to mask the password in it.
 *
 * Lifetime: the caller's; try_passwords() may be called from many threads at once.
 */
#pragma once
#include <glib.h>

typedef enum {
  MUGAI_UNLOCK_ATTEMPT_OPENED,     /* opened; its text was sent on as a new message */
  MUGAI_UNLOCK_ATTEMPT_NOT_OPENED, /* none of the passwords opened it (or it could not be read
                                    * safely: DETAIL says which) */
  MUGAI_UNLOCK_ATTEMPT_TOO_LATE,   /* held, but this mail came after [ppap] window: not tried */
} mugai_unlock_attempt_state;

/* What became of one held original. Owns its strings. */
typedef struct {
  char *quarantine_id; /* the held original's id */
  char *names;         /* its archives' file names, ", "-joined, UTF-8 ("" when unnamed) */
  gint64 time;         /* when the held original came (Unix seconds) */
  mugai_unlock_attempt_state state;
  int password;        /* OPENED: which of the passwords tried opened it (from 0); else -1 */
  char *detail;        /* (nullable) OPENED: where the text went ("250 2.0.0 Ok: queued as X");
                        * NOT_OPENED: why ("wrong password", "too large when unpacked ...") */
} mugai_unlock_attempt;

void mugai_unlock_attempt_free(mugai_unlock_attempt *attempt); /* NULL-safe; result.c */
/* Frees the strings of an attempt held by value (not the struct), and zeroes it. */
void mugai_unlock_attempt_clear(mugai_unlock_attempt *attempt);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(mugai_unlock_attempt, mugai_unlock_attempt_clear)


typedef struct {
  /* Try PASSWORDS (NULL-terminated, at least one) on every archive held for the envelope
   * (SENDER → each of RCPTS, NULL-terminated), appending a mugai_unlock_attempt * to ATTEMPTS
   * for each held original found. FALSE with ERROR when something failed that a retry may mend
   * (the store could not answer, the relay did not take an opened archive's text): the caller
   * then tempfails the password mail, and nothing was marked. */
  gboolean (*try_passwords)(gpointer ctx, const char *sender, const char *const *rcpts,
                            const char *const *passwords, GPtrArray *attempts, GError **error);
} mugai_unlocker_vtable;

typedef struct {
  const mugai_unlocker_vtable *vtable;
  gpointer ctx;
} mugai_unlocker;
