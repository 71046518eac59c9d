/* config.c — parse and validate mugai.conf into an immutable mugai_policy, and dump it back.
 *
 * Owns: the one table of keys {group, key, type, default, min, max, field}. Parsing, validation,
 * the defaults (policy.c) and the dump all walk it, so a key cannot be added in one place and
 * forgotten in another.
 * How: one pass over the text classifies every line and maps each known (group, key) to its line,
 * reporting what GKeyFile cannot (line numbers, unknown and duplicate keys and groups, NUL bytes,
 * bad UTF-8). Only the lines it accepted are handed to GKeyFile, which does the value syntax
 * (escapes); so one bad line never hides the problems on the others. All problems are collected
 * and reported at once as "SOURCE:LINE: [group] key: what is wrong".
 * Never: log, exit, or trust the text (it is fuzzed): input quoted in a message is escaped and
 * truncated, and nothing is read past LEN.
 */
#include "config/config.h"

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

#define KIB (G_GUINT64_CONSTANT(1) << 10)
#define MIB (G_GUINT64_CONSTANT(1) << 20)
#define GIB (G_GUINT64_CONSTANT(1) << 30)
#define NO_MAX G_MAXUINT64
#define MAX_FILE_BYTES (1024 * 1024) /* a real config is a few KB; this stops /dev/zero */
#define MAX_REPORTED 50              /* a binary file gives 50 lines of problems, not 50 000 */
#define MAX_SHOWN_CHARS 64           /* of any input quoted in a message */
#define SUN_PATH_SIZE sizeof(((struct sockaddr_un *) NULL)->sun_path)

typedef enum {
  OPT_STRING, OPT_SIZE, OPT_UINT, OPT_ENUM, OPT_BOOL, OPT_DURATION, OPT_TEMPLATE,
  OPT_LIST, /* items separated by commas or spaces, each checked by check; "" = empty list */
} opt_type;

/* Extra check of a string value: NULL when it is fine, else what is wrong (transfer full). */
typedef char *(*opt_check_fn)(const char *value);

typedef struct {
  const char *group;
  const char *key;
  opt_type type;
  const char *def;            /* written as in the file and parsed by the same code as the file,
                                 so a default can neither be invalid nor dump differently */
  guint64 min, max;           /* inclusive bounds of OPT_SIZE and OPT_UINT */
  gsize offset;               /* of the field in mugai_policy */
  opt_check_fn check;         /* OPT_STRING */
  const char *const *choices; /* OPT_ENUM: NULL-terminated; choices[i] is stored as i; "" is a
                                 value of the C enum this key does not offer */
  gboolean empty_ok;          /* OPT_STRING: an empty value is meaningful ("no tag") */
  void (*derive)(mugai_policy *policy); /* (nullable) fills what is computed from the value once,
                                         * so no message parses it again (after every set) */
} config_opt;

static char *check_socket(const char *value);
static char *check_absolute_path(const char *value);
static char *check_subject_tag(const char *value);
static char *check_clamd_socket(const char *value);
static char *check_domain(const char *value);
static char *check_network(const char *value);
static char *check_daemon_name(const char *value);
static void derive_internal_masks(mugai_policy *policy);
static void derive_exempt_client_masks(mugai_policy *policy);
static char *check_address_or_domain(const char *value);
static char *check_clause(const char *value);
static char *check_authserv_id(const char *value);
static char *check_address(const char *value);
static char *check_rcpt_domain(const char *value);
static char *check_optional_path(const char *value);
static char *check_optional_address(const char *value);
static char *check_command(const char *value);
static void derive_sendmail_argv(mugai_policy *policy);
static char *check_contact(const char *value);
static char *check_host_port(const char *value);
static char *read_file(const char *path, gsize *len, GError **error);

/* The keys of a [rule NAME] section that say what it matches live in the table under this group,
 * which is not a group of the file: the section's other keys are GROUP.KEY of the groups. */
#define RULE_GROUP "rule"
#define RULE_NAME_MAX 40

static const char *const language_names[] = {[MUGAI_LANG_JA] = "ja", [MUGAI_LANG_EN] = "en", NULL};
static const char *const charset_names[] = {[MUGAI_OUTPUT_UTF8] = "utf-8",
                                            [MUGAI_OUTPUT_ISO2022JP] = "iso-2022-jp", NULL};
static const char *const backend_names[] = {[MUGAI_SCAN_BACKEND_LIBCLAMAV] = "libclamav",
                                            [MUGAI_SCAN_BACKEND_CLAMD] = "clamd",
                                            [MUGAI_SCAN_BACKEND_NONE] = "none", NULL};
/* The answers each scan outcome may be given; stored as the mugai_answer they name. */
static const char *const infected_names[] = {[MUGAI_ANSWER_REJECT] = "reject", [MUGAI_ANSWER_TEMPFAIL] = "",
                                             [MUGAI_ANSWER_DISCARD] = "discard",
                                             [MUGAI_ANSWER_HOLD] = "quarantine", NULL};
static const char *const refuse_names[] = {[MUGAI_ANSWER_REJECT] = "reject",
                                           [MUGAI_ANSWER_TEMPFAIL] = "tempfail", NULL};
static const char *const autoforward_names[] = {[MUGAI_AUTOFORWARD_OUTBOUND] = "outbound",
                                                [MUGAI_AUTOFORWARD_BOTH] = "both",
                                                [MUGAI_AUTOFORWARD_INBOUND] = "inbound",
                                                [MUGAI_AUTOFORWARD_NO] = "no", NULL};
G_STATIC_ASSERT(sizeof(mugai_autoforward_block) == sizeof(int));
static const char *const impersonation_names[] = {[MUGAI_IMPERSONATION_WARN] = "warn",
                                                  [MUGAI_IMPERSONATION_REJECT] = "reject",
                                                  [MUGAI_IMPERSONATION_NO] = "no", NULL};
G_STATIC_ASSERT(sizeof(mugai_impersonation_action) == sizeof(int));
static const char *const dmarc_fail_names[] = {[MUGAI_DMARC_FAIL_WARN] = "warn",
                                               [MUGAI_DMARC_FAIL_REJECT] = "reject",
                                               [MUGAI_DMARC_FAIL_REJECT_IF_P_REJECT] =
                                                   "reject_if_p_reject",
                                               [MUGAI_DMARC_FAIL_NO] = "no", NULL};
G_STATIC_ASSERT(sizeof(mugai_dmarc_fail_action) == sizeof(int));
static const char *const ratelimit_names[] = {[MUGAI_RATELIMIT_OUTBOUND] = "outbound",
                                              [MUGAI_RATELIMIT_BOTH] = "both",
                                              [MUGAI_RATELIMIT_INBOUND] = "inbound",
                                              [MUGAI_RATELIMIT_NO] = "no", NULL};
G_STATIC_ASSERT(sizeof(mugai_ratelimit_direction) == sizeof(int));
static const char *const individual_number_names[] = {[MUGAI_INDIVIDUAL_NUMBERS_OFF] = "off",
                                                      [MUGAI_INDIVIDUAL_NUMBERS_REJECT] = "reject",
                                                      [MUGAI_INDIVIDUAL_NUMBERS_HOLD] = "hold",
                                                      NULL};
G_STATIC_ASSERT(sizeof(mugai_individual_numbers) == sizeof(int));
/* Stored as a gboolean: allow = FALSE, block = TRUE. */
static const char *const attachment_names[] = {"allow", "block", NULL};
G_STATIC_ASSERT(sizeof(gboolean) == sizeof(int));
G_STATIC_ASSERT(sizeof(mugai_scan_backend) == sizeof(int));
G_STATIC_ASSERT(sizeof(mugai_answer) == sizeof(int));
G_STATIC_ASSERT(sizeof(mugai_language) == sizeof(int)); /* OPT_ENUM stores through an int * */
G_STATIC_ASSERT(sizeof(mugai_output_charset) == sizeof(int));

#define FIELD(f) offsetof(mugai_policy, f)
#define STRING_OPT(g, k, def, f, fn) {g, k, OPT_STRING, def, 0, 0, FIELD(f), fn, NULL, FALSE, NULL}
#define OPTIONAL_STRING_OPT(g, k, f, fn) {g, k, OPT_STRING, "", 0, 0, FIELD(f), fn, NULL, TRUE, NULL}
#define SIZE_OPT(g, k, def, lo, hi, f) {g, k, OPT_SIZE, def, lo, hi, FIELD(f), NULL, NULL, FALSE, NULL}
#define UINT_OPT(g, k, def, lo, hi, f) {g, k, OPT_UINT, def, lo, hi, FIELD(f), NULL, NULL, FALSE, NULL}
#define ENUM_OPT(g, k, def, f, names) {g, k, OPT_ENUM, def, 0, 0, FIELD(f), NULL, names, FALSE, NULL}
#define BOOL_OPT(g, k, def, f) {g, k, OPT_BOOL, def, 0, 0, FIELD(f), NULL, NULL, FALSE, NULL}
#define DURATION_OPT(g, k, def, lo, hi, f) {g, k, OPT_DURATION, def, lo, hi, FIELD(f), NULL, NULL, FALSE, NULL}
#define TEMPLATE_OPT(g, k, f) {g, k, OPT_TEMPLATE, "", 0, 0, FIELD(f), NULL, NULL, TRUE, NULL}
#define LIST_OPT(g, k, f, fn) {g, k, OPT_LIST, "", 0, 0, FIELD(f), fn, NULL, TRUE, NULL}
#define DERIVED_LIST_OPT(g, k, f, fn, d) {g, k, OPT_LIST, "", 0, 0, FIELD(f), fn, NULL, TRUE, d}

/* The one list of keys. config/mugai.conf documents each, in this order. */
static const config_opt opts[] = {
  STRING_OPT("milter", "socket", "inet:8895@127.0.0.1", milter_socket, check_socket),
  STRING_OPT("milter", "spool_dir", "/var/tmp", spool_dir, check_absolute_path),
  SIZE_OPT("milter", "spool_memory", "1M", 0, 256 * MIB, spool_memory),
  DURATION_OPT("milter", "config_check_interval", "60s", 1, 86400, config_check_interval),
  ENUM_OPT("notice", "language", "ja", notice_language, language_names),
  TEMPLATE_OPT("notice", "template_ja", notice_template[MUGAI_LANG_JA]),
  TEMPLATE_OPT("notice", "template_en", notice_template[MUGAI_LANG_EN]),
  OPTIONAL_STRING_OPT("notice", "subject_tag", subject_tag, check_subject_tag),
  ENUM_OPT("output", "charset", "utf-8", output_charset, charset_names),
  BOOL_OPT("links", "defang_web", "no", links.defang_web),
  BOOL_OPT("links", "defang_mailto", "no", links.defang_mailto),
  BOOL_OPT("links", "defang_tel", "no", links.defang_tel),
  SIZE_OPT("limits", "message_size", "64M", KIB, 2 * GIB, limits.message_bytes),
  UINT_OPT("limits", "mime_depth", "20", 1, 100, limits.mime_depth),
  UINT_OPT("limits", "mime_parts", "1000", 1, 100000, limits.mime_parts),
  SIZE_OPT("limits", "html_size", "8M", KIB, NO_MAX, limits.html_bytes),
  SIZE_OPT("limits", "text_size", "16M", KIB, NO_MAX, limits.text_bytes),
  SIZE_OPT("limits", "header_size", "16K", KIB, MUGAI_HEADER_VALUE_MAX, limits.header_bytes),
  UINT_OPT("limits", "archive_depth", "2", 0, 10, limits.archive_depth),
  UINT_OPT("limits", "archive_entries", "500", 1, 100000, limits.archive_entries),
  SIZE_OPT("limits", "archive_size", "32M", 0, 2 * GIB, limits.archive_bytes),
  DURATION_OPT("limits", "time_per_message", "60s", 1, 3600, limits.seconds_per_message),
  LIST_OPT("gateway", "internal_domains", gateway.internal_domains, check_domain),
  DERIVED_LIST_OPT("gateway", "internal_networks", gateway.internal_networks, check_network,
                   derive_internal_masks),
  LIST_OPT("gateway", "outbound_daemon_names", gateway.outbound_daemon_names, check_daemon_name),
  OPTIONAL_STRING_OPT("gateway", "external_subject_tag", gateway.external_subject_tag,
                      check_subject_tag),
  SIZE_OPT("inbound", "max_message_size", "10M", KIB, 2 * GIB, inbound.max_message_bytes),
  OPTIONAL_STRING_OPT("inbound", "max_message_size_clause", inbound.size_clause, check_clause),
  SIZE_OPT("outbound", "max_message_size", "10M", KIB, 2 * GIB, outbound.max_message_bytes),
  OPTIONAL_STRING_OPT("outbound", "max_message_size_clause", outbound.size_clause, check_clause),
  UINT_OPT("outbound", "max_shown_external_addresses", "10", 0, 100000,
           outbound.max_shown_external),
  OPTIONAL_STRING_OPT("outbound", "max_shown_external_addresses_clause", outbound.shown_clause,
                      check_clause),
  ENUM_OPT("outbound", "individual_numbers", "reject", outbound.individual_numbers,
           individual_number_names),
  OPTIONAL_STRING_OPT("outbound", "individual_numbers_clause", outbound.individual_number_clause,
                      check_clause),
  ENUM_OPT("outbound", "attachments", "allow", outbound.refuse_attachments, attachment_names),
  SIZE_OPT("outbound", "max_attachment_size", "0", 0, 2 * GIB, outbound.max_attachment_bytes),
  OPTIONAL_STRING_OPT("outbound", "attachments_clause", outbound.attachment_clause, check_clause),
  ENUM_OPT("autoforward", "block", "outbound", autoforward.block, autoforward_names),
  LIST_OPT("autoforward", "exempt_senders", autoforward.exempt_senders, check_address_or_domain),
  LIST_OPT("autoforward", "exempt_recipients", autoforward.exempt_recipients,
           check_address_or_domain),
  OPTIONAL_STRING_OPT("autoforward", "clause", autoforward.clause, check_clause),
  ENUM_OPT("impersonation", "action", "warn", impersonation.action, impersonation_names),
  LIST_OPT("impersonation", "exempt_senders", impersonation.exempt_senders,
           check_address_or_domain),
  OPTIONAL_STRING_OPT("impersonation", "clause", impersonation.clause, check_clause),
  LIST_OPT("authentication", "trusted_authserv_ids", authentication.trusted_authserv_ids,
           check_authserv_id),
  ENUM_OPT("authentication", "dmarc_fail", "warn", authentication.dmarc_fail, dmarc_fail_names),
  OPTIONAL_STRING_OPT("authentication", "clause", authentication.clause, check_clause),
  OPTIONAL_STRING_OPT("lists", "allow_senders", lists.allow.path, check_optional_path),
  OPTIONAL_STRING_OPT("lists", "strict_senders", lists.strict.path, check_optional_path),
  BOOL_OPT("notify", "refused_outbound", "no", notify.refused_outbound),
  OPTIONAL_STRING_OPT("notify", "from", notify.from, check_optional_address),
  {"notify", "sendmail_command", OPT_STRING, "/usr/sbin/sendmail", 0, 0,
   FIELD(notify.sendmail_text), check_command, NULL, FALSE, derive_sendmail_argv},
  OPTIONAL_STRING_OPT("notify", "contact", notify.contact, check_contact),
  ENUM_OPT("ratelimit", "direction", "outbound", ratelimit.direction, ratelimit_names),
  DURATION_OPT("ratelimit", "window", "1h", 60, 7 * 86400, ratelimit.window),
  UINT_OPT("ratelimit", "sender_messages", "300", 0, 1000000, ratelimit.sender_messages),
  UINT_OPT("ratelimit", "sender_recipients", "1000", 0, 1000000, ratelimit.sender_recipients),
  UINT_OPT("ratelimit", "client_messages", "0", 0, 1000000, ratelimit.client_messages),
  UINT_OPT("ratelimit", "client_recipients", "0", 0, 1000000, ratelimit.client_recipients),
  LIST_OPT("ratelimit", "exempt_senders", ratelimit.exempt_senders, check_address_or_domain),
  DERIVED_LIST_OPT("ratelimit", "exempt_clients", ratelimit.exempt_clients, check_network,
                   derive_exempt_client_masks),
  OPTIONAL_STRING_OPT("ratelimit", "clause", ratelimit.clause, check_clause),
  ENUM_OPT("scan", "backend", "libclamav", scan.backend, backend_names),
  STRING_OPT("scan", "database_dir", "/var/lib/clamav", scan.database_dir, check_absolute_path),
  STRING_OPT("scan", "temp_dir", "/dev/shm", scan.temp_dir, check_absolute_path),
  STRING_OPT("scan", "clamd_socket", "unix:/var/run/clamav/clamd.ctl", scan.clamd_socket,
             check_clamd_socket),
  DURATION_OPT("scan", "clamd_timeout", "30s", 1, 600, scan.clamd_timeout),
  DURATION_OPT("scan", "max_signature_age", "3d", 3600, 365 * 24 * 3600, scan.max_signature_age),
  DURATION_OPT("scan", "reload_interval", "60s", 1, 3600, scan.reload_interval),
  ENUM_OPT("scan", "infected", "reject", scan.infected, infected_names),
  ENUM_OPT("scan", "too_big", "reject", scan.too_big, refuse_names),
  ENUM_OPT("scan", "scan_error", "tempfail", scan.scan_error, refuse_names),
  BOOL_OPT("scan", "raw_message", "no", scan.raw_message),
  SIZE_OPT("scan", "max_file_size", "64M", MIB, 2 * GIB, scan.max_file_size),
  SIZE_OPT("scan", "max_scan_size", "256M", MIB, 4 * GIB, scan.max_scan_size),
  UINT_OPT("scan", "max_recursion", "16", 1, 64, scan.max_recursion),
  UINT_OPT("scan", "max_files", "10000", 1, 1000000, scan.max_files),
  DURATION_OPT("scan", "max_scan_time", "120s", 1, 3600, scan.max_scan_time),
  OPTIONAL_STRING_OPT("quarantine", "dir", quarantine.dir, check_optional_path),
  DURATION_OPT("quarantine", "retention", "30d", 86400, 3650 * 86400, quarantine.retention),
  STRING_OPT("quarantine", "release_relay", "127.0.0.1:10026", quarantine.release_relay,
             check_host_port),
  LIST_OPT(RULE_GROUP, "match_rcpt", rule.match_rcpt, check_address),
  LIST_OPT(RULE_GROUP, "match_rcpt_domain", rule.match_rcpt_domain, check_rcpt_domain),
  LIST_OPT(RULE_GROUP, "match_sender", rule.match_sender, check_address_or_domain),
  OPTIONAL_STRING_OPT(RULE_GROUP, "clause", rule.clause, check_clause),
};

static gboolean is_rule_match_key(const config_opt *opt)
{
  return strcmp(opt->group, RULE_GROUP) == 0;
}

/* May a [rule NAME] set OPT (as GROUP.KEY)? What is decided per message may differ by recipient;
 * not the daemon's own settings ([milter], the scan engine), what decides the direction before any
 * recipient is known ([gateway] lists), nor [limits] message_size (what is read at all). */
static gboolean is_rule_key(const config_opt *opt)
{
  static const char *const groups[] = {"notice", "output", "links", "limits", "inbound",
                                       "outbound", "autoforward", "impersonation"};
  static const char *const keys[] = {"gateway.external_subject_tag", "scan.infected",
                                     "scan.too_big", "scan.scan_error", "scan.raw_message",
                                     "authentication.dmarc_fail", "authentication.clause"};
  if (strcmp(opt->group, "limits") == 0 && strcmp(opt->key, "message_size") == 0)
    return FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS(groups); i++)
    if (strcmp(opt->group, groups[i]) == 0)
      return TRUE;
  g_autofree char *name = g_strdup_printf("%s.%s", opt->group, opt->key);
  for (gsize i = 0; i < G_N_ELEMENTS(keys); i++)
    if (strcmp(name, keys[i]) == 0)
      return TRUE;
  return FALSE;
}

/* Appends TEXT, at most MAX characters of it, with control characters and invalid UTF-8 written as
 * \xNN: input quoted in a message must not be able to forge a line or flood a terminal. */
static void append_escaped(GString *out, const char *text, gsize max)
{
  gsize shown = 0;
  for (const char *p = text; *p != '\0'; shown++) {
    if (shown == max) {
      g_string_append(out, "...");
      return;
    }
    gunichar c = g_utf8_get_char_validated(p, -1);
    if (c == (gunichar) -1 || c == (gunichar) -2 || c < 0x20 || (c >= 0x7f && c < 0xa0)) {
      g_string_append_printf(out, "\\x%02x", (guint) (guchar) *p);
      p++;
    } else {
      const char *next = g_utf8_next_char(p);
      g_string_append_len(out, p, next - p);
      p = next;
    }
  }
}

/* TEXT escaped and truncated for a message, in double quotes when QUOTE. (transfer full) */
static char *shown_text(const char *text, gboolean quote)
{
  GString *out = g_string_new(quote ? "\"" : "");
  append_escaped(out, text, MAX_SHOWN_CHARS);
  if (quote)
    g_string_append_c(out, '"');
  return g_string_free(out, FALSE);
}
#define shown(text) shown_text(text, FALSE)
#define quoted(text) shown_text(text, TRUE)

static char *format_number(const config_opt *opt, guint64 n)
{
  char buf[MUGAI_SIZE_TEXT_MAX];
  if (opt->type == OPT_SIZE)
    return g_strdup(mugai_format_size(n, buf));
  return g_strdup_printf("%" G_GUINT64_FORMAT, n);
}

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
  for (gsize i = 0; i < G_N_ELEMENTS(opts); i++)
    if (strcmp(opts[i].group, group) == 0 && strcmp(opts[i].key, key) == 0)
      return &opts[i];
  return NULL;
}

/* How OPT is written inside a [rule NAME]: "match_rcpt", "inbound.max_message_size". */
static char *rule_key_spelling(const config_opt *opt)
{
  return is_rule_match_key(opt) ? g_strdup(opt->key) : g_strdup_printf("%s.%s", opt->group, opt->key);
}

static gboolean is_first_of_group(gsize index)
{
  if (is_rule_match_key(&opts[index]))
    return FALSE;
  for (gsize i = 0; i < index; i++)
    if (strcmp(opts[i].group, opts[index].group) == 0)
      return FALSE;
  return TRUE;
}

static gboolean is_known_group(const char *group)
{
  for (gsize i = 0; i < G_N_ELEMENTS(opts); i++)
    if (!is_rule_match_key(&opts[i]) && strcmp(opts[i].group, group) == 0)
      return TRUE;
  return FALSE;
}

/* The group name (GROUP NULL) or key of GROUP nearest to WORD, if close enough to be a typo. */
static const char *nearest_name(const char *word, const char *group)
{
  const char *best = NULL;
  guint best_distance = 3; /* farther than 2 edits is not a typo */
  for (gsize i = 0; i < G_N_ELEMENTS(opts); i++) {
    if ((group != NULL && strcmp(opts[i].group, group) != 0) ||
        (group == NULL && is_rule_match_key(&opts[i])))
      continue;
    const char *name = group != NULL ? opts[i].key : opts[i].group;
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
  for (gsize i = 0; i < G_N_ELEMENTS(opts); i++)
    if (is_first_of_group(i))
      g_string_append_printf(hint, "%s [%s]", i ? "," : "", opts[i].group);
  g_string_append(hint, ", [rule NAME])");
  return g_string_free(hint, FALSE);
}

/* What to add after "unknown key": the group it belongs in, or the nearest key. (transfer full) */
static char *unknown_key_hint(const char *group, const char *key)
{
  for (gsize i = 0; i < G_N_ELEMENTS(opts); i++)
    if (strcmp(opts[i].key, key) == 0)
      return is_rule_match_key(&opts[i])
                 ? g_strdup("; it belongs in a [rule NAME] section")
                 : g_strdup_printf("; it belongs in [%s]", opts[i].group);
  const char *near = nearest_name(key, group);
  return near != NULL ? g_strdup_printf("; did you mean %s?", near) : g_strdup("");
}

static const char *skip_prefix(const char *text, const char *prefix)
{
  gsize n = strlen(prefix);
  return strncmp(text, prefix, n) == 0 ? text + n : NULL;
}

static char *check_socket_inet(const char *q, const char *rest)
{
  const char *at = strchr(rest, '@');
  if (at == NULL)
    return g_strdup_printf("%s: the host is missing (write inet:PORT@HOST, e.g. inet:8895@127.0.0.1)",
                           q);
  g_autofree char *port_text = g_strndup(rest, at - rest);
  guint64 port = 0;
  if (!mugai_parse_uint(port_text, &port) || port < 1 || port > 65535)
    return g_strdup_printf("%s: the port must be a number from 1 to 65535", q);
  const char *host = at + 1;
  if (*host == '\0' || strpbrk(host, " \t") != NULL)
    return g_strdup_printf("%s: the host after \"@\" is missing or contains a space", q);
  return NULL;
}

static char *check_socket(const char *value)
{
  g_autofree char *q = quoted(value);
  const char *rest = NULL;
  if ((rest = skip_prefix(value, "unix:")) != NULL || (rest = skip_prefix(value, "local:")) != NULL) {
    if (rest[0] != '/' || rest[1] == '\0')
      return g_strdup_printf("%s: the socket path must be absolute, e.g. unix:/run/mugai/milter.sock",
                             q);
    if (strlen(rest) >= SUN_PATH_SIZE) /* the kernel limit; libmilter would fail at bind() */
      return g_strdup_printf("%s: the socket path is longer than %zu bytes", q, SUN_PATH_SIZE - 1);
    return NULL;
  }
  if ((rest = skip_prefix(value, "inet:")) != NULL || (rest = skip_prefix(value, "inet6:")) != NULL)
    return check_socket_inet(q, rest);
  return g_strdup_printf("%s is not a milter socket "
                         "(write unix:/PATH, local:/PATH, inet:PORT@HOST or inet6:PORT@HOST)", q);
}

static char *check_absolute_path(const char *value)
{
  g_autofree char *q = quoted(value);
  if (value[0] != '/')
    return g_strdup_printf("%s is not an absolute path (it must start with /)", q);
  if (strlen(value) >= PATH_MAX)
    return g_strdup_printf("%s is longer than %d bytes", q, PATH_MAX - 1);
  return NULL;
}

static char *check_optional_path(const char *value)
{
  return *value ? check_absolute_path(value) : NULL;
}

/* HOST:PORT, HOST a name or an IPv4 address, or [IPv6]:PORT. */
static char *check_host_port(const char *value)
{
  g_autofree char *q = quoted(value);
  const char *colon = strrchr(value, ':');
  guint64 port = 0;
  if (colon == NULL || colon == value ||
      !g_ascii_string_to_unsigned(colon + 1, 10, 1, 65535, &port, NULL))
    return g_strdup_printf("%s is not HOST:PORT (e.g. 127.0.0.1:10026)", q);
  g_autofree char *host = g_strndup(value, (gsize) (colon - value));
  if (host[0] == '[') {
    gsize n = strlen(host);
    g_autofree char *inner = n > 2 && host[n - 1] == ']' ? g_strndup(host + 1, n - 2) : NULL;
    if (inner == NULL || !g_hostname_is_ip_address(inner))
      return g_strdup_printf("%s: the address in [] is not an IPv6 address", q);
    return NULL;
  }
  if (strchr(host, ':') != NULL)
    return g_strdup_printf("%s: write an IPv6 address in brackets, [::1]:10026", q);
  for (const char *p = host; *p; p++)
    if (!g_ascii_isalnum(*p) && *p != '.' && *p != '-')
      return g_strdup_printf("%s: the host is neither an address nor an ASCII host name", q);
  return NULL;
}

static char *check_optional_address(const char *value)
{
  return *value ? check_address(value) : NULL;
}

/* A program with its arguments, split as a shell would (quotes), but run without one. */
static char *check_command(const char *value)
{
  g_auto(GStrv) argv = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *q = quoted(value);
  if (!g_shell_parse_argv(value, NULL, &argv, &error))
    return g_strdup_printf("%s: %s", q, error->message);
  if (argv[0][0] != '/')
    return g_strdup_printf("%s: the program must be an absolute path, e.g. /usr/sbin/sendmail", q);
  return NULL;
}

static void derive_sendmail_argv(mugai_policy *policy)
{
  g_clear_pointer(&policy->notify.sendmail_command, g_strfreev);
  if (!g_shell_parse_argv(policy->notify.sendmail_text, NULL, &policy->notify.sendmail_command,
                          NULL))
    policy->notify.sendmail_command = NULL; /* not reached: check_command passed */
}

static char *check_contact(const char *value)
{
  return g_utf8_strlen(value, -1) > 200 ? g_strdup("longer than 200 characters") : NULL;
}

/* clamd's own spellings (LocalSocket is a plain path) besides the milter's. */
static char *check_clamd_socket(const char *value)
{
  if (value[0] == '/')
    return check_absolute_path(value);
  if (g_str_has_prefix(value, "unix:") || g_str_has_prefix(value, "inet:"))
    return check_socket(value);
  g_autofree char *q = quoted(value);
  return g_strdup_printf("%s is not a clamd socket (write /PATH, unix:/PATH or inet:PORT@HOST)", q);
}

/* A domain as mail addresses carry it: letters, digits, hyphens, dots (IDN as punycode). */
static char *check_domain(const char *value)
{
  g_autofree char *q = quoted(value);
  gsize len = strlen(value);
  if (len == 0 || len > 253 || value[0] == '.' || value[0] == '-' || value[len - 1] == '.' ||
      strstr(value, "..") != NULL)
    return g_strdup_printf("%s is not a domain name (e.g. city.example.lg.jp)", q);
  for (const char *p = value; *p; p++)
    if (!g_ascii_isalnum(*p) && *p != '-' && *p != '.')
      return g_strdup_printf("%s is not a domain name (letters, digits, - and . only; write an "
                             "internationalized domain in its xn-- form)", q);
  return NULL;
}

/* "user@example.jp", "example.jp" or "@example.jp": an address, or every address of a domain. */
static char *check_address_or_domain(const char *value)
{
  const char *at = strrchr(value, '@');
  if (at != NULL && at[1] == '\0') {
    g_autofree char *q = quoted(value);
    return g_strdup_printf("%s has no domain after \"@\"", q);
  }
  if (at == NULL || at == value)
    return check_domain(at ? at + 1 : value);
  for (const char *p = value; p < at; p++)
    if ((guchar) *p <= 0x20 || (guchar) *p >= 0x7f || strchr("<>()[],;:\\\"", *p)) {
      g_autofree char *q = quoted(value);
      return g_strdup_printf("%s is not a mail address (write user@example.jp or example.jp)", q);
    }
  return check_domain(at + 1);
}

/* A whole address: "user@example.jp". */
static char *check_address(const char *value)
{
  const char *at = strrchr(value, '@');
  if (at == NULL || at == value) {
    g_autofree char *q = quoted(value);
    return g_strdup_printf("%s is not a mail address (write user@example.jp; a domain goes in "
                           "match_rcpt_domain)", q);
  }
  return check_address_or_domain(value);
}

/* "example.jp" (that domain) or ".example.jp" (every domain below it), as Postfix tables write
 * them. */
static char *check_rcpt_domain(const char *value)
{
  return check_domain(value[0] == '.' ? value + 1 : value);
}

/* The label of a policy clause ("対策基準 ⑩ア"): one short line. */
static char *check_clause(const char *value)
{
  if (g_utf8_strlen(value, -1) > 60)
    return g_strdup("longer than 60 characters");
  return NULL;
}

/* An authserv-id as OpenDKIM, OpenDMARC and rspamd write it (AuthservID, authserv_id): the
 * host name of the gateway, or another word of RFC 2045 token characters. */
static char *check_authserv_id(const char *value)
{
  if (strlen(value) > 255)
    return g_strdup("longer than 255 characters");
  for (const char *p = value; *p; p++)
    if ((guchar) *p <= 0x20 || (guchar) *p >= 0x7f || strchr("()<>@,;:\\\"/[]?=", *p)) {
      g_autofree char *q = quoted(value);
      return g_strdup_printf("%s is not an authserv-id (a host name such as mx.city.example.lg.jp, "
                             "as the authenticator writes it before the first \";\")", q);
    }
  return NULL;
}

/* An address or a network in CIDR form, IPv4 or IPv6. */
static char *check_network(const char *value)
{
  g_autoptr(GInetAddressMask) mask = g_inet_address_mask_new_from_string(value, NULL);
  if (mask != NULL)
    return NULL;
  g_autofree char *q = quoted(value);
  return g_strdup_printf("%s is not an address or network (write 192.0.2.0/24 or 2001:db8::/32)", q);
}

/* NETWORKS as GInetAddressMask objects in *MASKS (every item passed check_network). */
static void set_network_masks(GPtrArray **masks, char *const *networks)
{
  g_clear_pointer(masks, g_ptr_array_unref);
  *masks = g_ptr_array_new_with_free_func(g_object_unref);
  for (gsize i = 0; networks[i]; i++) {
    GInetAddressMask *mask = g_inet_address_mask_new_from_string(networks[i], NULL);
    if (mask != NULL)
      g_ptr_array_add(*masks, mask);
  }
}

static void derive_internal_masks(mugai_policy *policy)
{
  set_network_masks(&policy->gateway.internal_masks, policy->gateway.internal_networks);
}

static void derive_exempt_client_masks(mugai_policy *policy)
{
  set_network_masks(&policy->ratelimit.exempt_client_masks, policy->ratelimit.exempt_clients);
}

/* A Postfix service name as master.cf names it ({daemon_name}: smtpd -o syslog_name=...). */
static char *check_daemon_name(const char *value)
{
  for (const char *p = value; *p; p++)
    if (!g_ascii_isalnum(*p) && !strchr("._-/", *p)) {
      g_autofree char *q = quoted(value);
      return g_strdup_printf("%s is not a Postfix daemon name (letters, digits, . _ - /)", q);
    }
  return NULL;
}

/* The tag goes into every sanitized Subject: short, one line, no encoded-word look-alikes. */
static char *check_subject_tag(const char *value)
{
  if (g_utf8_strlen(value, -1) > 40)
    return g_strdup("longer than 40 characters");
  if (strstr(value, "=?") != NULL)
    return g_strdup("must be written as text, not as an RFC 2047 encoded-word");
  return NULL;
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
  g_autofree char *min = format_number(opt, opt->min);
  g_autofree char *max = format_number(opt, opt->max);
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
    char *why = check_absolute_path(value);
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
  for (gsize i = 0; i < G_N_ELEMENTS(opts); i++) {
    g_autofree char *why = opt_apply(&opts[i], opts[i].def, policy);
    if (why != NULL) /* a bug in the table above; test_config parses every default */
      g_error("config: default of [%s] %s: %s", opts[i].group, opts[i].key, why);
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
  for (gsize i = 0; i < G_N_ELEMENTS(opts); i++) {
    if (strcmp(opts[i].key, key) != 0 || is_rule_match_key(&opts[i]))
      continue;
    if (is_rule_key(&opts[i]))
      g_string_append_printf(forms, "%s%s.%s", forms->len ? " or " : "", opts[i].group, key);
    else
      fixed = opts[i].group;
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
  } else if (!is_rule_key(opt)) {
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
    g_autofree char *name = rule_key_spelling(opt);
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
  for (gsize i = 0; i < G_N_ELEMENTS(opts); i++) {
    const config_opt *opt = &opts[i];
    gpointer line = NULL;
    if (!g_hash_table_lookup_extended(keys, opt, NULL, &line))
      continue; /* absent: the default stays */
    g_autofree char *key = rule ? rule_key_spelling(opt) : g_strdup(opt->key);
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

static gint compare_strings(gconstpointer a, gconstpointer b)
{
  return strcmp(*(char *const *) a, *(char *const *) b);
}

char **mugai_config_parse_sender_list(const char *text, gsize len, const char *source,
                                      GPtrArray *problems, GError **error)
{
  g_return_val_if_fail(text != NULL && source != NULL, NULL);
  if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) { /* a Windows editor's byte-order mark */
    text += 3;
    len -= 3;
  }
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(GString) all = g_string_new(NULL);
  guint bad = 0, line = 1;
  for (const char *p = text, *end = text + len; p < end; line++) {
    const char *nl = memchr(p, '\n', (gsize) (end - p));
    gsize n = nl ? (gsize) (nl - p) : (gsize) (end - p);
    gboolean has_nul = memchr(p, '\0', n) != NULL;
    g_autofree char *copy = g_strndup(p, n);
    p = nl ? nl + 1 : end;
    char *t = g_strstrip(copy);
    g_autofree char *why = NULL;
    if (has_nul || !g_utf8_validate(t, -1, NULL))
      why = g_strdup("this line contains a NUL byte or is not valid UTF-8");
    else if (*t == '\0' || *t == '#')
      continue;
    else
      why = check_address_or_domain(t);
    if (why == NULL) {
      g_ptr_array_add(items, g_ascii_strdown(t[0] == '@' ? t + 1 : t, -1)); /* "@x" means "x" */
      continue;
    }
    if (bad++ < MAX_REPORTED) {
      char *found = g_strdup_printf("%s:%u: %s", source, line, why);
      g_string_append_printf(all, "%s%s", all->len ? "\n" : "", found);
      if (problems != NULL)
        g_ptr_array_add(problems, found);
      else
        g_free(found);
    }
  }
  if (bad > 0) {
    if (bad > MAX_REPORTED)
      g_string_append_printf(all, "\n%s: and %u more problems", source, bad - MAX_REPORTED);
    g_set_error_literal(error, MUGAI_CONFIG_ERROR, MUGAI_CONFIG_ERROR_INVALID, all->str);
    return NULL;
  }
  g_ptr_array_sort(items, compare_strings);
  GPtrArray *unique = g_ptr_array_new();
  for (guint i = 0; i < items->len; i++)
    if (unique->len == 0 || strcmp(unique->pdata[unique->len - 1], items->pdata[i]) != 0)
      g_ptr_array_add(unique, g_strdup(items->pdata[i]));
  g_ptr_array_add(unique, NULL);
  return (char **) g_ptr_array_free(unique, FALSE);
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
        !rule->rule.match_sender[0] && !rs->troubled && ps->problems->len == before)
      add_problem(ps, rs->line, "[rule %s]: matches nothing (set match_rcpt, match_rcpt_domain "
                  "or match_sender)", rs->name);
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
  if (*policy->quarantine.dir != '\0')
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
    if (ps.problems->len == 0)
      check_hold_has_quarantine(&ps, policy);
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
  case OPT_STRING: return opt_format_text(*(char *const *) field);
  case OPT_SIZE: return format_number(opt, *(const guint64 *) field);
  case OPT_UINT: return format_number(opt, *(const guint *) field);
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
  for (gsize n = 0; n < 2 * G_N_ELEMENTS(opts); n++) { /* the match keys first */
    const config_opt *opt = &opts[n % G_N_ELEMENTS(opts)];
    if (n < G_N_ELEMENTS(opts) ? !is_rule_match_key(opt) : !is_rule_key(opt))
      continue;
    g_autofree char *value = opt_format(opt, rule);
    g_autofree char *was = opt_format(opt, main);
    if (is_rule_match_key(opt) ? *value == '\0' : strcmp(value, was) == 0)
      continue;
    g_autofree char *key = rule_key_spelling(opt);
    g_string_append_printf(out, "%s =%s%s\n", key, *value ? " " : "", value);
  }
}

char *mugai_config_dump(const mugai_policy *policy)
{
  g_return_val_if_fail(policy != NULL, NULL);
  g_autoptr(mugai_policy) defaults = mugai_policy_new_defaults();
  GString *out = g_string_new("# mugai effective configuration\n# source: ");
  append_escaped(out, policy->source != NULL ? policy->source : "", G_MAXSIZE);
  g_string_append(out, "\n# sha256: ");
  append_escaped(out, policy->sha256 != NULL ? policy->sha256 : "", G_MAXSIZE);
  g_string_append_c(out, '\n');
  /* Group by group even if the table were not: a group printed twice would not re-parse. */
  for (gsize i = 0; i < G_N_ELEMENTS(opts); i++) {
    if (!is_first_of_group(i))
      continue;
    g_string_append_printf(out, "\n[%s]\n", opts[i].group);
    for (gsize j = i; j < G_N_ELEMENTS(opts); j++) {
      if (strcmp(opts[j].group, opts[i].group) != 0)
        continue;
      g_autofree char *value = opt_format(&opts[j], policy);
      g_autofree char *def = opt_format(&opts[j], defaults);
      if (strcmp(value, def) != 0)
        g_string_append_printf(out, "# changed from the default %s\n", def);
      g_string_append_printf(out, "%s =%s%s\n", opts[j].key, *value ? " " : "", value);
    }
  }
  for (guint i = 0; policy->rules && i < policy->rules->len; i++)
    dump_rule(out, policy, g_ptr_array_index(policy->rules, i));
  return g_string_free(out, FALSE);
}
