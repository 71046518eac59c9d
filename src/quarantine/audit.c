/* audit.c — audit records and their actor (see audit.h). Owns nothing past a call. */
#include "quarantine/audit.h"

#include <pwd.h>
#include <string.h>
#include <unistd.h>

void
mugai_quarantine_audit_row_free(mugai_quarantine_audit_row *row)
{
  if (row == NULL)
    return;
  g_free(row->user);
  g_free(row->action);
  g_free(row->id);
  g_free(row->reason);
  g_free(row->detail);
  g_free(row);
}

/* The name of the Unix user UID. */
static char *
user_name(uid_t uid)
{
  struct passwd pw, *found = NULL;
  char buf[1024];
  if (getpwuid_r(uid, &pw, buf, sizeof buf, &found) == 0 && found != NULL)
    return g_strdup(found->pw_name);
  return g_strdup_printf("uid %u", (unsigned) uid);
}

char *
mugai_quarantine_audit_actor(gint64 *uid_out)
{
  uid_t uid = getuid(); /* the real user: who ran the command, also under sudo's setuid */
  g_autofree char *user = user_name(uid);
  const char *sudo = g_getenv("SUDO_USER"); /* sudo keeps the admin's name here */
  *uid_out = uid;
  if (uid == 0 && sudo && *sudo)
    return g_strdup_printf("%s (sudo from %s)", user, sudo);
  return g_steal_pointer(&user);
}
