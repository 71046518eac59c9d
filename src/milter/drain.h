/* drain.h — let the callbacks that read the milter's shared state finish before main() frees it.
 *
 * Why: smfi_main() returns once its listener stops; libmilter's workers go on serving the
 * connections already open, and a callback at end of data may be sanitizing for seconds. A
 * callback that reads the shared state (policy, scanners, quarantine, rate limits) runs between
 * mugai_drain_enter() and mugai_drain_leave(); mugai_drain_stop() refuses new entries and waits
 * for those inside. Refused callbacks answer without reading the state (451 where they may).
 */
#pragma once
#include <glib.h>

/* TRUE: go on, and call mugai_drain_leave() when done. FALSE: the milter is stopping. */
gboolean mugai_drain_enter(void);
void mugai_drain_leave(void);

/* Refuse entries from now on and wait up to SECONDS for the callbacks inside to leave. Returns
 * how many are still inside (0: the state may be freed). */
guint mugai_drain_stop(guint seconds);
