/* cmd_lists.c — `mugai lists export|import`: the [lists] files as text an admin keeps elsewhere
 * (a spreadsheet, another gateway's export), checked before they replace what mugai-milter reads.
 *
 * Owns the policy of one run. The list text is checked by the same parser the config load uses
 * (mugai_config_parse_sender_list), so a file import accepts is a file the milter loads.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "cli/cli.h"
#include "config/config.h"

static const char description[] =
    "  export NAME           print the senders of the list, one per line, sorted, lower case\n"
    "  import NAME FILE      check FILE (\"-\": standard input) and install it as the list\n"
    "\n"
    "NAME is allow ([lists] allow_senders) or strict ([lists] strict_senders); the file is the\n"
    "one the configuration names. A list holds sender addresses or domains (user@example.jp,\n"
    "example.jp, @example.jp), one per line; blank lines and lines starting with # are allowed.\n"
    "import checks every line first and changes nothing when one is wrong (each problem is\n"
    "printed as FILE:LINE: what is wrong); else it writes the list sorted and without duplicates,\n"
    "keeps the previous one as FILE.bak, and says how many senders were added and removed.\n"
    "mugai-milter reads it at its next reload (systemctl reload mugai-milter). For a new list,\n"
    "create the empty file first (install -m 644 /dev/null FILE), so the configuration loads.\n"
    "\n"
    "Exit status: 0 done, 2 usage, configuration or list error, 75 the list could not be\n"
    "written.\n";

typedef struct {
  char *config;
  gboolean dry_run;
  gboolean verbose;
  char **args;
} options;

static void
options_clear(options *o)
{
  g_free(o->config);
  g_strfreev(o->args);
}

static int
parse_options(int argc, char **argv, options *o)
{
  GOptionEntry entries[] = {
    {"config", 'c', 0, G_OPTION_ARG_FILENAME, &o->config, "Configuration file", "FILE"},
    {"dry-run", 'n', 0, G_OPTION_ARG_NONE, &o->dry_run,
     "import: show what would change (+ added, - removed), write nothing", NULL},
    {"verbose", 'v', 0, G_OPTION_ARG_NONE, &o->verbose,
     "import: show each sender added (+) and removed (-)", NULL},
    {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &o->args, NULL, NULL},
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr(GOptionContext) context = g_option_context_new("export|import NAME [FILE]");
  g_option_context_set_summary(context, "Usage: mugai lists export NAME [-c FILE]\n"
                                        "       mugai lists import NAME FILE [-c FILE] [-n] [-v]");
  g_option_context_set_description(context, description);
  g_option_context_add_main_entries(context, entries, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(context, &argc, &argv, &error)) {
    fprintf(stderr, "mugai lists: %s (see mugai lists --help)\n", error->message);
    return MUGAI_EXIT_USAGE;
  }
  guint n = o->args ? g_strv_length(o->args) : 0;
  gboolean import = n > 0 && strcmp(o->args[0], "import") == 0;
  gboolean export = n > 0 && strcmp(o->args[0], "export") == 0;
  if ((!import && !export) || n != (import ? 3u : 2u) ||
      (strcmp(o->args[1], "allow") != 0 && strcmp(o->args[1], "strict") != 0)) {
    fputs("Usage: mugai lists export allow|strict [-c FILE]\n"
          "       mugai lists import allow|strict FILE [-c FILE] [-n] [-v]\n", stderr);
    return MUGAI_EXIT_USAGE;
  }
  return 0;
}

static const mugai_sender_list *
list_of(const mugai_policy *policy, const char *name, char *const **senders)
{
  gboolean allow = strcmp(name, "allow") == 0;
  *senders = allow ? policy->lists.allow_senders : policy->lists.strict_senders;
  return allow ? &policy->lists.allow : &policy->lists.strict;
}

static int
export_list(const mugai_policy *policy, const char *name)
{
  char *const *senders = NULL;
  const mugai_sender_list *list = list_of(policy, name, &senders);
  printf("# mugai %s list: %s (sha256 %s), %u senders\n", name, list->path, list->sha256,
         g_strv_length((char **) senders));
  for (gsize i = 0; senders[i]; i++)
    printf("%s\n", senders[i]);
  return fflush(stdout) == 0 ? 0 : MUGAI_EXIT_TEMPFAIL;
}

/* Reads PATH ("-": standard input) whole, at most 8 MB: a list of a few thousand senders is a
 * few hundred KB. (transfer full) */
static char *
read_text(const char *path, gsize *len, GError **error)
{
  if (strcmp(path, "-") != 0) {
    char *text = NULL;
    if (!g_file_get_contents(path, &text, len, error))
      return NULL;
    if (*len <= 8u << 20)
      return text;
    g_free(text);
  } else {
    GByteArray *data = g_byte_array_new();
    guint8 chunk[16384];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0 && data->len <= 8u << 20)
      g_byte_array_append(data, chunk, (guint) n);
    if (data->len <= 8u << 20) {
      *len = data->len;
      g_byte_array_append(data, (const guint8 *) "", 1);
      return (char *) g_byte_array_free(data, FALSE);
    }
    g_byte_array_unref(data);
  }
  g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOSPC, "%s: larger than 8M", path);
  return NULL;
}

/* Senders of A that are not in B (both sorted): printed with MARK when SHOW; how many. */
static guint
count_missing(char *const *a, char *const *b, char mark, gboolean show)
{
  guint n = 0;
  for (gsize i = 0, j = 0; a[i]; i++) {
    while (b[j] && strcmp(b[j], a[i]) < 0)
      j++;
    if (b[j] && strcmp(b[j], a[i]) == 0)
      continue;
    n++;
    if (show)
      printf("%c %s\n", mark, a[i]);
  }
  return n;
}

static int
import_list(const mugai_policy *policy, const char *name, const char *source, const options *o)
{
  char *const *old = NULL;
  const mugai_sender_list *list = list_of(policy, name, &old);
  gsize len = 0;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = read_text(source, &len, &error);
  g_auto(GStrv) fresh = text ? mugai_config_parse_sender_list(text, len, source, NULL, &error)
                             : NULL;
  if (fresh == NULL) {
    fprintf(stderr, "mugai lists: nothing changed:\n%s\n", error->message);
    return MUGAI_EXIT_USAGE;
  }
  gboolean show = o->dry_run || o->verbose;
  guint added = count_missing(fresh, old, '+', show);
  guint removed = count_missing(old, fresh, '-', show);
  if (o->dry_run) {
    printf("%s: would have %u senders (+%u added, -%u removed); nothing written (--dry-run)\n",
           list->path, g_strv_length(fresh), added, removed);
    return 0;
  }
  g_autoptr(GString) out = g_string_new(NULL);
  g_string_append_printf(out, "# mugai %s list, written by mugai lists import from %s\n", name,
                         strcmp(source, "-") == 0 ? "standard input" : source);
  for (gsize i = 0; fresh[i]; i++)
    g_string_append_printf(out, "%s\n", fresh[i]);
  g_autofree char *backup = g_strconcat(list->path, ".bak", NULL);
  g_autofree char *previous = NULL;
  gsize previous_len = 0;
  struct stat st;
  int mode = stat(list->path, &st) == 0 ? (int) (st.st_mode & 0777) : 0644;
  if (!g_file_get_contents(list->path, &previous, &previous_len, &error) ||
      !g_file_set_contents_full(backup, previous, (gssize) previous_len,
                                G_FILE_SET_CONTENTS_CONSISTENT, mode, &error) ||
      !g_file_set_contents_full(list->path, out->str, (gssize) out->len,
                                G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE, mode,
                                &error)) {
    fprintf(stderr, "mugai lists: %s\n", error->message);
    return MUGAI_EXIT_TEMPFAIL;
  }
  printf("%s: %u senders (+%u added, -%u removed), the previous list kept as %s; mugai-milter "
         "uses it from its next reload (systemctl reload mugai-milter)\n",
         list->path, g_strv_length(fresh), added, removed, backup);
  return 0;
}

int
mugai_cmd_lists(int argc, char **argv)
{
  options o = {0};
  int status = parse_options(argc, argv, &o);
  if (status == 0) {
    g_autoptr(mugai_policy) policy = mugai_cli_config_load(o.config);
    char *const *senders = NULL;
    if (policy != NULL)
      list_of(policy, o.args[1], &senders);
    if (policy == NULL) {
      status = MUGAI_EXIT_USAGE;
    } else if (senders == NULL) {
      fprintf(stderr, "mugai lists: [lists] %s_senders is not set in %s\n", o.args[1],
              policy->source);
      status = MUGAI_EXIT_USAGE;
    } else if (strcmp(o.args[0], "export") == 0) {
      status = export_list(policy, o.args[1]);
    } else {
      status = import_list(policy, o.args[1], o.args[2], &o);
    }
  }
  options_clear(&o);
  return status;
}
