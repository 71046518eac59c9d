/* cmd_quarantine_release.c — `mugai quarantine release ID`: hand a quarantined original (or, with
 * --sanitized, the original sanitized again under a named rule) to the release relay over SMTP,
 * to its recipients or to --to, then record it (released mark, audit row, syslog). Owns one run's
 * store, judge, claim and message. Never marks anything released that the relay did not accept;
 * never sends what another release has claimed (claim, send, finish: store.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "cli/cli.h"
#include "cli/judge.h"
#include "cli/quarantine_cli.h"
#include "cli/quarantine_cmds.h"
#include "util/smtp_client.h"
#include "quarantine/quarantine_id.h"

#define PROGRAM "mugai quarantine release"
#define RELAY_TIMEOUT 60

static const char description[] =
    "Re-injects a quarantined original through SMTP to [quarantine] release_relay (a Postfix\n"
    "smtpd without milters, deploy/postfix-master.cf.snippet), from its envelope sender to its\n"
    "envelope recipients, or to each --to ADDR instead. The original goes exactly as it was\n"
    "received. An original with a virus is refused unless --force.\n"
    "\n"
    "--sanitized sends instead the message mugai delivers for it when it is judged again, under\n"
    "the main policy or, with --profile NAME, under the values of [rule NAME] (a looser rule for\n"
    "such releases, e.g. one that keeps PDF files out of the notice); a message that is still\n"
    "refused is not released.\n"
    "\n"
    "Only once the relay has accepted it is the entry marked released and the Unix user, time,\n"
    "REASON and where it went recorded in the audit table and in syslog.\n"
    "\n"
    "A release claims the entry before it sends anything, so that an entry is sent once even when\n"
    "two admins release it at the same moment, from this host or another sharing the quarantine:\n"
    "the second is refused (exit 3) while the first runs. A release that fails gives its claim\n"
    "back at once; a claim left by one that crashed is taken over after 10 minutes.\n"
    "\n"
    "Exit status: 0 released, 2 usage or configuration error (unknown --profile), 3 refused (a\n"
    "virus without --force, still refused when sanitized again, or another release of it is in\n"
    "progress), 4 no entry with that id, 75 the relay or the store failed (nothing is marked\n"
    "released), 77 permission denied.\n";

typedef struct {
  char *config, *reason, *profile;
  char **to;
  gboolean force, sanitized;
} options;

static void
options_clear(options *o)
{
  g_free(o->config);
  g_free(o->reason);
  g_free(o->profile);
  g_strfreev(o->to);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(options, options_clear)

/* The policy --profile names (the main one without it); NULL, said on stderr, when none. */
static mugai_policy *
profile_policy(mugai_policy *policy, const char *name)
{
  if (name == NULL)
    return policy;
  g_autoptr(GString) known = g_string_new(NULL);
  for (guint i = 0; i < policy->rules->len; i++) {
    mugai_policy *rule = g_ptr_array_index(policy->rules, i);
    if (strcmp(rule->rule.name, name) == 0)
      return rule;
    g_string_append_printf(known, "%s%s", known->len ? ", " : "", rule->rule.name);
  }
  fprintf(stderr, PROGRAM ": --profile %s: %s has no [rule %s] (its rules: %s)\n", name,
          policy->source, name, known->len ? known->str : "none");
  return NULL;
}

/* The ORIGINAL of E (LEN bytes) judged again under POLICY, as Postfix would get it; NULL (said)
 * when it is not delivered. *STATUS the exit status then. */
static GByteArray *
sanitize_again(mugai_policy *policy, const mugai_quarantine_entry *e, const guint8 *original,
               gsize len, int *status)
{
  FILE *input = fmemopen((void *) (original ? original : (const guint8 *) ""), len, "rb");
  if (input == NULL) {
    fprintf(stderr, PROGRAM ": cannot read the original of %s: %s\n", e->id, g_strerror(errno));
    *status = MUGAI_EXIT_TEMPFAIL;
    return NULL;
  }
  g_autoptr(mugai_judge) judge = mugai_judge_new(policy, PROGRAM);
  mugai_judge_options o = {
      .from = g_strdup(e->mail_from),
      .rcpts = g_strdupv(e->rcpts),
      .client = *e->client ? g_strdup(e->client) : NULL,
      .direction = g_strdup(e->direction),
      .queue_id = *e->queue_id ? g_strdup(e->queue_id) : NULL,
  };
  mugai_envelope envelope;
  mugai_read_message message = {0};
  g_autoptr(GError) error = NULL;
  g_autofree char *name = g_strdup_printf("the original of %s", e->id);
  g_autoptr(mugai_result) result =
      mugai_judge_message_from(judge, &o, input, name, &envelope, &message, &error);
  fclose(input);
  GByteArray *out = NULL;
  if (result->verdict == MUGAI_VERDICT_DELIVER) {
    out = mugai_judge_delivered(&message, result, &error);
    if (out == NULL)
      fprintf(stderr, PROGRAM ": %s\n", error->message);
    *status = MUGAI_EXIT_TEMPFAIL;
  } else {
    g_autofree char *line = mugai_summary_line(&envelope, result, 0);
    fprintf(stderr, PROGRAM ": %s sanitized again is still not delivered; not released: %s\n",
            e->id, line);
    *status = result->verdict == MUGAI_VERDICT_TEMPFAIL ? MUGAI_EXIT_TEMPFAIL : MUGAI_EXIT_REFUSED;
  }
  mugai_read_message_clear(&message);
  mugai_judge_options_clear(&o);
  return out;
}

static gboolean
parse(int *argc, char ***argv, options *o)
{
  GOptionEntry entries[] = {
      {"config", 'c', 0, G_OPTION_ARG_FILENAME, &o->config, "Configuration file", "FILE"},
      {"reason", 0, 0, G_OPTION_ARG_FILENAME, &o->reason, "Why (recorded in the audit)", "TEXT"},
      {"to", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->to, "Send to ADDR instead (repeatable)", "ADDR"},
      {"force", 0, 0, G_OPTION_ARG_NONE, &o->force, "Release an original with a virus too", NULL},
      {"sanitized", 0, 0, G_OPTION_ARG_NONE, &o->sanitized, "Send it sanitized again", NULL},
      {"profile", 0, 0, G_OPTION_ARG_STRING, &o->profile, "With --sanitized: under [rule NAME]",
       "NAME"},
      G_OPTION_ENTRY_NULL,
  };
  g_autoptr(GOptionContext) context = g_option_context_new("ID - send a quarantined original on");
  g_option_context_set_summary(context, "Usage: mugai quarantine release ID --reason TEXT "
                                        "[--to ADDR]... [--force] [--sanitized [--profile NAME]] "
                                        "[-c FILE]");
  g_option_context_set_description(context, description);
  g_option_context_add_main_entries(context, entries, NULL);
  g_autoptr(GError) error = NULL;
  const char *why = NULL;
  if (!g_option_context_parse(context, argc, argv, &error))
    why = error->message;
  else if (*argc != 2)
    why = "give exactly one ID";
  else if (!o->reason || !g_utf8_validate(o->reason, -1, NULL) || !*g_strstrip(o->reason))
    why = "--reason TEXT (UTF-8) is needed";
  else if (o->profile && !o->sanitized)
    why = "--profile goes with --sanitized";
  if (why != NULL)
    fprintf(stderr, PROGRAM ": %s (see " PROGRAM " --help)\n", why);
  return why == NULL;
}

/* "to=<a>,<b> relay=H:P[ sanitized=NAME] reply=...": where the release went, for the audit. */
static char *
release_detail(const char *const *rcpts, const char *relay, const options *o, const char *reply)
{
  g_autofree char *to = g_strjoinv(">,<", (char **) rcpts);
  return g_strdup_printf("to=<%s> relay=%s%s%s%s reply=\"%.200s\"", to, relay,
                         o->sanitized ? " sanitized=" : "",
                         o->sanitized ? (o->profile ? o->profile : "main") : "",
                         o->force ? " forced" : "", reply ? reply : "");
}

/* One release under its claim. */
typedef struct {
  mugai_quarantine *q;
  const mugai_policy *policy;
  mugai_policy *judged_under; /* (nullable) with --sanitized */
  const options *o;
  const mugai_quarantine_entry *e;
  const char *const *rcpts;
  const char *claim;
  gboolean sent; /* the relay accepted it: the claim must not be given back */
} release_job;

/* Read, maybe sanitize again, send and record the release of J's entry; the exit status. */
static int
send_claimed(release_job *j)
{
  const char *id = j->e->id;
  int status = 0;
  g_autoptr(GError) error = NULL;
  g_autoptr(mugai_spool) original = mugai_qcli_read_original(j->q, j->policy, PROGRAM, id, &status);
  if (original == NULL)
    return status;
  const guint8 *data = NULL;
  gsize len = 0;
  if (!mugai_spool_view(original, &data, &len, &error)) {
    fprintf(stderr, PROGRAM ": %s\n", error->message);
    return MUGAI_EXIT_TEMPFAIL;
  }
  g_autoptr(GByteArray) sanitized = NULL;
  if (j->o->sanitized) {
    sanitized = sanitize_again(j->judged_under, j->e, data, len, &status);
    if (sanitized == NULL)
      return status;
    data = sanitized->data;
    len = sanitized->len;
  }
  const char *relay = j->policy->quarantine.release_relay;
  g_autofree char *reply = NULL;
  if (!mugai_smtp_send(relay, RELAY_TIMEOUT, j->e->mail_from, j->rcpts,
                       data ? data : (const guint8 *) "", len, &reply, &error)) {
    fprintf(stderr, PROGRAM ": %s; %s is not released\n", error->message, id);
    return MUGAI_EXIT_TEMPFAIL;
  }
  j->sent = TRUE;
  g_autofree char *detail = release_detail(j->rcpts, relay, j->o, reply);
  mugai_qcli_syslog("release", id, j->o->reason, detail);
  if (!mugai_quarantine_finish_release(j->q, id, j->claim, j->o->reason, detail, &error)) {
    fprintf(stderr, PROGRAM ": %s was handed to %s (%s) but could not be recorded: %s\n", id,
            relay, reply, error->message);
    return MUGAI_EXIT_TEMPFAIL;
  }
  printf("%s: released to %s: %s\n", id, relay, reply);
  return 0;
}

/* Claim J's entry, send it, and give the claim back when nothing was sent; the exit status. */
static int
release_once(release_job *j)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *claim =
      mugai_quarantine_claim_release(j->q, j->e->id, MUGAI_QUARANTINE_CLAIM_STALE, &error);
  if (g_error_matches(error, MUGAI_QUARANTINE_ERROR, MUGAI_QUARANTINE_ERROR_CLAIMED)) {
    fprintf(stderr, PROGRAM ": %s: not released again\n", error->message);
    return MUGAI_EXIT_REFUSED;
  }
  if (claim == NULL)
    return mugai_qcli_fail(PROGRAM, error);
  j->claim = claim;
  int status = send_claimed(j);
  if (!j->sent && !mugai_quarantine_give_back_release(j->q, j->e->id, claim, &error))
    fprintf(stderr, PROGRAM ": warning: %s stays claimed for %d minutes: %s\n", j->e->id,
            MUGAI_QUARANTINE_CLAIM_STALE / 60, error->message);
  return status;
}

int
mugai_cmd_quarantine_release(int argc, char **argv)
{
  g_auto(options) o = {0};
  if (!parse(&argc, &argv, &o))
    return MUGAI_EXIT_USAGE;
  const char *id = argv[1];
  if (!mugai_qcli_id_valid(PROGRAM, id))
    return MUGAI_EXIT_NOT_FOUND;
  int status = 0;
  g_autoptr(mugai_policy) policy = NULL;
  g_autoptr(mugai_quarantine) q = mugai_qcli_open(o.config, PROGRAM, &policy, &status);
  if (q == NULL)
    return status;
  mugai_policy *judged_under = o.sanitized ? profile_policy(policy, o.profile) : NULL;
  if (o.sanitized && judged_under == NULL)
    return MUGAI_EXIT_USAGE;
  g_autoptr(mugai_quarantine_entry) e = mugai_qcli_get_entry(q, PROGRAM, id, &status);
  if (e == NULL)
    return status;
  if (*e->signatures && !o.force && !o.sanitized) {
    fprintf(stderr,
            PROGRAM ": %s holds a virus (%s): not released (--force to release it "
                    "all the same)\n",
            id, e->signatures);
    return MUGAI_EXIT_REFUSED;
  }
  const char *const *rcpts = (const char *const *) (o.to ? o.to : e->rcpts);
  if (rcpts[0] == NULL) {
    fprintf(stderr, PROGRAM ": %s has no recipients: give --to ADDR\n", id);
    return MUGAI_EXIT_USAGE;
  }
  release_job job = {.q = q, .policy = policy, .judged_under = judged_under, .o = &o, .e = e,
                     .rcpts = rcpts};
  return release_once(&job);
}
