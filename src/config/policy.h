/* policy.h — the immutable, reference-counted policy built from a validated config file.
 *
 * Owns: every string inside it. Never modified after mugai_config_*() returns it, so any number of
 * threads may read it; a reload builds a new one and swaps the pointer (milter threads hold a ref).
 */
#pragma once
#include <glib.h>

typedef enum {
  MUGAI_LANG_JA,
  MUGAI_LANG_EN,
  MUGAI_LANG_COUNT
} mugai_language;

typedef enum {
  MUGAI_OUTPUT_UTF8,      /* [output] charset = utf-8 */
  MUGAI_OUTPUT_ISO2022JP, /* iso-2022-jp, falling back to UTF-8 per message when it cannot */
} mugai_output_charset;

/* Postfix's default header_size_limit: no header value is longer on its way to a milter. */
#define MUGAI_HEADER_VALUE_MAX 102400

/* [links]: how link targets are written in the sanitized text. */
typedef struct {
  gboolean defang_web;    /* hxxps://example[.]com */
  gboolean defang_mailto;
  gboolean defang_tel;
} mugai_link_policy;

/* A notice template: PATH "" means the built-in text (config/notice.LANG.txt, compiled in). */
typedef struct {
  char *path;
  char *text; /* UTF-8, placeholders checked at load */
} mugai_notice_template;

/* Hard bounds on the work one message may cause. Passed as const * to everything that parses. */
typedef struct {
  guint64 message_bytes; /* [limits] message_size: larger input gets a final reject */
  guint mime_depth;      /* [limits] mime_depth: nesting of multipart and message/rfc822 */
  guint mime_parts;      /* [limits] mime_parts: leaf + container parts in one message */
  guint64 html_bytes;    /* [limits] html_size: HTML larger than this is not rendered */
  guint64 text_bytes;    /* [limits] text_size: cap on the sanitized body text */
  guint64 header_bytes;  /* [limits] header_size: longest header value delivered (cut beyond) */
  guint archive_depth;   /* [limits] archive_depth: nested archives opened to list their files */
  guint archive_entries; /* [limits] archive_entries: files listed per attachment */
  guint64 archive_bytes; /* [limits] archive_size: largest archive read whole to list it */
  guint64 seconds_per_message; /* [limits] time_per_message: past it the message is refused */
} mugai_limits;

/* [gateway]: which mail is inside mail. Lists are NULL-terminated (never NULL themselves). */
typedef struct {
  char **internal_domains;      /* the municipality's own domains */
  char **internal_networks;     /* CIDRs: a client there sends outbound mail */
  GPtrArray *internal_masks;    /* GInetAddressMask *, the same networks parsed once */
  char **outbound_daemon_names; /* Postfix {daemon_name}s whose mail is outbound (a submission
                                 * service on the inside) */
  char *external_subject_tag;   /* put in front of the Subject of all inbound mail; "" = none */
} mugai_gateway_policy;

/* [outbound] individual_numbers: what mail holding one gets. */
typedef enum {
  MUGAI_INDIVIDUAL_NUMBERS_OFF,    /* off: not looked for */
  MUGAI_INDIVIDUAL_NUMBERS_REJECT, /* reject: 550 5.7.1 */
  MUGAI_INDIVIDUAL_NUMBERS_HOLD,   /* hold: accepted, kept in the quarantine, not delivered */
} mugai_individual_numbers;

/* [inbound] / [outbound]: what each direction allows. */
typedef struct {
  guint64 max_message_bytes; /* max_message_size: larger mail gets 552 5.3.4 */
  guint max_shown_external;  /* [outbound] max_shown_external_addresses: more outside addresses
                              * in To and Cc is refused (use Bcc); 0 = no limit */
  mugai_individual_numbers individual_numbers; /* [outbound] individual_numbers */
  gboolean refuse_attachments;  /* [outbound] attachments = block (or allow) */
  guint64 max_attachment_bytes; /* [outbound] max_attachment_size: a larger one refuses the
                                 * message; 0 = no cap */
  /* The policy clauses each refusal names ("" = none): *_clause after the key of the rule. */
  char *size_clause;              /* max_message_size_clause */
  char *shown_clause;             /* [outbound] max_shown_external_addresses_clause */
  char *individual_number_clause; /* [outbound] individual_numbers_clause */
  char *attachment_clause;        /* [outbound] attachments_clause (both attachment rules) */
  char **convert_types;      /* [inbound] convert: attachment types turned into text
                              * (sanitize/document_type.h names); the others are removed */
  char **reject_types;       /* reject_attachments: types or MIME types that refuse the mail */
  char *reject_type_clause;  /* reject_attachments_clause */
} mugai_direction_policy;

/* [autoforward]: mail forwarded by a rule, not written by a person, is refused. */
typedef enum {
  MUGAI_AUTOFORWARD_OUTBOUND, /* block = outbound: inside mailboxes forwarding to the internet */
  MUGAI_AUTOFORWARD_BOTH,     /* block = both */
  MUGAI_AUTOFORWARD_INBOUND,  /* block = inbound */
  MUGAI_AUTOFORWARD_NO,       /* block = no */
} mugai_autoforward_block;

typedef struct {
  mugai_autoforward_block block;
  char **exempt_senders;    /* addresses, or domains (with or without a leading @) */
  char **exempt_recipients; /* the same; a message passes when every recipient is exempt */
  char *clause;             /* (empty: none) the policy clause the log and report name */
} mugai_autoforward_policy;

/* [impersonation]: inbound mail that claims to come from the inside. */
typedef enum {
  MUGAI_IMPERSONATION_WARN,   /* a warning at the top of the notice */
  MUGAI_IMPERSONATION_REJECT, /* 550 5.7.1 */
  MUGAI_IMPERSONATION_NO,     /* not checked */
} mugai_impersonation_action;

typedef struct {
  mugai_impersonation_action action;
  char **exempt_senders; /* envelope senders (addresses or domains) allowed to, e.g. a service
                          * that sends for the municipality */
  char *clause;          /* (empty: none) named when action = reject refuses */
} mugai_impersonation_policy;

/* [ratelimit]: mass mailing limits. Only the thresholds live here; the counts live in the milter
 * (src/milter/rate_limit.h), so a reload keeps them. */
typedef enum {
  MUGAI_RATELIMIT_OUTBOUND, /* direction = outbound: a compromised inside account sending spam */
  MUGAI_RATELIMIT_BOTH,     /* direction = both */
  MUGAI_RATELIMIT_INBOUND,  /* direction = inbound */
  MUGAI_RATELIMIT_NO,       /* direction = no: nothing is counted */
} mugai_ratelimit_direction;

typedef struct {
  mugai_ratelimit_direction direction;
  guint64 window;            /* seconds a message or recipient counts for */
  guint sender_messages;     /* per envelope sender and window; 0 = no limit */
  guint sender_recipients;
  guint client_messages;     /* per SMTP client address and window; 0 = no limit */
  guint client_recipients;
  char **exempt_senders;     /* addresses or domains: their mail is neither counted nor limited */
  char **exempt_clients;     /* CIDRs, the same */
  GPtrArray *exempt_client_masks; /* GInetAddressMask *, exempt_clients parsed once */
  char *clause;              /* (empty: none) the policy clause the log line and reply name */
} mugai_ratelimit_policy;

/* [authentication]: what the gateway's own authenticators (OpenDKIM, OpenDMARC, rspamd) wrote in
 * Authentication-Results before mugai, on inbound mail. */
typedef enum {
  MUGAI_DMARC_FAIL_WARN,   /* a warning at the top of the notice */
  MUGAI_DMARC_FAIL_REJECT, /* 550 5.7.1 */
  MUGAI_DMARC_FAIL_REJECT_IF_P_REJECT, /* 550 when the result shows p=reject, else warn */
  MUGAI_DMARC_FAIL_NO,     /* shown with the other results, nothing more */
} mugai_dmarc_fail_action;

typedef struct {
  char **trusted_authserv_ids; /* authserv-ids of the gateway's own authenticators; empty: no
                                * header is trusted and none is removed */
  mugai_dmarc_fail_action dmarc_fail;
  char *clause;                /* (empty: none) the policy clause a refusal names */
} mugai_authentication_policy;

/* [scan]: which engine checks every part, and what its answers do to the message. */
typedef enum {
  MUGAI_SCAN_BACKEND_LIBCLAMAV, /* an in-process libclamav engine loaded from database_dir */
  MUGAI_SCAN_BACKEND_CLAMD,     /* a clamd over clamd_socket (INSTREAM) */
  MUGAI_SCAN_BACKEND_NONE,      /* not scanned: said at start and in X-Mugai-Actions */
} mugai_scan_backend;

typedef enum {
  MUGAI_ANSWER_REJECT,   /* a final 5xx: the sender learns why */
  MUGAI_ANSWER_TEMPFAIL, /* 4xx: Postfix keeps the message and retries */
  MUGAI_ANSWER_DISCARD,  /* accepted and thrown away (the log line says so) */
  MUGAI_ANSWER_HOLD,     /* accepted, kept in the quarantine, not delivered ([scan] infected =
                          * quarantine) */
} mugai_answer;

typedef struct {
  mugai_scan_backend backend;
  char *database_dir;         /* freshclam's directory */
  char *temp_dir;             /* libclamav's scratch directory (one per scan): a tmpfs */
  char *clamd_socket;         /* "unix:/path", "/path" or "inet:PORT@HOST" */
  guint64 clamd_timeout;      /* seconds to connect and per reply */
  guint64 max_signature_age;  /* seconds; older signatures: every message is tempfailed */
  guint64 reload_interval;    /* seconds between checks of database_dir for new signatures */
  mugai_answer infected;      /* reject | discard | quarantine (hold) */
  mugai_answer too_big;       /* reject | tempfail: a part hit a scan limit */
  mugai_answer scan_error;    /* tempfail | reject */
  gboolean raw_message;       /* the message as received is scanned too, besides its parts */
  guint64 max_file_size;      /* one part or archive member scanned whole; larger: too_big */
  guint64 max_scan_size;      /* bytes scanned for one part, archive members included */
  guint max_recursion;        /* archives inside archives */
  guint max_files;            /* archive members scanned for one part */
  guint64 max_scan_time;      /* seconds for one part */
} mugai_scan_policy;

/* [convert]: the mugai-convert worker that turns attachments into text, and its bounds. */
typedef struct {
  char *worker;           /* the program; "" = the installed one (or the one beside mugai) */
  guint workers;          /* at most this many at once in one process; more wait their turn */
  guint64 timeout;        /* seconds of wall clock per file */
  guint64 cpu_time;       /* seconds of CPU per file */
  guint64 memory;         /* bytes of address space per worker */
  guint64 file_size;      /* larger attachments are removed, not converted */
  guint64 text_per_file;  /* bytes of text kept per file; the rest is cut, "(truncated)" */
  guint64 text_per_message; /* bytes of attachment text per message, all files together */
  guint64 expanded_size;  /* bytes inflated from the zips of one file */
  guint64 member_size;    /* bytes of one zip member */
  guint entries;          /* zip members looked at per file */
  guint depth;            /* zips inside zips */
  guint xml_depth;        /* element nesting of an XML part */
  guint pages;            /* PDF pages, sheets, slides per file */
  guint cells;            /* spreadsheet cells per file */
} mugai_convert_policy;

/* [quarantine] backend: what keeps the originals and their index. */
typedef enum {
  MUGAI_QUARANTINE_BACKEND_SQLITE,     /* files under dir, an SQLite index beside them */
  MUGAI_QUARANTINE_BACKEND_POSTGRESQL, /* index and originals in the database dsn names */
} mugai_quarantine_backend_kind;

/* [quarantine]: where originals are kept for admins to review and release. */
typedef struct {
  mugai_quarantine_backend_kind backend;
  char *dir;             /* the SQLite store (files and index); "" = no quarantine */
  char *dsn;             /* the PostgreSQL one (libpq conninfo or URI); required with it */
  guint64 retention;     /* seconds an original is kept (`mugai quarantine purge`) */
  char *release_relay;   /* HOST:PORT of the Postfix smtpd without milters that releases go to */
  char *user, *group;    /* who the store is given to when root creates in it; "" = the owner of
                          * the existing directory, else the process (quarantine/sqlite_store.h) */
} mugai_quarantine_policy;

/* Is there a quarantine? [quarantine] dir set, or backend = postgresql (dsn is then required). */
gboolean mugai_quarantine_policy_enabled(const mugai_quarantine_policy *q);

/* A file of sender addresses or domains, one per line ([lists]). */
typedef struct {
  char *path;   /* "" = no list */
  char *sha256; /* of the file as it was loaded (the tamper check compares it); "" = no list */
} mugai_sender_list;

/* [lists]: senders an admin trusts, and senders judged strictly (a sender on both: strictly).
 * Their mail is judged under the values of its recipient's rule (or the main ones) with the
 * list's changes on top: every policy has an allow and a strict variant for that. */
typedef struct {
  mugai_sender_list allow;  /* allow_senders */
  mugai_sender_list strict; /* strict_senders */
  char **allow_senders;     /* (main policy only; NULL without the list) sorted, lower case */
  char **strict_senders;
} mugai_lists_policy;

/* [notify]: a mail to the inside sender of refused outbound mail saying why, in Japanese. */
typedef struct {
  gboolean refused_outbound; /* refused_outbound = yes: sent */
  char *from;                /* From of the notification ("" = postmaster) */
  char **sendmail_command;   /* program (absolute) and arguments; mugai adds -i -f <> -- RCPT */
  char *sendmail_text;       /* the same as written, for the dump */
  char *contact;             /* a line saying whom to ask ("" = none) */
} mugai_notify_policy;

/* [contacts] known_by: what makes an inbound sender known (not a first contact). */
typedef enum {
  MUGAI_CONTACTS_KNOWN_ADDRESS, /* address: someone inside wrote to that very address */
  MUGAI_CONTACTS_KNOWN_DOMAIN,  /* domain: someone inside wrote to an address at its domain */
} mugai_contacts_known_by;

/* [contacts]: who inside has written to whom outside, learned from accepted outbound mail and
 * kept in the quarantine's database (quarantine/contacts.h), for rules with match_first_contact. */
typedef struct {
  gboolean learn;                   /* learn = yes: outbound mail teaches it */
  guint64 retention;                /* seconds a pair counts after its last mail (and is kept) */
  mugai_contacts_known_by known_by; /* known_by */
} mugai_contacts_policy;

/* [ppap]: a password-protected archive inbound is held in the quarantine until the password mail
 * that follows it (same envelope sender, same recipient) opens it (quarantine/unlock.h). */
typedef struct {
  gboolean unlock;  /* unlock = yes: hold such archives and try the passwords of the next mail
                     * (only with a quarantine: without one they are removed, as any file) */
  guint64 window;   /* seconds after the archive within which its password mail counts */
  guint passwords;  /* candidate passwords tried from one password mail, at most */
} mugai_ppap_policy;

/* What a [rule NAME] section matches. Empty in the main policy; set in the policy of a rule. */
typedef struct {
  char *name;               /* NAME of [rule NAME]; NULL in the main policy */
  char **match_rcpt;        /* recipient addresses */
  char **match_rcpt_domain; /* recipient domains: "example.jp" that domain, ".example.jp" below it */
  char **match_sender;      /* envelope senders: addresses or domains */
  gboolean match_first_contact; /* only inbound mail from a sender nobody inside has written to
                                 * within [contacts] retention (or when that cannot be told) */
  char *clause;             /* (empty: none) named by a refusal under the rule that has none */
  const char *list;         /* (nullable) "allow" or "strict": a [lists] variant of its policy */
} mugai_rule_match;

typedef struct mugai_policy {
  char *source;  /* file path, or "(embedded default)" */
  char *sha256;  /* hex SHA-256 of the config text as read */

  char *milter_socket;   /* [milter] socket: "unix:/path" or "inet:PORT@HOST" */
  char *milter_user;     /* [milter] user: who the milter becomes after opening its socket; "" = stay */
  char *milter_group;    /* [milter] group: its group; "" = the user's own */
  char *spool_dir;       /* [milter] spool_dir: private temp files for large bodies */
  guint64 spool_memory;  /* [milter] spool_memory: bytes kept in memory before spooling */
  guint64 config_check_interval; /* [milter] config_check_interval: seconds between tamper checks */
  char *milter_status_file; /* [milter] status_file: what `mugai status` reads; "" = none */

  mugai_language notice_language; /* [notice] language: ja | en */
  mugai_notice_template notice_template[MUGAI_LANG_COUNT]; /* [notice] template_ja, template_en */
  char *subject_tag;              /* [notice] subject_tag: "" = none */
  char *banner;                   /* [notice] banner: a line at the top of the text; "" = none */
  mugai_output_charset output_charset; /* [output] charset */
  mugai_link_policy links;        /* [links] */

  mugai_limits limits;
  mugai_gateway_policy gateway;
  mugai_direction_policy inbound;
  mugai_direction_policy outbound;
  mugai_autoforward_policy autoforward;
  mugai_impersonation_policy impersonation;
  mugai_ratelimit_policy ratelimit;
  mugai_authentication_policy authentication;
  mugai_scan_policy scan;
  mugai_convert_policy convert;
  mugai_quarantine_policy quarantine;
  mugai_lists_policy lists;
  mugai_notify_policy notify;
  mugai_contacts_policy contacts;
  mugai_ppap_policy ppap;

  mugai_rule_match rule;   /* what this rule matches; rule.name NULL: the main policy */
  GPtrArray *rules;        /* (main policy only) mugai_policy * of each [rule NAME], in file
                            * order: the main values with the rule's keys applied, owned here */
  struct mugai_policy *allow_variant;  /* (nullable: no allow list) this policy with the changes
                                        * of [lists] allow_senders, owned here */
  struct mugai_policy *strict_variant; /* (nullable) the same for strict_senders */
} mugai_policy;

/* (transfer full) a new policy holding every default; refcount 1. */
mugai_policy *mugai_policy_new_defaults(void);
mugai_policy *mugai_policy_ref(mugai_policy *policy);
void mugai_policy_unref(mugai_policy *policy); /* NULL-safe */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(mugai_policy, mugai_policy_unref)
