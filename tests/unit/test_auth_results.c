/* test_auth_results.c — Authentication-Results values as OpenDKIM, OpenDMARC, rspamd, Gmail and
 * Microsoft write them are read into their results; hostile ones (unterminated comments and
 * quotes, NUL bytes, floods, no authserv-id) give a bounded answer. Then the trust rule of
 * [authentication]: which copies count, which are removed, and by which occurrence. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>
#include "config/config.h"
#include "sanitize/auth_results.h"
#include "sanitize/authentication.h"
#include "sanitize/headers.h"

static mugai_auth_results *
parse(const char *value)
{
  return mugai_auth_results_parse(value, -1);
}

static const mugai_auth_result *
nth(const mugai_auth_results *ar, guint i)
{
  assert_true(i < ar->results->len);
  return g_ptr_array_index(ar->results, i);
}

static void
assert_result(const mugai_auth_results *ar, guint i, const char *method, const char *result)
{
  const mugai_auth_result *r = nth(ar, i);
  assert_string_equal(r->method, method);
  assert_string_equal(r->result, result);
}

static void
assert_property(const mugai_auth_results *ar, guint i, const char *ptype, const char *property,
                const char *value)
{
  const char *got = mugai_auth_result_property(nth(ar, i), ptype, property);
  if (value == NULL) {
    assert_null(got);
    return;
  }
  assert_non_null(got);
  assert_string_equal(got, value);
}

static void
reads_opendkim_and_opendmarc(void **state)
{
  (void) state;
  g_autoptr(mugai_auth_results) dkim = parse(
      " mx.city.example.lg.jp;\n\tdkim=pass (2048-bit key; unprotected) header.d=example.jp "
      "header.i=@example.jp header.a=rsa-sha256 header.s=sel1 header.b=\"AbC+/dEf\"");
  assert_non_null(dkim);
  assert_string_equal(dkim->authserv_id, "mx.city.example.lg.jp");
  assert_int_equal(dkim->results->len, 1);
  assert_result(dkim, 0, "dkim", "pass");
  assert_property(dkim, 0, "header", "d", "example.jp");
  assert_property(dkim, 0, "header", "i", "@example.jp");
  assert_property(dkim, 0, "header", "b", "AbC+/dEf");
  assert_string_equal(nth(dkim, 0)->comment, "2048-bit key; unprotected");
  assert_false(dkim->malformed);

  g_autoptr(mugai_auth_results) dmarc =
      parse(" mx.city.example.lg.jp; dmarc=fail (p=reject dis=none) header.from=example.com");
  assert_result(dmarc, 0, "dmarc", "fail");
  assert_property(dmarc, 0, "header", "from", "example.com");
  assert_string_equal(nth(dmarc, 0)->comment, "p=reject dis=none");

  g_autoptr(mugai_auth_results) spf =
      parse(" mx.city.example.lg.jp; spf=pass smtp.mailfrom=example.com");
  assert_result(spf, 0, "spf", "pass");
  assert_property(spf, 0, "smtp", "mailfrom", "example.com");
}

static void
reads_rspamd(void **state)
{
  (void) state;
  g_autoptr(mugai_auth_results) ar = parse(
      " mx.city.example.lg.jp;\r\n\tdkim=pass header.d=example.com header.s=dkim header.b=Xy1Z2abc;"
      "\r\n\tspf=pass (mx.city.example.lg.jp: domain of bounce@example.com designates 192.0.2.10 as"
      " permitted sender) smtp.mailfrom=bounce@example.com;\r\n\tdmarc=fail reason=\"No valid SPF,"
      " No valid DKIM\" header.from=example.com (policy=reject)");
  assert_non_null(ar);
  assert_int_equal(ar->results->len, 3);
  assert_result(ar, 0, "dkim", "pass");
  assert_result(ar, 1, "spf", "pass");
  assert_property(ar, 1, "smtp", "mailfrom", "bounce@example.com");
  assert_result(ar, 2, "dmarc", "fail");
  assert_string_equal(nth(ar, 2)->reason, "No valid SPF, No valid DKIM");
  assert_property(ar, 2, "header", "from", "example.com");
  assert_string_equal(nth(ar, 2)->comment, "policy=reject");
  /* rspamd's no-result form. */
  g_autoptr(mugai_auth_results) none = parse("mx.city.example.lg.jp; none");
  assert_non_null(none);
  assert_int_equal(none->results->len, 0);
  assert_false(none->malformed);
}

static void
reads_gmail_and_microsoft(void **state)
{
  (void) state;
  g_autoptr(mugai_auth_results) gmail = parse(
      " mx.google.com;\n       dkim=pass header.i=@example.com header.s=20230601 header.b=AbCd1234;"
      "\n       spf=pass (google.com: domain of bounce@example.com designates 2607:f8b0:4864:20::b2f"
      " as permitted sender) smtp.mailfrom=bounce@example.com;\n       dmarc=pass (p=NONE sp=NONE"
      " dis=NONE) header.from=example.com");
  assert_string_equal(gmail->authserv_id, "mx.google.com");
  assert_int_equal(gmail->results->len, 3);
  assert_result(gmail, 2, "dmarc", "pass");
  assert_string_equal(nth(gmail, 2)->comment, "p=NONE sp=NONE dis=NONE");

  /* Exchange Online writes no authserv-id: the header says nothing about who wrote it. */
  assert_null(parse(" spf=pass (sender IP is 40.107.1.1) smtp.mailfrom=example.com; dkim=pass "
                    "(signature was verified) header.d=example.com;dmarc=pass action=none "
                    "header.from=example.com;compauth=pass reason=100"));
  /* With one (as a hop inside Microsoft writes it): properties without a ptype are kept too. */
  g_autoptr(mugai_auth_results) ms = parse(
      " spf.protection.outlook.com; dmarc=fail action=oreject header.from=example.com;"
      "compauth=fail reason=000");
  assert_int_equal(ms->results->len, 2);
  assert_property(ms, 0, "", "action", "oreject");
  assert_property(ms, 0, "header", "from", "example.com");
  assert_string_equal(nth(ms, 1)->reason, "000");
}

static void
reads_versions_quotes_and_case(void **state)
{
  (void) state;
  g_autoptr(mugai_auth_results) v = parse("mx.example.jp 1; auth=pass smtp.auth=sender@example.net");
  assert_string_equal(v->authserv_id, "mx.example.jp");
  assert_result(v, 0, "auth", "pass");
  g_autoptr(mugai_auth_results) q =
      parse("\"mx.example.jp\" (the gateway); DKIM/1 = PASS ( ok ) Header . D = Example.JP");
  assert_string_equal(q->authserv_id, "mx.example.jp");
  assert_result(q, 0, "dkim", "pass");
  assert_property(q, 0, "header", "d", "Example.JP");
  /* A broken resinfo is skipped; the others are read. */
  g_autoptr(mugai_auth_results) b = parse("mx; spf pass; ;dkim=; dmarc=fail header.from=x.jp;");
  assert_true(b->malformed);
  assert_int_equal(b->results->len, 1);
  assert_result(b, 0, "dmarc", "fail");
  assert_null(parse(""));
  assert_null(parse("   \r\n\t "));
  assert_null(parse("; spf=pass"));
  assert_null(parse("(only a comment)"));
}

static void
survives_hostile_values(void **state)
{
  (void) state;
  /* Unterminated comment and quotes: the rest of the value is inside them. */
  g_autoptr(mugai_auth_results) c = parse("mx; spf=pass (never closed; dkim=pass header.d=x");
  assert_int_equal(c->results->len, 1);
  assert_result(c, 0, "spf", "pass");
  assert_non_null(strstr(nth(c, 0)->comment, "never closed"));
  g_autoptr(mugai_auth_results) qs = parse("mx; dkim=pass reason=\"open; spf=fail");
  assert_int_equal(qs->results->len, 1);
  g_autoptr(mugai_auth_results) open_id = parse("\"mx; spf=pass");
  assert_non_null(open_id);
  assert_int_equal(open_id->results->len, 0);
  /* Comments nested thousands deep are counted, not recursed into. */
  g_autoptr(GString) deep = g_string_new("mx; spf=pass ");
  for (int i = 0; i < 10000; i++)
    g_string_append_c(deep, '(');
  g_string_append(deep, "x");
  for (int i = 0; i < 10000; i++)
    g_string_append_c(deep, ')');
  g_string_append(deep, " smtp.mailfrom=a.jp");
  g_autoptr(mugai_auth_results) d = parse(deep->str);
  assert_int_equal(d->results->len, 1);
  assert_true(strlen(nth(d, 0)->comment) <= MUGAI_AUTH_RESULTS_MAX_COMMENT);
  /* NUL bytes inside the value (LEN given): neither the end nor a crash. */
  static const char nul[] = "mx\0; spf=pass\0 smtp.mailfrom=a\0b; dkim=fail";
  g_autoptr(mugai_auth_results) n = mugai_auth_results_parse(nul, sizeof nul - 1);
  assert_non_null(n);
  assert_string_equal(n->authserv_id, "mx");
  assert_true(n->results->len >= 1);
  assert_result(n, n->results->len - 1, "dkim", "fail");
  /* A flood: at most MAX_RESULTS results, at most MAX_BYTES read, flagged. */
  g_autoptr(GString) flood = g_string_new("mx");
  while (flood->len < 1000000)
    g_string_append(flood, "; spf=pass smtp.mailfrom=a.example.jp");
  g_autoptr(mugai_auth_results) f = parse(flood->str);
  assert_int_equal(f->results->len, MUGAI_AUTH_RESULTS_MAX_RESULTS);
  assert_true(f->truncated);
  g_autoptr(GString) props = g_string_new("mx; dkim=pass");
  for (int i = 0; i < 100; i++)
    g_string_append_printf(props, " header.x%d=%d", i, i);
  g_autoptr(mugai_auth_results) p = parse(props->str);
  assert_int_equal(nth(p, 0)->properties->len, MUGAI_AUTH_RESULTS_MAX_PROPS);
  /* Invalid UTF-8 and control characters never come out. */
  g_autoptr(mugai_auth_results) u = parse("mx; dmarc=fail (\x1b[31m\xff) header.from=\xe3\x81x.jp");
  g_autoptr(GString) bad = g_string_new("mx; dmarc=fail (");
  for (int i = 0; i < 300; i++)
    g_string_append_c(bad, '\xff'); /* each becomes U+FFFD, three bytes */
  g_string_append(bad, ")");
  g_autoptr(mugai_auth_results) b = parse(bad->str);
  assert_true(strlen(nth(b, 0)->comment) <= MUGAI_AUTH_RESULTS_MAX_COMMENT);
  assert_true(g_utf8_validate(nth(b, 0)->comment, -1, NULL));
  assert_true(g_utf8_validate(nth(u, 0)->comment, -1, NULL));
  assert_null(strchr(nth(u, 0)->comment, '\x1b'));
  assert_true(g_utf8_validate(mugai_auth_result_property(nth(u, 0), "header", "from"), -1, NULL));
}

/* ---- the trust rule ------------------------------------------------------------------------ */

static mugai_policy *
policy_with(const char *keys)
{
  g_autofree char *text = g_strdup_printf("[authentication]\n%s", keys);
  GError *error = NULL;
  mugai_policy *p = mugai_config_parse(text, strlen(text), "test.conf", NULL, &error);
  if (p == NULL)
    fail_msg("%s", error->message);
  return p;
}

/* The header block TEXT ("Name: value\n" lines) as the milter receives it. */
static GPtrArray *
headers_of(const char *text)
{
  GPtrArray *headers = mugai_headers_new();
  mugai_headers_split(text, strlen(text), headers);
  return headers;
}

static const char *const gateway_block =
    "Authentication-Results: mx.city.example.lg.jp; dmarc=fail (p=reject dis=none) "
    "header.from=example.com\n"
    "Authentication-Results: mx.city.example.lg.jp;\n\tdkim=pass header.d=example.jp;\n"
    "\tspf=pass smtp.mailfrom=bounce@example.jp\n"
    "Received: from mail.example.jp (mail.example.jp [192.0.2.1])\n\tby mx.example.net\n"
    "Authentication-Results: mx.city.example.lg.jp; dmarc=pass header.from=example.com\n"
    "Authentication-Results: mx.google.com; spf=pass smtp.mailfrom=x@example.com\n"
    "Authentication-Results: spf=pass smtp.mailfrom=example.com\n"
    "From: someone@example.com\n";

static void
trusts_only_its_ids_above_the_first_received(void **state)
{
  (void) state;
  g_autoptr(mugai_policy) p = policy_with("trusted_authserv_ids = MX.City.Example.LG.JP\n");
  g_autoptr(GPtrArray) headers = headers_of(gateway_block);
  g_autoptr(mugai_result) r = mugai_result_new(MUGAI_DIRECTION_IN);
  assert_true(mugai_authentication_read(p, headers, r));
  assert_string_equal(r->auth_id, "mx.city.example.lg.jp");
  assert_int_equal(r->auth_checks->len, 3);
  static const char *const want[][3] = {
    {"spf", "pass", "example.jp"}, {"dkim", "pass", "example.jp"}, {"dmarc", "fail", "example.com"}};
  for (guint i = 0; i < 3; i++) {
    const mugai_auth_check *c = g_ptr_array_index(r->auth_checks, i);
    assert_string_equal(c->method, want[i][0]);
    assert_string_equal(c->result, want[i][1]);
    assert_string_equal(c->domain, want[i][2]);
  }
  const mugai_auth_check *fail = mugai_authentication_dmarc_fail(r);
  assert_non_null(fail);
  assert_true(fail->policy_reject);
  /* The forged copy below Received (3rd), Gmail's (4th) and the id-less one (5th) go. */
  assert_int_equal(r->remove_headers->len, 3);
  for (guint i = 0; i < 3; i++) {
    const mugai_header_removal *removal = g_ptr_array_index(r->remove_headers, i);
    assert_string_equal(removal->name, "Authentication-Results");
    assert_int_equal(removal->occurrence, i + 3);
  }
  assert_int_equal(r->actions[MUGAI_ACTION_AUTH_REMOVED], 3);
  assert_false(mugai_header_is_removed("Authentication-Results", 1, r));
  assert_false(mugai_header_is_removed("authentication-results", 2, r));
  assert_true(mugai_header_is_removed("AUTHENTICATION-RESULTS", 3, r));
  /* Rendered, the trusted copies stay in their place and the others are gone. */
  g_autoptr(GByteArray) out = g_byte_array_new();
  mugai_headers_render(out, headers, r);
  g_autofree char *text = g_strndup((const char *) out->data, out->len);
  assert_non_null(strstr(text, "dmarc=fail (p=reject dis=none)"));
  assert_non_null(strstr(text, "dkim=pass header.d=example.jp"));
  assert_null(strstr(text, "dmarc=pass"));
  assert_null(strstr(text, "mx.google.com"));
  assert_null(strstr(text, "Authentication-Results: spf=pass"));
}

static void
the_topmost_trusted_result_of_a_method_wins(void **state)
{
  (void) state;
  /* No Received at all (a client straight to the MX): its forged dmarc=pass is above every
   * Received, but the authenticator's own result, inserted above it, counts. */
  g_autoptr(mugai_policy) p = policy_with("trusted_authserv_ids = mx.city.example.lg.jp\n");
  g_autoptr(GPtrArray) headers = headers_of(
      "Authentication-Results: mx.city.example.lg.jp; dmarc=fail header.from=example.com\n"
      "Authentication-Results: mx.city.example.lg.jp; dmarc=pass header.from=example.com;"
      " spf=pass smtp.mailfrom=a@example.com\n"
      "From: someone@example.com\n");
  g_autoptr(mugai_result) r = mugai_result_new(MUGAI_DIRECTION_IN);
  assert_true(mugai_authentication_read(p, headers, r));
  assert_int_equal(r->auth_checks->len, 2);
  const mugai_auth_check *fail = mugai_authentication_dmarc_fail(r);
  assert_non_null(fail);
  assert_false(fail->policy_reject);
  assert_int_equal(r->remove_headers->len, 0); /* kept: it may be the authenticator's too */
}

static void
does_nothing_without_trusted_ids_or_outbound(void **state)
{
  (void) state;
  g_autoptr(mugai_policy) none = policy_with("");
  g_autoptr(mugai_policy) p = policy_with("trusted_authserv_ids = mx.city.example.lg.jp\n");
  g_autoptr(GPtrArray) headers = headers_of(gateway_block);
  g_autoptr(mugai_result) in = mugai_result_new(MUGAI_DIRECTION_IN);
  assert_true(mugai_authentication_read(none, headers, in));
  assert_null(in->auth_id);
  assert_int_equal(in->remove_headers->len, 0);
  g_autoptr(mugai_result) out = mugai_result_new(MUGAI_DIRECTION_OUT);
  assert_true(mugai_authentication_read(p, headers, out));
  assert_null(out->auth_id);
  assert_int_equal(out->remove_headers->len, 0);
}

static void
many_dkim_signatures_never_hide_the_dmarc_result(void **state)
{
  (void) state;
  g_autoptr(mugai_policy) p = policy_with("trusted_authserv_ids = mx\n");
  g_autoptr(GString) block = g_string_new("Authentication-Results: mx");
  for (int i = 0; i < 10; i++)
    g_string_append_printf(block, "; dkim=pass header.d=s%d.example.jp", i);
  g_string_append(block, "; dmarc=fail header.from=example.jp\nFrom: a@example.jp\n");
  g_autoptr(GPtrArray) headers = headers_of(block->str);
  g_autoptr(mugai_result) r = mugai_result_new(MUGAI_DIRECTION_IN);
  assert_true(mugai_authentication_read(p, headers, r));
  assert_int_equal(r->auth_checks->len, MUGAI_AUTH_CHECKS_MAX + 1);
  assert_int_equal(r->auth_checks_total, 11);
  assert_non_null(mugai_authentication_dmarc_fail(r));
}

static void
a_flood_of_untrusted_copies_is_refused(void **state)
{
  (void) state;
  g_autoptr(mugai_policy) p = policy_with("trusted_authserv_ids = mx\n");
  g_autoptr(GString) block = g_string_new(NULL);
  for (int i = 0; i <= MUGAI_HEADER_CHANGES_MAX; i++)
    g_string_append(block, "Authentication-Results: evil.example; spf=pass\n");
  g_autoptr(GPtrArray) headers = headers_of(block->str);
  g_autoptr(mugai_result) r = mugai_result_new(MUGAI_DIRECTION_IN);
  assert_false(mugai_authentication_read(p, headers, r));
  assert_int_equal(r->verdict, MUGAI_VERDICT_REJECT);
  assert_int_equal(r->reason, MUGAI_REASON_HEADERS);
  assert_int_equal(r->remove_headers->len, 0); /* a refusal carries no edits */
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(reads_opendkim_and_opendmarc),
    cmocka_unit_test(reads_rspamd),
    cmocka_unit_test(reads_gmail_and_microsoft),
    cmocka_unit_test(reads_versions_quotes_and_case),
    cmocka_unit_test(survives_hostile_values),
    cmocka_unit_test(trusts_only_its_ids_above_the_first_received),
    cmocka_unit_test(the_topmost_trusted_result_of_a_method_wins),
    cmocka_unit_test(does_nothing_without_trusted_ids_or_outbound),
    cmocka_unit_test(many_dkim_signatures_never_hide_the_dmarc_result),
    cmocka_unit_test(a_flood_of_untrusted_copies_is_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
