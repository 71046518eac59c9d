/* quarantine_cli.c — shared by the `mugai quarantine` subcommands (see quarantine_cli.h).
 * Owns nothing past a call. Prints only the problems it is asked to report. */
#include "cli/quarantine_cli.h"

#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <syslog.h>
#include <unistd.h>
#include "cli/cli.h"
#include "quarantine/quarantine_id.h"
#include "util/units.h"

mugai_quarantine *
mugai_qcli_open(const char *config, const char *program, mugai_policy **policy_out, int *status)
{
  g_autoptr(mugai_policy) policy = mugai_cli_config_load(config);
  if (policy == NULL) {
    *status = MUGAI_EXIT_USAGE;
    return NULL;
  }
  if (!mugai_quarantine_policy_enabled(&policy->quarantine)) {
    fprintf(stderr, "%s: %s sets no [quarantine] dir: there is no quarantine\n", program,
            policy->source);
    *status = MUGAI_EXIT_USAGE;
    return NULL;
  }
  g_autoptr(GError) error = NULL;
  mugai_quarantine *q = mugai_quarantine_open(&policy->quarantine, FALSE, &error);
  if (q == NULL) {
    *status = mugai_qcli_fail(program, error);
    return NULL;
  }
  if (policy_out)
    *policy_out = g_steal_pointer(&policy);
  *status = 0;
  return q;
}

gboolean
mugai_qcli_id_valid(const char *program, const char *id)
{
  if (mugai_quarantine_id_valid(id))
    return TRUE;
  fprintf(stderr, "%s: '%.40s' is not a quarantine id (they look like 20261201-124021-0e165e6be6)\n",
          program, id);
  return FALSE;
}

mugai_quarantine_entry *
mugai_qcli_get_entry(mugai_quarantine *q, const char *program, const char *id, int *status)
{
  g_autoptr(GError) error = NULL;
  mugai_quarantine_entry *e = mugai_quarantine_get(q, id, &error);
  if (e == NULL)
    *status = mugai_qcli_fail(program, error);
  return e;
}

mugai_spool *
mugai_qcli_read_original(mugai_quarantine *q, const mugai_policy *policy, const char *program,
                         const char *id, int *status)
{
  g_autoptr(GError) error = NULL;
  mugai_spool *spool = mugai_quarantine_read_original_spool(q, policy, id, &error);
  if (spool == NULL) {
    fprintf(stderr, "%s: %s\n", program, error->message);
    *status = MUGAI_EXIT_TEMPFAIL;
  }
  return spool;
}

GOptionContext *
mugai_qcli_context_new(const char *args, const char *summary, const char *description,
                       GOptionEntry *entries)
{
  GOptionContext *context = g_option_context_new(args);
  g_option_context_set_summary(context, summary);
  g_option_context_set_description(context, description);
  g_option_context_add_main_entries(context, entries, NULL);
  return context;
}

int
mugai_qcli_fail(const char *program, const GError *error)
{
  fprintf(stderr, "%s: %s\n", program, error->message);
  if (g_error_matches(error, MUGAI_QUARANTINE_ERROR, MUGAI_QUARANTINE_ERROR_NOT_FOUND))
    return MUGAI_EXIT_NOT_FOUND;
  if (g_error_matches(error, MUGAI_QUARANTINE_ERROR, MUGAI_QUARANTINE_ERROR_PERMISSION))
    return MUGAI_EXIT_NOPERM;
  if (g_error_matches(error, MUGAI_QUARANTINE_ERROR, MUGAI_QUARANTINE_ERROR_CLAIMED))
    return MUGAI_EXIT_REFUSED;
  return MUGAI_EXIT_TEMPFAIL;
}

void
mugai_qcli_syslog(const char *action, const char *id, const char *reason, const char *detail)
{
  openlog("mugai", LOG_PID, LOG_MAIL);
  g_autofree char *r = g_strescape(reason ? reason : "", NULL);
  const char *user = g_get_user_name();
  syslog(LOG_NOTICE, "quarantine %s%s%s by %s (uid %u): reason=\"%.200s\"%s%.200s", action,
         *id ? " " : "", id, user, (unsigned) getuid(), r, detail && *detail ? " " : "",
         detail ? detail : "");
  closelog();
}

char *
mugai_qcli_format_time(gint64 unix_time)
{
  g_autoptr(GDateTime) t = g_date_time_new_from_unix_local(unix_time);
  return t ? g_date_time_format(t, "%Y-%m-%d %H:%M:%S") : g_strdup("?");
}

gboolean
mugai_qcli_parse_time(const char *text, gint64 *out)
{
  guint64 seconds = 0;
  if (g_ascii_isdigit(text[0]) && strchr(text, '-') == NULL &&
      mugai_parse_duration(text, &seconds)) {
    *out = g_get_real_time() / G_USEC_PER_SEC - (gint64) seconds;
    return TRUE;
  }
  g_autofree char *iso = g_strdup(text);
  if (strlen(iso) == 10) {
    g_free(iso);
    iso = g_strconcat(text, "T00:00:00", NULL);
  } else if (strlen(iso) == 16) {
    g_free(iso);
    iso = g_strconcat(text, ":00", NULL);
  }
  if (strlen(iso) > 10 && iso[10] == ' ')
    iso[10] = 'T';
  g_autoptr(GTimeZone) local = g_time_zone_new_local();
  g_autoptr(GDateTime) t = g_date_time_new_from_iso8601(iso, local);
  if (t == NULL)
    return FALSE;
  *out = g_date_time_to_unix(t);
  return TRUE;
}

static gsize
char_width(gunichar c)
{
  if (g_unichar_iszerowidth(c))
    return 0;
  return g_unichar_iswide(c) ? 2 : 1;
}

gsize
mugai_qcli_text_width(const char *text)
{
  gsize w = 0;
  for (const char *p = text; *p; p = g_utf8_next_char(p))
    w += char_width(g_utf8_get_char(p));
  return w;
}

void
mugai_qcli_append_cell(GString *out, const char *text, gsize width, gboolean pad)
{
  gsize used = 0;
  gboolean cut = mugai_qcli_text_width(text) > width;
  gsize room = cut && width > 0 ? width - 1 : width; /* the "…" takes one column */
  for (const char *p = text; *p; p = g_utf8_next_char(p)) {
    gunichar c = g_utf8_get_char(p);
    if (c < 0x20 || c == 0x7f)
      c = ' '; /* stored text is sanitized already; a table row is one line whatever happens */
    gsize w = char_width(c);
    if (used + w > room)
      break;
    g_string_append_unichar(out, c);
    used += w;
  }
  if (cut && width > 0) {
    g_string_append(out, "…");
    used++;
  }
  while (pad && used++ < width)
    g_string_append_c(out, ' ');
}

gsize
mugai_qcli_terminal_width(void)
{
  struct winsize ws;
  if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
    return ws.ws_col;
  const char *columns = g_getenv("COLUMNS");
  guint64 n = 0;
  if (columns && g_ascii_string_to_unsigned(columns, 10, 20, 10000, &n, NULL))
    return (gsize) n;
  return 0;
}
