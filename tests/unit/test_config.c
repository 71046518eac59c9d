/* test_config.c — mugai.conf as admins write it: every key, every bound at N and N+1, the exact
 * "FILE:LINE: [group] key: problem" lines they read, all problems at once, hostile bytes, and the
 * dump that must parse back to the same policy. Table-driven where the cases are alike. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "config/config.h"
#include "config/notice_template.h"
#include "util/dsn.h"

#ifndef MUGAI_SOURCE_DIR
#error "MUGAI_SOURCE_DIR must name the repository root (tests/CMakeLists.txt sets it)"
#endif
#define EXAMPLE_PATH MUGAI_SOURCE_DIR "/config/mugai.conf"
#define SRC "test.conf"

/* ---- helpers ---------------------------------------------------------------------------------- */

/* Every field but source and sha256, which say where a policy came from, not what it is. */
static void assert_policy_equal(const mugai_policy *a, const mugai_policy *b)
{
  assert_string_equal(a->milter_socket, b->milter_socket);
  assert_string_equal(a->spool_dir, b->spool_dir);
  assert_int_equal(a->spool_memory, b->spool_memory);
  assert_int_equal(a->notice_language, b->notice_language);
  assert_int_equal(a->limits.message_bytes, b->limits.message_bytes);
  assert_int_equal(a->limits.mime_depth, b->limits.mime_depth);
  assert_int_equal(a->limits.mime_parts, b->limits.mime_parts);
  assert_int_equal(a->limits.html_bytes, b->limits.html_bytes);
  assert_int_equal(a->limits.text_bytes, b->limits.text_bytes);
  assert_int_equal(a->limits.header_bytes, b->limits.header_bytes);
  assert_int_equal(a->limits.archive_depth, b->limits.archive_depth);
  assert_int_equal(a->limits.archive_entries, b->limits.archive_entries);
  assert_int_equal(a->limits.archive_bytes, b->limits.archive_bytes);
  assert_int_equal(a->limits.seconds_per_message, b->limits.seconds_per_message);
  for (int i = 0; i < MUGAI_LANG_COUNT; i++) {
    assert_string_equal(a->notice_template[i].path, b->notice_template[i].path);
    assert_string_equal(a->notice_template[i].text, b->notice_template[i].text);
  }
  assert_string_equal(a->subject_tag, b->subject_tag);
  assert_string_equal(a->banner, b->banner);
  assert_int_equal(a->contacts.learn, b->contacts.learn);
  assert_int_equal(a->contacts.retention, b->contacts.retention);
  assert_int_equal(a->contacts.known_by, b->contacts.known_by);
  assert_int_equal(a->output_charset, b->output_charset);
  assert_int_equal(a->links.defang_web, b->links.defang_web);
  assert_int_equal(a->links.defang_mailto, b->links.defang_mailto);
  assert_int_equal(a->links.defang_tel, b->links.defang_tel);
  assert_true(g_strv_equal((const char *const *) a->gateway.internal_domains,
                           (const char *const *) b->gateway.internal_domains));
  assert_true(g_strv_equal((const char *const *) a->gateway.internal_networks,
                           (const char *const *) b->gateway.internal_networks));
  assert_true(g_strv_equal((const char *const *) a->gateway.outbound_daemon_names,
                           (const char *const *) b->gateway.outbound_daemon_names));
  assert_int_equal(a->inbound.max_message_bytes, b->inbound.max_message_bytes);
  assert_int_equal(a->outbound.max_message_bytes, b->outbound.max_message_bytes);
  assert_int_equal(a->ratelimit.direction, b->ratelimit.direction);
  assert_int_equal(a->ratelimit.window, b->ratelimit.window);
  assert_int_equal(a->ratelimit.sender_messages, b->ratelimit.sender_messages);
  assert_int_equal(a->ratelimit.sender_recipients, b->ratelimit.sender_recipients);
  assert_int_equal(a->ratelimit.client_messages, b->ratelimit.client_messages);
  assert_int_equal(a->ratelimit.client_recipients, b->ratelimit.client_recipients);
  assert_true(g_strv_equal((const char *const *) a->ratelimit.exempt_senders,
                           (const char *const *) b->ratelimit.exempt_senders));
  assert_true(g_strv_equal((const char *const *) a->ratelimit.exempt_clients,
                           (const char *const *) b->ratelimit.exempt_clients));
  assert_int_equal(a->ratelimit.exempt_client_masks->len, b->ratelimit.exempt_client_masks->len);
  assert_string_equal(a->ratelimit.clause, b->ratelimit.clause);
  assert_int_equal(a->scan.backend, b->scan.backend);
  assert_string_equal(a->scan.database_dir, b->scan.database_dir);
  assert_int_equal(a->scan.max_signature_age, b->scan.max_signature_age);
}

/* Parses LEN bytes of TEXT; returns the problem lines (empty when valid) after checking the
 * contract: NULL policy iff error, error = the lines joined by "\n". */
static GPtrArray *problems_of_len(const char *text, gsize len)
{
  GPtrArray *problems = g_ptr_array_new_with_free_func(g_free);
  GError *error = NULL;
  mugai_policy *policy = mugai_config_parse(text, len, SRC, problems, &error);
  if (policy != NULL) {
    assert_null(error);
    assert_int_equal(problems->len, 0);
    mugai_policy_unref(policy);
    return problems;
  }
  assert_non_null(error);
  assert_true(g_error_matches(error, MUGAI_CONFIG_ERROR, MUGAI_CONFIG_ERROR_INVALID));
  assert_true(problems->len > 0);
  g_ptr_array_add(problems, NULL);
  g_autofree char *joined = g_strjoinv("\n", (char **) problems->pdata);
  g_ptr_array_remove_index(problems, problems->len - 1);
  assert_string_equal(error->message, joined);
  g_error_free(error);
  return problems;
}

static GPtrArray *problems_of(const char *text)
{
  return problems_of_len(text, strlen(text));
}

/* TEXT must give exactly the problem EXPECTED, or none when EXPECTED is NULL. */
static void expect_problem(const char *text, const char *expected)
{
  g_autoptr(GPtrArray) problems = problems_of(text);
  if (expected == NULL && problems->len > 0)
    fail_msg("unexpected problem for %s: %s", text, (char *) problems->pdata[0]);
  if (expected == NULL)
    return;
  if (problems->len != 1 || strcmp(problems->pdata[0], expected) != 0)
    fail_msg("for %s\n got (%u): %s\nwant: %s", text, problems->len,
             problems->len ? (char *) problems->pdata[0] : "(none)", expected);
}

static mugai_policy *parse_ok(const char *text)
{
  GError *error = NULL;
  mugai_policy *policy = mugai_config_parse(text, strlen(text), SRC, NULL, &error);
  if (policy == NULL)
    fail_msg("parse failed: %s", error->message);
  return policy;
}

typedef struct {
  const char *group;
  const char *key;
  const char *value;
  const char *problem; /* after "test.conf:2: [group] key: "; NULL = valid */
} value_row;

static void check_value_rows(const value_row *rows, gsize n)
{
  for (gsize i = 0; i < n; i++) {
    g_autofree char *text = g_strdup_printf("[%s]\n%s = %s\n", rows[i].group, rows[i].key,
                                            rows[i].value);
    g_autofree char *expected =
        rows[i].problem ? g_strdup_printf(SRC ":2: [%s] %s: %s", rows[i].group, rows[i].key,
                                          rows[i].problem)
                        : NULL;
    expect_problem(text, expected);
  }
}

/* ---- the defaults ----------------------------------------------------------------------------- */

static void builtin_defaults_are_the_documented_values(void **state)
{
  (void) state;
  g_autoptr(mugai_policy) d = mugai_policy_new_defaults();
  assert_string_equal(d->milter_socket, "inet:8895@127.0.0.1");
  assert_string_equal(d->spool_dir, "/var/tmp");
  assert_int_equal(d->spool_memory, 1 << 20);
  assert_int_equal(d->notice_language, MUGAI_LANG_JA);
  assert_int_equal(d->limits.message_bytes, 64 << 20);
  assert_int_equal(d->limits.mime_depth, 20);
  assert_int_equal(d->limits.mime_parts, 1000);
  assert_int_equal(d->limits.html_bytes, 8 << 20);
  assert_int_equal(d->limits.text_bytes, 16 << 20);
  assert_int_equal(d->limits.header_bytes, 16 << 10);
  assert_int_equal(d->limits.archive_depth, 2);
  assert_int_equal(d->limits.archive_entries, 500);
  assert_int_equal(d->limits.archive_bytes, 32 << 20);
  assert_int_equal(d->limits.seconds_per_message, 60);
  assert_string_equal(d->subject_tag, "");
  assert_int_equal(d->output_charset, MUGAI_OUTPUT_UTF8);
  assert_false(d->links.defang_web || d->links.defang_mailto || d->links.defang_tel);
  assert_string_equal(d->notice_template[MUGAI_LANG_JA].path, "");
}

static void embedded_default_parses_to_the_builtin_defaults(void **state)
{
  (void) state;
  GError *error = NULL;
  const char *text = mugai_default_config_text;
  g_autoptr(mugai_policy) parsed =
      mugai_config_parse(text, strlen(text), MUGAI_EMBEDDED_SOURCE, NULL, &error);
  if (parsed == NULL)
    fail_msg("%s", error->message);
  g_autoptr(mugai_policy) d = mugai_policy_new_defaults();
  assert_policy_equal(parsed, d);
  assert_string_equal(parsed->source, MUGAI_EMBEDDED_SOURCE);
}

static void example_file_is_the_embedded_default_and_loads(void **state)
{
  (void) state;
  g_autofree char *text = NULL;
  assert_true(g_file_get_contents(EXAMPLE_PATH, &text, NULL, NULL));
  assert_string_equal(text, mugai_default_config_text); /* the build embeds this very file */
  GError *error = NULL;
  g_autoptr(mugai_policy) loaded = mugai_config_load(EXAMPLE_PATH, NULL, &error);
  if (loaded == NULL)
    fail_msg("%s", error->message);
  g_autoptr(mugai_policy) d = mugai_policy_new_defaults();
  assert_policy_equal(loaded, d);
  assert_string_equal(loaded->source, EXAMPLE_PATH);
}

/* "Every key present": each "key = value" of the dump of the defaults (which walks the key table)
 * is also a line of the example file, so a new key cannot go undocumented. */
static void example_file_sets_every_key_to_its_default(void **state)
{
  (void) state;
  g_autofree char *text = NULL;
  assert_true(g_file_get_contents(EXAMPLE_PATH, &text, NULL, NULL));
  g_autoptr(mugai_policy) d = mugai_policy_new_defaults();
  g_autofree char *dump = mugai_config_dump(d);
  g_auto(GStrv) lines = g_strsplit(dump, "\n", -1);
  guint keys = 0;
  for (guint i = 0; lines[i] != NULL; i++) {
    if (lines[i][0] == '#' || strstr(lines[i], " =") == NULL)
      continue;
    g_autofree char *needle = g_strdup_printf("\n%s\n", lines[i]);
    if (strstr(text, needle) == NULL)
      fail_msg("config/mugai.conf lacks the line \"%s\"", lines[i]);
    keys++;
  }
  assert_int_equal(keys, 115);
}

static void empty_text_gives_the_defaults(void **state)
{
  (void) state;
  g_autoptr(mugai_policy) d = mugai_policy_new_defaults();
  static const char *const texts[] = {"", "\n\n", "# only a comment\n", "[limits]\n"};
  for (gsize i = 0; i < G_N_ELEMENTS(texts); i++) {
    g_autoptr(mugai_policy) p = parse_ok(texts[i]);
    assert_policy_equal(p, d);
  }
  g_autoptr(mugai_policy) from_null = mugai_config_parse(NULL, 0, SRC, NULL, NULL);
  assert_non_null(from_null);
}

/* ---- each key --------------------------------------------------------------------------------- */

static void parses_a_complete_custom_file_into_every_field(void **state)
{
  (void) state;
  g_autoptr(mugai_policy) p = parse_ok("[milter]\n"
                                       "socket = unix:/run/mugai/milter.sock\n"
                                       "spool_dir = /srv/mugai/spool\n"
                                       "spool_memory = 512K\n"
                                       "[notice]\n"
                                       "language = en\n"
                                       "[limits]\n"
                                       "message_size = 2G\n"
                                       "mime_depth = 7\n"
                                       "mime_parts = 99\n"
                                       "html_size = 3mb\n"
                                       "text_size = 2048\n");
  assert_string_equal(p->milter_socket, "unix:/run/mugai/milter.sock");
  assert_string_equal(p->spool_dir, "/srv/mugai/spool");
  assert_int_equal(p->spool_memory, 512 * 1024);
  assert_int_equal(p->notice_language, MUGAI_LANG_EN);
  assert_int_equal(p->limits.message_bytes, G_GUINT64_CONSTANT(2) << 30);
  assert_int_equal(p->limits.mime_depth, 7);
  assert_int_equal(p->limits.mime_parts, 99);
  assert_int_equal(p->limits.html_bytes, 3 << 20);
  assert_int_equal(p->limits.text_bytes, 2048);
}

static void accepts_each_bound_and_rejects_one_past_it(void **state)
{
  (void) state;
  static const value_row rows[] = {
    {"milter", "spool_memory", "0", NULL},
    {"milter", "spool_memory", "256M", NULL},
    {"milter", "spool_memory", "268435457", "268435457 is above the maximum 256M"},
    {"milter", "spool_memory", "257M", "257M is above the maximum 256M"},
    {"limits", "message_size", "1K", NULL},
    {"limits", "message_size", "1023", "1023 is below the minimum 1K"},
    {"limits", "message_size", "2G", NULL},
    {"limits", "message_size", "2147483649", "2147483649 is above the maximum 2G"},
    {"limits", "mime_depth", "1", NULL},
    {"limits", "mime_depth", "0", "0 is below the minimum 1"},
    {"limits", "mime_depth", "100", NULL},
    {"limits", "mime_depth", "101", "101 is above the maximum 100"},
    {"limits", "mime_depth", "500", "500 is above the maximum 100"},
    {"limits", "mime_parts", "1", NULL},
    {"limits", "mime_parts", "0", "0 is below the minimum 1"},
    {"limits", "mime_parts", "100000", NULL},
    {"limits", "mime_parts", "100001", "100001 is above the maximum 100000"},
    {"limits", "html_size", "1024", NULL},
    {"limits", "html_size", "1023", "1023 is below the minimum 1K"},
    {"limits", "text_size", "1k", NULL},
    {"limits", "text_size", "1023B", "1023B is below the minimum 1K"},
    {"limits", "text_size", "16G", NULL}, /* no maximum */
  };
  check_value_rows(rows, G_N_ELEMENTS(rows));
}

static void rejects_values_that_are_not_numbers_or_sizes(void **state)
{
  (void) state;
  static const value_row rows[] = {
    {"limits", "message_size", "10Q",
     "\"10Q\" is not a size (a whole number of bytes, or of K, M or G, e.g. 64M)"},
    {"limits", "message_size", "-1",
     "\"-1\" is not a size (a whole number of bytes, or of K, M or G, e.g. 64M)"},
    {"limits", "message_size", "1.5M",
     "\"1.5M\" is not a size (a whole number of bytes, or of K, M or G, e.g. 64M)"},
    {"limits", "message_size", "10 M",
     "\"10 M\" is not a size (a whole number of bytes, or of K, M or G, e.g. 64M)"},
    {"limits", "message_size", "99999999999G", "99999999999G is above the maximum 2G"},
    {"limits", "html_size", "99999999999G", "99999999999G is too large"},
    {"limits", "mime_depth", "ten", "\"ten\" is not a whole number"},
    {"limits", "mime_depth", "-1", "\"-1\" is not a whole number"},
    {"limits", "mime_depth", "2K", "\"2K\" is not a whole number"},
    {"limits", "mime_depth", "99999999999999999999999", "99999999999999999999999 is above the maximum 100"},
    {"limits", "mime_depth", "", "empty value (delete the line to use the default, 20)"},
    {"limits", "message_size", "64M # default",
     "\"64M # default\": a comment must be on a line of its own"},
  };
  check_value_rows(rows, G_N_ELEMENTS(rows));
}

static void checks_the_milter_socket_syntax(void **state)
{
  (void) state;
  static const value_row rows[] = {
    {"milter", "socket", "unix:/run/mugai/milter.sock", NULL},
    {"milter", "socket", "local:/var/spool/postfix/mugai/milter", NULL},
    {"milter", "socket", "inet:1@localhost", NULL},
    {"milter", "socket", "inet:65535@127.0.0.1", NULL},
    {"milter", "socket", "inet6:8895@::1", NULL},
    {"milter", "socket", "inet:65536@127.0.0.1",
     "\"inet:65536@127.0.0.1\": the port must be a number from 1 to 65535"},
    {"milter", "socket", "inet:99999@x", "\"inet:99999@x\": the port must be a number from 1 to 65535"},
    {"milter", "socket", "inet:0@x", "\"inet:0@x\": the port must be a number from 1 to 65535"},
    {"milter", "socket", "inet:@x", "\"inet:@x\": the port must be a number from 1 to 65535"},
    {"milter", "socket", "inet:+25@x", "\"inet:+25@x\": the port must be a number from 1 to 65535"},
    {"milter", "socket", "inet:8895",
     "\"inet:8895\": the host is missing (write inet:PORT@HOST, e.g. inet:8895@127.0.0.1)"},
    {"milter", "socket", "inet:8895@",
     "\"inet:8895@\": the host after \"@\" is missing or contains a space"},
    {"milter", "socket", "tcp:1",
     "\"tcp:1\" is not a milter socket (write unix:/PATH, local:/PATH, inet:PORT@HOST or "
     "inet6:PORT@HOST)"},
    {"milter", "socket", "127.0.0.1:8895",
     "\"127.0.0.1:8895\" is not a milter socket (write unix:/PATH, local:/PATH, inet:PORT@HOST "
     "or inet6:PORT@HOST)"},
    {"milter", "socket", "unix:run/milter.sock",
     "\"unix:run/milter.sock\": the socket path must be absolute, e.g. unix:/run/mugai/milter.sock"},
    {"milter", "socket", "unix:/",
     "\"unix:/\": the socket path must be absolute, e.g. unix:/run/mugai/milter.sock"},
  };
  check_value_rows(rows, G_N_ELEMENTS(rows));

  /* sun_path holds 107 bytes and a NUL: libmilter would fail only at bind(). */
  g_autofree char *path107 = g_strnfill(107, 'a');
  path107[0] = '/';
  g_autofree char *ok = g_strdup_printf("[milter]\nsocket = unix:%s\n", path107);
  expect_problem(ok, NULL);
  g_autofree char *too_long = g_strdup_printf("[milter]\nsocket = unix:%sb\n", path107);
  g_autoptr(GPtrArray) problems = problems_of(too_long);
  assert_int_equal(problems->len, 1);
  assert_non_null(strstr(problems->pdata[0], "the socket path is longer than 107 bytes"));
}

static void checks_spool_dir_and_language(void **state)
{
  (void) state;
  static const value_row rows[] = {
    {"milter", "spool_dir", "/var/spool/mugai", NULL},
    {"milter", "spool_dir", "var/tmp", "\"var/tmp\" is not an absolute path (it must start with /)"},
    {"milter", "spool_dir", "~/tmp", "\"~/tmp\" is not an absolute path (it must start with /)"},
    {"milter", "spool_dir", "/var/a\\tb", "\"/var/a\\x09b\" contains a control character"},
    {"milter", "spool_dir", "", "empty value (delete the line to use the default, /var/tmp)"},
    {"notice", "language", "en", NULL},
    {"notice", "language", "fr", "\"fr\" is not one of: ja, en"},
    {"notice", "language", "JA", "\"JA\" is not one of: ja, en"},
    {"notice", "language", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
     "\"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\" is not one of: ja, en"},
  };
  check_value_rows(rows, G_N_ELEMENTS(rows));
}

static void checks_booleans_durations_tags_and_the_new_bounds(void **state)
{
  (void) state;
  static const value_row rows[] = {
    {"links", "defang_web", "yes", NULL},
    {"links", "defang_mailto", "False", NULL},
    {"links", "defang_tel", "maybe", "\"maybe\" is not yes or no"},
    {"output", "charset", "iso-2022-jp", NULL},
    {"output", "charset", "shift_jis", "\"shift_jis\" is not one of: utf-8, iso-2022-jp"},
    {"notice", "subject_tag", "[\xe7\x84\xa1\xe5\xae\xb3\xe5\x8c\x96]", NULL},
    {"notice", "subject_tag", "", NULL},
    {"notice", "subject_tag", "=?UTF-8?B?5Y2x?=",
     "must be written as text, not as an RFC 2047 encoded-word"},
    {"notice", "subject_tag", "0123456789012345678901234567890123456789", NULL},
    {"notice", "subject_tag", "01234567890123456789012345678901234567890",
     "longer than 40 characters"},
    {"limits", "header_size", "1K", NULL},
    {"limits", "header_size", "1023", "1023 is below the minimum 1K"},
    {"limits", "header_size", "100K", NULL},
    {"limits", "header_size", "102401", "102401 is above the maximum 100K"},
    {"limits", "archive_depth", "0", NULL},
    {"limits", "archive_depth", "10", NULL},
    {"limits", "archive_depth", "11", "11 is above the maximum 10"},
    {"limits", "archive_entries", "0", "0 is below the minimum 1"},
    {"limits", "archive_size", "0", NULL},
    {"limits", "archive_size", "2G", NULL},
    {"limits", "archive_size", "2049M", "2049M is above the maximum 2G"},
    {"limits", "time_per_message", "1s", NULL},
    {"limits", "time_per_message", "1h", NULL},
    {"limits", "time_per_message", "0", "\"0\" is outside 1s to 3600s"},
    {"limits", "time_per_message", "61m", "\"61m\" is outside 1s to 3600s"},
    {"limits", "time_per_message", "soon",
     "\"soon\" is not a duration (seconds, or with s, m, h, d or w, e.g. 60s)"},
  };
  check_value_rows(rows, G_N_ELEMENTS(rows));
  g_autoptr(mugai_policy) p = parse_ok("[links]\ndefang_web = yes\n[output]\ncharset = iso-2022-jp\n"
                                       "[limits]\ntime_per_message = 2m\n");
  assert_true(p->links.defang_web);
  assert_false(p->links.defang_mailto);
  assert_int_equal(p->output_charset, MUGAI_OUTPUT_ISO2022JP);
  assert_int_equal(p->limits.seconds_per_message, 120);
}

/* Templates are read and checked when the config is: a broken one is a config error with the
 * line of its key, never a notice with a hole in it. */
static void loads_notice_templates_and_rejects_broken_ones(void **state)
{
  (void) state;
  g_autoptr(mugai_policy) d = mugai_policy_new_defaults();
  assert_string_equal(d->notice_template[MUGAI_LANG_JA].text, mugai_notice_template_ja);
  assert_string_equal(d->notice_template[MUGAI_LANG_EN].text, mugai_notice_template_en);
  assert_null(mugai_notice_template_check(mugai_notice_template_ja));
  g_autofree char *dir = g_dir_make_tmp("mugai-template-XXXXXX", NULL);
  g_autofree char *good = g_build_filename(dir, "good.txt", NULL);
  g_autofree char *bad = g_build_filename(dir, "bad.txt", NULL);
  assert_true(g_file_set_contents(good, "{warnings}\nHelp desk: 内線 1234\n{removed}\n", -1, NULL));
  assert_true(g_file_set_contents(bad, "ok\n{removed}\n{remove}\n", -1, NULL));
  g_autofree char *text = g_strdup_printf("[notice]\ntemplate_en = %s\n", good);
  g_autoptr(mugai_policy) p = parse_ok(text);
  assert_string_equal(p->notice_template[MUGAI_LANG_EN].path, good);
  assert_string_equal(p->notice_template[MUGAI_LANG_EN].text,
                      "{warnings}\nHelp desk: 内線 1234\n{removed}\n");
  g_autofree char *bad_text = g_strdup_printf("[notice]\ntemplate_ja = %s\n", bad);
  g_autofree char *want = g_strdup_printf(SRC ":2: [notice] template_ja: \"%s\": line 3: unknown "
                                          "placeholder {remove} (known: warnings, actions, removed, "
                                          "removed_count, queue_id, authentication, quarantine_id, converted)", bad);
  expect_problem(bad_text, want);
  g_autofree char *missing = g_strdup_printf("[notice]\ntemplate_ja = %s/none.txt\n", dir);
  g_autoptr(GPtrArray) problems = problems_of(missing);
  assert_int_equal(problems->len, 1);
  assert_non_null(strstr(problems->pdata[0], ":2: [notice] template_ja: "));
  assert_non_null(strstr(problems->pdata[0], "none.txt"));
  expect_problem("[notice]\ntemplate_ja = notice.txt\n",
                 SRC ":2: [notice] template_ja: \"notice.txt\" is not an absolute path (it must start with /)");
  g_unlink(good);
  g_unlink(bad);
  g_rmdir(dir);
}

static void expands_templates_dropping_empty_lines(void **state)
{
  (void) state;
  const char *values[MUGAI_NOTICE_FIELD_COUNT] = {NULL};
  g_autoptr(GString) out = g_string_new(NULL);
  const char *tpl = "{warnings}\nTitle {{x}}\n{?removed}Removed ({removed_count}):\n{removed}\nend\n";
  mugai_notice_template_expand(out, tpl, values);
  assert_string_equal(out->str, "Title {x}\nend\n");
  values[MUGAI_NOTICE_REMOVED] = "  - a.zip\n";
  values[MUGAI_NOTICE_REMOVED_COUNT] = "1";
  values[MUGAI_NOTICE_WARNINGS] = "Careful\n\n";
  g_string_truncate(out, 0);
  mugai_notice_template_expand(out, tpl, values);
  assert_string_equal(out->str, "Careful\n\nTitle {x}\nRemoved (1):\n  - a.zip\nend\n");
  g_autofree char *lone = mugai_notice_template_check("a }\n");
  assert_string_equal(lone, "line 1: a lone \"}\" (write }} for one)");
  g_autofree char *mid = mugai_notice_template_check("x\ny {?removed}\n");
  assert_string_equal(mid, "line 2: {?removed} must start its line");
}

static void trims_values_and_keys(void **state)
{
  (void) state;
  g_autoptr(mugai_policy) p = parse_ok("  [limits]  \n\t mime_depth\t=\t 42 \t\n[notice]\nlanguage=en\n");
  assert_int_equal(p->limits.mime_depth, 42);
  assert_int_equal(p->notice_language, MUGAI_LANG_EN);
}

/* ---- structure: unknown, duplicate, syntax ---------------------------------------------------- */

static void rejects_unknown_keys_with_their_line_and_a_hint(void **state)
{
  (void) state;
  static const struct { const char *text, *problem; } rows[] = {
    {"[limits]\n\nfoo = 1\n", SRC ":3: [limits] foo: unknown key"},
    {"[limits]\nmime-depth = 5\n", SRC ":2: [limits] mime-depth: unknown key; did you mean mime_depth?"},
    {"[limits]\nMIME_DEPTH = 5\n", SRC ":2: [limits] MIME_DEPTH: unknown key; did you mean mime_depth?"},
    {"[milter]\nmessage_size = 1M\n",
     SRC ":2: [milter] message_size: unknown key; it belongs in [limits]"},
    {"[milter]\nsocket[ja] = inet:1@x\n", SRC ":2: [milter] socket[ja]: unknown key"},
    {"mime_depth = 5\n[limits]\n", SRC ":1: mime_depth: key before the first [group]"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(rows); i++)
    expect_problem(rows[i].text, rows[i].problem);
}

static void rejects_unknown_groups_once_not_once_per_key(void **state)
{
  (void) state;
  expect_problem("[milter]\n[foo]\na = 1\nb = 2\n",
                 SRC ":2: [foo]: unknown group (the groups are [milter], [notice], [output], [links], [limits], [gateway], [inbound], [outbound], [autoforward], [impersonation], [authentication], [lists], [notify], [ratelimit], [scan], [convert], [quarantine], [contacts], [ppap], [rule NAME])");
  expect_problem("# x\n[limit]\nmime_depth = 5\n", SRC ":2: [limit]: unknown group; did you mean [limits]?");
  expect_problem("[]\n", SRC ":1: []: unknown group (the groups are [milter], [notice], [output], [links], [limits], [gateway], [inbound], [outbound], [autoforward], [impersonation], [authentication], [lists], [notify], [ratelimit], [scan], [convert], [quarantine], [contacts], [ppap], [rule NAME])");
}

static void rejects_duplicates_naming_both_lines(void **state)
{
  (void) state;
  expect_problem("[limits]\nmime_depth = 5\n# again\nmime_depth = 6\n",
                 SRC ":4: [limits] mime_depth: duplicate key, first set at line 2");
  g_autoptr(GPtrArray) p = problems_of("[limits]\nmime_depth = 5\n[notice]\n[limits]\nmime_depth = 6\n");
  assert_int_equal(p->len, 2);
  assert_string_equal(p->pdata[0], SRC ":4: [limits]: duplicate group, first at line 1");
  assert_string_equal(p->pdata[1], SRC ":5: [limits] mime_depth: duplicate key, first set at line 2");
}

static void reports_syntax_errors_with_their_line(void **state)
{
  (void) state;
  static const struct { const char *text, *problem; } rows[] = {
    {"[limits]\ngarbage\n",
     SRC ":2: \"garbage\": expected [group], key = value, or a comment (# or ;)"},
    {"[limits\nmime_depth = 5\n", SRC ":1: \"[limits\": a group header needs a closing \"]\""},
    {"[limits] # x\n", SRC ":1: \"[limits] # x\": unexpected text after \"]\""},
    {"[limits]\n = 5\n", SRC ":2: \"=\" without a key name before it"},
    {"[milter]\nspool_dir = /var/tmp\\\n",
     SRC ":2: [milter] spool_dir: \"/var/tmp\\\": a backslash must start \\s, \\t, \\n, \\r "
         "or \\\\ (write \\\\ for one backslash)"},
    {"[milter]\nspool_dir = C:\\qtmp\n",
     SRC ":2: [milter] spool_dir: \"C:\\qtmp\": a backslash must start \\s, \\t, \\n, \\r "
         "or \\\\ (write \\\\ for one backslash)"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(rows); i++)
    expect_problem(rows[i].text, rows[i].problem);
}

static void reports_every_problem_at_once_in_line_order(void **state)
{
  (void) state;
  const char *text = "[milter]\n"                  /* 1 */
                     "socket = tcp:1\n"            /* 2 */
                     "spool_memory = 1M\n"         /* 3 */
                     "[notice]\n"                  /* 4 */
                     "language = fr\n"             /* 5 */
                     "[limits]\n"                  /* 6 */
                     "mime_depth = 500\n"          /* 7 */
                     "colour = blue\n"             /* 8 */
                     "this is not a line\n"        /* 9 */
                     "message_size = 10Q\n"        /* 10 */
                     "mime_depth = 5\n";           /* 11 */
  static const char *const want[] = {
    SRC ":2: [milter] socket: \"tcp:1\" is not a milter socket (write unix:/PATH, local:/PATH, "
    "inet:PORT@HOST or inet6:PORT@HOST)",
    SRC ":5: [notice] language: \"fr\" is not one of: ja, en",
    SRC ":7: [limits] mime_depth: 500 is above the maximum 100",
    SRC ":8: [limits] colour: unknown key",
    SRC ":9: \"this is not a line\": expected [group], key = value, or a comment (# or ;)",
    SRC ":10: [limits] message_size: \"10Q\" is not a size (a whole number of bytes, or of K, M "
    "or G, e.g. 64M)",
    SRC ":11: [limits] mime_depth: duplicate key, first set at line 7",
  };
  GPtrArray *problems = g_ptr_array_new_with_free_func(g_free);
  g_ptr_array_add(problems, g_strdup("kept"));
  GError *error = NULL;
  assert_null(mugai_config_parse(text, strlen(text), SRC, problems, &error));
  assert_int_equal(problems->len, 1 + G_N_ELEMENTS(want));
  assert_string_equal(problems->pdata[0], "kept"); /* appended, not replaced */
  for (gsize i = 0; i < G_N_ELEMENTS(want); i++)
    assert_string_equal(problems->pdata[i + 1], want[i]);
  g_autofree char *joined = g_strjoinv("\n", (char **) want);
  assert_string_equal(error->message, joined);
  g_error_free(error);
  g_ptr_array_unref(problems);
  assert_null(mugai_config_parse(text, strlen(text), SRC, NULL, NULL)); /* both optional */
}

static void caps_the_number_of_problems_listed(void **state)
{
  (void) state;
  GString *text = g_string_new("[limits]\n");
  for (int i = 0; i < 200; i++)
    g_string_append(text, "junk\n");
  g_autoptr(GPtrArray) p = problems_of(text->str);
  assert_int_equal(p->len, 51);
  assert_string_equal(p->pdata[49], SRC ":51: \"junk\": expected [group], key = value, or a comment (# or ;)");
  assert_string_equal(p->pdata[50], SRC ":52: and 150 more problems");

  /* A bad value is listed by its line even when it is found after the junk... */
  g_string_insert(text, strlen("[limits]\n"), "mime_depth = 500\n");
  g_autoptr(GPtrArray) first = problems_of(text->str);
  assert_int_equal(first->len, 51);
  assert_string_equal(first->pdata[0], SRC ":2: [limits] mime_depth: 500 is above the maximum 100");
  assert_string_equal(first->pdata[50], SRC ":52: and 151 more problems");
  /* ...and counted when it comes after the listed ones. */
  g_string_erase(text, strlen("[limits]\n"), strlen("mime_depth = 500\n"));
  g_string_append(text, "mime_depth = 500\n");
  g_autoptr(GPtrArray) last = problems_of(text->str);
  assert_int_equal(last->len, 51);
  assert_string_equal(last->pdata[50], SRC ":52: and 151 more problems");
  g_string_free(text, TRUE);
}

/* ---- hostile and foreign bytes ---------------------------------------------------------------- */

static void rejects_nul_bytes_and_bad_utf8_with_their_line(void **state)
{
  (void) state;
  static const char with_nul[] = "[limits]\nmime_depth = 5\0junk\nmime_parts = 7\n";
  g_autoptr(GPtrArray) p = problems_of_len(with_nul, sizeof with_nul - 1);
  assert_int_equal(p->len, 1);
  assert_string_equal(p->pdata[0], SRC ":2: this line contains a NUL byte");

  /* A Shift_JIS comment: the file was saved in the wrong encoding. */
  expect_problem("[limits]\n# \x83\x65\x83\x58\x83\x67\n",
                 SRC ":2: this line is not valid UTF-8 (save the file as UTF-8)");
  expect_problem("[limits]\nmime_depth = 5\xff\n",
                 SRC ":2: this line is not valid UTF-8 (save the file as UTF-8)");
  expect_problem("[lim\x01its]\n", SRC ":1: [lim\\x01its]: unknown group; did you mean [limits]?");
  expect_problem("[\x01]\n", SRC ":1: [\\x01]: unknown group (the groups are [milter], [notice], [output], [links], "
                               "[limits], [gateway], [inbound], [outbound], [autoforward], [impersonation], [authentication], [lists], [notify], [ratelimit], [scan], [convert], [quarantine], [contacts], [ppap], [rule NAME])");
}

/* Lists: items separated by commas and/or spaces, each checked, the bad one named. */
static void lists_are_checked_item_by_item(void **state)
{
  (void) state;
  expect_problem("[gateway]\ninternal_networks = 10.0.0.0/8, 300.1.1.1\n",
                 SRC ":2: [gateway] internal_networks: \"300.1.1.1\" is not an address or network "
                     "(write 192.0.2.0/24 or 2001:db8::/32)");
  expect_problem("[gateway]\ninternal_networks = 10.0.0.0/33\n",
                 SRC ":2: [gateway] internal_networks: \"10.0.0.0/33\" is not an address or network "
                     "(write 192.0.2.0/24 or 2001:db8::/32)");
  expect_problem("[gateway]\ninternal_domains = city.example.lg.jp bad_domain\n",
                 SRC ":2: [gateway] internal_domains: \"bad_domain\" is not a domain name (letters, "
                     "digits, - and . only; write an internationalized domain in its xn-- form)");
  expect_problem("[gateway]\ninternal_domains = .example.jp\n",
                 SRC ":2: [gateway] internal_domains: \".example.jp\" is not a domain name (e.g. "
                     "city.example.lg.jp)");
  expect_problem("[gateway]\noutbound_daemon_names = submission smtpd;x\n",
                 SRC ":2: [gateway] outbound_daemon_names: \"smtpd;x\" is not a Postfix daemon name "
                     "(letters, digits, . _ - /)");
  expect_problem("[inbound]\nmax_message_size = 1\n",
                 SRC ":2: [inbound] max_message_size: 1 is below the minimum 1K");
  g_autoptr(mugai_policy) p = parse_ok("[gateway]\ninternal_domains = a.example.jp,b.example.jp\n"
                                       "internal_networks = 192.0.2.0/24 ,  2001:db8::/32 10.1.2.3\n"
                                       "[outbound]\nmax_message_size = 20M\n");
  const char *domains[] = {"a.example.jp", "b.example.jp", NULL};
  const char *networks[] = {"192.0.2.0/24", "2001:db8::/32", "10.1.2.3", NULL};
  assert_true(g_strv_equal((const char *const *) p->gateway.internal_domains, domains));
  assert_true(g_strv_equal((const char *const *) p->gateway.internal_networks, networks));
  assert_int_equal(g_strv_length(p->gateway.outbound_daemon_names), 0);
  assert_int_equal(p->outbound.max_message_bytes, 20 << 20);
  assert_int_equal(p->inbound.max_message_bytes, 10 << 20);
  g_autofree char *dump = mugai_config_dump(p);
  assert_non_null(strstr(dump, "\ninternal_networks = 192.0.2.0/24, 2001:db8::/32, 10.1.2.3\n"));
  assert_non_null(strstr(dump, "\noutbound_daemon_names =\n"));
  g_autoptr(mugai_policy) again = parse_ok(dump);
  assert_policy_equal(p, again);
}

/* [ratelimit]: every key's bounds and bad values, the lists parsed once, the dump read back. */
static void checks_the_ratelimit_keys(void **state)
{
  (void) state;
  static const value_row rows[] = {
    {"ratelimit", "direction", "both", NULL},
    {"ratelimit", "direction", "no", NULL},
    {"ratelimit", "direction", "out", "\"out\" is not one of: outbound, both, inbound, no"},
    {"ratelimit", "window", "1m", NULL},
    {"ratelimit", "window", "7d", NULL},
    {"ratelimit", "window", "59s", "\"59s\" is outside 60s to 604800s"},
    {"ratelimit", "window", "1w1s", "\"1w1s\" is not a duration (seconds, or with s, m, h, d or w, e.g. 1h)"},
    {"ratelimit", "window", "8d", "\"8d\" is outside 60s to 604800s"},
    {"ratelimit", "window", "hourly", "\"hourly\" is not a duration (seconds, or with s, m, h, d or w, e.g. 1h)"},
    {"ratelimit", "sender_messages", "0", NULL},
    {"ratelimit", "sender_messages", "1000000", NULL},
    {"ratelimit", "sender_messages", "1000001", "1000001 is above the maximum 1000000"},
    {"ratelimit", "sender_messages", "-1", "\"-1\" is not a whole number"},
    {"ratelimit", "sender_recipients", "1000001", "1000001 is above the maximum 1000000"},
    {"ratelimit", "sender_recipients", "1k", "\"1k\" is not a whole number"},
    {"ratelimit", "client_messages", "1000001", "1000001 is above the maximum 1000000"},
    {"ratelimit", "client_messages", "", "empty value (delete the line to use the default, 0)"},
    {"ratelimit", "client_recipients", "1000000", NULL},
    {"ratelimit", "client_recipients", "many", "\"many\" is not a whole number"},
    {"ratelimit", "exempt_senders", "news@city.example.lg.jp, @example.jp", NULL},
    {"ratelimit", "exempt_senders", "news@city.example.lg.jp <x>",
     "\"<x>\" is not a domain name (letters, digits, - and . only; write an internationalized "
     "domain in its xn-- form)"},
    {"ratelimit", "exempt_senders", "a\"b@example.jp",
     "\"a\"b@example.jp\" is not a mail address (write user@example.jp or example.jp)"},
    {"ratelimit", "exempt_clients", "192.0.2.0/24 2001:db8::1", NULL},
    {"ratelimit", "exempt_clients", "192.0.2.0/24, mail.example.jp",
     "\"mail.example.jp\" is not an address or network (write 192.0.2.0/24 or 2001:db8::/32)"},
    {"ratelimit", "clause", "\xe5\xaf\xbe\xe7\xad\x96\xe5\x9f\xba\xe6\xba\x96 10", NULL},
    {"ratelimit", "clause", "0123456789012345678901234567890123456789012345678901234567890",
     "longer than 60 characters"},
  };
  check_value_rows(rows, G_N_ELEMENTS(rows));

  g_autoptr(mugai_policy) d = mugai_policy_new_defaults();
  assert_int_equal(d->ratelimit.direction, MUGAI_RATELIMIT_OUTBOUND);
  assert_int_equal(d->ratelimit.window, 3600);
  assert_int_equal(d->ratelimit.sender_messages, 300);
  assert_int_equal(d->ratelimit.sender_recipients, 1000);
  assert_int_equal(d->ratelimit.client_messages, 0);
  assert_int_equal(d->ratelimit.client_recipients, 0);
  assert_int_equal(g_strv_length(d->ratelimit.exempt_senders), 0);
  assert_int_equal(d->ratelimit.exempt_client_masks->len, 0);
  assert_string_equal(d->ratelimit.clause, "");

  g_autoptr(mugai_policy) p = parse_ok("[ratelimit]\ndirection = both\nwindow = 30m\n"
                                       "sender_messages = 3\nclient_recipients = 50\n"
                                       "exempt_clients = 192.0.2.0/24 2001:db8::/32\n"
                                       "exempt_senders = @example.jp\nclause = 10a\n");
  assert_int_equal(p->ratelimit.direction, MUGAI_RATELIMIT_BOTH);
  assert_int_equal(p->ratelimit.window, 1800);
  assert_int_equal(p->ratelimit.sender_messages, 3);
  assert_int_equal(p->ratelimit.sender_recipients, 1000);
  assert_int_equal(p->ratelimit.client_recipients, 50);
  assert_int_equal(p->ratelimit.exempt_client_masks->len, 2); /* parsed once, at load */
  assert_string_equal(p->ratelimit.clause, "10a");
  g_autofree char *dump = mugai_config_dump(p);
  assert_non_null(strstr(dump, "\n[ratelimit]\n# changed from the default outbound\ndirection = both\n"
                               "# changed from the default 1h\nwindow = 1800s\n"));
  assert_non_null(strstr(dump, "\nexempt_clients = 192.0.2.0/24, 2001:db8::/32\n"));
  g_autoptr(mugai_policy) again = parse_ok(dump);
  assert_policy_equal(p, again);
}

/* [authentication]: authserv-ids are words as authenticators write them, dmarc_fail one of four,
 * the clauses short; the policy gets exactly what was written. */
static void checks_the_authentication_keys(void **state)
{
  (void) state;
  static const value_row rows[] = {
    {"authentication", "trusted_authserv_ids", "mx.city.example.lg.jp, mx2.city.example.lg.jp", NULL},
    {"authentication", "trusted_authserv_ids", "", NULL},
    {"authentication", "trusted_authserv_ids", "mx;evil",
     "\"mx;evil\" is not an authserv-id (a host name such as mx.city.example.lg.jp, as the "
     "authenticator writes it before the first \";\")"},
    {"authentication", "trusted_authserv_ids", "mx@example.jp",
     "\"mx@example.jp\" is not an authserv-id (a host name such as mx.city.example.lg.jp, as the "
     "authenticator writes it before the first \";\")"},
    {"authentication", "dmarc_fail", "reject_if_p_reject", NULL},
    {"authentication", "dmarc_fail", "quarantine",
     "\"quarantine\" is not one of: warn, reject, reject_if_p_reject, no"},
    {"authentication", "clause", "\xe5\xaf\xbe\xe7\xad\x96\xe5\x9f\xba\xe6\xba\x96 \xe2\x91\xa9\xe3\x82\xa2", NULL},
    {"impersonation", "clause", "0123456789012345678901234567890123456789012345678901234567890",
     "longer than 60 characters"},
  };
  check_value_rows(rows, G_N_ELEMENTS(rows));
  g_autoptr(mugai_policy) d = mugai_policy_new_defaults();
  assert_int_equal(g_strv_length(d->authentication.trusted_authserv_ids), 0);
  assert_int_equal(d->authentication.dmarc_fail, MUGAI_DMARC_FAIL_WARN);
  assert_string_equal(d->authentication.clause, "");
  assert_string_equal(d->impersonation.clause, "");
  g_autoptr(mugai_policy) p = parse_ok("[authentication]\ntrusted_authserv_ids = mx.example.jp mx2\n"
                                       "dmarc_fail = reject\nclause = 10b\n"
                                       "[impersonation]\nclause = 10c\n");
  const char *ids[] = {"mx.example.jp", "mx2", NULL};
  assert_true(g_strv_equal((const char *const *) p->authentication.trusted_authserv_ids, ids));
  assert_int_equal(p->authentication.dmarc_fail, MUGAI_DMARC_FAIL_REJECT);
  assert_string_equal(p->authentication.clause, "10b");
  assert_string_equal(p->impersonation.clause, "10c");
  g_autofree char *dump = mugai_config_dump(p);
  assert_non_null(strstr(dump, "\n[authentication]\n"));
  assert_non_null(strstr(dump, "\ntrusted_authserv_ids = mx.example.jp, mx2\n"));
  g_autoptr(mugai_policy) again = parse_ok(dump);
  assert_true(g_strv_equal((const char *const *) again->authentication.trusted_authserv_ids, ids));
  assert_int_equal(again->authentication.dmarc_fail, MUGAI_DMARC_FAIL_REJECT);
}

/* [quarantine]: the store's path, retention bounds at N and N+1, the relay's HOST:PORT, the
 * store's user and group (which must exist), and holding mail (individual numbers, viruses)
 * only with somewhere to hold it. */
static void checks_the_quarantine_keys(void **state)
{
  (void) state;
  const value_row rows[] = {
    {"quarantine", "dir", "/var/spool/mugai/quarantine", NULL},
    {"quarantine", "dir", "", NULL},
    {"quarantine", "dir", "quarantine", "\"quarantine\" is not an absolute path (it must start with /)"},
    {"quarantine", "retention", "1d", NULL},
    {"quarantine", "retention", "86399", "\"86399\" is outside 86400s to 315360000s"},
    {"quarantine", "retention", "3650d", NULL},
    {"quarantine", "retention", "3651d", "\"3651d\" is outside 86400s to 315360000s"},
    {"quarantine", "release_relay", "127.0.0.1:10026", NULL},
    {"quarantine", "release_relay", "relay.example.jp:25", NULL},
    {"quarantine", "release_relay", "[::1]:10026", NULL},
    {"quarantine", "release_relay", "127.0.0.1", "\"127.0.0.1\" is not HOST:PORT (e.g. 127.0.0.1:10026)"},
    {"quarantine", "release_relay", "127.0.0.1:65536", "\"127.0.0.1:65536\" is not HOST:PORT (e.g. 127.0.0.1:10026)"},
    {"quarantine", "release_relay", "::1:25", "\"::1:25\": write an IPv6 address in brackets, [::1]:10026"},
    {"quarantine", "release_relay", "[relay]:25", "\"[relay]:25\": the address in [] is not an IPv6 address"},
    {"quarantine", "user", "", NULL},
    {"quarantine", "user", "root", NULL}, /* every system has root, user and group */
    {"quarantine", "user", "mugai-no-such-user", "\"mugai-no-such-user\": no such user (create it first, or leave this empty)"},
    {"quarantine", "group", "", NULL},
    {"quarantine", "group", "root", NULL},
    {"quarantine", "group", "mugai-no-such-group", "\"mugai-no-such-group\": no such group (create it first, or leave this empty)"},
    {"outbound", "individual_numbers", "hold", "holding mail needs a quarantine: set [quarantine] dir"},
    {"scan", "infected", "quarantine", "holding mail needs a quarantine: set [quarantine] dir"},
  };
  check_value_rows(rows, G_N_ELEMENTS(rows));
  const char *held = "[outbound]\nindividual_numbers = hold\n[scan]\ninfected = quarantine\n"
                     "[quarantine]\ndir = /var/spool/mugai/quarantine\n";
  GError *error = NULL;
  g_autoptr(mugai_policy) p = mugai_config_parse(held, strlen(held), SRC, NULL, &error);
  assert_non_null(p);
  assert_int_equal(p->outbound.individual_numbers, MUGAI_INDIVIDUAL_NUMBERS_HOLD);
  assert_int_equal(p->scan.infected, MUGAI_ANSWER_HOLD);
  assert_int_equal(p->quarantine.retention, 30 * 86400);
  assert_string_equal(p->quarantine.user, "");
  assert_string_equal(p->quarantine.group, "");
  /* A rule that holds needs the quarantine too; its problem names the rule. */
  expect_problem("[rule r]\nmatch_rcpt = a@example.jp\noutbound.individual_numbers = hold\n",
                 SRC ":1: [rule r] outbound.individual_numbers: holding mail needs a quarantine: "
                 "set [quarantine] dir");
}

static void checks_the_quarantine_backend(void **state)
{
  (void) state;
  const value_row rows[] = {
    {"quarantine", "backend", "sqlite", NULL},
    {"quarantine", "backend", "mysql", "\"mysql\" is not one of: sqlite, postgresql"},
  };
  check_value_rows(rows, G_N_ELEMENTS(rows));
  expect_problem("[quarantine]\nbackend = postgresql\n",
                 SRC ":2: [quarantine] backend: postgresql needs [quarantine] dsn (where the "
                 "database is)");
  const char *pg = "[scan]\ninfected = quarantine\n[quarantine]\nbackend = postgresql\n"
                   "dsn = host=db1 user=mugai password='s3 cret' dbname=mugai\n";
  GError *error = NULL;
  g_autoptr(mugai_policy) p = mugai_config_parse(pg, strlen(pg), SRC, NULL, &error);
  assert_non_null(p); /* holding mail has its quarantine in the database */
  assert_int_equal(p->quarantine.backend, MUGAI_QUARANTINE_BACKEND_POSTGRESQL);
  assert_true(mugai_quarantine_policy_enabled(&p->quarantine));
  g_autofree char *dump = mugai_config_dump(p);
  assert_null(strstr(dump, "s3"));
  assert_non_null(strstr(dump, "dsn = host=db1 user=mugai password=*** dbname=mugai\n"));
  const char *const uris[][2] = {
    {"postgresql://mugai:s3cret@db1:5432/mugai", "postgresql://mugai:***@db1:5432/mugai"},
    {"postgres://db1/mugai?user=m&password=s3cret&sslmode=require",
     "postgres://db1/mugai?user=m&password=***&sslmode=require"},
    {"host=db1 PASSWORD = s3cret", "host=db1 PASSWORD = ***"},
    {"postgresql://mugai@db1/mugai", "postgresql://mugai@db1/mugai"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(uris); i++) {
    g_autofree char *shown = mugai_dsn_redact(uris[i][0]);
    assert_string_equal(shown, uris[i][1]);
  }
}

static void accepts_bom_crlf_semicolon_comments_and_japanese_comments(void **state)
{
  (void) state;
  g_autoptr(mugai_policy) p = parse_ok("\xEF\xBB\xBF# \xe8\xa8\xad\xe5\xae\x9a\r\n"
                                       "; a semicolon comment\r\n"
                                       "[limits]\r\n"
                                       "mime_depth = 9\r\n"
                                       "mime_parts = 10"); /* no final newline */
  assert_int_equal(p->limits.mime_depth, 9);
  assert_int_equal(p->limits.mime_parts, 10);
}

static void survives_a_very_long_line_and_keeps_messages_short(void **state)
{
  (void) state;
  GString *text = g_string_new("[limits]\nmime_depth = ");
  for (int i = 0; i < 1 << 20; i++)
    g_string_append_c(text, '1');
  g_string_append(text, "\nx");
  for (int i = 0; i < 1 << 20; i++)
    g_string_append_c(text, 'y');
  g_autoptr(GPtrArray) p = problems_of(text->str);
  assert_int_equal(p->len, 2);
  assert_true(g_str_has_suffix(p->pdata[0], "1111... is above the maximum 100"));
  assert_true(strlen(p->pdata[0]) < 200);
  assert_true(strlen(p->pdata[1]) < 200);
  g_string_free(text, TRUE);
}

/* Not a fuzzer, but the same contract on a few thousand mutants in every test run. */
static void survives_random_mutations_of_the_default(void **state)
{
  (void) state;
  static const char interesting[] = {'\0', '\n', '\r', '[', ']', '=', '#', ';', ' ', '\\',
                                     (char) 0xff, (char) 0xc3, (char) 0xe3, '1', 'K'};
  g_autoptr(GRand) rand = g_rand_new_with_seed(20240601);
  for (int round = 0; round < 3000; round++) {
    GString *text = g_string_new(mugai_default_config_text);
    int edits = g_rand_int_range(rand, 1, 9);
    for (int e = 0; e < edits && text->len > 0; e++) {
      gsize at = (gsize) g_rand_int_range(rand, 0, (gint32) text->len);
      char c = g_rand_boolean(rand) ? interesting[g_rand_int_range(rand, 0, sizeof interesting)]
                                    : (char) g_rand_int_range(rand, 0, 256);
      switch (g_rand_int_range(rand, 0, 3)) {
      case 0: text->str[at] = c; break;
      case 1: g_string_insert_len(text, (gssize) at, &c, 1); break;
      default: g_string_truncate(text, at); break;
      }
    }
    g_autoptr(GPtrArray) p = problems_of_len(text->str, text->len);
    for (guint i = 0; i < p->len; i++)
      assert_true(g_str_has_prefix(p->pdata[i], SRC ":"));
    assert_true(p->len <= 51);
    g_string_free(text, TRUE);
  }
}

/* ---- dump, source, load ----------------------------------------------------------------------- */

static void dump_round_trips_to_an_equal_policy(void **state)
{
  (void) state;
  g_autoptr(mugai_policy) d = mugai_policy_new_defaults();
  g_autoptr(mugai_policy) custom = parse_ok("[milter]\nsocket = inet6:25@::1\n"
                                            "spool_dir = /var/spool/a\\\\b\n"
                                            "spool_memory = 0\n[notice]\nlanguage = en\n"
                                            "[limits]\nhtml_size = 1536\ntext_size = 3072\n"
                                            "message_size = 2G\n");
  const mugai_policy *policies[] = {d, custom};
  for (gsize i = 0; i < G_N_ELEMENTS(policies); i++) {
    g_autofree char *dump = mugai_config_dump(policies[i]);
    g_autoptr(mugai_policy) again = parse_ok(dump);
    assert_policy_equal(again, policies[i]);
  }
  assert_string_equal(custom->spool_dir, "/var/spool/a\\b");
  g_autofree char *dump = mugai_config_dump(custom);
  assert_non_null(strstr(dump, "\nhtml_size = 1536\n"));   /* 1.5K is not exact in K */
  assert_non_null(strstr(dump, "\ntext_size = 3K\n"));
  assert_non_null(strstr(dump, "\nmessage_size = 2G\n"));
  assert_non_null(strstr(dump, "\nspool_memory = 0\n"));
  assert_non_null(strstr(dump, "\nspool_dir = /var/spool/a\\\\b\n"));
  assert_non_null(strstr(dump, "# changed from the default ja\nlanguage = en\n"));
  g_autofree char *ddump = mugai_config_dump(d);
  assert_non_null(strstr(ddump, "\n[milter]\nsocket = inet:8895@127.0.0.1\nuser =\ngroup =\nspool_dir = /var/tmp\n"
                                "spool_memory = 1M\nconfig_check_interval = 60s\nstatus_file = /run/mugai/status.json\n\n[notice]\nlanguage = ja\ntemplate_ja =\n"
                                "template_en =\nsubject_tag =\nbanner =\n\n[output]\ncharset = utf-8\n\n"
                                "[links]\ndefang_web = no\ndefang_mailto = no\ndefang_tel = no\n\n"
                                "[limits]\nmessage_size = 64M\nmime_depth = 20\nmime_parts = 1000\n"
                                "html_size = 8M\ntext_size = 16M\nheader_size = 16K\n"
                                "archive_depth = 2\narchive_entries = 500\narchive_size = 32M\n"
                                "time_per_message = 60s\n"));
}

static void records_the_source_and_the_sha256_of_the_text(void **state)
{
  (void) state;
  const char *text = "[limits]\nmime_depth = 3\n";
  g_autoptr(mugai_policy) p = mugai_config_parse(text, strlen(text), "/etc/x.conf", NULL, NULL);
  assert_non_null(p);
  assert_string_equal(p->source, "/etc/x.conf");
  g_autofree char *sum = g_compute_checksum_for_string(G_CHECKSUM_SHA256, text, -1);
  assert_string_equal(p->sha256, sum);
}

static void load_reports_an_unreadable_path_as_io_error(void **state)
{
  (void) state;
  g_autofree char *dir = g_dir_make_tmp("mugai-test-XXXXXX", NULL);
  g_autofree char *missing = g_build_filename(dir, "missing.conf", NULL);
  static const struct { int index; int err; } rows[] = {{0, ENOENT}, {1, EISDIR}};
  const char *paths[] = {missing, dir};
  for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
    GError *error = NULL;
    g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
    assert_null(mugai_config_load(paths[rows[i].index], problems, &error));
    assert_true(g_error_matches(error, MUGAI_CONFIG_ERROR, MUGAI_CONFIG_ERROR_IO));
    g_autofree char *want = g_strdup_printf("%s: %s", paths[rows[i].index], g_strerror(rows[i].err));
    assert_string_equal(error->message, want);
    assert_int_equal(problems->len, 0);
    g_error_free(error);
  }
  g_rmdir(dir);
}

static void load_names_problems_after_the_file(void **state)
{
  (void) state;
  g_autofree char *dir = g_dir_make_tmp("mugai-test-XXXXXX", NULL);
  g_autofree char *path = g_build_filename(dir, "mugai.conf", NULL);
  assert_true(g_file_set_contents(path, "[limits]\nmime_depth = 101\n", -1, NULL));
  GError *error = NULL;
  assert_null(mugai_config_load(path, NULL, &error));
  g_autofree char *want = g_strdup_printf("%s:2: [limits] mime_depth: 101 is above the maximum 100",
                                          path);
  assert_string_equal(error->message, want);
  g_error_free(error);
  g_unlink(path);
  g_rmdir(dir);
}

static void load_without_a_path_falls_back_to_the_embedded_default(void **state)
{
  (void) state;
  struct stat st;
  if (lstat(MUGAI_DEFAULT_CONFIG_PATH, &st) == 0)
    skip(); /* this machine has a real config; the fallback cannot be observed */
  g_autoptr(mugai_policy) p = mugai_config_load(NULL, NULL, NULL);
  assert_non_null(p);
  assert_string_equal(p->source, MUGAI_EMBEDDED_SOURCE);
  g_autofree char *sum =
      g_compute_checksum_for_string(G_CHECKSUM_SHA256, mugai_default_config_text, -1);
  assert_string_equal(p->sha256, sum);
}

static void policy_reference_outlives_the_first_owner(void **state)
{
  (void) state;
  mugai_policy *p = mugai_policy_new_defaults();
  mugai_policy *held = mugai_policy_ref(p);
  assert_ptr_equal(p, held);
  mugai_policy_unref(p);
  assert_string_equal(held->spool_dir, "/var/tmp"); /* ASan would flag a use after free */
  mugai_policy_unref(held);
  mugai_policy_unref(NULL);
}


/* [rule NAME]: the main values, then the rule's own; what it matches; problems named per rule. */
static void parses_rule_sections_over_the_main_values(void **state)
{
  (void) state;
  g_autoptr(mugai_policy) p = parse_ok("[inbound]\nmax_message_size = 5M\n"
                                       "[notice]\nsubject_tag = [main]\n"
                                       "[rule finance]\n"
                                       "match_rcpt_domain = finance.example.lg.jp, .ka.example.lg.jp\n"
                                       "match_rcpt = boss@example.lg.jp\n"
                                       "clause = 対策基準 ⑧イ\n"
                                       "inbound.max_message_size = 20M\n"
                                       "[rule partner]\nmatch_sender = partner.example.jp\n"
                                       "impersonation.action = reject\n"
                                       "notice.subject_tag =\n");
  assert_null(p->rule.name);
  assert_int_equal(p->rules->len, 2);
  const mugai_policy *finance = p->rules->pdata[0], *partner = p->rules->pdata[1];
  assert_string_equal(finance->rule.name, "finance");
  assert_int_equal(g_strv_length(finance->rule.match_rcpt_domain), 2);
  assert_string_equal(finance->rule.match_rcpt_domain[1], ".ka.example.lg.jp");
  assert_string_equal(finance->rule.match_rcpt[0], "boss@example.lg.jp");
  assert_string_equal(finance->rule.clause, "対策基準 ⑧イ");
  assert_int_equal(finance->inbound.max_message_bytes, 20 * 1024 * 1024);
  assert_string_equal(finance->subject_tag, "[main]"); /* not set by the rule: the main value */
  assert_int_equal(p->inbound.max_message_bytes, 5 * 1024 * 1024); /* the main one untouched */
  assert_int_equal(partner->impersonation.action, MUGAI_IMPERSONATION_REJECT);
  assert_string_equal(partner->subject_tag, "");
  assert_int_equal(partner->inbound.max_message_bytes, 5 * 1024 * 1024);
  assert_string_equal(partner->sha256, p->sha256);
  assert_null(partner->rules);
}

static void dump_of_rules_parses_back_to_the_same_dump(void **state)
{
  (void) state;
  g_autoptr(mugai_policy) p = parse_ok("[rule a-1]\nmatch_rcpt_domain = .example.jp\n"
                                       "notice.subject_tag = [A]\nscan.infected = discard\n"
                                       "[rule b]\nmatch_sender = x@example.com\nclause = 8a\n");
  g_autofree char *dump = mugai_config_dump(p);
  assert_non_null(strstr(dump, "\n[rule a-1]\nmatch_rcpt_domain = .example.jp\n"
                               "notice.subject_tag = [A]\nscan.infected = discard\n"));
  assert_non_null(strstr(dump, "\n[rule b]\nmatch_sender = x@example.com\nclause = 8a\n"));
  g_autoptr(mugai_policy) again = parse_ok(dump);
  g_autofree char *dump2 = mugai_config_dump(again);
  assert_string_equal(strchr(dump, '['), strchr(dump2, '[')); /* past the source line */
}

static void rejects_bad_rule_sections_with_their_line(void **state)
{
  (void) state;
  expect_problem("[rule]\nmatch_rcpt = a@b.jp\n",
                 SRC ":1: [rule ]: a rule needs a name of 1 to 40 letters, digits, . _ or - "
                 "(e.g. [rule finance])");
  expect_problem("[rule a b]\n", SRC ":1: [rule a b]: a rule needs a name of 1 to 40 letters, "
                 "digits, . _ or - (e.g. [rule finance])");
  expect_problem("[rule x]\nmatch_sender = a@b.jp\n[rule X]\nmatch_sender = c@d.jp\n",
                 SRC ":3: [rule X]: duplicate rule, first at line 1");
  expect_problem("\n[rule x]\nclause = 8\n",
                 SRC ":2: [rule x]: matches nothing (set match_rcpt, match_rcpt_domain, "
                 "match_sender or match_first_contact)");
  expect_problem("[rule x]\nmatch_sender = a@b.jp\nmax_message_size = 3M\n",
                 SRC ":3: [rule x] max_message_size: unknown key; a rule names the group too: "
                 "write inbound.max_message_size or outbound.max_message_size");
  expect_problem("[rule x]\nmatch_sender = a@b.jp\nsocket = unix:/x\n",
                 SRC ":3: [rule x] socket: unknown key; [milter] socket cannot be set in a rule");
  expect_problem("[rule x]\nmatch_sender = a@b.jp\nmilter.socket = unix:/x\n",
                 SRC ":3: [rule x] milter.socket: cannot be set in a rule (it is not decided "
                 "per message)");
  expect_problem("[rule x]\nmatch_sender = a@b.jp\nlimits.message_size = 1M\n",
                 SRC ":3: [rule x] limits.message_size: cannot be set in a rule (it is not "
                 "decided per message)");
  expect_problem("[rule x]\nmatch_sender = a@b.jp\ngateway.internal_domains = a.jp\n",
                 SRC ":3: [rule x] gateway.internal_domains: cannot be set in a rule (it is not "
                 "decided per message)");
  expect_problem("[rule x]\nmatch_sender = a@b.jp\nfoo.bar = 1\n",
                 SRC ":3: [rule x] foo.bar: unknown key (a rule sets GROUP.KEY, e.g. "
                 "inbound.max_message_size)");
  expect_problem("[rule x]\nmatch_rcp = a@b.jp\n",
                 SRC ":2: [rule x] match_rcp: unknown key; did you mean match_rcpt?");
  expect_problem("[rule x]\nmatch_rcpt = example.jp\n",
                 SRC ":2: [rule x] match_rcpt: \"example.jp\" is not a mail address (write "
                 "user@example.jp; a domain goes in match_rcpt_domain)");
  expect_problem("[rule x]\nmatch_rcpt_domain = ..example.jp\n",
                 SRC ":2: [rule x] match_rcpt_domain: \".example.jp\" is not a domain name (e.g. "
                 "city.example.lg.jp)");
  expect_problem("[rule x]\nmatch_sender = a@b.jp\ninbound.max_message_size = lots\n",
                 SRC ":3: [rule x] inbound.max_message_size: \"lots\" is not a size (a whole "
                 "number of bytes, or of K, M or G, e.g. 10M)");
  expect_problem("[rule x]\nmatch_sender = a@b.jp\nmatch_sender = c@b.jp\n",
                 SRC ":3: [rule x] match_sender: duplicate key, first set at line 2");
  expect_problem("[rule x]\nmatch_sender = x@\n",
                 SRC ":2: [rule x] match_sender: \"x@\" has no domain after \"@\"");
  expect_problem("[rule allow]\nmatch_sender = a@b.jp\n",
                 SRC ":1: [rule allow]: the name is the [lists] allow_senders list's");
  expect_problem("[inbound]\nmatch_rcpt = a@b.jp\n",
                 SRC ":2: [inbound] match_rcpt: unknown key; it belongs in a [rule NAME] section");
  /* A problem of a main value is reported once, not again for every rule built on it. */
  expect_problem("[inbound]\nmax_message_size = lots\n[rule x]\nmatch_sender = a@b.jp\n"
                 "[rule y]\nmatch_sender = c@b.jp\n",
                 SRC ":2: [inbound] max_message_size: \"lots\" is not a size (a whole number of "
                 "bytes, or of K, M or G, e.g. 10M)");
}

static void checks_the_clause_of_every_refusing_rule(void **state)
{
  (void) state;
  g_autoptr(mugai_policy) p = parse_ok("[inbound]\nmax_message_size_clause = 8a\n"
                                       "[outbound]\nmax_message_size_clause = 8b\n"
                                       "max_shown_external_addresses_clause = 対策基準 ⑩\n"
                                       "individual_numbers_clause = 10c\n"
                                       "[impersonation]\nclause = 11\n");
  assert_string_equal(p->inbound.size_clause, "8a");
  assert_string_equal(p->outbound.size_clause, "8b");
  assert_string_equal(p->outbound.shown_clause, "対策基準 ⑩");
  assert_string_equal(p->outbound.individual_number_clause, "10c");
  assert_string_equal(p->impersonation.clause, "11");
  g_autofree char *long_clause = g_strnfill(61, 'x');
  g_autofree char *text = g_strdup_printf("[impersonation]\nclause = %s\n", long_clause);
  expect_problem(text, SRC ":2: [impersonation] clause: longer than 60 characters");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(builtin_defaults_are_the_documented_values),
    cmocka_unit_test(parses_rule_sections_over_the_main_values),
    cmocka_unit_test(dump_of_rules_parses_back_to_the_same_dump),
    cmocka_unit_test(rejects_bad_rule_sections_with_their_line),
    cmocka_unit_test(checks_the_clause_of_every_refusing_rule),
    cmocka_unit_test(embedded_default_parses_to_the_builtin_defaults),
    cmocka_unit_test(example_file_is_the_embedded_default_and_loads),
    cmocka_unit_test(example_file_sets_every_key_to_its_default),
    cmocka_unit_test(empty_text_gives_the_defaults),
    cmocka_unit_test(parses_a_complete_custom_file_into_every_field),
    cmocka_unit_test(accepts_each_bound_and_rejects_one_past_it),
    cmocka_unit_test(rejects_values_that_are_not_numbers_or_sizes),
    cmocka_unit_test(checks_the_milter_socket_syntax),
    cmocka_unit_test(checks_spool_dir_and_language),
    cmocka_unit_test(checks_booleans_durations_tags_and_the_new_bounds),
    cmocka_unit_test(loads_notice_templates_and_rejects_broken_ones),
    cmocka_unit_test(expands_templates_dropping_empty_lines),
    cmocka_unit_test(trims_values_and_keys),
    cmocka_unit_test(rejects_unknown_keys_with_their_line_and_a_hint),
    cmocka_unit_test(rejects_unknown_groups_once_not_once_per_key),
    cmocka_unit_test(rejects_duplicates_naming_both_lines),
    cmocka_unit_test(reports_syntax_errors_with_their_line),
    cmocka_unit_test(reports_every_problem_at_once_in_line_order),
    cmocka_unit_test(caps_the_number_of_problems_listed),
    cmocka_unit_test(rejects_nul_bytes_and_bad_utf8_with_their_line),
    cmocka_unit_test(lists_are_checked_item_by_item),
    cmocka_unit_test(checks_the_ratelimit_keys),
    cmocka_unit_test(checks_the_authentication_keys),
    cmocka_unit_test(checks_the_quarantine_keys),
    cmocka_unit_test(checks_the_quarantine_backend),
    cmocka_unit_test(accepts_bom_crlf_semicolon_comments_and_japanese_comments),
    cmocka_unit_test(survives_a_very_long_line_and_keeps_messages_short),
    cmocka_unit_test(survives_random_mutations_of_the_default),
    cmocka_unit_test(dump_round_trips_to_an_equal_policy),
    cmocka_unit_test(records_the_source_and_the_sha256_of_the_text),
    cmocka_unit_test(load_reports_an_unreadable_path_as_io_error),
    cmocka_unit_test(load_names_problems_after_the_file),
    cmocka_unit_test(load_without_a_path_falls_back_to_the_embedded_default),
    cmocka_unit_test(policy_reference_outlives_the_first_owner),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
