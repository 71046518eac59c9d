/* config.c — parse and validate mugai.conf (its [rule NAME] sections and [lists] files too) into
 * an immutable mugai_policy, and load it from a file.
 *
 * Walks the one table of keys (config_table.c), as the defaults (policy.c) and the dump
 * (config_dump.c) do, so a key cannot be added in one place and forgotten in another.
 * How: one pass over the text classifies every line and maps each known (group, key) to its line,
 * reporting what GKeyFile cannot (line numbers, unknown and duplicate keys and groups, NUL bytes,
 * bad UTF-8). Only the lines it accepted are handed to GKeyFile, which does the value syntax
 * (escapes); so one bad line never hides the problems on the others. All problems are collected
 * and reported at once as "SOURCE:LINE: [group] key: what is wrong".
 * Never: log, exit, or trust the text (it is fuzzed): input quoted in a message is escaped and
 * truncated, and nothing is read past LEN.
 */
#include "config/config_private.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <gio/gio.h>

#include "config/notice_template.h"
#include "util/units.h"

G_DEFINE_QUARK(mugai-config-error-quark, mugai_config_error)

#define MAX_FILE_BYTES (1024 * 1024) /* a real config is a few KB; this stops /dev/zero */

static char *read_file(const char *path, gsize *len, GError **error);

/* Levenshtein distance ignoring ASCII case, for "did you mean"; G_MAXUINT past 32 bytes. */
static guint edit_distance(const char *a, const char *b)
{
  gsize la = strlen(a), lb = strlen(b);
  guint row[33];
  if (la > 32 || lb > 32)
    return G_MAXUINT;
  for (gsize j = 0; j <= lb; j++)
    row[j] = (guint) j;
  for (gsize i = 1; i <= la; i++) {
    guint diag = row[0];
    row[0] = (guint) i;
    for (gsize j = 1; j <= lb; j++) {
      guint up = row[j];
      guint cost = g_ascii_tolower(a[i - 1]) == g_ascii_tolower(b[j - 1]) ? 0 : 1;
      row[j] = MIN(MIN(up + 1, row[j - 1] + 1), diag + cost);
      diag = up;
    }
  }
  return row[lb];
}

static const config_opt *find_opt(const char *group, const char *key)
{
  for (gsize i = 0; i < mugai_config_opt_count; i++)
    if (strcmp(mugai_config_opts[i].group, group) == 0 && strcmp(mugai_config_opts[i].key, key) == 0)
      return &mugai_config_opts[i];
  return NULL;
}

static gboolean is_known_group(const char *group)
{
  for (gsize i = 0; i < mugai_config_opt_count; i++)
    if (!config_is_rule_match_key(&mugai_config_opts[i]) && strcmp(mugai_config_opts[i].group, group) == 0)
      return TRUE;
  return FALSE;
}

/* The group name (GROUP NULL) or key of GROUP nearest to WORD, if close enough to be a typo. */
static const char *nearest_name(const char *word, const char *group)
{
  const char *best = NULL;
  guint best_distance = 3; /* farther than 2 edits is not a typo */
  for (gsize i = 0; i < mugai_config_opt_count; i++) {
    if ((group != NULL && strcmp(mugai_config_opts[i].group, group) != 0) ||
        (group == NULL && config_is_rule_match_key(&mugai_config_opts[i])))
      continue;
    const char *name = group != NULL ? mugai_config_opts[i].key : mugai_config_opts[i].group;
    guint d = edit_distance(word, name);
    if (d < best_distance) {
      best = name;
      best_distance = d;
    }
  }
  return best;
}

/* What to add after "unknown group": the nearest group, or the list of them. (transfer full) */
static char *unknown_group_hint(const char *group)
{
  const char *near = nearest_name(group, NULL);
  if (near != NULL)
    return g_strdup_printf("; did you mean [%s]?", near);
  GString *hint = g_string_new(" (the groups are");
  for (gsize i = 0; i < mugai_config_opt_count; i++)
    if (config_is_first_of_group(i))
      g_string_append_printf(hint, "%s [%s]", i ? "," : "", mugai_config_opts[i].group);
  g_string_append(hint, ", [rule NAME])");
  return g_string_free(hint, FALSE);
}

/* What to add after "unknown key": the group it belongs in, or the nearest key. (transfer full) */
static char *unknown_key_hint(const char *group, const char *key)
{
  for (gsize i = 0; i < mugai_config_opt_count; i++)
    if (strcmp(mugai_config_opts[i].key, key) == 0)
      return config_is_rule_match_key(&mugai_config_opts[i])
                 ? g_strdup("; it belongs in a [rule NAME] section")
                 : g_strdup_printf("; it belongs in [%s]", mugai_config_opts[i].group);
  const char *near = nearest_name(key, group);
  return near != NULL ? g_strdup_printf("; did you mean %s?", near) : g_strdup("");
}

/* TRUE when VALUE has the shape of a number for OPT, so failing to parse it means overflow. */
static gboolean is_well_formed_number(const config_opt *opt, const char *value)
{
  const char *p = value;
  if (!g_ascii_isdigit(*p))
    return FALSE;
  while (g_ascii_isdigit(*p))
    p++;
  if (opt->type == OPT_SIZE) {
    if (*p != '\0' && strchr("kKmMgG", *p) != NULL)
      p++;
    if (*p == 'b' || *p == 'B')
      p++;
  }
  return *p == '\0';
}

static char *apply_number(const config_opt *opt, const char *value, void *field)
{
  guint64 n = 0;
  gboolean ok = opt->type == OPT_SIZE ? mugai_parse_size(value, &n) : mugai_parse_uint(value, &n);
  g_autofree char *v = shown(value);
  g_autofree char *min = config_format_number(opt, opt->min);
  g_autofree char *max = config_format_number(opt, opt->max);
  if (!ok && !is_well_formed_number(opt, value)) {
    g_autofree char *q = quoted(value);
    if (opt->type == OPT_SIZE)
      return g_strdup_printf("%s is not a size (a whole number of bytes, "
                             "or of K, M or G, e.g. %s)", q, opt->def);
    return g_strdup_printf("%s is not a whole number", q);
  }
  if (!ok) /* well formed but past 2^64: above any maximum */
    return opt->max == NO_MAX ? g_strdup_printf("%s is too large", v)
                              : g_strdup_printf("%s is above the maximum %s", v, max);
  if (n < opt->min)
    return g_strdup_printf("%s is below the minimum %s", v, min);
  if (n > opt->max)
    return g_strdup_printf("%s is above the maximum %s", v, max);
  if (opt->type == OPT_SIZE) {
    *(guint64 *) field = n;
  } else {
    g_assert(opt->max <= G_MAXUINT);
    *(guint *) field = (guint) n;
  }
  return NULL;
}

static char *apply_string(const config_opt *opt, const char *value, void *field)
{
  for (const char *p = value; *p != '\0'; p++) {
    if ((guchar) *p < 0x20 || *p == 0x7f) {
      g_autofree char *q = quoted(value);
      return g_strdup_printf("%s contains a control character", q);
    }
  }
  char *why = opt->check != NULL ? opt->check(value) : NULL;
  if (why != NULL)
    return why;
  char **slot = field;
  g_free(*slot);
  *slot = g_strdup(value);
  return NULL;
}

static char *apply_enum(const config_opt *opt, const char *value, void *field)
{
  g_autoptr(GString) list = g_string_new(NULL);
  for (gsize i = 0; opt->choices[i] != NULL; i++) {
    if (*opt->choices[i] == '\0')
      continue;
    if (strcmp(value, opt->choices[i]) == 0) {
      *(int *) field = (int) i;
      return NULL;
    }
    g_string_append_printf(list, "%s%s", list->len ? ", " : "", opt->choices[i]);
  }
  g_autofree char *q = quoted(value);
  return g_strdup_printf("%s is not one of: %s", q, list->str);
}

static char *apply_bool(const char *value, void *field)
{
  static const char *const yes[] = {"yes", "true", "on"}, *const no[] = {"no", "false", "off"};
  for (gsize i = 0; i < G_N_ELEMENTS(yes); i++) {
    if (g_ascii_strcasecmp(value, yes[i]) == 0 || g_ascii_strcasecmp(value, no[i]) == 0) {
      *(gboolean *) field = g_ascii_strcasecmp(value, yes[i]) == 0;
      return NULL;
    }
  }
  g_autofree char *q = quoted(value);
  return g_strdup_printf("%s is not yes or no", q);
}

static char *apply_duration(const config_opt *opt, const char *value, void *field)
{
  guint64 n = 0;
  g_autofree char *q = quoted(value);
  if (!mugai_parse_duration(value, &n))
    return g_strdup_printf("%s is not a duration (seconds, or with s, m, h, d or w, e.g. %s)", q,
                           opt->def);
  if (n < opt->min || n > opt->max)
    return g_strdup_printf("%s is outside %" G_GUINT64_FORMAT "s to %" G_GUINT64_FORMAT "s", q,
                           opt->min, opt->max);
  *(guint64 *) field = n;
  return NULL;
}

/* A notice template: "" is the built-in text of the key's language; else an absolute path to a
 * UTF-8 file, read and checked now, so a reload never starts with a template it cannot use. */
static char *apply_template(const config_opt *opt, const char *value, void *field)
{
  mugai_notice_template *t = field;
  g_autofree char *text = NULL;
  if (*value == '\0') {
    text = g_strdup(strcmp(opt->key, "template_en") == 0 ? mugai_notice_template_en
                                                         : mugai_notice_template_ja);
  } else {
    char *why = config_check_absolute_path(value);
    if (why != NULL)
      return why;
    g_autoptr(GError) err = NULL;
    gsize len = 0;
    if (!g_file_get_contents(value, &text, &len, &err))
      return g_strdup(err->message);
    if (len > MUGAI_NOTICE_TEMPLATE_MAX || memchr(text, '\0', len) != NULL) {
      g_autofree char *q = quoted(value);
      return g_strdup_printf("%s: not a text of at most %d bytes", q, MUGAI_NOTICE_TEMPLATE_MAX);
    }
  }
  g_autofree char *problem = mugai_notice_template_check(text);
  if (problem != NULL) {
    g_autofree char *q = quoted(value);
    return g_strdup_printf("%s: %s", q, problem);
  }
  g_free(t->path);
  g_free(t->text);
  t->path = g_strdup(value);
  t->text = g_steal_pointer(&text);
  return NULL;
}

/* Parses the trimmed VALUE for OPT into POLICY. NULL on success, else what is wrong; on failure
 * POLICY is unchanged. */
/* Items separated by commas and/or white space, each checked; stored as a GStrv (empty: no
 * items). */
static char *apply_list(const config_opt *opt, const char *value, void *field)
{
  g_auto(GStrv) raw = g_regex_split_simple("[,\\s]+", value, 0, 0);
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; raw[i] != NULL; i++) {
    if (*raw[i] == '\0')
      continue;
    char *why = opt->check(raw[i]);
    if (why != NULL)
      return why;
    g_ptr_array_add(items, g_strdup(raw[i]));
  }
  g_ptr_array_add(items, NULL);
  char ***slot = field;
  g_strfreev(*slot);
  *slot = (char **) g_ptr_array_free(g_steal_pointer(&items), FALSE);
  return NULL;
}

static char *opt_apply(const config_opt *opt, const char *value, mugai_policy *policy)
{
  if (*value == '\0' && !opt->empty_ok)
    return g_strdup_printf("empty value (delete the line to use the default, %s)", opt->def);
  if (strstr(value, " #") != NULL || strstr(value, "\t#") != NULL) {
    g_autofree char *q = quoted(value); /* "64M  # default" would otherwise be read as a value */
    return g_strdup_printf("%s: a comment must be on a line of its own", q);
  }
  void *field = (char *) policy + opt->offset;
  char *why = NULL;
  switch (opt->type) {
  case OPT_STRING: why = apply_string(opt, value, field); break;
  case OPT_SIZE:
  case OPT_UINT: why = apply_number(opt, value, field); break;
  case OPT_ENUM: why = apply_enum(opt, value, field); break;
  case OPT_BOOL: why = apply_bool(value, field); break;
  case OPT_DURATION: why = apply_duration(opt, value, field); break;
  case OPT_TEMPLATE: why = apply_template(opt, value, field); break;
  case OPT_LIST: why = apply_list(opt, value, field); break;
  }
  if (why == NULL && opt->derive != NULL)
    opt->derive(policy);
  return why;
}

void mugai_config_set_defaults(mugai_policy *policy)
{
  g_return_if_fail(policy != NULL);
  for (gsize i = 0; i < mugai_config_opt_count; i++) {
    g_autofree char *why = opt_apply(&mugai_config_opts[i], mugai_config_opts[i].def, policy);
    if (why != NULL) /* a bug in the table above; test_config parses every default */
      g_error("config: default of [%s] %s: %s", mugai_config_opts[i].group, mugai_config_opts[i].key, why);
  }
}

typedef struct {
  guint line;
  char *text; /* the problem without "SOURCE:LINE: " */
} problem;

typedef enum { IN_NO_GROUP, IN_KNOWN_GROUP, IN_RULE_GROUP, IN_SKIPPED_GROUP } group_state;

/* A [rule NAME] section as the scan found it. */
typedef struct {
  char *name;
  guint line;         /* of its header */
  GHashTable *keys;   /* const config_opt * → line: match keys, and the GROUP.KEY it sets */
  gboolean troubled;  /* a key of it had a problem: "matches nothing" would be a second one */
} rule_scan;

static void rule_scan_free(gpointer data)
{
  rule_scan *rs = data;
  g_free(rs->name);
  g_hash_table_unref(rs->keys);
  g_free(rs);
}

typedef struct {
  GArray *problems;   /* of problem, in the order found */
  GHashTable *groups; /* known group name (owned) → first line */
  GHashTable *keys;   /* const config_opt * → first line it was set on */
  GString *accepted;  /* what GKeyFile parses: one line per input line, rejected lines blank */
  group_state state;
  const char *group;  /* the current known group: a key of GROUPS */
  GPtrArray *rules;   /* rule_scan *, in file order */
  rule_scan *rule;    /* the current [rule NAME] (IN_RULE_GROUP) */
  gboolean scanning;  /* problems of the scan come in line order, so past the listed ones they */
  guint dropped;      /* are only counted: a 1 MB file of junk lines costs no 1 M strings */
} parser;

static void problem_clear(gpointer data)
{
  g_free(((problem *) data)->text);
}

static void parser_init(parser *ps)
{
  ps->problems = g_array_new(FALSE, FALSE, sizeof(problem));
  g_array_set_clear_func(ps->problems, problem_clear);
  ps->groups = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  ps->keys = g_hash_table_new(NULL, NULL);
  ps->accepted = g_string_new(NULL);
  ps->state = IN_NO_GROUP;
  ps->group = NULL;
  ps->rules = g_ptr_array_new_with_free_func(rule_scan_free);
  ps->rule = NULL;
  ps->scanning = TRUE;
  ps->dropped = 0;
}

static void parser_clear(parser *ps)
{
  g_array_unref(ps->problems);
  g_hash_table_unref(ps->groups);
  g_hash_table_unref(ps->keys);
  g_ptr_array_unref(ps->rules);
  g_string_free(ps->accepted, TRUE);
}

G_GNUC_PRINTF(3, 4)
static void add_problem(parser *ps, guint line, const char *format, ...)
{
  if (ps->scanning && ps->problems->len > MAX_REPORTED) {
    ps->dropped++; /* kept: MAX_REPORTED + 1, enough to know where "and N more" starts */
    return;
  }
  va_list args;
  va_start(args, format);
  problem p = {line, g_strdup_vprintf(format, args)};
  va_end(args);
  g_array_append_val(ps->problems, p);
}

/* NAME: what follows "[rule" in a section header. */
static void scan_rule_group(parser *ps, guint line, const char *text)
{
  g_autofree char *name = g_strstrip(g_strdup(text));
  g_autofree char *v = shown(name);
  gboolean ok = *name != '\0' && strlen(name) <= RULE_NAME_MAX;
  for (const char *p = name; ok && *p; p++)
    ok = g_ascii_isalnum(*p) || strchr("._-", *p) != NULL;
  if (!ok) {
    add_problem(ps, line, "[rule %s]: a rule needs a name of 1 to %d letters, digits, . _ or - "
                "(e.g. [rule finance])", v, RULE_NAME_MAX);
    return;
  }
  if (g_ascii_strcasecmp(name, "allow") == 0 || g_ascii_strcasecmp(name, "strict") == 0) {
    g_autofree char *list = g_ascii_strdown(name, -1);
    add_problem(ps, line, "[rule %s]: the name is the [lists] %s_senders list's", v, list);
    return;
  }
  for (guint i = 0; i < ps->rules->len; i++) {
    const rule_scan *other = g_ptr_array_index(ps->rules, i);
    if (g_ascii_strcasecmp(other->name, name) == 0) {
      add_problem(ps, line, "[rule %s]: duplicate rule, first at line %u", name, other->line);
      return;
    }
  }
  rule_scan *rs = g_new0(rule_scan, 1);
  rs->name = g_steal_pointer(&name);
  rs->line = line;
  rs->keys = g_hash_table_new(NULL, NULL);
  g_ptr_array_add(ps->rules, rs);
  ps->rule = rs;
  ps->state = IN_RULE_GROUP;
  g_string_append_printf(ps->accepted, "[rule %s]", rs->name);
}

/* What to add after "[rule NAME] KEY: unknown key" for a KEY without a group. (transfer full) */
static char *rule_key_hint(const char *key)
{
  g_autoptr(GString) forms = g_string_new(NULL);
  const char *fixed = NULL;
  for (gsize i = 0; i < mugai_config_opt_count; i++) {
    if (strcmp(mugai_config_opts[i].key, key) != 0 || config_is_rule_match_key(&mugai_config_opts[i]))
      continue;
    if (config_is_rule_key(&mugai_config_opts[i]))
      g_string_append_printf(forms, "%s%s.%s", forms->len ? " or " : "", mugai_config_opts[i].group, key);
    else
      fixed = mugai_config_opts[i].group;
  }
  if (forms->len)
    return g_strdup_printf("; a rule names the group too: write %s", forms->str);
  if (fixed != NULL)
    return g_strdup_printf("; [%s] %s cannot be set in a rule", fixed, key);
  const char *near = nearest_name(key, RULE_GROUP);
  return near != NULL ? g_strdup_printf("; did you mean %s?", near) : g_strdup("");
}

/* The table entry KEY names inside a [rule NAME]: a match key, or GROUP.KEY of a key a rule may
 * set; NULL after adding the problem. */
static const config_opt *scan_rule_key_name(parser *ps, guint line, const char *key)
{
  g_autofree char *k = shown(key);
  const char *dot = strchr(key, '.');
  if (dot == NULL) {
    const config_opt *opt = find_opt(RULE_GROUP, key);
    if (opt == NULL) {
      g_autofree char *hint = rule_key_hint(key);
      add_problem(ps, line, "[rule %s] %s: unknown key%s", ps->rule->name, k, hint);
    }
    return opt;
  }
  g_autofree char *group = g_strndup(key, (gsize) (dot - key));
  const config_opt *opt = is_known_group(group) ? find_opt(group, dot + 1) : NULL;
  if (opt == NULL) {
    add_problem(ps, line, "[rule %s] %s: unknown key (a rule sets GROUP.KEY, e.g. "
                "inbound.max_message_size)", ps->rule->name, k);
  } else if (!config_is_rule_key(opt)) {
    add_problem(ps, line, "[rule %s] %s: cannot be set in a rule (it is not decided per "
                "message)", ps->rule->name, k);
    opt = NULL;
  }
  return opt;
}

/* T: a trimmed line starting with '['. Keys under a bad header are skipped, not reported one by one:
 * one mistake should give one problem. */
static void scan_group(parser *ps, guint line, char *t)
{
  g_autofree char *q = quoted(t);
  char *close = strchr(t, ']');
  ps->state = IN_SKIPPED_GROUP;
  if (close == NULL) {
    add_problem(ps, line, "%s: a group header needs a closing \"]\"", q);
    return;
  }
  if (close[1] != '\0') {
    add_problem(ps, line, "%s: unexpected text after \"]\"", q);
    return;
  }
  *close = '\0';
  const char *name = t + 1;
  if (g_str_has_prefix(name, RULE_GROUP) && (name[4] == '\0' || g_ascii_isspace(name[4]))) {
    scan_rule_group(ps, line, name + 4);
    return;
  }
  if (!is_known_group(name)) {
    g_autofree char *v = shown(name);
    g_autofree char *hint = unknown_group_hint(name);
    add_problem(ps, line, "[%s]: unknown group%s", v, hint);
    return;
  }
  gpointer first_name = NULL, first_line = NULL;
  if (g_hash_table_lookup_extended(ps->groups, name, &first_name, &first_line)) {
    add_problem(ps, line, "[%s]: duplicate group, first at line %u", name,
                GPOINTER_TO_UINT(first_line));
    ps->group = first_name; /* keep checking its keys: a key set under both is reported too */
  } else {
    char *owned = g_strdup(name);
    g_hash_table_insert(ps->groups, owned, GUINT_TO_POINTER(line));
    ps->group = owned;
  }
  ps->state = IN_KNOWN_GROUP;
  g_string_append_printf(ps->accepted, "[%s]", name);
}

/* T: a trimmed line with '=' at EQ. Only known, first-time keys reach GKeyFile. */
static void scan_key(parser *ps, guint line, char *t, char *eq)
{
  *eq = '\0';
  char *key = g_strchomp(t);
  g_autofree char *k = shown(key);
  if (*key == '\0') {
    add_problem(ps, line, "\"=\" without a key name before it");
    return;
  }
  if (ps->state == IN_SKIPPED_GROUP)
    return;
  if (ps->state == IN_NO_GROUP) {
    add_problem(ps, line, "%s: key before the first [group]", k);
    return;
  }
  if (ps->state == IN_RULE_GROUP) {
    const config_opt *opt = scan_rule_key_name(ps, line, key);
    ps->rule->troubled = ps->rule->troubled || opt == NULL;
    if (opt == NULL)
      return;
    gpointer first = NULL;
    if (g_hash_table_lookup_extended(ps->rule->keys, opt, NULL, &first)) {
      ps->rule->troubled = TRUE;
      add_problem(ps, line, "[rule %s] %s: duplicate key, first set at line %u", ps->rule->name,
                  k, GPOINTER_TO_UINT(first));
      return;
    }
    g_hash_table_insert(ps->rule->keys, (gpointer) opt, GUINT_TO_POINTER(line));
    g_autofree char *name = config_rule_key_spelling(opt);
    g_string_append_printf(ps->accepted, "%s=%s", name, eq + 1);
    return;
  }
  const config_opt *opt = find_opt(ps->group, key);
  if (opt == NULL) {
    g_autofree char *hint = unknown_key_hint(ps->group, key);
    add_problem(ps, line, "[%s] %s: unknown key%s", ps->group, k, hint);
    return;
  }
  gpointer first = NULL;
  if (g_hash_table_lookup_extended(ps->keys, opt, NULL, &first)) {
    add_problem(ps, line, "[%s] %s: duplicate key, first set at line %u", opt->group, opt->key,
                GPOINTER_TO_UINT(first));
    return;
  }
  g_hash_table_insert(ps->keys, (gpointer) opt, GUINT_TO_POINTER(line));
  g_string_append_printf(ps->accepted, "%s=%s", opt->key, eq + 1);
}

/* One line of LEN bytes (not NUL-terminated, without its '\n'). Appends exactly one line to
 * ps->accepted, so GKeyFile's view keeps the same line numbers. */
static void scan_line(parser *ps, guint line, const char *text, gsize len)
{
  if (memchr(text, '\0', len) != NULL) {
    add_problem(ps, line, "this line contains a NUL byte");
  } else if (!g_utf8_validate(text, (gssize) len, NULL)) {
    add_problem(ps, line, "this line is not valid UTF-8 (save the file as UTF-8)");
  } else {
    g_autofree char *copy = g_strndup(text, len);
    char *t = g_strstrip(copy); /* also drops the '\r' of CRLF files */
    char *eq = strchr(t, '=');
    if (*t == '\0' || *t == '#' || *t == ';') {
      /* blank or comment: nothing for GKeyFile (which knows only '#') */
    } else if (*t == '[') {
      scan_group(ps, line, t);
    } else if (eq != NULL) {
      scan_key(ps, line, t, eq);
    } else {
      g_autofree char *q = quoted(t);
      add_problem(ps, line, "%s: expected [group], key = value, or a comment (# or ;)", q);
    }
  }
  g_string_append_c(ps->accepted, '\n');
}

static void scan_text(parser *ps, const char *text, gsize len)
{
  const char *p = text, *end = text + len;
  if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
    p += 3; /* Windows editors start UTF-8 files with a byte-order mark */
  for (guint line = 1; p < end; line++) {
    const char *nl = memchr(p, '\n', (gsize) (end - p));
    gsize n = nl != NULL ? (gsize) (nl - p) : (gsize) (end - p);
    scan_line(ps, line, p, n);
    if (nl == NULL)
      break;
    p = nl + 1;
  }
}

/* Every key in KEYS (const config_opt * → line) gets its value from GKeyFile, trimmed, checked
 * against the table, and set in POLICY; the keys of RULE (nullable: the main groups) come from its
 * section. Problems are added only when REPORT: a rule's policy starts from the main values, whose
 * problems are reported once. */
static void apply_values(parser *ps, GKeyFile *kf, GHashTable *keys, const rule_scan *rule,
                         mugai_policy *policy, gboolean report)
{
  g_autofree char *rule_group = rule ? g_strdup_printf("rule %s", rule->name) : NULL;
  for (gsize i = 0; i < mugai_config_opt_count; i++) {
    const config_opt *opt = &mugai_config_opts[i];
    gpointer line = NULL;
    if (!g_hash_table_lookup_extended(keys, opt, NULL, &line))
      continue; /* absent: the default stays */
    g_autofree char *key = rule ? config_rule_key_spelling(opt) : g_strdup(opt->key);
    const char *group = rule ? rule_group : opt->group;
    g_autoptr(GError) err = NULL;
    g_autofree char *raw = g_key_file_get_string(kf, group, key, &err);
    g_autofree char *why = NULL;
    if (err != NULL && !g_error_matches(err, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE)) {
      why = g_strdup(err->message); /* not expected: the scan handed GKeyFile this very key */
    } else if (err != NULL) {
      /* A bad "\" escape. GLib sets ERR yet still returns a string, and its message does not
       * show the text, so show it here. */
      g_autofree char *text = g_key_file_get_value(kf, group, key, NULL);
      g_autofree char *q = quoted(text != NULL ? g_strstrip(text) : "");
      why = g_strdup_printf("%s: a backslash must start \\s, \\t, \\n, \\r or \\\\ "
                            "(write \\\\ for one backslash)", q);
    } else {
      why = opt_apply(opt, g_strstrip(raw), policy);
    }
    if (why != NULL && report)
      add_problem(ps, GPOINTER_TO_UINT(line), "[%s] %s: %s", group, key, why);
  }
}

/* What a [lists] file changes for its senders, on top of the values of their recipient's rule (or
 * the main ones): allow exempts them from the rules that judge the sender (never from sanitizing,
 * scanning or size caps); strict gives the strictest answers. */
static const char *const allow_changes[] = {"impersonation.action=no", "autoforward.block=no",
                                            "authentication.dmarc_fail=no", NULL};
static const char *const strict_changes[] = {
  "impersonation.action=reject", "autoforward.block=both", "authentication.dmarc_fail=reject",
  "links.defang_web=yes",
  "links.defang_mailto=yes", "links.defang_tel=yes", "outbound.attachments=block", NULL};

/* The senders of the [lists] file KEY names (LIST), its hash set; NULL when the key is empty or on
 * a problem (added). (transfer full) */
static char **read_sender_list(parser *ps, const char *key, mugai_sender_list *list)
{
  g_free(list->sha256);
  list->sha256 = g_strdup("");
  if (*list->path == '\0')
    return NULL;
  guint line = GPOINTER_TO_UINT(g_hash_table_lookup(ps->keys, find_opt("lists", key)));
  gsize len = 0;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = read_file(list->path, &len, &error);
  char **senders = text ? mugai_config_parse_sender_list(text, len, list->path, NULL, &error)
                        : NULL;
  if (senders == NULL) {
    g_auto(GStrv) lines = g_strsplit(error->message, "\n", -1);
    for (guint i = 0; lines[i]; i++)
      add_problem(ps, line, "[lists] %s: %s", key, lines[i]);
    return NULL;
  }
  g_free(list->sha256);
  list->sha256 = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *) text, len);
  return senders;
}

/* A policy from the main values, then those of RS (nullable: none), then LIST_CHANGES (nullable:
 * none); only the keys of RS report their problems (the main ones are reported once). */
static mugai_policy *build_policy(parser *ps, GKeyFile *kf, const rule_scan *rs,
                                  const char *const *list_changes)
{
  mugai_policy *policy = mugai_policy_new_defaults();
  apply_values(ps, kf, ps->keys, NULL, policy, FALSE);
  if (rs != NULL)
    apply_values(ps, kf, rs->keys, rs, policy, list_changes == NULL);
  for (gsize i = 0; list_changes && list_changes[i]; i++) {
    g_auto(GStrv) kv = g_strsplit_set(list_changes[i], ".=", 3);
    g_autofree char *why = opt_apply(find_opt(kv[0], kv[1]), kv[2], policy);
    g_assert(why == NULL); /* a bug in the tables above */
  }
  if (rs != NULL) {
    g_free(policy->rule.name);
    policy->rule.name = g_strdup(rs->name);
  }
  return policy;
}

/* The allow and strict variants of POLICY (the main one, or that of RS), for the senders on the
 * lists whose senders MAIN has. */
static void add_list_variants(parser *ps, GKeyFile *kf, const rule_scan *rs,
                              const mugai_policy *main, mugai_policy *policy)
{
  if (main->lists.allow_senders != NULL) {
    policy->allow_variant = build_policy(ps, kf, rs, allow_changes);
    policy->allow_variant->rule.list = "allow";
  }
  if (main->lists.strict_senders != NULL) {
    policy->strict_variant = build_policy(ps, kf, rs, strict_changes);
    policy->strict_variant->rule.list = "strict";
  }
}

/* The [lists] files, then each [rule NAME] of the file into POLICY: its rules (the main values,
 * then the rule's own) in file order, and the list variants of each. */
static void apply_rules(parser *ps, GKeyFile *kf, mugai_policy *policy)
{
  policy->lists.allow_senders = read_sender_list(ps, "allow_senders", &policy->lists.allow);
  policy->lists.strict_senders = read_sender_list(ps, "strict_senders", &policy->lists.strict);
  add_list_variants(ps, kf, NULL, policy, policy);
  policy->rules = g_ptr_array_new_with_free_func((GDestroyNotify) mugai_policy_unref);
  for (guint i = 0; i < ps->rules->len; i++) {
    const rule_scan *rs = g_ptr_array_index(ps->rules, i);
    guint before = ps->problems->len;
    mugai_policy *rule = build_policy(ps, kf, rs, NULL);
    if (!rule->rule.match_rcpt[0] && !rule->rule.match_rcpt_domain[0] &&
        !rule->rule.match_sender[0] && !rule->rule.match_first_contact && !rs->troubled &&
        ps->problems->len == before)
      add_problem(ps, rs->line, "[rule %s]: matches nothing (set match_rcpt, match_rcpt_domain, "
                  "match_sender or match_first_contact)", rs->name);
    add_list_variants(ps, kf, rs, policy, rule);
    g_ptr_array_add(policy->rules, rule);
  }
}

/* Does POLICY hold some mail (keep it in the quarantine, undelivered)? The key that says so. */
static const config_opt *holding_key(const mugai_policy *policy)
{
  if (policy->outbound.individual_numbers == MUGAI_INDIVIDUAL_NUMBERS_HOLD)
    return find_opt("outbound", "individual_numbers");
  if (policy->scan.infected == MUGAI_ANSWER_HOLD)
    return find_opt("scan", "infected");
  return NULL;
}

/* Holding mail needs somewhere to hold it: without [quarantine] dir, every such message would
 * be a tempfail, so the file is refused instead. */
static void check_hold_has_quarantine(parser *ps, const mugai_policy *policy)
{
  if (mugai_quarantine_policy_enabled(&policy->quarantine))
    return;
  const config_opt *opt = holding_key(policy);
  if (opt != NULL) {
    guint line = GPOINTER_TO_UINT(g_hash_table_lookup(ps->keys, opt));
    add_problem(ps, line, "[%s] %s: holding mail needs a quarantine: set [quarantine] dir",
                opt->group, opt->key);
  }
  for (guint i = 0; i < policy->rules->len; i++) {
    opt = holding_key(g_ptr_array_index(policy->rules, i));
    const rule_scan *rs = g_ptr_array_index(ps->rules, i);
    if (opt != NULL)
      add_problem(ps, rs->line, "[rule %s] %s.%s: holding mail needs a quarantine: set "
                  "[quarantine] dir", rs->name, opt->group, opt->key);
  }
}

/* A first-contact rule needs the database where [contacts] are learned: without a quarantine
 * every sender would be a first contact forever, which no admin means. */
static void check_first_contact_has_quarantine(parser *ps, const mugai_policy *policy)
{
  if (mugai_quarantine_policy_enabled(&policy->quarantine))
    return;
  const config_opt *opt = find_opt(RULE_GROUP, "match_first_contact");
  for (guint i = 0; i < policy->rules->len; i++) {
    const mugai_policy *rule = g_ptr_array_index(policy->rules, i);
    const rule_scan *rs = g_ptr_array_index(ps->rules, i);
    if (rule->rule.match_first_contact)
      add_problem(ps, GPOINTER_TO_UINT(g_hash_table_lookup(rs->keys, opt)),
                  "[rule %s] match_first_contact: telling first contacts needs the quarantine's "
                  "database, where [contacts] learns who has been written to: set [quarantine] "
                  "dir (or backend = postgresql)", rs->name);
  }
}

/* A PostgreSQL quarantine must say where the database is: libpq's own defaults (a local socket,
 * the Unix user's name) would put the originals wherever the environment happens to point. */
static void check_quarantine_backend(parser *ps, const mugai_policy *policy)
{
  if (policy->quarantine.backend != MUGAI_QUARANTINE_BACKEND_POSTGRESQL ||
      *policy->quarantine.dsn != '\0')
    return;
  const config_opt *opt = find_opt("quarantine", "backend");
  guint line = GPOINTER_TO_UINT(g_hash_table_lookup(ps->keys, opt));
  add_problem(ps, line, "[quarantine] backend: postgresql needs [quarantine] dsn (where the "
              "database is)");
}

static gint problem_compare(gconstpointer a, gconstpointer b)
{
  guint la = ((const problem *) a)->line, lb = ((const problem *) b)->line;
  return (la > lb) - (la < lb);
}

static void report(parser *ps, const char *source, GPtrArray *problems, GError **error)
{
  g_array_sort(ps->problems, problem_compare); /* stable: one line's problems keep their order */
  GString *all = g_string_new(NULL);
  guint n = ps->problems->len + ps->dropped;
  for (guint i = 0; i < ps->problems->len && i <= MAX_REPORTED; i++) {
    const problem *p = &g_array_index(ps->problems, problem, i);
    char *text = i < MAX_REPORTED
                     ? g_strdup_printf("%s:%u: %s", source, p->line, p->text)
                     : g_strdup_printf("%s:%u: and %u more problems", source, p->line, n - i);
    g_string_append_printf(all, "%s%s", all->len ? "\n" : "", text);
    if (problems != NULL)
      g_ptr_array_add(problems, text);
    else
      g_free(text);
  }
  g_set_error_literal(error, MUGAI_CONFIG_ERROR, MUGAI_CONFIG_ERROR_INVALID, all->str);
  g_string_free(all, TRUE);
}

mugai_policy *mugai_config_parse(const char *text, gsize len, const char *source,
                                 GPtrArray *problems, GError **error)
{
  g_return_val_if_fail(text != NULL || len == 0, NULL);
  g_return_val_if_fail(source != NULL, NULL);
  g_return_val_if_fail(error == NULL || *error == NULL, NULL);
  if (text == NULL)
    text = "";
  if (len == (gsize) -1)
    len = strlen(text); /* GLib's convention for NUL-terminated text */

  parser ps;
  parser_init(&ps);
  scan_text(&ps, text, len);
  ps.scanning = FALSE; /* the values' problems may be on any line: keep them all (one per key) */

  g_autoptr(mugai_policy) policy = mugai_policy_new_defaults();
  g_autoptr(GKeyFile) kf = g_key_file_new();
  g_autoptr(GError) kf_error = NULL;
  if (g_key_file_load_from_data(kf, ps.accepted->str, ps.accepted->len, G_KEY_FILE_NONE,
                                &kf_error)) {
    apply_values(&ps, kf, ps.keys, NULL, policy, TRUE);
    apply_rules(&ps, kf, policy);
    if (ps.problems->len == 0) {
      check_quarantine_backend(&ps, policy);
      check_hold_has_quarantine(&ps, policy);
      check_first_contact_has_quarantine(&ps, policy);
    }
  } else /* not expected: GKeyFile sees only lines the scan accepted; the first is the best guess */
    add_problem(&ps, 1, "%s", kf_error->message);

  gboolean ok = ps.problems->len == 0;
  if (!ok)
    report(&ps, source, problems, error);
  parser_clear(&ps);
  if (!ok)
    return NULL;

  g_free(policy->source);
  policy->source = g_strdup(source);
  g_free(policy->sha256);
  policy->sha256 = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *) text, len);
  for (guint i = 0; i < policy->rules->len; i++) {
    mugai_policy *rule = g_ptr_array_index(policy->rules, i);
    g_free(rule->source);
    rule->source = g_strdup(source);
    g_free(rule->sha256);
    rule->sha256 = g_strdup(policy->sha256);
  }
  return g_steal_pointer(&policy);
}

/* Reads PATH whole (at most MAX_FILE_BYTES); NUL-terminated. Errors are "PATH: strerror". */
static char *read_file(const char *path, gsize *len, GError **error)
{
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  int failure = fd < 0 ? errno : 0;
  g_autofree char *unsafe = fd >= 0 ? config_check_file_safe(fd, path) : NULL;
  if (unsafe != NULL) {
    close(fd);
    g_set_error_literal(error, MUGAI_CONFIG_ERROR, MUGAI_CONFIG_ERROR_IO, unsafe);
    return NULL;
  }
  GByteArray *data = g_byte_array_new();
  guint8 chunk[16384];
  while (failure == 0) {
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      failure = errno; /* EISDIR for a directory */
    else if (n == 0)
      break;
    else if (data->len + (gsize) n > MAX_FILE_BYTES)
      failure = EFBIG;
    else
      g_byte_array_append(data, chunk, (guint) n);
  }
  if (fd >= 0)
    close(fd);
  if (failure != 0) {
    g_byte_array_unref(data);
    g_set_error(error, MUGAI_CONFIG_ERROR, MUGAI_CONFIG_ERROR_IO, "%s: %s%s", path,
                g_strerror(failure), failure == EFBIG ? " (a config file is at most 1M)" : "");
    return NULL;
  }
  *len = data->len;
  g_byte_array_append(data, (const guint8 *) "", 1);
  return (char *) g_byte_array_free(data, FALSE);
}

char *mugai_config_file_sha256(const char *path, GError **error)
{
  gsize len = 0;
  g_autofree char *text = read_file(path, &len, error);
  return text ? g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *) text, len) : NULL;
}

mugai_policy *mugai_config_load(const char *path, GPtrArray *problems, GError **error)
{
  g_return_val_if_fail(error == NULL || *error == NULL, NULL);
  if (path == NULL) {
    /* Only a missing file means "use the defaults": an unreadable one, or a dangling symlink, is
     * an error, never silently replaced by the defaults. */
    struct stat st;
    if (lstat(MUGAI_DEFAULT_CONFIG_PATH, &st) != 0 && errno == ENOENT)
      return mugai_config_parse(mugai_default_config_text, strlen(mugai_default_config_text),
                                MUGAI_EMBEDDED_SOURCE, problems, error);
    path = MUGAI_DEFAULT_CONFIG_PATH;
  }
  gsize len = 0;
  g_autofree char *text = read_file(path, &len, error);
  if (text == NULL)
    return NULL;
  return mugai_config_parse(text, len, path, problems, error);
}
