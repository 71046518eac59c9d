/* cmd_config_diff.c — `mugai config diff -c OLD -c NEW DIR...`: see a new configuration's effect
 * before deploying it. Every saved message is judged under both policies exactly as `mugai
 * sanitize` judges it (judge.c, shared with it) and each one whose verdict, reason, reply,
 * direction or actions would change is listed. Owns the two policies and their judges, the list
 * of files and the two results of one message at a time; never writes a message anywhere.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <glib/gstdio.h>
#include "cli/cli.h"
#include "cli/judge.h"
#include "sanitize/result.h"

#define PROGRAM "mugai config diff"

static const char summary[] =
    "Usage: mugai config diff -c OLD -c NEW [-v] [--from ADDR] [--rcpt ADDR]... [--client IP]\n"
    "                         [--direction in|out] [--daemon-name NAME] [--size BYTES]\n"
    "                         DIR|MESSAGE...";

static const char description[] =
    "Judges saved messages under the configuration in force (OLD) and a new one (NEW), each\n"
    "exactly as `mugai sanitize` would with the same options, and lists every message whose\n"
    "verdict, refusal reason, SMTP reply, direction or actions would change, one line each:\n"
    "\n"
    "  PATH: verdict=deliver actions=html2text -> verdict=reject reason=autoforward "
    "reply=\"550 5.7.1 ...\"\n"
    "\n"
    "then \"N messages, M would change (V verdict changes)\", and \", K could not be read\" when\n"
    "files or folders could not be read. -v lists the unchanged messages too, marked\n"
    "\"(unchanged)\". The text of a delivered message is not compared, only what was done to it.\n"
    "\n"
    "Each DIR is read recursively: its regular files (and symbolic links to them), in byte order\n"
    "of their paths; names starting with \".\" are left out, symbolic links to folders are not\n"
    "followed. A MESSAGE named on the command line is judged whatever its name. The envelope\n"
    "options apply to every message; without --direction each configuration's [gateway]\n"
    "decides the direction, so it may differ between OLD and NEW.\n"
    "\n"
    "Both files are validated first, every problem printed as `mugai config check` prints it.\n"
    "Each configuration's virus scanner is loaded once, at the first message that needs it (with\n"
    "the official signatures that takes seconds, twice); one that cannot be loaded is reported\n"
    "once, and that configuration's messages get the 451 mugai-milter would answer.\n"
    "\n"
    "Exit status (as diff(1)):\n"
    "  0   no message would change\n"
    "  1   at least one message would change\n"
    "  2   usage or configuration error, or a file or folder that could not be read (named on\n"
    "      standard error; the other messages are still compared and reported)\n";

typedef struct {
  char **configs; /* -c, given twice: OLD then NEW */
  gboolean verbose;
  mugai_judge_options envelope;
  char **paths;
} options;

typedef struct {
  guint messages;   /* message files found, the unreadable ones too */
  guint changed;    /* judged differently */
  guint verdicts;   /* of those, with another verdict */
  guint unreadable; /* files or folders that could not be read */
} tally;

static void
options_clear(options *o)
{
  g_strfreev(o->configs);
  mugai_judge_options_clear(&o->envelope);
  g_strfreev(o->paths);
}

static int
usage_error(const char *problem)
{
  fprintf(stderr, "%s: %s\n%s\n(see mugai config diff --help)\n", PROGRAM, problem, summary);
  return MUGAI_EXIT_USAGE;
}

/* ARGV[0] is "diff". 0, or the exit status of a usage error (printed). */
static int
parse_options(int argc, char **argv, options *o)
{
  GOptionEntry head[] = {
    {"config", 'c', 0, G_OPTION_ARG_FILENAME_ARRAY, &o->configs,
     "Configuration file: first the one in force (OLD), then the new one (NEW)", "FILE"},
    {"verbose", 'v', 0, G_OPTION_ARG_NONE, &o->verbose, "List unchanged messages too", NULL},
    G_OPTION_ENTRY_NULL,
  };
  GOptionEntry rest[] = {
    {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &o->paths, NULL, "DIR|MESSAGE..."},
    G_OPTION_ENTRY_NULL,
  };
  /* GOption adds the DIR|MESSAGE... of G_OPTION_REMAINING to the usage line itself. */
  g_autoptr(GOptionContext) context = g_option_context_new("- what a new configuration changes");
  g_option_context_set_summary(context, summary);
  g_option_context_set_description(context, description);
  g_option_context_add_main_entries(context, head, NULL);
  mugai_judge_add_options(context, &o->envelope);
  g_option_context_add_main_entries(context, rest, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(context, &argc, &argv, &error))
    return usage_error(error->message);
  if (o->configs == NULL || g_strv_length(o->configs) != 2)
    return usage_error("give two configurations: -c OLD -c NEW");
  if (o->paths == NULL || o->paths[0] == NULL)
    return usage_error("no folder or message to judge");
  if (!mugai_judge_options_valid(&o->envelope, PROGRAM))
    return MUGAI_EXIT_USAGE;
  return 0;
}

/* PATH as printed: printable UTF-8 kept (Japanese file names are common); control, format (bidi
 * overrides) and line separator characters and invalid UTF-8 as \ooo, so that a file name can
 * neither forge a line nor reorder one. */
static char *
escape_path(const char *path)
{
  if (!g_utf8_validate(path, -1, NULL))
    return g_strescape(path, NULL);
  GString *out = g_string_new(NULL);
  for (const char *p = path; *p; p = g_utf8_next_char(p)) {
    gunichar c = g_utf8_get_char(p);
    GUnicodeType type = g_unichar_type(c);
    if (c == '\\') {
      g_string_append(out, "\\\\");
    } else if (type == G_UNICODE_CONTROL || type == G_UNICODE_FORMAT ||
               type == G_UNICODE_LINE_SEPARATOR || type == G_UNICODE_PARAGRAPH_SEPARATOR) {
      for (const char *b = p; b < g_utf8_next_char(p); b++)
        g_string_append_printf(out, "\\%03o", (guint) (guchar) *b);
    } else {
      g_string_append_len(out, p, g_utf8_next_char(p) - p);
    }
  }
  return g_string_free(out, FALSE);
}

/* Something that could not be read: WHAT (escaped: it names a file) said on stderr, counted. */
static void
unreadable(tally *t, const char *what)
{
  g_autofree char *shown = escape_path(what);
  fprintf(stderr, "%s: %s\n", PROGRAM, shown);
  t->unreadable++;
}

/* A message found that cannot be read (ERRNO says why): counted among the messages too. */
static void
unreadable_message(tally *t, const char *path, int errno_value)
{
  g_autofree char *what = g_strdup_printf("%s: %s", path, g_strerror(errno_value));
  unreadable(t, what);
  t->messages++;
}

static int
compare_paths(gconstpointer a, gconstpointer b)
{
  return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/* Every regular file below DIR into FILES (transfer full strings), unsorted. */
static void
collect_dir(const char *dir, GPtrArray *files, tally *t)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) d = g_dir_open(dir, 0, &error);
  if (d == NULL) { /* the message names DIR */
    unreadable(t, error->message);
    return;
  }
  const char *name;
  while ((name = g_dir_read_name(d)) != NULL) {
    if (name[0] == '.') /* hidden: .git, editor state, a maildir's .Trash */
      continue;
    g_autofree char *path = g_build_filename(dir, name, NULL);
    GStatBuf st;
    if (g_lstat(path, &st) != 0) {
      unreadable_message(t, path, errno);
      continue;
    }
    gboolean link = S_ISLNK(st.st_mode);
    if (link && g_stat(path, &st) != 0) { /* a link to nothing: a message that is gone */
      unreadable_message(t, path, errno);
      continue;
    }
    if (S_ISDIR(st.st_mode) && !link) /* links to folders are not followed: no loops */
      collect_dir(path, files, t);
    else if (S_ISREG(st.st_mode))
      g_ptr_array_add(files, g_steal_pointer(&path));
  }
}

/* The files ARG names, in order: a folder's regular files sorted by path, or ARG itself. */
static void
collect(const char *arg, GPtrArray *files, tally *t)
{
  GStatBuf st;
  if (g_stat(arg, &st) != 0) {
    unreadable_message(t, arg, errno);
  } else if (S_ISDIR(st.st_mode)) {
    g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func(g_free);
    collect_dir(arg, found, t);
    g_ptr_array_sort(found, compare_paths);
    g_ptr_array_extend_and_steal(files, g_steal_pointer(&found));
  } else if (S_ISREG(st.st_mode)) {
    g_ptr_array_add(files, g_strdup(arg));
  } else { /* a pipe cannot be read twice, once per configuration */
    g_autofree char *what = g_strdup_printf("%s: not a regular file or a folder", arg);
    unreadable(t, what);
    t->messages++;
  }
}

/* What a policy decided for a message, with the summary line's words: the verdict, the actions
 * (always on delivery), and a refusal's reason and reply; sizes and times are left out, since
 * they are not decisions. DIRECTION adds the direction. (transfer full) */
static char *
describe(const mugai_result *r, gboolean direction)
{
  GString *out = g_string_new(NULL);
  g_string_append_printf(out, "verdict=%s", mugai_verdict_name(r->verdict));
  if (direction)
    g_string_append_printf(out, " direction=%s", mugai_direction_name(r->direction));
  g_autofree char *actions = mugai_actions_format(r->actions);
  if (r->verdict == MUGAI_VERDICT_DELIVER || strcmp(actions, "none") != 0)
    g_string_append_printf(out, " actions=%s", actions);
  if (r->verdict != MUGAI_VERDICT_DELIVER) {
    g_string_append_printf(out, " reason=%s", mugai_reason_get(r->reason)->word);
    if (r->reply_text) /* ASCII without control characters (result.h) */
      g_string_append_printf(out, " reply=\"%s %s %s\"", r->reply_code, r->reply_status,
                             r->reply_text);
  }
  return g_string_free(out, FALSE);
}

/* Judge PATH under OLD and NEW into RESULTS. FALSE with ERROR set (naming PATH) when it cannot
 * be read under either. */
static gboolean
judge_both(mugai_judge *judges[2], const options *o, const char *path, mugai_result *results[2],
           GError **error)
{
  for (int i = 0; i < 2; i++) {
    mugai_envelope envelope;
    mugai_read_message message = {0};
    results[i] = mugai_judge_message(judges[i], &o->envelope, path, &envelope, &message, error);
    mugai_read_message_clear(&message);
    if (*error != NULL) {
      g_clear_pointer(&results[0], mugai_result_free);
      g_clear_pointer(&results[1], mugai_result_free);
      return FALSE;
    }
  }
  return TRUE;
}

/* One message: its line when it changed (or with -v), counted in T. */
static void
diff_message(mugai_judge *judges[2], const options *o, const char *path, tally *t)
{
  mugai_result *results[2] = {NULL, NULL};
  g_autoptr(GError) error = NULL;
  if (!judge_both(judges, o, path, results, &error)) {
    unreadable(t, error->message);
    return;
  }
  g_autoptr(mugai_result) old = results[0];
  g_autoptr(mugai_result) new = results[1];
  /* Everything a line can show is compared, the direction included: changed iff the lines
   * would differ. */
  g_autofree char *old_all = describe(old, TRUE);
  g_autofree char *new_all = describe(new, TRUE);
  gboolean changed = strcmp(old_all, new_all) != 0;
  if (changed) {
    t->changed++;
    t->verdicts += old->verdict != new->verdict;
  }
  if (!changed && !o->verbose)
    return;
  g_autofree char *shown = escape_path(path);
  gboolean directions = old->direction != new->direction;
  g_autofree char *old_line = describe(old, directions);
  if (changed) {
    g_autofree char *new_line = describe(new, directions);
    printf("%s: %s -> %s\n", shown, old_line, new_line);
  } else {
    printf("%s: %s (unchanged)\n", shown, old_line);
  }
}

static void
print_tally(const tally *t)
{
  printf("%u %s, %u would change (%u verdict %s)", t->messages,
         t->messages == 1 ? "message" : "messages", t->changed, t->verdicts,
         t->verdicts == 1 ? "change" : "changes");
  if (t->unreadable > 0)
    printf(", %u could not be read", t->unreadable);
  putchar('\n');
}

static int
run(const options *o, mugai_policy *old_policy, mugai_policy *new_policy)
{
  g_autoptr(mugai_judge) old = mugai_judge_new(old_policy, PROGRAM ": OLD");
  g_autoptr(mugai_judge) new = mugai_judge_new(new_policy, PROGRAM ": NEW");
  mugai_judge *judges[2] = {old, new};
  tally t = {0};
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; o->paths[i]; i++)
    collect(o->paths[i], files, &t);
  t.messages += files->len;
  for (guint i = 0; i < files->len; i++)
    diff_message(judges, o, g_ptr_array_index(files, i), &t);
  print_tally(&t);
  if (fflush(stdout) != 0 || ferror(stdout)) {
    fprintf(stderr, "%s: cannot write the report to standard output\n", PROGRAM);
    return MUGAI_EXIT_USAGE;
  }
  if (t.unreadable > 0)
    return MUGAI_EXIT_USAGE;
  return t.changed > 0 ? MUGAI_EXIT_CHANGED : 0;
}

int
mugai_cmd_config_diff(int argc, char **argv)
{
  options o = {0};
  int status = parse_options(argc, argv, &o);
  if (status == 0) {
    /* Both loaded before either is judged, so every problem of both files is printed at once. */
    g_autoptr(mugai_policy) old_policy = mugai_cli_config_load(o.configs[0]);
    g_autoptr(mugai_policy) new_policy = mugai_cli_config_load(o.configs[1]);
    status = old_policy && new_policy ? run(&o, old_policy, new_policy) : MUGAI_EXIT_USAGE;
  }
  options_clear(&o);
  return status;
}
