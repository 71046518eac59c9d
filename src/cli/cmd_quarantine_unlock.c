/* cmd_quarantine_unlock.c — `mugai quarantine unlock ID --password-file FILE`: what a password
 * mail does for a held PPAP zip, done by an admin: open it in the worker with the passwords of
 * FILE, judge its files as inbound mail, send them through the release relay and record it as a
 * release (quarantine/unlock.h). Owns one run's store, judge, passwords and entry. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "cli/cli.h"
#include "cli/judge.h"
#include "cli/quarantine_cli.h"
#include "cli/quarantine_cmds.h"
#include "quarantine/unlock.h"
#include "sanitize/passwords.h"

#define PROGRAM "mugai quarantine unlock"
#define MAX_PASSWORDS 32
#define MAX_FILE_BYTES (MAX_PASSWORDS * (MUGAI_PASSWORD_MAX_BYTES + 2))

static const char description[] =
    "Opens the password-protected zip (PPAP) of a held original with the passwords in FILE,\n"
    "one per line (at most 32, each at most 128 bytes; \"-\" reads standard input), tried in\n"
    "turn in the sandboxed mugai-convert worker under the [convert] limits. A password is\n"
    "never taken on the command line, where other users could see it.\n"
    "\n"
    "When one opens it, the files inside are scanned and converted like any attachment, under\n"
    "the policy the original's recipients are judged under, and the result goes to the\n"
    "original's recipients as a new text message through [quarantine] release_relay. The entry\n"
    "is then marked released and the Unix user, time, REASON and where it went recorded in the\n"
    "audit table and in syslog, as for `mugai quarantine release`. Nothing decrypted is written\n"
    "to a file.\n"
    "\n"
    "Exit status: 0 unlocked and sent, 2 usage or configuration error, 3 refused (the entry\n"
    "holds no zip waiting for a password, was released already, no password opened it, a file\n"
    "in it holds a virus, or another release of it is in progress), 4 no entry with that id,\n"
    "75 the relay, the worker or the store failed (nothing is marked released), 77 permission\n"
    "denied.\n";

typedef struct {
  char *config, *reason, *password_file;
} options;

static void
options_clear(options *o)
{
  g_free(o->config);
  g_free(o->reason);
  g_free(o->password_file);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(options, options_clear)

static gboolean
parse(int *argc, char ***argv, options *o)
{
  GOptionEntry entries[] = {
      {"config", 'c', 0, G_OPTION_ARG_FILENAME, &o->config, "Configuration file", "FILE"},
      {"password-file", 0, 0, G_OPTION_ARG_FILENAME, &o->password_file,
       "Passwords to try, one per line (- for standard input)", "FILE"},
      {"reason", 0, 0, G_OPTION_ARG_FILENAME, &o->reason, "Why (recorded in the audit)", "TEXT"},
      G_OPTION_ENTRY_NULL,
  };
  g_autoptr(GOptionContext) context =
      mugai_qcli_context_new("ID - open a held password-protected zip",
                             "Usage: mugai quarantine unlock ID --password-file FILE "
                             "[--reason TEXT] [-c FILE]",
                             description, entries);
  g_autoptr(GError) error = NULL;
  const char *why = NULL;
  if (!g_option_context_parse(context, argc, argv, &error))
    why = error->message;
  else if (*argc != 2)
    why = "give exactly one ID";
  else if (o->password_file == NULL)
    why = "--password-file FILE is needed (a password is never given on the command line)";
  else if (o->reason && (!g_utf8_validate(o->reason, -1, NULL) || !*g_strstrip(o->reason)))
    why = "--reason TEXT must be UTF-8 and not empty";
  if (why != NULL)
    fprintf(stderr, PROGRAM ": %s (see " PROGRAM " --help)\n", why);
  return why == NULL;
}

/* The passwords of PATH, one per line (CR LF or LF), blank lines skipped. NULL, said on stderr,
 * when it cannot be read or breaks a bound. (transfer full) */
static char **
read_passwords(const char *path)
{
  gboolean from_stdin = strcmp(path, "-") == 0;
  FILE *in = from_stdin ? stdin : fopen(path, "rb");
  if (in == NULL) {
    fprintf(stderr, PROGRAM ": cannot read %s: %s\n", path, g_strerror(errno));
    return NULL;
  }
  struct stat st;
  if (!from_stdin && fstat(fileno(in), &st) == 0 && (st.st_mode & S_IROTH))
    fprintf(stderr, PROGRAM ": warning: %s is readable by every user\n", path);
  g_autofree char *text = g_malloc(MAX_FILE_BYTES + 1);
  size_t n = fread(text, 1, MAX_FILE_BYTES + 1, in);
  if (!from_stdin)
    fclose(in);
  const char *why = n > MAX_FILE_BYTES ? "too long" : memchr(text, '\0', n) ? "holds a NUL byte"
                                                                             : NULL;
  text[MIN(n, (size_t) MAX_FILE_BYTES)] = '\0';
  g_auto(GStrv) lines = why ? NULL : g_strsplit(text, "\n", -1);
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; lines && lines[i] && why == NULL; i++) {
    gsize len = strlen(lines[i]);
    if (len && lines[i][len - 1] == '\r')
      lines[i][--len] = '\0';
    if (len == 0)
      continue;
    if (len > MUGAI_PASSWORD_MAX_BYTES)
      why = "has a line longer than 128 bytes";
    else if (out->len == MAX_PASSWORDS)
      why = "has more than 32 passwords";
    else
      g_ptr_array_add(out, g_strdup(lines[i]));
  }
  for (guint i = 0; lines && lines[i]; i++) /* the copies kept are in OUT; these go */
    memset(lines[i], 0, strlen(lines[i]));
  memset(text, 0, MAX_FILE_BYTES + 1);
  if (why == NULL && out->len == 0)
    why = "holds no password";
  if (why) {
    fprintf(stderr, PROGRAM ": %s %s\n", path, why);
    return NULL;
  }
  g_ptr_array_add(out, NULL);
  return (char **) g_ptr_array_free(g_steal_pointer(&out), FALSE);
}

/* The run on entry E with PASSWORDS; the exit status. */
static int
unlock_entry(mugai_quarantine *q, mugai_policy *policy, const mugai_quarantine_entry *e,
             char **passwords, const options *o)
{
  if (!e->locked || e->released) {
    fprintf(stderr, PROGRAM ": %s %s: not unlocked\n", e->id,
            e->released ? "was released already" : "holds no zip waiting for its password");
    return MUGAI_EXIT_REFUSED;
  }
  g_autoptr(mugai_judge) judge = mugai_judge_new(policy, PROGRAM);
  mugai_services services;
  if (!mugai_judge_services(judge, &services) || services.converter == NULL) {
    fprintf(stderr, PROGRAM ": %s cannot be opened without the file typer and the worker\n",
            e->id);
    return MUGAI_EXIT_TEMPFAIL;
  }
  mugai_judge_options envelope = {.from = e->mail_from, .rcpts = e->rcpts, .direction = "in"};
  const char *user = g_get_user_name();
  g_autofree char *by = g_strdup_printf("admin:%s", user);
  g_autofree char *reason =
      o->reason ? g_strdup(o->reason) : g_strdup_printf("PPAP: unlocked by %s", user);
  mugai_unlock_job job = {.q = q, .policy = mugai_judge_policy_for(judge, &envelope),
                          .services = &services, .passwords = (const char *const *) passwords,
                          .reason = reason, .by = by};
  g_auto(mugai_unlock_attempt) attempt = {0};
  g_autoptr(GError) error = NULL;
  if (!mugai_quarantine_unlock(&job, e, &attempt, &error)) {
    if (g_error_matches(error, MUGAI_QUARANTINE_ERROR, MUGAI_QUARANTINE_ERROR_CLAIMED)) {
      fprintf(stderr, PROGRAM ": %s: not unlocked\n", error->message);
      return MUGAI_EXIT_REFUSED;
    }
    fprintf(stderr, PROGRAM ": %s; %s is not unlocked\n", error->message, e->id);
    return MUGAI_EXIT_TEMPFAIL;
  }
  if (attempt.state != MUGAI_UNLOCK_ATTEMPT_OPENED) {
    fprintf(stderr, PROGRAM ": %s (%s): not unlocked: %s\n", e->id, attempt.names,
            attempt.detail ? attempt.detail : "not opened");
    return MUGAI_EXIT_REFUSED;
  }
  g_autofree char *detail = g_strdup_printf("unlocked=\"%s\" by=%s reply=\"%s\"", attempt.names,
                                            by, attempt.detail);
  mugai_qcli_syslog("release", e->id, reason, detail);
  printf("%s: unlocked (%s), sent to %s: %s\n", e->id, attempt.names,
         policy->quarantine.release_relay, attempt.detail);
  return 0;
}

int
mugai_cmd_quarantine_unlock(int argc, char **argv)
{
  g_auto(options) o = {0};
  if (!parse(&argc, &argv, &o))
    return MUGAI_EXIT_USAGE;
  const char *id = argv[1];
  if (!mugai_qcli_id_valid(PROGRAM, id))
    return MUGAI_EXIT_NOT_FOUND;
  g_auto(GStrv) passwords = read_passwords(o.password_file);
  if (passwords == NULL)
    return MUGAI_EXIT_USAGE;
  int status = 0;
  g_autoptr(mugai_policy) policy = NULL;
  g_autoptr(mugai_quarantine) q = mugai_qcli_open(o.config, PROGRAM, &policy, &status);
  if (q == NULL)
    return status;
  g_autoptr(mugai_quarantine_entry) e = mugai_qcli_get_entry(q, PROGRAM, id, &status);
  if (e == NULL)
    return status;
  status = unlock_entry(q, policy, e, passwords, &o);
  for (guint i = 0; passwords[i]; i++) /* not left in freed memory */
    memset(passwords[i], 0, strlen(passwords[i]));
  return status;
}
