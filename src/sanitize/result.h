/* result.h — what mugai_sanitize() decided for one message: verdict, SMTP reply, per-part report,
 * header edits and the new body. Owned by the caller; freed with mugai_result_free(). */
#pragma once
#include <glib.h>
#include "sanitize/actions.h"
#include "sanitize/archive_list.h"
#include "sanitize/links.h"
#include "sanitize/reasons.h"
#include "sanitize/scanner.h"
#include "sanitize/unlocker.h"

typedef enum {
  MUGAI_VERDICT_DELIVER,
  MUGAI_VERDICT_REJECT,
  MUGAI_VERDICT_TEMPFAIL,
  MUGAI_VERDICT_DISCARD,
  MUGAI_VERDICT_HOLD,
} mugai_verdict;

typedef enum {
  MUGAI_DIRECTION_IN,
  MUGAI_DIRECTION_OUT,
} mugai_direction;

typedef enum {
  MUGAI_PART_CONTAINER, /* multipart or message/rfc822 wrapper: its children are listed */
  MUGAI_PART_KEPT,      /* text used as (part of) the body */
  MUGAI_PART_CONVERTED, /* HTML rendered to text for the body */
  MUGAI_PART_REMOVED,   /* not delivered; named in the notice */
  MUGAI_PART_DROPPED,   /* an unused alternative representation of text that was kept */
  MUGAI_PART_EXTRACTED, /* an attachment whose text is delivered below the body, not the file */
} mugai_part_action;

/* What became of an attachment the policy converts ([inbound] convert). */
typedef struct {
  char *type;          /* its type name (config/document_type.h): "pdf", "docx"... */
  char *unit;          /* (nullable) "pages", "sheets", "slides", "files" */
  guint count;         /* how many UNIT */
  guint warnings;      /* mugai_convert_warning bits (sanitize/converter.h) */
  guint64 text_bytes;  /* bytes of its text delivered */
  gboolean truncated;  /* its text was cut ([convert] text_per_file, text_per_message) */
  char *failure;       /* (nullable) why there is no text: the part is removed instead */
} mugai_part_conversion;

typedef struct {
  char *path;          /* IMAP part number, "1.2" */
  char *type;          /* declared, lower case "text/html" */
  char *detected_type; /* libmagic's MIME type of the decoded content; "" when not checked (text
                        * the reader gets as text, containers) */
  char *name;          /* (nullable) decoded file name, UTF-8 */
  guint64 size;        /* decoded bytes */
  char *sha256;        /* hex of the decoded bytes ("" for containers) */
  mugai_part_action action;
  char *reason;        /* short word saying why ("attachment", "alternative", "body"...) */
  mugai_archive_listing *contents; /* (nullable) the files inside a removed archive or TNEF */
  gboolean scanned;    /* given to the virus scanner (leaves only) */
  mugai_scan_verdict scan_verdict; /* valid when scanned */
  char *signature;     /* (nullable) INFECTED: the signature; TOO_BIG: the limit hit */
  mugai_part_conversion *conversion; /* (nullable) set when the policy converts its type */
  gboolean locked;     /* PPAP: a removed password-protected zip, held for its password mail */
} mugai_part;

typedef struct {
  char *name;
  char *value; /* continuation lines separated by "\n" */
  char *gap;   /* (nullable) obsolete white space between name and colon, kept for rendering */
} mugai_header;

void mugai_header_free(mugai_header *header); /* NULL-safe */

/* A header of the message whose value mugai replaced: the OCCURRENCE-th (from 1) header named
 * NAME (ASCII case ignored), counted over the headers as Postfix passed them. */
#define MUGAI_HEADER_CHANGES_MAX 500 /* more broken headers than this: the message is refused */

typedef struct {
  char *name;
  guint occurrence;
  char *value; /* as it goes on the wire, leading space included, folded lines joined by "\n" */
} mugai_header_change;


/* A header mugai removes although others of its name stay (an untrusted Authentication-Results):
 * the OCCURRENCE-th (from 1) header NAME, counted as for changes. */
typedef struct {
  char *name;
  guint occurrence;
} mugai_header_removal;

/* One result of the trusted Authentication-Results ([authentication]) as the reader is shown it. */
typedef struct {
  char *method;  /* "spf", "dkim" or "dmarc" */
  char *result;  /* lower case, as the authenticator wrote it: "pass", "fail", "none"... */
  char *domain;  /* (nullable) what it is about: SPF's envelope (or HELO) domain, the DKIM
                  * signing domain, the From domain DMARC checked; valid UTF-8, no controls */
  gboolean policy_reject; /* DMARC: the result shows the domain publishes p=reject */
} mugai_auth_check;

#define MUGAI_AUTH_CHECKS_MAX 4 /* results kept per method (several DKIM signatures); the rest
                                 * are counted */

typedef struct {
  mugai_verdict verdict;
  mugai_reason reason;
  mugai_direction direction;
  char *detail;          /* (nullable) detail for the log on tempfail/reject, escaped ASCII */
  /* The SMTP reply of a refusal (empty for DELIVER): the reason's, its class matching the
   * verdict; text ASCII without control characters, safe for smfi_setreply(). */
  char reply_code[4];
  char reply_status[12];
  char *reply_text;      /* (nullable) */
  char *clause;          /* (nullable) the policy clause of the rule that refused, UTF-8 */
  char *rule;            /* (nullable) the [rule NAME] the message was judged under */
  const char *list;      /* (nullable, static) "allow" or "strict": the sender's [lists] */
  /* (nullable) an inside sender claimed on inbound mail ([impersonation] warn): the header,
   * the address claimed, and the real one when a display name showed another address */
  char *claim_header, *claim_address, *claim_real;
  /* Inbound, with [authentication] trusted_authserv_ids set: the trusted authserv-id whose
   * results are in AUTH_CHECKS (nullable: no trusted header), and those results. */
  char *auth_id;
  GPtrArray *auth_checks;   /* mugai_auth_check *, at most MUGAI_AUTH_CHECKS_MAX per method */
  guint auth_checks_total;  /* how many there were */
  guint actions[MUGAI_ACTION_COUNT];
  GPtrArray *parts;      /* mugai_part *, in MIME order */
  guint64 in_size;       /* bytes of the message as received */
  guint64 out_size;      /* bytes of the new body (0 when the body is unchanged) */
  char *message_type;    /* declared type of the top-level body */
  GPtrArray *link_warnings; /* mugai_link_warning *: links whose text names another host than
                             * their target; at most MUGAI_LINK_WARNINGS_MAX kept */
  guint link_warnings_total;/* how many there were */

  /* Header edits, valid when verdict is DELIVER. Headers for which mugai_header_is_dropped()
   * says so are removed, then add_headers are appended in order. */
  gboolean rewrite_mime; /* TRUE: body replaced, the MIME headers go too */
  GPtrArray *add_headers;/* mugai_header * */
  GPtrArray *change_headers; /* mugai_header_change *: values replaced in place, in header
                              * order (never of a dropped or removed header); at most
                              * MUGAI_HEADER_CHANGES_MAX */
  GPtrArray *remove_headers; /* mugai_header_removal *: single headers removed, in header order;
                              * their name may also have changed or kept headers, so the milter
                              * changes values first and removes last to first */
  GByteArray *body;      /* (nullable) new body: CRLF lines, transfer-encoded; NULL = unchanged */

  /* The original must be kept in the quarantine before the message is answered: it was
   * sanitized (body replaced), held, or refused for a reason whose row says keep. The core
   * decides; the caller stores it (src/quarantine/keep.h) and names the id it got. */
  gboolean quarantine;
  char *quarantine_id;   /* (nullable) the id it is kept under, once stored */
  guint locked_archives; /* PPAP: removed archives held for their password (the quarantine's
                          * entry is indexed as locked, see quarantine/entry.h) */
  GPtrArray *unlock_attempts; /* mugai_unlock_attempt *: PPAP, what this mail's passwords did to
                               * the archives held for its sender and recipients */
} mugai_result;

mugai_result *mugai_result_new(mugai_direction direction); /* (transfer full) */
void mugai_result_free(mugai_result *result);              /* NULL-safe */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(mugai_result, mugai_result_free)

/* Set a final non-deliver verdict with the reason's reply; DETAIL (nullable) is copied. */
void mugai_result_set_refusal(mugai_result *result, mugai_verdict verdict, mugai_reason reason,
                              const char *detail);
/* Append " (DETAIL)" (printf FORMAT, ASCII: replies are) to the reply text of a refusal. */
void mugai_result_reply_note(mugai_result *result, const char *format, ...) G_GNUC_PRINTF(2, 3);

/* Name CLAUSE (nullable, "" = none; UTF-8) as the policy clause of the refusal in RESULT, unless
 * it names one already: in the report, the summary line and, when it is ASCII (replies are), the
 * reply's last note ("(limit 10M; clause 8a)"). */
void mugai_result_set_clause(mugai_result *result, const char *clause);

/* Remove the OCCURRENCE-th header NAME from the delivered message (recorded in header order). */
void mugai_result_remove_header(mugai_result *result, const char *name, guint occurrence);
/* Is the OCCURRENCE-th header NAME one RESULT removes one by one? */
gboolean mugai_result_header_removed(const mugai_result *result, const char *name,
                                     guint occurrence);

/* Append ": WHAT" (a signature name; anything but [A-Za-z0-9._:/+-] becomes '?', cut at 100
 * bytes) to the reply text of a refusal. */
void mugai_result_name_in_reply(mugai_result *result, const char *what);

/* (transfer none) append a new part entry, strings copied; PATH/TYPE must be non-NULL. */
mugai_part *mugai_result_add_part(mugai_result *result, const char *path, const char *type);
void mugai_result_add_header(mugai_result *result, const char *name, const char *value);

const char *mugai_verdict_name(mugai_verdict verdict);     /* "deliver" ... */
const char *mugai_direction_name(mugai_direction direction); /* "in" / "out" */
const char *mugai_part_action_name(mugai_part_action action);

/* The key=value summary line (without queue id): "verdict=deliver actions=html2text,removed:2
 * size=48213 out=1234 parts=5 ms=12" plus reply/reason on refusal. (transfer full) */
char *mugai_result_summary(const mugai_result *result, double ms);
