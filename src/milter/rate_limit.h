/* rate_limit.h — mass mailing limits ([ratelimit]): how many messages and recipients each
 * envelope sender and each client address sent within the window, and whether one more may pass.
 *
 * The counts live in the milter state, not in the policy: a reload keeps them, and the policy of
 * each message (passed to every check) gives the thresholds, direction and exemptions. Only the
 * window is the limiter's own, set at start and at reload (a new window starts the counts again).
 * Thread-safe: one mutex around every check.
 *
 * Counting: a message counts when it passes MAIL FROM, a recipient when it passes RCPT TO; a
 * deferred one is not counted, so mail that was deferred passes again as soon as older mail has
 * left the window (Postfix and MUAs retry). Each key keeps MUGAI_RATE_LIMIT_BUCKETS + 1 buckets
 * of window / MUGAI_RATE_LIMIT_BUCKETS seconds: what passed counts for at least one window and at
 * most a twelfth longer, so no more than the limit ever passes within any one window.
 *
 * Memory: at most MAX_KEYS senders and as many client addresses are tracked (about 220 bytes
 * each). Keys unseen for a window are dropped; past MAX_KEYS the least recently seen key is
 * forgotten (its count starts again from 0) and a warning says so once per window — a spray of
 * random senders cannot grow memory, and the key that keeps sending is the last to go.
 */
#pragma once
#include <glib.h>
#include "config/policy.h"
#include "sanitize/result.h"

#define MUGAI_RATE_LIMIT_BUCKETS 12
#define MUGAI_RATE_LIMIT_MAX_KEYS 50000 /* per kind of key: senders, client addresses */

typedef enum {
  MUGAI_RATE_MESSAGE,   /* at MAIL FROM */
  MUGAI_RATE_RECIPIENT, /* at RCPT TO */
  MUGAI_RATE_UNITS
} mugai_rate_unit;

typedef struct mugai_rate_limiter mugai_rate_limiter;

/* (transfer full) counts over WINDOW seconds (> 0), at most MAX_KEYS (> 0) keys of each kind. */
mugai_rate_limiter *mugai_rate_limiter_new(guint64 window, guint max_keys);
void mugai_rate_limiter_free(mugai_rate_limiter *limiter); /* NULL-safe */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(mugai_rate_limiter, mugai_rate_limiter_free)

/* Count over WINDOW seconds from now on. When it differs from the window in force every count
 * is dropped (they were kept in buckets of the old width) and TRUE is returned. */
gboolean mugai_rate_limiter_set_window(mugai_rate_limiter *limiter, guint64 window);

/* How many keys of each kind are tracked now (for tests and the bound). */
guint mugai_rate_limiter_get_senders(mugai_rate_limiter *limiter);
guint mugai_rate_limiter_get_clients(mugai_rate_limiter *limiter);

/* What one check decided. Strings are ASCII without control characters (untrusted parts
 * escaped and cut). */
typedef struct {
  mugai_result *deferred; /* (nullable) NULL: it passes, and was counted. Else a TEMPFAIL
                           * (451 4.7.1, reason rate_limit) with its reply, detail and clause */
  char *loud;             /* (nullable) with DEFERRED, the first time in a window for this key
                           * and unit: the warning line that names the key, count and limit */
  char *overflow;         /* (nullable) keys were forgotten to stay within MAX_KEYS: a warning,
                           * once per window and kind */
} mugai_rate_outcome;

void mugai_rate_outcome_clear(mugai_rate_outcome *outcome);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(mugai_rate_outcome, mugai_rate_outcome_clear)

/* Check one UNIT from SENDER (nullable; "" is the null sender, not limited by sender) and CLIENT
 * (nullable, an IP address) against POLICY's [ratelimit], for mail going DIRECTION, at NOW
 * (seconds of a clock that never goes back: g_get_monotonic_time() / G_USEC_PER_SEC). Mail of
 * another direction, or from an exempt sender or client, is neither counted nor limited. At MAIL
 * FROM a key whose recipients already reached their limit is deferred too (any recipient would
 * pass it). Fills OUT (zeroed by the caller). */
void mugai_rate_limiter_check(mugai_rate_limiter *limiter, const mugai_policy *policy,
                              mugai_direction direction, mugai_rate_unit unit,
                              const char *sender, const char *client, gint64 now,
                              mugai_rate_outcome *out);
