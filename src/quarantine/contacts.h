/* contacts.h — who inside has written to whom outside: the relationship table the quarantine's
 * database keeps for [contacts] (first-contact senders), shared by both backends.
 *
 * One row per (internal user, external address), lower case, with the time it was last seen in
 * outbound mail the gateway accepted, or pinned by an admin (`mugai contacts add`: kept until
 * removed). The table is bounded by the pairs seen within [contacts] retention: purging drops
 * the rows last seen before it (pinned ones stay), and learning a pair again only moves its time.
 */
#pragma once
#include <glib.h>

typedef struct {
  char *user;       /* the internal envelope sender */
  char *addr;       /* the external address written to */
  char *domain;     /* its domain */
  gint64 last_seen; /* Unix time of the last outbound mail (or of `mugai contacts add`) */
  gboolean pinned;  /* added by an admin: never purged */
} mugai_contact;

/* Called for each row a list selects (lent for the call); returns FALSE to stop. */
typedef gboolean (*mugai_contact_row_fn)(const mugai_contact *contact, gpointer data);

/* (transfer full) ADDR lower case, and its domain in *DOMAIN (transfer full); NULL (and *DOMAIN
 * untouched) when ADDR is no user@domain address. */
char *mugai_contact_normalize(const char *addr, char **domain);
