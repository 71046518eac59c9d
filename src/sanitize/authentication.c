/* authentication.c — the trusted Authentication-Results of an inbound message, and the removal
 * of every other copy (see authentication.h for the rule and why).
 * Owns nothing past one call; records into the result, never logs, never refuses a message
 * itself except for a flood of headers (what a DMARC fail means is sanitize.c's decision).
 */
#include "sanitize/authentication.h"

#include <string.h>
#include "sanitize/auth_results.h"
#include "sanitize/headers.h"

#define AUTH_RESULTS "Authentication-Results"
#define MAX_DOMAIN_BYTES 255

static const char *const methods[] = {"spf", "dkim", "dmarc"}; /* the order they are shown in */

static int
method_rank(const char *method)
{
  for (gsize i = 0; i < G_N_ELEMENTS(methods); i++)
    if (strcmp(method, methods[i]) == 0)
      return (int) i;
  return -1;
}

static gboolean
is_trusted(char *const *trusted, const char *authserv_id)
{
  for (gsize i = 0; trusted[i]; i++)
    if (g_ascii_strcasecmp(trusted[i], authserv_id) == 0)
      return TRUE;
  return FALSE;
}

/* The domain of VALUE ("user@example.jp" or "example.jp"), at most MAX_DOMAIN_BYTES; NULL for
 * none. (transfer full) */
static char *
domain_of(const char *value)
{
  if (value == NULL)
    return NULL;
  const char *at = strrchr(value, '@');
  const char *domain = at ? at + 1 : value;
  if (*domain == '\0')
    return NULL;
  g_autofree char *cut = g_strndup(domain, MAX_DOMAIN_BYTES);
  return g_utf8_make_valid(cut, -1); /* the parser's text is valid; a cut may not be */
}

/* What the result is about, as the reader knows it: the envelope (or HELO) domain for SPF, the
 * signing domain for DKIM, the From domain for DMARC. (transfer full) (nullable) */
static char *
subject_domain(const mugai_auth_result *r)
{
  char *domain = NULL;
  if (strcmp(r->method, "spf") == 0) {
    domain = domain_of(mugai_auth_result_property(r, "smtp", "mailfrom"));
    return domain ? domain : domain_of(mugai_auth_result_property(r, "smtp", "helo"));
  }
  if (strcmp(r->method, "dkim") == 0) {
    domain = domain_of(mugai_auth_result_property(r, "header", "d"));
    return domain ? domain : domain_of(mugai_auth_result_property(r, "header", "i"));
  }
  return domain_of(mugai_auth_result_property(r, "header", "from"));
}

/* Does the DMARC result say the domain publishes p=reject? OpenDMARC and Gmail write it in a
 * comment ("(p=reject dis=none)"), rspamd as "(policy=reject)", DMARCbis as a property. */
static gboolean
shows_p_reject(const mugai_auth_result *r)
{
  const char *published = mugai_auth_result_property(r, "policy", "published-domain-policy");
  if (published && g_ascii_strcasecmp(published, "reject") == 0)
    return TRUE;
  if (r->comment == NULL)
    return FALSE;
  g_auto(GStrv) words = g_strsplit_set(r->comment, " \t;,", -1);
  for (gsize i = 0; words[i]; i++)
    if (g_ascii_strcasecmp(words[i], "p=reject") == 0 ||
        g_ascii_strcasecmp(words[i], "policy=reject") == 0)
      return TRUE;
  return FALSE;
}

static void
add_check(mugai_result *result, const mugai_auth_result *r, guint *kept)
{
  result->auth_checks_total++;
  if (*kept == MUGAI_AUTH_CHECKS_MAX)
    return; /* per method, so ten DKIM signatures never push the DMARC result out */
  (*kept)++;
  mugai_auth_check *check = g_new0(mugai_auth_check, 1);
  check->method = g_strdup(r->method);
  check->result = g_strdup(r->result);
  check->domain = subject_domain(r);
  check->policy_reject = strcmp(r->method, "dmarc") == 0 && shows_p_reject(r);
  g_ptr_array_add(result->auth_checks, check);
}

/* The results of a trusted header AR for the methods no header above it reported (TAKEN). */
static void
take_results(const mugai_auth_results *ar, gboolean taken[G_N_ELEMENTS(methods)],
             mugai_result *result)
{
  gboolean here[G_N_ELEMENTS(methods)] = {FALSE};
  guint kept[G_N_ELEMENTS(methods)] = {0};
  for (guint i = 0; i < ar->results->len; i++) {
    const mugai_auth_result *r = g_ptr_array_index(ar->results, i);
    int rank = method_rank(r->method);
    if (rank < 0 || taken[rank])
      continue;
    here[rank] = TRUE;
    add_check(result, r, &kept[rank]);
  }
  for (gsize m = 0; m < G_N_ELEMENTS(methods); m++)
    taken[m] = taken[m] || here[m];
  if (result->auth_id == NULL)
    result->auth_id = g_strdup(ar->authserv_id);
}

static gint
by_method(gconstpointer a, gconstpointer b)
{
  const mugai_auth_check *x = *(const mugai_auth_check *const *) a;
  const mugai_auth_check *y = *(const mugai_auth_check *const *) b;
  return method_rank(x->method) - method_rank(y->method);
}

gboolean
mugai_authentication_read(const mugai_policy *policy, const GPtrArray *headers,
                          mugai_result *result)
{
  char *const *trusted = policy->authentication.trusted_authserv_ids;
  if (trusted == NULL || trusted[0] == NULL || result->direction != MUGAI_DIRECTION_IN)
    return TRUE;
  g_autoptr(GHashTable) seen = mugai_header_counter_new();
  gboolean below_received = FALSE;
  gboolean taken[G_N_ELEMENTS(methods)] = {FALSE};
  for (guint i = 0; i < headers->len; i++) {
    const mugai_header *h = g_ptr_array_index(headers, i);
    guint occurrence = mugai_header_counter_next(seen, h->name);
    if (g_ascii_strcasecmp(h->name, "Received") == 0)
      below_received = TRUE;
    if (g_ascii_strcasecmp(h->name, AUTH_RESULTS) != 0)
      continue;
    g_autoptr(mugai_auth_results) ar = mugai_auth_results_parse(h->value, -1);
    if (!below_received && ar && is_trusted(trusted, ar->authserv_id)) {
      take_results(ar, taken, result);
      continue;
    }
    if (result->remove_headers->len == MUGAI_HEADER_CHANGES_MAX) {
      mugai_result_set_refusal(result, MUGAI_VERDICT_REJECT, MUGAI_REASON_HEADERS,
                               "too many Authentication-Results headers");
      return FALSE;
    }
    mugai_result_remove_header(result, h->name, occurrence);
    result->actions[MUGAI_ACTION_AUTH_REMOVED]++;
  }
  g_ptr_array_sort(result->auth_checks, by_method); /* stable: DKIM signatures keep their order */
  return TRUE;
}

const mugai_auth_check *
mugai_authentication_dmarc_fail(const mugai_result *result)
{
  for (guint i = 0; i < result->auth_checks->len; i++) {
    const mugai_auth_check *check = g_ptr_array_index(result->auth_checks, i);
    if (strcmp(check->method, "dmarc") == 0 && strcmp(check->result, "fail") == 0)
      return check;
  }
  return NULL;
}
