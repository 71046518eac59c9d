/* reasons.h — one table: why mugai refused or deferred a message → SMTP reply, log word, notice.
 * (Postfix's mime_state_detail() discipline: every final answer comes from here.) */
#pragma once
#include <glib.h>
#include "config/policy.h"

typedef enum {
  MUGAI_REASON_NONE,          /* delivered */
  MUGAI_REASON_INTERNAL,      /* internal or I/O failure: always a temporary failure */
  MUGAI_REASON_TOO_BIG,       /* message over [limits] message_size */
  MUGAI_REASON_MIME_DEPTH,    /* nesting over [limits] mime_depth */
  MUGAI_REASON_MIME_PARTS,    /* more parts than [limits] mime_parts */
  MUGAI_REASON_MALFORMED,     /* not parseable as a message at all */
  MUGAI_REASON_TIME,          /* checking took longer than [limits] time_per_message */
  MUGAI_REASON_HEADERS,       /* more than MUGAI_HEADER_CHANGES_MAX header values to repair */
  MUGAI_REASON_VIRUS,         /* the scanner found a signature: the reply names it */
  MUGAI_REASON_SCAN_TOO_BIG,  /* a part hit a scan limit and could not be scanned to the end */
  MUGAI_REASON_SCAN_ERROR,    /* no scanner, a scan error, signatures too old */
  MUGAI_REASON_AUTOFORWARD,   /* forwarded automatically ([autoforward]) */
  MUGAI_REASON_SHOWN_ADDRESSES, /* outbound: too many outside addresses in To and Cc */
  MUGAI_REASON_INDIVIDUAL_NUMBER, /* outbound: the text holds an individual number */
  MUGAI_REASON_IMPERSONATION, /* inbound: claims an inside sender ([impersonation] reject) */
  MUGAI_REASON_ATTACHMENT,    /* outbound: a file attached ([outbound] attachments = block) */
  MUGAI_REASON_ATTACHMENT_TOO_BIG, /* outbound: over [outbound] max_attachment_size */
  MUGAI_REASON_RATE_LIMIT,    /* a sender or client over a [ratelimit] limit (milter only) */
  MUGAI_REASON_DMARC,         /* inbound: the trusted DMARC result is fail ([authentication]) */
  MUGAI_REASON_ATTACHMENT_TYPE, /* a file of a type the direction's reject_attachments lists */
  MUGAI_REASON_COUNT
} mugai_reason;

typedef struct {
  const char *word;   /* short log/JSON word: "mime_depth" */
  const char *code;   /* "554": the reply when the verdict is the reason's usual one; a reason
                       * answered the other way (a [scan] choice) gets the class changed */
  const char *status; /* "5.6.0" */
  const char *text;   /* SMTP reply text (English, ASCII) */
  gboolean keep;      /* a message refused (or discarded) for this reason has its original kept in
                       * the quarantine: a virus or a rule of the policy, not a limit or a fault */
} mugai_reason_info;

/* (transfer none) static row for REASON. */
const mugai_reason_info *mugai_reason_get(mugai_reason reason);
