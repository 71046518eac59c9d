/* clamd.h — the scanner interface backed by a running clamd, over its socket.
 *
 * For sites that run one clamd for several services. Each scan is one connection and one
 * zINSTREAM command; the scanner holds only what it learnt at creation and a count (see
 * scanner.h), so every milter thread scans with it at once. Fails closed like the libclamav
 * backend, whose MUGAI_SCAN_ERROR_DOMAIN it shares (clamav.h): an unreachable or silent clamd, an
 * answer that is not clamd's or signatures older than the configured age are errors saying
 * exactly which, never a clean verdict. Logs nothing.
 *
 * What clamd tells, and what it does not:
 * - zVERSION gives clamd's version and, when a daily database (daily.cvd, .cld or .cud) is loaded,
 *   its number and build time: "ClamAV 1.4.6/27474/Tue Dec  1 08:00:00 2026". clamd prints that
 *   time in its own host's local time, with no zone; it is read in this process's local time zone,
 *   which is exact when clamd runs on the same host with the same TZ (the usual unix socket).
 * - No signature count: info.signatures is 0.
 * - With only plain signature files (.ndb, .hdb...), VERSION says just "ClamAV 1.4.6", as it does
 *   with no signatures at all. mugai_clamd_new() then scans the EICAR test file once (clamd logs
 *   a detection): clamd must detect it, and max_signature_age must be 0 since the age cannot be
 *   known; otherwise NO_DATABASE. info.signature_time is then 0 (unknown).
 * - clamd reloads its databases itself when freshclam updates them, so info is as of
 *   mugai_clamd_new(). A scan that finds those signatures too old asks clamd's VERSION again, on
 *   its own connection, and is an error only if the daily database clamd has now is too old too.
 * - clamd.conf must say `AlertExceedsMax yes`. Without it clamd answers OK for a file over its
 *   MaxFileSize, MaxScanSize, MaxRecursion, MaxFiles or MaxScanTime, unscanned, even with EICAR in
 *   its first bytes (clamd 1.4.6; tests/unit/test_scan_clamd.c pins it). With it those are TOO_BIG
 *   like the libclamav backend's limit hits. A part over clamd's StreamMaxLength is TOO_BIG either
 *   way, as "Heuristics.Limits.Exceeded.StreamMaxLength": keep StreamMaxLength at least as large as
 *   the biggest decoded part mugai lets through.
 */
#pragma once
#include <glib.h>
#include "sanitize/scanner.h"
#include "scan/clamav.h" /* MUGAI_SCAN_ERROR_DOMAIN and its codes */

typedef struct {
  /* "unix:/run/clamav/clamd.ctl", the bare path "/run/clamav/clamd.ctl", or "inet:3310@HOST" (a
   * host name is resolved once, by mugai_clamd_new()). */
  const char *socket;
  /* Milliseconds for the connect and for each wait on clamd to take data or answer; 0: 30000.
   * The wait for the verdict includes clamd's scan: keep it above clamd's MaxScanTime, or a slow
   * scan is an error (never clean). */
  guint timeout_ms;
  gint64 max_signature_age; /* seconds; 0: not checked */
  /* (nullable) called once, from whichever thread drops the last reference, after the scanner is
   * freed: lets a reload tell when the old one is gone. */
  void (*freed)(gpointer data);
  gpointer freed_data;
} mugai_clamd_config;

/* Check the socket's spelling, connect and ask clamd's VERSION (see above). Costs one or two round
 * trips: call it at start and on reload, never per message.
 * (transfer full) unref with mugai_scanner_unref(); NULL with ERROR set on failure:
 * UNREACHABLE (bad socket spelling, connect, timeout, an answer that is not clamd's), TOO_OLD,
 * NO_DATABASE. */
mugai_scanner *mugai_clamd_new(const mugai_clamd_config *config, GError **error);
