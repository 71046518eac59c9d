/* audit.h — one record of the quarantine's append-only audit table, and who the record names.
 * A backend writes a record in the same transaction as the change it records (store.h). */
#pragma once
#include <glib.h>

typedef struct {
  gint64 seq, time;
  char *user; /* Unix user name, "root (sudo from NAME)" under sudo */
  gint64 uid;
  char *action; /* "release", "delete", "purge", "fsck" */
  char *id;     /* entry id, "" for a purge */
  char *reason;
  char *detail;
} mugai_quarantine_audit_row;

void mugai_quarantine_audit_row_free(mugai_quarantine_audit_row *row); /* NULL-safe */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(mugai_quarantine_audit_row, mugai_quarantine_audit_row_free)

/* (transfer full) who runs this process as the audit names them; *UID the real uid (who ran the
 * command, also under sudo's setuid). */
char *mugai_quarantine_audit_actor(gint64 *uid);
