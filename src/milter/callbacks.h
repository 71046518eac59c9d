/* callbacks.h — the libmilter callbacks: they only translate between the milter protocol and
 * mugai_sanitize(). A policy decision here is a bug. */
#pragma once
#include <libmilter/mfapi.h>
#include "config/policy.h"
#include "milter/rate_limit.h"
#include "quarantine/store.h"
#include "sanitize/filetype.h"
#include "scan/scan_holder.h"

/* What every connection shares: set in main() before smfi_main(), read-only afterwards except the
 * policy pointer, which is swapped under its lock on reload. */
typedef struct {
  GMutex lock;
  mugai_policy *policy;     /* (transfer full) the policy new connections get */
  mugai_filetype *filetype; /* thread-safe handle pool */
  mugai_scan_holder *scanners; /* the virus scanner in force, reloaded in the background */
  mugai_rate_limiter *rates;   /* [ratelimit] counts: thread-safe, kept across reloads */
  mugai_policy *policy_at_start; /* (transfer full) what [quarantine] was at start (a change takes
                                  * a restart) */
  mugai_quarantine *quarantine; /* (nullable) the store of [quarantine] at start, set once, read
                                 * atomically (milter/quarantine_open.h); its writes are
                                 * thread-safe (group commit) */
  mugai_converter *converter;   /* (nullable) mugai-convert workers ([convert] at start) */
  char *converter_failure;      /* (nullable) why there is none: attachments are removed */
} mugai_milter_state;

/* (transfer none) the filter description to pass to smfi_register(). STATE must outlive it. */
struct smfiDesc *mugai_milter_desc(mugai_milter_state *state);
