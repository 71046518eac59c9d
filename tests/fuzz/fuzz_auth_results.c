/* fuzz_auth_results.c — libFuzzer target for auth_results.c: the input read as one
 * Authentication-Results value (with its length: NUL bytes included), then as the header of a
 * message whose trusted authserv-id is "mx" (authentication.c's trust rule and removals).
 * What auth_results.h promises, and so what is asserted: NULL or an authserv-id; at most
 * MUGAI_AUTH_RESULTS_MAX_RESULTS results of at most MUGAI_AUTH_RESULTS_MAX_PROPS properties;
 * method, result, ptype and property lower-case keywords; every text valid UTF-8 without control
 * characters; comments no longer than the cap. A crash, leak or sanitizer report is a bug. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "config/config.h"
#include "sanitize/auth_results.h"
#include "sanitize/authentication.h"
#include "sanitize/headers.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static mugai_policy *policy;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void) argc;
  (void) argv;
  static const char text[] = "[authentication]\ntrusted_authserv_ids = mx\n";
  policy = mugai_config_parse(text, sizeof text - 1, "fuzz", NULL, NULL);
  if (policy == NULL)
    abort();
  return 0;
}

static void
check_text(const char *s)
{
  if (s == NULL || !g_utf8_validate(s, -1, NULL))
    abort();
  for (const char *p = s; *p; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f)
      abort();
}

static void
check_keyword(const char *s)
{
  check_text(s);
  for (const char *p = s; *p; p++)
    if (!(g_ascii_islower(*p) || g_ascii_isdigit(*p) || *p == '-' || *p == '_'))
      abort();
}

static void
check_parsed(const mugai_auth_results *ar)
{
  check_text(ar->authserv_id);
  if (*ar->authserv_id == '\0' || ar->results->len > MUGAI_AUTH_RESULTS_MAX_RESULTS)
    abort();
  for (guint i = 0; i < ar->results->len; i++) {
    const mugai_auth_result *r = g_ptr_array_index(ar->results, i);
    check_keyword(r->method);
    check_keyword(r->result);
    if (*r->method == '\0' || *r->result == '\0')
      abort();
    if (r->reason)
      check_text(r->reason);
    if (r->comment)
      check_text(r->comment);
    if (r->comment && strlen(r->comment) > MUGAI_AUTH_RESULTS_MAX_COMMENT)
      abort();
    if (r->properties->len > MUGAI_AUTH_RESULTS_MAX_PROPS)
      abort();
    for (guint j = 0; j < r->properties->len; j++) {
      const mugai_auth_property *prop = g_ptr_array_index(r->properties, j);
      check_keyword(prop->ptype);
      check_keyword(prop->property);
      check_text(prop->value);
    }
  }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autoptr(mugai_auth_results) ar = mugai_auth_results_parse((const char *) data, (gssize) size);
  if (ar)
    check_parsed(ar);
  /* The same bytes as header values: above and below a Received header. */
  g_autofree char *value = g_strndup((const char *) data, size);
  g_autoptr(GPtrArray) headers = mugai_headers_new();
  const char *names[] = {"Authentication-Results", "Received", "Authentication-Results"};
  for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
    mugai_header *h = g_new0(mugai_header, 1);
    h->name = g_strdup(names[i]);
    h->value = g_strdup(value);
    g_ptr_array_add(headers, h);
  }
  g_autoptr(mugai_result) result = mugai_result_new(MUGAI_DIRECTION_IN);
  if (!mugai_authentication_read(policy, headers, result))
    abort(); /* two copies are no flood */
  /* The copy below Received is never trusted; the one above is removed unless it is ours. */
  if (!mugai_header_is_removed("Authentication-Results", 2, result))
    abort();
  for (guint i = 0; i < result->auth_checks->len; i++) {
    const mugai_auth_check *c = g_ptr_array_index(result->auth_checks, i);
    if (c->domain)
      check_text(c->domain);
  }
  return 0;
}
