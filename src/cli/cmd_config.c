/* cmd_config.c — `mugai config`: dispatch to its subcommands, and `mugai config check`: validate
 * the configuration as the daemon would, before a reload. Prints every problem at once as
 * FILE:LINE: [group] key: what is wrong; exit 2 if any. `mugai config diff` is cmd_config_diff.c.
 */
#include <stdio.h>
#include <string.h>
#include "cli/cli.h"
#include "config/config.h"
#include "scan/clamav.h"

static const char usage[] =
    "Usage: mugai config check [-c FILE] [-v]\n"
    "       mugai config diff -c OLD -c NEW [OPTION...] DIR|MESSAGE...\n"
    "\n"
    "Commands:\n"
    "  check   validate the configuration file exactly as mugai-milter would load it\n"
    "  diff    judge a folder of saved messages under two configurations and list each\n"
    "          message whose verdict or actions would change\n"
    "\n"
    "mugai config COMMAND --help shows the command's options and exit status.\n";

static const char description[] =
    "Validates FILE (default /etc/mugai/mugai.conf, else the embedded default) exactly as\n"
    "mugai-milter would load it. Prints every problem at once, one per line, as\n"
    "FILE:LINE: [group] key: what is wrong, and the SHA-256 of the file when it is valid.\n"
    "\n"
    "With [scan] backend = libclamav it also reads the signature files' headers in database_dir\n"
    "(not the signatures: `mugai scan-info` loads them) and warns when there are none or they are\n"
    "older than max_signature_age: mugai-milter would then answer every message 451.\n"
    "\n"
    "Exit status: 0 valid, 2 invalid or unreadable (or a usage error).\n";

/* A cheap look at the signatures the milter would load: their newest build time, no engine. */
static void
warn_about_signatures(const mugai_scan_policy *scan)
{
  if (scan->backend != MUGAI_SCAN_BACKEND_LIBCLAMAV)
    return;
  gint64 built = 0;
  g_autofree char *source = NULL;
  g_autoptr(GError) error = NULL;
  if (!mugai_clamav_signature_time(scan->database_dir, &built, &source, &error)) {
    fprintf(stderr, "warning: [scan] database_dir: %s (mail would be tempfailed)\n", error->message);
    return;
  }
  gint64 age = g_get_real_time() / G_USEC_PER_SEC - built;
  if (age > (gint64) scan->max_signature_age)
    fprintf(stderr, "warning: [scan] the newest signatures (%s) are %.1f days old, over "
                    "max_signature_age (%.1f days): mail would be tempfailed\n",
            source, (double) age / 86400.0, (double) scan->max_signature_age / 86400.0);
}

mugai_policy *
mugai_cli_config_load(const char *path)
{
  g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(GError) error = NULL;
  mugai_policy *policy = mugai_config_load(path, problems, &error);
  if (policy == NULL) {
    if (problems->len == 0)
      fprintf(stderr, "%s\n", error->message);
    for (guint i = 0; i < problems->len; i++)
      fprintf(stderr, "%s\n", (const char *) g_ptr_array_index(problems, i));
  }
  return policy;
}

/* ARGV[0] is "check". */
static int
config_check(int argc, char **argv)
{
  g_autofree char *path = NULL;
  gboolean verbose = FALSE;
  GOptionEntry entries[] = {
    {"config", 'c', 0, G_OPTION_ARG_FILENAME, &path, "Configuration file to check", "FILE"},
    {"verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "Print the effective configuration", NULL},
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr(GOptionContext) context = g_option_context_new("- validate the configuration");
  g_option_context_set_summary(context, "Usage: mugai config check [-c FILE] [-v]");
  g_option_context_set_description(context, description);
  g_option_context_add_main_entries(context, entries, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(context, &argc, &argv, &error)) {
    fprintf(stderr, "mugai config check: %s\n", error->message);
    return MUGAI_EXIT_USAGE;
  }
  if (argc > 1) {
    fprintf(stderr, "mugai config check: unexpected argument '%s'\n", argv[1]);
    return MUGAI_EXIT_USAGE;
  }
  g_autoptr(mugai_policy) policy = mugai_cli_config_load(path);
  if (policy == NULL)
    return MUGAI_EXIT_USAGE;
  printf("%s: valid, sha256 %s\n", policy->source, policy->sha256);
  const mugai_sender_list *lists[] = {&policy->lists.allow, &policy->lists.strict};
  char **senders[] = {policy->lists.allow_senders, policy->lists.strict_senders};
  for (gsize i = 0; i < G_N_ELEMENTS(lists); i++) /* the tamper check watches them too */
    if (senders[i] != NULL)
      printf("%s: valid, %u senders, sha256 %s\n", lists[i]->path, g_strv_length(senders[i]),
             lists[i]->sha256);
  warn_about_signatures(&policy->scan);
  if (verbose) {
    g_autofree char *dump = mugai_config_dump(policy);
    fputs(dump, stdout);
  }
  return 0;
}

int
mugai_cmd_config(int argc, char **argv)
{
  const char *command = argc >= 2 ? argv[1] : "";
  if (strcmp(command, "check") == 0)
    return config_check(argc - 1, argv + 1);
  if (strcmp(command, "diff") == 0)
    return mugai_cmd_config_diff(argc - 1, argv + 1);
  gboolean help = strcmp(command, "--help") == 0 || strcmp(command, "-h") == 0;
  if (!help && *command)
    fprintf(stderr, "mugai config: unknown command '%s'\n\n", command);
  fputs(usage, help ? stdout : stderr);
  return help ? 0 : MUGAI_EXIT_USAGE;
}
