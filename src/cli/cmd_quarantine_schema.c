/* cmd_quarantine_schema.c — `mugai quarantine init` and `migrate`: the schema of a store that
 * does not keep it itself (PostgreSQL: one step for every host sharing the database, done by an
 * admin, not by whichever milter starts first). Owns one run's policy. */
#include <stdio.h>
#include <string.h>
#include "cli/cli.h"
#include "cli/quarantine_cli.h"
#include "cli/quarantine_cmds.h"

static const char init_description[] =
    "Creates the schema of the quarantine the configuration names, versioned, in one\n"
    "transaction ([quarantine] backend = postgresql: the tables of [quarantine] dsn's database;\n"
    "the role it names must be allowed to create tables there). Safe to run again, and from\n"
    "several hosts at once: a schema already there is left as it is. With backend = sqlite\n"
    "there is nothing to do: the index is created when the first store opens it.\n"
    "\n"
    "Exit status: 0 done (or nothing to do), 2 usage or configuration error, 75 the database\n"
    "failed or holds a schema of a newer mugai.\n";

static const char migrate_description[] =
    "Brings the schema of the quarantine the configuration names up to this mugai's version,\n"
    "in one transaction: all of it or nothing. Run it once, on one host, after installing a\n"
    "mugai whose schema is newer (mugai-milter refuses to start on an older one and says so).\n"
    "With backend = sqlite there is nothing to do: the index is migrated when opened.\n"
    "\n"
    "Exit status: 0 done (or nothing to do), 2 usage or configuration error, 75 the database\n"
    "failed, has no schema (run init) or holds one of a newer mugai.\n";

static int
run(int argc, char **argv, gboolean init) {
  const char *program = init ? "mugai quarantine init" : "mugai quarantine migrate";
  g_autofree char *config = NULL;
  GOptionEntry entries[] = {
      {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config, "Configuration file", "FILE"},
      G_OPTION_ENTRY_NULL,
  };
  g_autoptr(GOptionContext) context =
      mugai_qcli_context_new(NULL,
                             init ? "Usage: mugai quarantine init [-c FILE]"
                                  : "Usage: mugai quarantine migrate "
                                    "[-c FILE]",
                             init ? init_description : migrate_description, entries);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(context, &argc, &argv, &error) || argc != 1) {
    fprintf(stderr, "%s: %s (see %s --help)\n", program,
            error ? error->message : "unexpected argument", program);
    return MUGAI_EXIT_USAGE;
  }
  g_autoptr(mugai_policy) policy = mugai_cli_config_load(config);
  if (policy == NULL)
    return MUGAI_EXIT_USAGE;
  gboolean managed = FALSE;
  int before = 0, after = 0;
  if (!mugai_quarantine_setup(&policy->quarantine, init, &managed, &before, &after, &error))
    return mugai_qcli_fail(program, error);
  if (!managed)
    printf("%s: [quarantine] backend = sqlite creates and migrates its index itself when "
           "opened; nothing to do\n",
           program);
  else if (before == after)
    printf("%s: the schema is at version %d already; nothing to do\n", program, after);
  else if (before == 0)
    printf("%s: schema version %d created\n", program, after);
  else
    printf("%s: schema migrated from version %d to %d\n", program, before, after);
  return 0;
}

int
mugai_cmd_quarantine_init(int argc, char **argv) {
  return run(argc, argv, TRUE);
}

int
mugai_cmd_quarantine_migrate(int argc, char **argv) {
  return run(argc, argv, FALSE);
}
