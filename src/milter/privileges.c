/* privileges.c — see privileges.h. */
#include "milter/privileges.h"
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PRIV_ERROR g_quark_from_static_string("mugai-privileges")

static gboolean fail(GError **error, const char *format, ...) G_GNUC_PRINTF(2, 3);

static gboolean
fail(GError **error, const char *format, ...)
{
  va_list args;
  va_start(args, format);
  g_autofree char *text = g_strdup_vprintf(format, args);
  va_end(args);
  g_set_error_literal(error, PRIV_ERROR, 0, text);
  return FALSE;
}

/* USER's uid and the gid of GROUP (else USER's own group). */
static gboolean
resolve(const char *user, const char *group, uid_t *uid, gid_t *gid, GError **error)
{
  const struct passwd *pw = getpwnam(user);
  if (pw == NULL)
    return fail(error, "[milter] user %s: no such user", user);
  *uid = pw->pw_uid;
  *gid = pw->pw_gid;
  if (group != NULL && *group != '\0') {
    const struct group *gr = getgrnam(group);
    if (gr == NULL)
      return fail(error, "[milter] group %s: no such group", group);
    *gid = gr->gr_gid;
  }
  return TRUE;
}

gboolean
mugai_socket_give(const char *socket, const char *user, const char *group, GError **error)
{
  const char *path = g_str_has_prefix(socket, "unix:")    ? socket + 5
                     : g_str_has_prefix(socket, "local:") ? socket + 6
                                                          : NULL;
  if (path == NULL)
    return TRUE;
  if (user != NULL && *user != '\0' && geteuid() == 0) {
    uid_t uid;
    gid_t gid;
    if (!resolve(user, group, &uid, &gid, error))
      return FALSE;
    if (chown(path, uid, gid) != 0)
      return fail(error, "cannot give the socket %s to %s: %s", path, user, g_strerror(errno));
  }
  /* Also when systemd started mugai-milter as its user: the umask of 027 mugai sets would leave
   * the socket's group (postfix, from the setgid directory) unable to connect. */
  if (chmod(path, 0660) != 0)
    return fail(error, "cannot open the socket %s to its group: %s", path, g_strerror(errno));
  return TRUE;
}

gboolean
mugai_privileges_drop(const char *user, const char *group, char **warning, GError **error)
{
  *warning = NULL;
  gboolean named = user != NULL && *user != '\0';
  if (geteuid() != 0) {
    const struct passwd *pw = named ? getpwnam(user) : NULL;
    if (named && (pw == NULL || pw->pw_uid != geteuid()))
      *warning = g_strdup_printf("[milter] user is %s, but mugai-milter was started by uid %u, "
                                 "not root: it runs on as that uid",
                                 user, (unsigned) geteuid());
    return TRUE;
  }
  if (!named) {
    *warning = g_strdup("running as root: set [milter] user (e.g. mugai) so that the milter "
                        "gives up root once its socket is open");
    return TRUE;
  }
  uid_t uid;
  gid_t gid;
  if (!resolve(user, group, &uid, &gid, error))
    return FALSE;
  if (initgroups(user, gid) != 0 || setgid(gid) != 0 || setuid(uid) != 0)
    return fail(error, "cannot become [milter] user %s: %s", user, g_strerror(errno));
  if (setuid(0) == 0 || geteuid() == 0 || getegid() != gid)
    return fail(error, "still able to become root after switching to %s", user);
  return TRUE;
}
