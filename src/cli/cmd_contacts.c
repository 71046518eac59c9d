/* cmd_contacts.c — `mugai contacts list|export|add|remove`: what [contacts] learned (who inside
 * wrote to whom outside), kept in the quarantine's database, and an admin's changes to it (each
 * audited). Owns one run's store. */
#include <stdio.h>
#include <json-glib/json-glib.h>
#include "cli/cli.h"
#include "cli/quarantine_cli.h"

static const char usage[] =
    "Usage: mugai contacts SUBCOMMAND [OPTION...]\n"
    "\n"
    "Who inside has written to whom outside, as mugai-milter learned it from accepted outbound\n"
    "mail ([contacts]) into the quarantine's database: inbound mail from a sender nobody inside\n"
    "has written to within [contacts] retention is a first contact, and a [rule NAME] with\n"
    "match_first_contact = yes judges it. One row per internal user and external address.\n"
    "\n"
    "Subcommands (each takes -c FILE; SUBCOMMAND --help for its own options):\n"
    "  list [--user USER] [--json]  the rows: user, address, when last written to, whether an\n"
    "                               admin added it\n"
    "  export [--json]              every row for scripts: tab-separated user, address, domain,\n"
    "                               last seen (Unix time), source (learned or admin)\n"
    "  add USER ADDRESS             make ADDRESS known as written to by USER, kept until removed\n"
    "                               (audited)\n"
    "  remove USER ADDRESS          forget that USER wrote to ADDRESS (audited)\n"
    "\n"
    "Rows last seen longer ago than [contacts] retention are removed by mugai quarantine purge;\n"
    "rows an admin added stay.\n"
    "\n"
    "Exit status: 0 success, 2 usage or configuration error, 4 no such row (remove), 75 the\n"
    "database failed, 77 permission denied.\n";

typedef struct {
  gboolean json, tsv, first;
  guint rows;
} list_out;

static gboolean
print_row(const mugai_contact *c, gpointer data)
{
  list_out *o = data;
  o->rows++;
  if (o->json) {
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "user");
    json_builder_add_string_value(b, c->user);
    json_builder_set_member_name(b, "address");
    json_builder_add_string_value(b, c->addr);
    json_builder_set_member_name(b, "domain");
    json_builder_add_string_value(b, c->domain);
    json_builder_set_member_name(b, "last_seen");
    json_builder_add_int_value(b, c->last_seen);
    json_builder_set_member_name(b, "source");
    json_builder_add_string_value(b, c->pinned ? "admin" : "learned");
    json_builder_end_object(b);
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    json_generator_set_root(gen, root);
    g_autofree char *text = json_generator_to_data(gen, NULL);
    printf("%s%s", o->first ? "[\n" : ",\n", text);
  } else if (o->tsv) {
    printf("%s\t%s\t%s\t%" G_GINT64_FORMAT "\t%s\n", c->user, c->addr, c->domain, c->last_seen,
           c->pinned ? "admin" : "learned");
  } else {
    g_autofree char *when = mugai_qcli_format_time(c->last_seen);
    printf("%-32s %-40s %s%s\n", c->user, c->addr, when, c->pinned ? "  (added by an admin)" : "");
  }
  o->first = FALSE;
  return TRUE;
}

/* `list` and `export`: the same rows, for a person or for a script. */
static int
cmd_list(int argc, char **argv, gboolean export)
{
  const char *program = export ? "mugai contacts export" : "mugai contacts list";
  g_autofree char *config = NULL, *user = NULL;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
      {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config, "Configuration file", "FILE"},
      {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print a JSON array of objects", NULL},
      {"user", 0, 0, G_OPTION_ARG_STRING, &user, "Only the rows of this internal user", "USER"},
      G_OPTION_ENTRY_NULL,
  };
  if (export)
    entries[2] = (GOptionEntry) G_OPTION_ENTRY_NULL;
  g_autoptr(GOptionContext) context = mugai_qcli_context_new(
      export ? "- print every row for a script" : "- show what [contacts] learned",
      export ? "Usage: mugai contacts export [-c FILE] [--json]"
             : "Usage: mugai contacts list [-c FILE] [--user USER] [--json]",
      export ? "Prints every row on standard output, tab-separated (user, address, domain, last\n"
               "seen as Unix time, source: learned or admin) after a header line, or as JSON.\n"
               "\n"
               "Exit status: 0 success, 2 usage or configuration error, 75 the database failed,\n"
               "77 permission denied.\n"
             : "Shows each row: the internal user, the external address, when the user last\n"
               "wrote to it (local time), and whether an admin added it.\n"
               "\n"
               "Exit status: 0 success (also with no rows), 2 usage or configuration error, 75 the\n"
               "database failed, 77 permission denied.\n",
      entries);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(context, &argc, &argv, &error) || argc != 1) {
    fprintf(stderr, "%s: %s (see %s --help)\n", program,
            error ? error->message : "unexpected argument", program);
    return MUGAI_EXIT_USAGE;
  }
  int status = 0;
  g_autoptr(mugai_quarantine) q = mugai_qcli_open(config, program, NULL, &status);
  if (q == NULL)
    return status;
  list_out out = {.json = json, .tsv = export && !json, .first = TRUE};
  if (out.tsv)
    puts("user\taddress\tdomain\tlast_seen\tsource");
  if (!mugai_quarantine_contacts_list(q, user, print_row, &out, &error))
    return mugai_qcli_fail(program, error);
  if (json)
    puts(out.first ? "[]" : "\n]");
  else if (!out.tsv && out.rows == 0)
    fprintf(stderr, "%s: no contacts%s\n", program, user ? " of that user" : "");
  return 0;
}

/* `add` and `remove`: one row, audited in the database and in syslog. */
static int
cmd_change(int argc, char **argv, gboolean add)
{
  const char *program = add ? "mugai contacts add" : "mugai contacts remove";
  g_autofree char *config = NULL;
  GOptionEntry entries[] = {
      {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config, "Configuration file", "FILE"},
      G_OPTION_ENTRY_NULL,
  };
  g_autoptr(GOptionContext) context = mugai_qcli_context_new(
      add ? "USER ADDRESS - make ADDRESS known as written to by USER"
          : "USER ADDRESS - forget that USER wrote to ADDRESS",
      add ? "Usage: mugai contacts add USER ADDRESS [-c FILE]"
          : "Usage: mugai contacts remove USER ADDRESS [-c FILE]",
      add ? "Adds the row USER (an internal address) -> ADDRESS, kept until removed: mail from\n"
            "ADDRESS is no longer a first contact. An existing learned row becomes kept.\n"
            "The Unix user and the time go to the audit table and to syslog.\n"
            "\n"
            "Exit status: 0 added, 2 usage or configuration error, 75 the database failed,\n"
            "77 permission denied.\n"
          : "Removes the row USER -> ADDRESS, learned or added: unless someone else inside wrote\n"
            "to ADDRESS, its next mail is a first contact again (and the next outbound mail to\n"
            "it teaches it again). Audited like add.\n"
            "\n"
            "Exit status: 0 removed, 2 usage or configuration error, 4 no such row, 75 the\n"
            "database failed, 77 permission denied.\n",
      entries);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(context, &argc, &argv, &error) || argc != 3) {
    fprintf(stderr, "%s: %s (see %s --help)\n", program,
            error ? error->message : "give USER and ADDRESS", program);
    return MUGAI_EXIT_USAGE;
  }
  g_autofree char *domain = NULL;
  g_autofree char *user = mugai_contact_normalize(argv[1], &domain);
  g_clear_pointer(&domain, g_free);
  g_autofree char *addr = mugai_contact_normalize(argv[2], &domain);
  if (user == NULL || addr == NULL) {
    fprintf(stderr, "%s: '%.100s' is not an address (user@domain)\n", program,
            user == NULL ? argv[1] : argv[2]);
    return MUGAI_EXIT_USAGE;
  }
  int status = 0;
  g_autoptr(mugai_quarantine) q = mugai_qcli_open(config, program, NULL, &status);
  if (q == NULL)
    return status;
  gboolean ok = add ? mugai_quarantine_contact_add(q, user, addr,
                                                   g_get_real_time() / G_USEC_PER_SEC, &error)
                    : mugai_quarantine_contact_remove(q, user, addr, &error);
  if (!ok)
    return mugai_qcli_fail(program, error);
  g_autofree char *detail = g_strdup_printf("%s -> %s", user, addr);
  mugai_qcli_syslog(add ? "contact-add" : "contact-remove", "", "admin", detail);
  printf("%s -> %s: %s\n", user, addr, add ? "added" : "removed");
  return 0;
}

static int
cmd_list_rows(int argc, char **argv)
{
  return cmd_list(argc, argv, FALSE);
}

static int
cmd_export(int argc, char **argv)
{
  return cmd_list(argc, argv, TRUE);
}

static int
cmd_add(int argc, char **argv)
{
  return cmd_change(argc, argv, TRUE);
}

static int
cmd_remove(int argc, char **argv)
{
  return cmd_change(argc, argv, FALSE);
}

int
mugai_cmd_contacts(int argc, char **argv)
{
  static const mugai_cli_subcommand commands[] = {
      {"list", cmd_list_rows}, {"export", cmd_export}, {"add", cmd_add}, {"remove", cmd_remove},
  };
  return mugai_cli_run_subcommand("contacts", commands, G_N_ELEMENTS(commands), usage, argc, argv);
}
