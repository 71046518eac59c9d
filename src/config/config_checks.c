/* config_checks.c — the checks of string and list values of the key table (sockets, paths,
 * domains, addresses, networks, commands, tags, clauses) and the steps that derive from a value
 * what no message should compute again (network masks, the sendmail argv). Each check returns
 * what is wrong in words an admin can act on, quoting the input escaped and cut. */
#include "config/config_private.h"

#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <gio/gio.h>

#include "config/document_type.h"
#include "util/units.h"

#define SUN_PATH_SIZE sizeof(((struct sockaddr_un *) NULL)->sun_path)

static const char *skip_prefix(const char *text, const char *prefix)
{
  gsize n = strlen(prefix);
  return strncmp(text, prefix, n) == 0 ? text + n : NULL;
}

static char *check_socket_inet(const char *q, const char *rest)
{
  const char *at = strchr(rest, '@');
  if (at == NULL)
    return g_strdup_printf("%s: the host is missing (write inet:PORT@HOST, e.g. inet:8895@127.0.0.1)",
                           q);
  g_autofree char *port_text = g_strndup(rest, at - rest);
  guint64 port = 0;
  if (!mugai_parse_uint(port_text, &port) || port < 1 || port > 65535)
    return g_strdup_printf("%s: the port must be a number from 1 to 65535", q);
  const char *host = at + 1;
  if (*host == '\0' || strpbrk(host, " \t") != NULL)
    return g_strdup_printf("%s: the host after \"@\" is missing or contains a space", q);
  return NULL;
}

char *config_check_socket(const char *value)
{
  g_autofree char *q = quoted(value);
  const char *rest = NULL;
  if ((rest = skip_prefix(value, "unix:")) != NULL || (rest = skip_prefix(value, "local:")) != NULL) {
    if (rest[0] != '/' || rest[1] == '\0')
      return g_strdup_printf("%s: the socket path must be absolute, e.g. unix:/run/mugai/milter.sock",
                             q);
    if (strlen(rest) >= SUN_PATH_SIZE) /* the kernel limit; libmilter would fail at bind() */
      return g_strdup_printf("%s: the socket path is longer than %zu bytes", q, SUN_PATH_SIZE - 1);
    return NULL;
  }
  if ((rest = skip_prefix(value, "inet:")) != NULL || (rest = skip_prefix(value, "inet6:")) != NULL)
    return check_socket_inet(q, rest);
  return g_strdup_printf("%s is not a milter socket "
                         "(write unix:/PATH, local:/PATH, inet:PORT@HOST or inet6:PORT@HOST)", q);
}

char *config_check_absolute_path(const char *value)
{
  g_autofree char *q = quoted(value);
  if (value[0] != '/')
    return g_strdup_printf("%s is not an absolute path (it must start with /)", q);
  if (strlen(value) >= PATH_MAX)
    return g_strdup_printf("%s is longer than %d bytes", q, PATH_MAX - 1);
  return NULL;
}

/* A directory anyone may write into, and rename or remove others' files in (world-writable
 * without the sticky bit): what mugai keeps or reads there could be swapped under it. NULL when
 * PATH is safe or does not exist (yet). */
char *config_unsafe_directory(const char *path)
{
  struct stat st;
  if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
    return NULL;
  if ((st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX))
    return g_strdup_printf("%s is writable by every user (mode %04o, no sticky bit): anyone "
                           "could replace what mugai keeps there (chmod o-w %s)",
                           path, (unsigned) (st.st_mode & 07777), path);
  return NULL;
}

char *config_check_spool_dir(const char *value)
{
  char *why = config_check_absolute_path(value);
  return why ? why : config_unsafe_directory(value);
}

char *config_check_store_dir(const char *value)
{
  char *why = *value ? config_check_absolute_path(value) : NULL;
  if (why == NULL && *value) {
    struct stat st;
    if (stat(value, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & S_IWOTH))
      why = g_strdup_printf("%s is writable by every user (mode %04o): the quarantine's "
                            "originals and index must be the store's alone (chmod o-w %s)",
                            value, (unsigned) (st.st_mode & 07777), value);
  }
  return why;
}

/* The file open on FD (at PATH), read as policy: refused when every user may change it, or may
 * replace it in its directory. */
char *config_check_file_safe(int fd, const char *path)
{
  struct stat st;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & S_IWOTH))
    return g_strdup_printf("%s is writable by every user (mode %04o): anyone could change "
                           "mugai's policy (chmod o-w %s)",
                           path, (unsigned) (st.st_mode & 07777), path);
  g_autofree char *dir = g_path_get_dirname(path);
  return config_unsafe_directory(dir);
}

char *config_check_optional_path(const char *value)
{
  return *value ? config_check_absolute_path(value) : NULL;
}

/* HOST:PORT, HOST a name or an IPv4 address, or [IPv6]:PORT. */
char *config_check_host_port(const char *value)
{
  g_autofree char *q = quoted(value);
  const char *colon = strrchr(value, ':');
  guint64 port = 0;
  if (colon == NULL || colon == value ||
      !g_ascii_string_to_unsigned(colon + 1, 10, 1, 65535, &port, NULL))
    return g_strdup_printf("%s is not HOST:PORT (e.g. 127.0.0.1:10026)", q);
  g_autofree char *host = g_strndup(value, (gsize) (colon - value));
  if (host[0] == '[') {
    gsize n = strlen(host);
    g_autofree char *inner = n > 2 && host[n - 1] == ']' ? g_strndup(host + 1, n - 2) : NULL;
    if (inner == NULL || !g_hostname_is_ip_address(inner))
      return g_strdup_printf("%s: the address in [] is not an IPv6 address", q);
    return NULL;
  }
  if (strchr(host, ':') != NULL)
    return g_strdup_printf("%s: write an IPv6 address in brackets, [::1]:10026", q);
  for (const char *p = host; *p; p++)
    if (!g_ascii_isalnum(*p) && *p != '.' && *p != '-')
      return g_strdup_printf("%s: the host is neither an address nor an ASCII host name", q);
  return NULL;
}

/* [quarantine] user and group: checked when the config loads, so a milter given a store's owner
 * that does not exist never starts. */
char *config_check_optional_user(const char *value)
{
  if (*value == '\0' || getpwnam(value) != NULL)
    return NULL;
  g_autofree char *q = quoted(value);
  return g_strdup_printf("%s: no such user (create it first, or leave this empty)", q);
}

char *config_check_optional_group(const char *value)
{
  if (*value == '\0' || getgrnam(value) != NULL)
    return NULL;
  g_autofree char *q = quoted(value);
  return g_strdup_printf("%s: no such group (create it first, or leave this empty)", q);
}

char *config_check_optional_address(const char *value)
{
  return *value ? config_check_address(value) : NULL;
}

/* A program with its arguments, split as a shell would (quotes), but run without one. */
char *config_check_command(const char *value)
{
  g_auto(GStrv) argv = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *q = quoted(value);
  if (!g_shell_parse_argv(value, NULL, &argv, &error))
    return g_strdup_printf("%s: %s", q, error->message);
  if (argv[0][0] != '/')
    return g_strdup_printf("%s: the program must be an absolute path, e.g. /usr/sbin/sendmail", q);
  return NULL;
}

void config_derive_sendmail_argv(mugai_policy *policy)
{
  g_clear_pointer(&policy->notify.sendmail_command, g_strfreev);
  if (!g_shell_parse_argv(policy->notify.sendmail_text, NULL, &policy->notify.sendmail_command,
                          NULL))
    policy->notify.sendmail_command = NULL; /* not reached: config_check_command passed */
}

char *config_check_contact(const char *value)
{
  return g_utf8_strlen(value, -1) > 200 ? g_strdup("longer than 200 characters") : NULL;
}

/* clamd's own spellings (LocalSocket is a plain path) besides the milter's. */
char *config_check_clamd_socket(const char *value)
{
  if (value[0] == '/')
    return config_check_absolute_path(value);
  if (g_str_has_prefix(value, "unix:") || g_str_has_prefix(value, "inet:"))
    return config_check_socket(value);
  g_autofree char *q = quoted(value);
  return g_strdup_printf("%s is not a clamd socket (write /PATH, unix:/PATH or inet:PORT@HOST)", q);
}

/* A domain as mail addresses carry it: letters, digits, hyphens, dots (IDN as punycode). */
char *config_check_domain(const char *value)
{
  g_autofree char *q = quoted(value);
  gsize len = strlen(value);
  if (len == 0 || len > 253 || value[0] == '.' || value[0] == '-' || value[len - 1] == '.' ||
      strstr(value, "..") != NULL)
    return g_strdup_printf("%s is not a domain name (e.g. city.example.lg.jp)", q);
  for (const char *p = value; *p; p++)
    if (!g_ascii_isalnum(*p) && *p != '-' && *p != '.')
      return g_strdup_printf("%s is not a domain name (letters, digits, - and . only; write an "
                             "internationalized domain in its xn-- form)", q);
  return NULL;
}

/* "user@example.jp", "example.jp" or "@example.jp": an address, or every address of a domain. */
char *config_check_address_or_domain(const char *value)
{
  const char *at = strrchr(value, '@');
  if (at != NULL && at[1] == '\0') {
    g_autofree char *q = quoted(value);
    return g_strdup_printf("%s has no domain after \"@\"", q);
  }
  if (at == NULL || at == value)
    return config_check_domain(at ? at + 1 : value);
  for (const char *p = value; p < at; p++)
    if ((guchar) *p <= 0x20 || (guchar) *p >= 0x7f || strchr("<>()[],;:\\\"", *p)) {
      g_autofree char *q = quoted(value);
      return g_strdup_printf("%s is not a mail address (write user@example.jp or example.jp)", q);
    }
  return config_check_domain(at + 1);
}

/* A whole address: "user@example.jp". */
char *config_check_address(const char *value)
{
  const char *at = strrchr(value, '@');
  if (at == NULL || at == value) {
    g_autofree char *q = quoted(value);
    return g_strdup_printf("%s is not a mail address (write user@example.jp; a domain goes in "
                           "match_rcpt_domain)", q);
  }
  return config_check_address_or_domain(value);
}

/* "example.jp" (that domain) or ".example.jp" (every domain below it), as Postfix tables write
 * them. */
char *config_check_rcpt_domain(const char *value)
{
  return config_check_domain(value[0] == '.' ? value + 1 : value);
}

/* The label of a policy clause ("対策基準 ⑩ア"): one short line. */
char *config_check_clause(const char *value)
{
  if (g_utf8_strlen(value, -1) > 60)
    return g_strdup("longer than 60 characters");
  return NULL;
}

/* An authserv-id as OpenDKIM, OpenDMARC and rspamd write it (AuthservID, authserv_id): the
 * host name of the gateway, or another word of RFC 2045 token characters. */
char *config_check_authserv_id(const char *value)
{
  if (strlen(value) > 255)
    return g_strdup("longer than 255 characters");
  for (const char *p = value; *p; p++)
    if ((guchar) *p <= 0x20 || (guchar) *p >= 0x7f || strchr("()<>@,;:\\\"/[]?=", *p)) {
      g_autofree char *q = quoted(value);
      return g_strdup_printf("%s is not an authserv-id (a host name such as mx.city.example.lg.jp, "
                             "as the authenticator writes it before the first \";\")", q);
    }
  return NULL;
}

/* An address or a network in CIDR form, IPv4 or IPv6. */
char *config_check_network(const char *value)
{
  g_autoptr(GInetAddressMask) mask = g_inet_address_mask_new_from_string(value, NULL);
  if (mask != NULL)
    return NULL;
  g_autofree char *q = quoted(value);
  return g_strdup_printf("%s is not an address or network (write 192.0.2.0/24 or 2001:db8::/32)", q);
}

/* NETWORKS as GInetAddressMask objects in *MASKS (every item passed config_check_network). */
static void set_network_masks(GPtrArray **masks, char *const *networks)
{
  g_clear_pointer(masks, g_ptr_array_unref);
  *masks = g_ptr_array_new_with_free_func(g_object_unref);
  for (gsize i = 0; networks[i]; i++) {
    GInetAddressMask *mask = g_inet_address_mask_new_from_string(networks[i], NULL);
    if (mask != NULL)
      g_ptr_array_add(*masks, mask);
  }
}

void config_derive_internal_masks(mugai_policy *policy)
{
  set_network_masks(&policy->gateway.internal_masks, policy->gateway.internal_networks);
}

void config_derive_exempt_client_masks(mugai_policy *policy)
{
  set_network_masks(&policy->ratelimit.exempt_client_masks, policy->ratelimit.exempt_clients);
}

/* A Postfix service name as master.cf names it ({daemon_name}: smtpd -o syslog_name=...). */
char *config_check_daemon_name(const char *value)
{
  for (const char *p = value; *p; p++)
    if (!g_ascii_isalnum(*p) && !strchr("._-/", *p)) {
      g_autofree char *q = quoted(value);
      return g_strdup_printf("%s is not a Postfix daemon name (letters, digits, . _ - /)", q);
    }
  return NULL;
}

/* The tag goes into every sanitized Subject: short, one line, no encoded-word look-alikes. */
char *config_check_subject_tag(const char *value)
{
  if (g_utf8_strlen(value, -1) > 40)
    return g_strdup("longer than 40 characters");
  if (strstr(value, "=?") != NULL)
    return g_strdup("must be written as text, not as an RFC 2047 encoded-word");
  return NULL;
}

/* [notice] banner: one line of text above everything else in the delivered body. */
char *config_check_banner(const char *value)
{
  if (g_utf8_strlen(value, -1) > 200)
    return g_strdup("longer than 200 characters (it is one line at the top of the text)");
  return NULL;
}

/* [inbound] convert: only the types the worker reads. */
char *config_check_convert_type(const char *value)
{
  if (strchr(value, '/') == NULL && mugai_document_type_entry_valid(value))
    return NULL;
  g_autofree char *q = quoted(value);
  g_autofree char *names = g_strjoinv(", ", (char **) mugai_document_type_names());
  return g_strdup_printf("%s is not a type mugai converts (one of: %s)", q, names);
}

/* [inbound] reject_attachments: a type name, a MIME type, or a whole top type ("image/" and an asterisk). */
char *config_check_attachment_type(const char *value)
{
  if (mugai_document_type_entry_valid(value))
    return NULL;
  g_autofree char *q = quoted(value);
  return g_strdup_printf("%s is neither a type name (pdf, docx, zip...) nor a MIME type such as "
                         "application/x-dosexec or image/*", q);
}
