/* config_dump.c — a policy written back as the INI text it could be read from (`mugai config
 * check -v`): every key of every group with "# changed from the default" where it differs, then
 * each [rule NAME] with what it matches and the values it changes. Parses back to the same dump. */
#include "config/config_private.h"

#include <string.h>
#include "util/dsn.h"
#include "util/units.h"

static char *opt_format_text(const char *s)
{
  GString *out = g_string_new(NULL);
  for (; s != NULL && *s != '\0'; s++) {
    if (*s == '\\')
      g_string_append_c(out, '\\'); /* GKeyFile reads "\\" as one backslash */
    g_string_append_c(out, *s);
  }
  return g_string_free(out, FALSE);
}

/* The value of OPT in POLICY as it would be written in the file. */
static char *opt_format(const config_opt *opt, const mugai_policy *policy)
{
  const void *field = (const char *) policy + opt->offset;
  switch (opt->type) {
  case OPT_STRING: {
    /* [quarantine] dsn may hold a password: never shown, so the dump does not parse back to it */
    if (strcmp(opt->group, "quarantine") == 0 && strcmp(opt->key, "dsn") == 0) {
      g_autofree char *shown = mugai_dsn_redact(*(char *const *) field);
      return opt_format_text(shown);
    }
    return opt_format_text(*(char *const *) field);
  }
  case OPT_SIZE: return config_format_number(opt, *(const guint64 *) field);
  case OPT_UINT: return config_format_number(opt, *(const guint *) field);
  case OPT_BOOL: return g_strdup(*(const gboolean *) field ? "yes" : "no");
  case OPT_DURATION: {
    char buf[MUGAI_DURATION_TEXT_MAX];
    return g_strdup(mugai_format_duration(*(const guint64 *) field, buf));
  }
  case OPT_TEMPLATE: return opt_format_text(((const mugai_notice_template *) field)->path);
  case OPT_LIST: {
    char *const *items = *(char **const *) field;
    return items ? g_strjoinv(", ", (char **) items) : g_strdup("");
  }
  case OPT_ENUM: {
    int v = *(const int *) field;
    for (int i = 0; opt->choices[i] != NULL; i++)
      if (i == v)
        return g_strdup(opt->choices[i]);
    return g_strdup_printf("%d", v); /* not reachable from a parsed policy; fails to re-parse */
  }
  }
  g_assert_not_reached();
  return NULL;
}

/* A [rule NAME] as it could be written: what it matches, then each value it sets that differs
 * from the main policy's. */
static void dump_rule(GString *out, const mugai_policy *main, const mugai_policy *rule)
{
  g_string_append_printf(out, "\n[rule %s]\n", rule->rule.name);
  for (gsize n = 0; n < 2 * mugai_config_opt_count; n++) { /* the match keys first */
    const config_opt *opt = &mugai_config_opts[n % mugai_config_opt_count];
    if (n < mugai_config_opt_count ? !config_is_rule_match_key(opt) : !config_is_rule_key(opt))
      continue;
    g_autofree char *value = opt_format(opt, rule);
    g_autofree char *was = opt_format(opt, main);
    if (config_is_rule_match_key(opt) ? *value == '\0' || strcmp(value, opt->def) == 0
                                      : strcmp(value, was) == 0)
      continue;
    g_autofree char *key = config_rule_key_spelling(opt);
    g_string_append_printf(out, "%s =%s%s\n", key, *value ? " " : "", value);
  }
}

char *mugai_config_dump(const mugai_policy *policy)
{
  g_return_val_if_fail(policy != NULL, NULL);
  g_autoptr(mugai_policy) defaults = mugai_policy_new_defaults();
  GString *out = g_string_new("# mugai effective configuration\n# source: ");
  config_append_escaped(out, policy->source != NULL ? policy->source : "", G_MAXSIZE);
  g_string_append(out, "\n# sha256: ");
  config_append_escaped(out, policy->sha256 != NULL ? policy->sha256 : "", G_MAXSIZE);
  g_string_append_c(out, '\n');
  /* Group by group even if the table were not: a group printed twice would not re-parse. */
  for (gsize i = 0; i < mugai_config_opt_count; i++) {
    if (!config_is_first_of_group(i))
      continue;
    g_string_append_printf(out, "\n[%s]\n", mugai_config_opts[i].group);
    for (gsize j = i; j < mugai_config_opt_count; j++) {
      if (strcmp(mugai_config_opts[j].group, mugai_config_opts[i].group) != 0)
        continue;
      g_autofree char *value = opt_format(&mugai_config_opts[j], policy);
      g_autofree char *def = opt_format(&mugai_config_opts[j], defaults);
      if (strcmp(value, def) != 0)
        g_string_append_printf(out, "# changed from the default %s\n", def);
      g_string_append_printf(out, "%s =%s%s\n", mugai_config_opts[j].key, *value ? " " : "", value);
    }
  }
  for (guint i = 0; policy->rules && i < policy->rules->len; i++)
    dump_rule(out, policy, g_ptr_array_index(policy->rules, i));
  return g_string_free(out, FALSE);
}

