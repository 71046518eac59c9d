/* ppap.h — the milter's unlocker (sanitize/unlocker.h): an inbound mail's candidate passwords
 * are tried on the archives held for its sender and recipients within [ppap] window, one
 * unlock at a time per process, on a store handle of its own (quarantine/unlock.h does the
 * work; the store's calls other than store() are made from one thread at a time). */
#pragma once
#include "milter/callbacks.h"
#include "sanitize/sanitize.h"

/* What the unlocker of one message lends from it; lives as long as the message's sanitize. */
typedef struct {
  mugai_quarantine *q;            /* (nullable) the message's store; none: nothing is held */
  const mugai_policy *policy;     /* the message's */
  const mugai_services *services; /* the message's (its scanner is lent for the call) */
  const char *queue_id;
  mugai_unlocker unlocker;        /* what mugai_sanitize() gets, pointing here */
} mugai_milter_ppap;

/* Make P's unlocker for a message under POLICY with SERVICES; P->unlocker is then ready. */
void mugai_milter_ppap_init(mugai_milter_ppap *p, mugai_quarantine *q, const mugai_policy *policy,
                            const mugai_services *services, const char *queue_id);

/* Close the unlock handle (at exit, after the last message). */
void mugai_milter_ppap_shutdown(void);
