/* privileges.h — mugai-milter gives up root once its socket is open: it becomes [milter] user
 * (group: [milter] group, else the user's own), with the user's supplementary groups, before it
 * loads an engine, starts a thread, reads a message or spawns a converter. */
#pragma once
#include <glib.h>

/* SOCKET ([milter] socket or -p): when it is a unix socket, mode 0660, so Postfix reaches it
 * through its group and nobody else does; as root with USER set, first given to USER and GROUP
 * (else the user's group): add postfix to that group. Call before dropping root. */
gboolean mugai_socket_give(const char *socket, const char *user, const char *group,
                           GError **error);

/* As root with USER set: become USER (and GROUP); checked: root cannot be regained. As root
 * without USER: stay, and *WARNING (transfer full) says so for the log. Not root: nothing to
 * do (*WARNING when USER names someone else). FALSE with ERROR when a step fails: the milter
 * stops rather than run with more rights than it was given. */
gboolean mugai_privileges_drop(const char *user, const char *group, char **warning,
                               GError **error);
