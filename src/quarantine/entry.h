/* entry.h — what the quarantine index records about one original: who sent it to whom, what it
 * says it is, what mugai decided and why, and each part with its checksums.
 * Owns every string in it; mugai_quarantine_entry_free() releases them.
 */
#pragma once
#include <glib.h>
#include "sanitize/sanitize.h"

typedef struct {
  char *path;          /* IMAP part number as in the JSON report, "1.2" */
  char *type;          /* declared */
  char *detected_type; /* libmagic's, "" when not checked */
  char *name;          /* decoded file name, "" when none */
  guint64 size;        /* decoded bytes */
  char *sha256;        /* of the decoded bytes, "" for containers */
  char *action;        /* "removed", "converted", ... */
  char *reason;        /* why */
} mugai_quarantine_part;

typedef struct {
  char *id;
  gint64 time;       /* Unix seconds it was stored */
  char *queue_id;    /* Postfix queue ID, "" when not known (mugai sanitize) */
  char *client;      /* SMTP client address, "" when not known */
  char *direction;   /* "in" / "out" */
  char *mail_from;   /* envelope sender, "" for the null sender */
  char **rcpts;      /* envelope recipients, NULL-terminated (never NULL) */
  char *from;        /* decoded From header, "" when none */
  char *subject;     /* decoded Subject, "" when none */
  guint64 size;      /* bytes of the original as stored */
  char *verdict;     /* "deliver", "reject", "discard", "hold" */
  char *reason;      /* reason word ("none" when delivered sanitized) */
  char *actions;     /* the X-Mugai-Actions words, comma-separated */
  char *signatures;  /* virus signature names, comma-separated, "" when none */
  char *report_json; /* the JSON report `mugai sanitize --report-json` writes */
  gint64 released;   /* Unix time of the last release, 0 = never */
  gboolean locked;   /* PPAP: it holds a password-protected archive that waits for its password
                      * (result->locked_archives); an unlock that sends its text releases it */
  char *host;        /* the gateway host that stored it; "" when not recorded (an index of
                      * version 1 did not); mugai_quarantine_entry_new() sets this host's */
  GPtrArray *parts;  /* mugai_quarantine_part *, in MIME order */
} mugai_quarantine_entry;

/* (transfer full) an empty entry (strings "", no parts) stored by this host (g_get_host_name()). */
mugai_quarantine_entry *mugai_quarantine_entry_new(void);
void mugai_quarantine_entry_free(mugai_quarantine_entry *entry); /* NULL-safe */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(mugai_quarantine_entry, mugai_quarantine_entry_free)

/* (transfer full) the entry for the original DATA/LEN judged as RESULT with ENVELOPE, under ID
 * made at NOW. From and Subject are read from DATA's header block and decoded. */
mugai_quarantine_entry *mugai_quarantine_entry_build(const char *id, gint64 now, const guint8 *data,
                                                     gsize len, const mugai_envelope *envelope,
                                                     const mugai_result *result);

void mugai_quarantine_part_free(mugai_quarantine_part *part); /* NULL-safe */
