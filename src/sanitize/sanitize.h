/* sanitize.h — the heart of mugai: one message in, a verdict and a sanitized message out.
 *
 * Called alike by the milter, `mugai sanitize`, the tests and the fuzzer, so what a test sees is
 * what Postfix gets. No libmilter, sockets, syslog, signals or global state here: the caller
 * passes the policy and the services (file typing; later the scanner and converters).
 */
#pragma once
#include <gmime/gmime.h>
#include "config/policy.h"
#include "sanitize/filetype.h"
#include "sanitize/result.h"
#include "sanitize/converter.h"
#include "sanitize/scanner.h"
#include "sanitize/unlocker.h"

typedef struct {
  const char *client_addr;   /* (nullable) SMTP client IP */
  const char *helo;          /* (nullable) */
  const char *mail_from;     /* (nullable) envelope sender, without <> */
  const char *const *rcpts;  /* (nullable) NULL-terminated envelope recipients */
  mugai_direction direction;
  const char *queue_id;      /* (nullable) Postfix queue ID, for the report */
  const char *quarantine_id; /* (nullable) the id the original will be kept under if the result
                              * asks for it: the notice names it ({quarantine_id}) */
} mugai_envelope;

typedef struct {
  mugai_filetype *filetype;  /* (nullable) without it detected_type stays "" */
  /* (nullable) scans every leaf; the caller holds a reference for the call. NULL while
   * [scan] backend is not none: every inbound message gets the [scan] scan_error answer. */
  mugai_scanner *scanner;
  const char *scanner_failure; /* (nullable) why there is no scanner, for the log line */
  /* (nullable) turns attachments into text ([inbound] convert); without it they are removed and
   * the notice says why (CONVERTER_FAILURE, nullable). */
  mugai_converter *converter;
  const char *converter_failure;
  /* (nullable) PPAP: tries the passwords an inbound mail gives on the archives held for its
   * sender and recipients ([ppap] unlock); without it no mail is read for passwords. */
  mugai_unlocker *unlocker;
} mugai_services;

/* Call once, instead of g_mime_init(), before any thread uses mugai_sanitize() (g_mime_shutdown()
 * at the end as usual). It also makes GMime parse attached messages as leaves, so mugai reads them
 * the way it reads the top-level message (GMime's nested parser drops a first body line that is
 * not a header; Postfix and clients do not). */
void mugai_sanitize_init(void);

/* Sanitize the message in RAW (headers as Postfix passed them, CRLF, blank line, body), the whole
 * stream from its start: it must be seekable (it is read more than once). Never returns NULL: an internal failure is a TEMPFAIL result.
 * (transfer full) */
mugai_result *mugai_sanitize(const mugai_policy *policy, GMimeStream *raw,
                             const mugai_envelope *envelope, const mugai_services *services);

/* The one summary line per message, as the milter logs it and `mugai sanitize` prints it:
 * "QUEUEID: from=<a@b> rcpts=1 client=192.0.2.1 verdict=deliver actions=... ms=3.1"
 * (NOQUEUE without a queue ID; untrusted strings escaped and capped). (transfer full) */
char *mugai_summary_line(const mugai_envelope *envelope, const mugai_result *result, double ms);
