/* config_table.c — the one table of keys {group, key, type, default, min, max, field}, the
 * choices of the enum keys, which keys a [rule NAME] may set, and how input is quoted in problem
 * messages. Parsing and validation (config.c), the defaults (policy.c) and the dump
 * (config_dump.c) all walk the table, so a key cannot be added in one place and forgotten in
 * another; config/mugai.conf documents each key in this order. */
#include "config/config_private.h"

#include <stddef.h>
#include <string.h>
#include "util/units.h"

/* [inbound] convert: every type the worker reads. */
#define MUGAI_CONVERT_DEFAULT_TYPES \
  "pdf, docx, xlsx, pptx, odt, ods, odp, rtf, html, eml, ics, vcf, csv, tsv, text, zip"

#define KIB (G_GUINT64_CONSTANT(1) << 10)
#define MIB (G_GUINT64_CONSTANT(1) << 20)
#define GIB (G_GUINT64_CONSTANT(1) << 30)

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
static const char *const quarantine_backend_names[] = {
    [MUGAI_QUARANTINE_BACKEND_SQLITE] = "sqlite", [MUGAI_QUARANTINE_BACKEND_POSTGRESQL] = "postgresql",
    NULL};
G_STATIC_ASSERT(sizeof(mugai_quarantine_backend_kind) == sizeof(int));
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
static const char *const known_by_names[] = {[MUGAI_CONTACTS_KNOWN_ADDRESS] = "address",
                                             [MUGAI_CONTACTS_KNOWN_DOMAIN] = "domain", NULL};
G_STATIC_ASSERT(sizeof(mugai_contacts_known_by) == sizeof(int));
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
const config_opt mugai_config_opts[] = {
  STRING_OPT("milter", "socket", "inet:8895@127.0.0.1", milter_socket, config_check_socket),
  OPTIONAL_STRING_OPT("milter", "user", milter_user, config_check_optional_user),
  OPTIONAL_STRING_OPT("milter", "group", milter_group, config_check_optional_group),
  STRING_OPT("milter", "spool_dir", "/var/tmp", spool_dir, config_check_spool_dir),
  SIZE_OPT("milter", "spool_memory", "1M", 0, 256 * MIB, spool_memory),
  DURATION_OPT("milter", "config_check_interval", "60s", 1, 86400, config_check_interval),
  {"milter", "status_file", OPT_STRING, "/run/mugai/status.json", 0, 0, FIELD(milter_status_file),
   config_check_optional_path, NULL, TRUE, NULL},
  ENUM_OPT("notice", "language", "ja", notice_language, language_names),
  TEMPLATE_OPT("notice", "template_ja", notice_template[MUGAI_LANG_JA]),
  TEMPLATE_OPT("notice", "template_en", notice_template[MUGAI_LANG_EN]),
  OPTIONAL_STRING_OPT("notice", "subject_tag", subject_tag, config_check_subject_tag),
  OPTIONAL_STRING_OPT("notice", "banner", banner, config_check_banner),
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
  LIST_OPT("gateway", "internal_domains", gateway.internal_domains, config_check_domain),
  DERIVED_LIST_OPT("gateway", "internal_networks", gateway.internal_networks, config_check_network,
                   config_derive_internal_masks),
  LIST_OPT("gateway", "outbound_daemon_names", gateway.outbound_daemon_names, config_check_daemon_name),
  OPTIONAL_STRING_OPT("gateway", "external_subject_tag", gateway.external_subject_tag,
                      config_check_subject_tag),
  SIZE_OPT("inbound", "max_message_size", "10M", KIB, 2 * GIB, inbound.max_message_bytes),
  OPTIONAL_STRING_OPT("inbound", "max_message_size_clause", inbound.size_clause, config_check_clause),
  {"inbound", "convert", OPT_LIST, MUGAI_CONVERT_DEFAULT_TYPES, 0, 0, FIELD(inbound.convert_types),
   config_check_convert_type, NULL, TRUE, NULL},
  LIST_OPT("inbound", "reject_attachments", inbound.reject_types, config_check_attachment_type),
  OPTIONAL_STRING_OPT("inbound", "reject_attachments_clause", inbound.reject_type_clause,
                      config_check_clause),
  SIZE_OPT("outbound", "max_message_size", "10M", KIB, 2 * GIB, outbound.max_message_bytes),
  OPTIONAL_STRING_OPT("outbound", "max_message_size_clause", outbound.size_clause, config_check_clause),
  UINT_OPT("outbound", "max_shown_external_addresses", "10", 0, 100000,
           outbound.max_shown_external),
  OPTIONAL_STRING_OPT("outbound", "max_shown_external_addresses_clause", outbound.shown_clause,
                      config_check_clause),
  ENUM_OPT("outbound", "individual_numbers", "reject", outbound.individual_numbers,
           individual_number_names),
  OPTIONAL_STRING_OPT("outbound", "individual_numbers_clause", outbound.individual_number_clause,
                      config_check_clause),
  LIST_OPT("outbound", "reject_attachments", outbound.reject_types, config_check_attachment_type),
  OPTIONAL_STRING_OPT("outbound", "reject_attachments_clause", outbound.reject_type_clause,
                      config_check_clause),
  ENUM_OPT("outbound", "attachments", "allow", outbound.refuse_attachments, attachment_names),
  SIZE_OPT("outbound", "max_attachment_size", "0", 0, 2 * GIB, outbound.max_attachment_bytes),
  OPTIONAL_STRING_OPT("outbound", "attachments_clause", outbound.attachment_clause, config_check_clause),
  ENUM_OPT("autoforward", "block", "outbound", autoforward.block, autoforward_names),
  LIST_OPT("autoforward", "exempt_senders", autoforward.exempt_senders, config_check_address_or_domain),
  LIST_OPT("autoforward", "exempt_recipients", autoforward.exempt_recipients,
           config_check_address_or_domain),
  OPTIONAL_STRING_OPT("autoforward", "clause", autoforward.clause, config_check_clause),
  ENUM_OPT("impersonation", "action", "warn", impersonation.action, impersonation_names),
  LIST_OPT("impersonation", "exempt_senders", impersonation.exempt_senders,
           config_check_address_or_domain),
  OPTIONAL_STRING_OPT("impersonation", "clause", impersonation.clause, config_check_clause),
  LIST_OPT("authentication", "trusted_authserv_ids", authentication.trusted_authserv_ids,
           config_check_authserv_id),
  ENUM_OPT("authentication", "dmarc_fail", "warn", authentication.dmarc_fail, dmarc_fail_names),
  OPTIONAL_STRING_OPT("authentication", "clause", authentication.clause, config_check_clause),
  OPTIONAL_STRING_OPT("lists", "allow_senders", lists.allow.path, config_check_optional_path),
  OPTIONAL_STRING_OPT("lists", "strict_senders", lists.strict.path, config_check_optional_path),
  BOOL_OPT("notify", "refused_outbound", "no", notify.refused_outbound),
  OPTIONAL_STRING_OPT("notify", "from", notify.from, config_check_optional_address),
  {"notify", "sendmail_command", OPT_STRING, "/usr/sbin/sendmail", 0, 0,
   FIELD(notify.sendmail_text), config_check_command, NULL, FALSE, config_derive_sendmail_argv},
  OPTIONAL_STRING_OPT("notify", "contact", notify.contact, config_check_contact),
  ENUM_OPT("ratelimit", "direction", "outbound", ratelimit.direction, ratelimit_names),
  DURATION_OPT("ratelimit", "window", "1h", 60, 7 * 86400, ratelimit.window),
  UINT_OPT("ratelimit", "sender_messages", "300", 0, 1000000, ratelimit.sender_messages),
  UINT_OPT("ratelimit", "sender_recipients", "1000", 0, 1000000, ratelimit.sender_recipients),
  UINT_OPT("ratelimit", "client_messages", "0", 0, 1000000, ratelimit.client_messages),
  UINT_OPT("ratelimit", "client_recipients", "0", 0, 1000000, ratelimit.client_recipients),
  LIST_OPT("ratelimit", "exempt_senders", ratelimit.exempt_senders, config_check_address_or_domain),
  DERIVED_LIST_OPT("ratelimit", "exempt_clients", ratelimit.exempt_clients, config_check_network,
                   config_derive_exempt_client_masks),
  OPTIONAL_STRING_OPT("ratelimit", "clause", ratelimit.clause, config_check_clause),
  ENUM_OPT("scan", "backend", "libclamav", scan.backend, backend_names),
  STRING_OPT("scan", "database_dir", "/var/lib/clamav", scan.database_dir, config_check_absolute_path),
  STRING_OPT("scan", "temp_dir", "/dev/shm", scan.temp_dir, config_check_absolute_path),
  STRING_OPT("scan", "clamd_socket", "unix:/var/run/clamav/clamd.ctl", scan.clamd_socket,
             config_check_clamd_socket),
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
  OPTIONAL_STRING_OPT("convert", "worker", convert.worker, config_check_optional_path),
  UINT_OPT("convert", "workers", "4", 1, 256, convert.workers),
  DURATION_OPT("convert", "timeout", "30s", 1, 600, convert.timeout),
  DURATION_OPT("convert", "cpu_time", "20s", 1, 600, convert.cpu_time),
  SIZE_OPT("convert", "memory", "1G", 64 * MIB, 16 * GIB, convert.memory),
  SIZE_OPT("convert", "file_size", "20M", KIB, 2 * GIB, convert.file_size),
  SIZE_OPT("convert", "text_per_file", "1M", KIB, 256 * MIB, convert.text_per_file),
  SIZE_OPT("convert", "text_per_message", "4M", KIB, 256 * MIB, convert.text_per_message),
  SIZE_OPT("convert", "expanded_size", "64M", MIB, 4 * GIB, convert.expanded_size),
  SIZE_OPT("convert", "member_size", "16M", KIB, 2 * GIB, convert.member_size),
  UINT_OPT("convert", "entries", "2000", 1, 100000, convert.entries),
  UINT_OPT("convert", "depth", "2", 0, 10, convert.depth),
  UINT_OPT("convert", "xml_depth", "128", 8, 1024, convert.xml_depth),
  UINT_OPT("convert", "pages", "2000", 1, 100000, convert.pages),
  UINT_OPT("convert", "cells", "1000000", 1, 100000000, convert.cells),
  ENUM_OPT("quarantine", "backend", "sqlite", quarantine.backend, quarantine_backend_names),
  OPTIONAL_STRING_OPT("quarantine", "dir", quarantine.dir, config_check_store_dir),
  OPTIONAL_STRING_OPT("quarantine", "dsn", quarantine.dsn, NULL),
  DURATION_OPT("quarantine", "retention", "30d", 86400, 3650 * 86400, quarantine.retention),
  STRING_OPT("quarantine", "release_relay", "127.0.0.1:10026", quarantine.release_relay,
             config_check_host_port),
  OPTIONAL_STRING_OPT("quarantine", "user", quarantine.user, config_check_optional_user),
  OPTIONAL_STRING_OPT("quarantine", "group", quarantine.group, config_check_optional_group),
  BOOL_OPT("contacts", "learn", "yes", contacts.learn),
  DURATION_OPT("contacts", "retention", "180d", 86400, 3650 * 86400, contacts.retention),
  ENUM_OPT("contacts", "known_by", "address", contacts.known_by, known_by_names),
  BOOL_OPT("ppap", "unlock", "yes", ppap.unlock),
  DURATION_OPT("ppap", "window", "1h", 60, 7 * 86400, ppap.window),
  UINT_OPT("ppap", "passwords", "8", 1, 32, ppap.passwords),
  LIST_OPT(RULE_GROUP, "match_rcpt", rule.match_rcpt, config_check_address),
  LIST_OPT(RULE_GROUP, "match_rcpt_domain", rule.match_rcpt_domain, config_check_rcpt_domain),
  LIST_OPT(RULE_GROUP, "match_sender", rule.match_sender, config_check_address_or_domain),
  BOOL_OPT(RULE_GROUP, "match_first_contact", "no", rule.match_first_contact),
  OPTIONAL_STRING_OPT(RULE_GROUP, "clause", rule.clause, config_check_clause),
};
const gsize mugai_config_opt_count = G_N_ELEMENTS(mugai_config_opts);

gboolean config_is_rule_match_key(const config_opt *opt)
{
  return strcmp(opt->group, RULE_GROUP) == 0;
}

/* May a [rule NAME] set OPT (as GROUP.KEY)? What is decided per message may differ by recipient;
 * not the daemon's own settings ([milter], the scan engine), what decides the direction before any
 * recipient is known ([gateway] lists), nor [limits] message_size (what is read at all). */
gboolean config_is_rule_key(const config_opt *opt)
{
  static const char *const groups[] = {"notice", "output", "links", "limits", "inbound",
                                       "outbound", "autoforward", "impersonation"};
  /* [convert]: the bounds of one conversion may differ by rule; the worker program and how many
   * run at once are the process's. */
  if (strcmp(opt->group, "convert") == 0)
    return strcmp(opt->key, "worker") != 0 && strcmp(opt->key, "workers") != 0;
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

gboolean config_is_first_of_group(gsize index)
{
  if (config_is_rule_match_key(&mugai_config_opts[index]))
    return FALSE;
  for (gsize i = 0; i < index; i++)
    if (strcmp(mugai_config_opts[i].group, mugai_config_opts[index].group) == 0)
      return FALSE;
  return TRUE;
}

/* How OPT is written inside a [rule NAME]: "match_rcpt", "inbound.max_message_size". */
char *config_rule_key_spelling(const config_opt *opt)
{
  return config_is_rule_match_key(opt) ? g_strdup(opt->key) : g_strdup_printf("%s.%s", opt->group, opt->key);
}

/* Appends TEXT, at most MAX characters of it, with control characters and invalid UTF-8 written as
 * \xNN: input quoted in a message must not be able to forge a line or flood a terminal. */
void config_append_escaped(GString *out, const char *text, gsize max)
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
char *config_shown_text(const char *text, gboolean quote)
{
  GString *out = g_string_new(quote ? "\"" : "");
  config_append_escaped(out, text, MAX_SHOWN_CHARS);
  if (quote)
    g_string_append_c(out, '"');
  return g_string_free(out, FALSE);
}

char *config_format_number(const config_opt *opt, guint64 n)
{
  char buf[MUGAI_SIZE_TEXT_MAX];
  if (opt->type == OPT_SIZE)
    return g_strdup(mugai_format_size(n, buf));
  return g_strdup_printf("%" G_GUINT64_FORMAT, n);
}

