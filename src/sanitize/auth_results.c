/* auth_results.c — read one Authentication-Results value (see auth_results.h).
 *
 * Written by hand: GMime has no Authentication-Results parser, and the ones that exist in C
 * (OpenDKIM's and OpenDMARC's ares.c) are private to those programs, not libraries Debian ships.
 * RFC 8601's grammar is small: an authserv-id, an optional version, then ";"-separated
 * "method[/version]=result [reason=value] [ptype.property=value]..." with comments and folding
 * anywhere between the words.
 * How: one forward pass over at most MUGAI_AUTH_RESULTS_MAX_BYTES; every loop consumes a byte or
 * stops, comments nest by a counter (no recursion), and a resinfo that does not read is skipped to
 * the next ";" outside comments and quotes, so one broken result hides none of the others.
 * Never: read past the end, allocate more than the caps allow, or trust what it reads (whether a
 * header is believed is authentication.c's decision).
 */
#include "sanitize/auth_results.h"

#include <string.h>

typedef struct {
  const char *p, *end;
  GString *comment; /* (nullable) where the comments read go, for the current result */
} lexer;

static gboolean
at_end(const lexer *lx)
{
  return lx->p >= lx->end;
}

static void
keep_comment_char(lexer *lx, char c)
{
  if (lx->comment == NULL || lx->comment->len >= MUGAI_AUTH_RESULTS_MAX_COMMENT)
    return;
  g_string_append_c(lx->comment, (guchar) c < 0x20 || c == 0x7f ? ' ' : c);
}

/* A comment, P at its "(": to its matching ")" or the end (an unterminated one is all the rest). */
static void
skip_comment(lexer *lx)
{
  if (lx->comment && lx->comment->len && lx->comment->len < MUGAI_AUTH_RESULTS_MAX_COMMENT)
    g_string_append_c(lx->comment, ' ');
  gsize depth = 0;
  while (!at_end(lx)) {
    char c = *lx->p++;
    if (c == '\\' && !at_end(lx)) {
      keep_comment_char(lx, *lx->p++);
      continue;
    }
    if (c == '(' && depth++ == 0)
      continue; /* the outer parentheses are not text */
    if (c == ')' && --depth == 0)
      return;
    keep_comment_char(lx, c);
  }
}

/* White space, folding line ends and comments. */
static void
skip_cfws(lexer *lx)
{
  while (!at_end(lx)) {
    char c = *lx->p;
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
      lx->p++;
    else if (c == '(')
      skip_comment(lx);
    else
      return;
  }
}

/* RFC 2045 token characters (UTF-8 bytes allowed: RFC 6532 permits U-labels). */
static gboolean
is_token_char(char c)
{
  return (guchar) c > 0x20 && c != 0x7f && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

/* RFC 8601 Keyword (method, result, ptype, property): letters, digits, "-" (and "_", seen). */
static gboolean
is_keyword_char(char c)
{
  return g_ascii_isalnum(c) || c == '-' || c == '_';
}

/* A quoted string, P at its opening quote; unterminated: the rest. (transfer full) */
static char *
read_quoted(lexer *lx)
{
  GString *out = g_string_new(NULL);
  lx->p++;
  while (!at_end(lx)) {
    char c = *lx->p++;
    if (c == '"')
      break;
    if (c == '\\' && !at_end(lx))
      c = *lx->p++;
    g_string_append_c(out, c == '\r' || c == '\n' ? ' ' : c);
  }
  return g_string_free(out, FALSE);
}

/* The run of characters at P for which OK holds, lower-cased when LOWER; "" when none. */
static char *
read_run(lexer *lx, gboolean (*ok)(char), gboolean lower)
{
  const char *start = lx->p;
  while (!at_end(lx) && ok(*lx->p))
    lx->p++;
  return lower ? g_ascii_strdown(start, lx->p - start) : g_strndup(start, lx->p - start);
}

/* value = token / quoted-string. */
static char *
read_value(lexer *lx)
{
  if (!at_end(lx) && *lx->p == '"')
    return read_quoted(lx);
  return read_run(lx, is_token_char, FALSE);
}

/* A property value: a quoted string, or anything up to white space, ";" or a comment (an
 * address, a domain, an IP address, a base64 fragment of a signature). */
static gboolean
is_pvalue_char(char c)
{
  return (guchar) c > 0x20 && c != 0x7f && c != ';' && c != '(' && c != ')' && c != '"';
}

static char *
read_pvalue(lexer *lx)
{
  if (!at_end(lx) && *lx->p == '"')
    return read_quoted(lx);
  return read_run(lx, is_pvalue_char, FALSE);
}

/* Skip to the next ";" that is not inside a comment or quoted string (P left on it). */
static void
skip_to_semicolon(lexer *lx)
{
  while (!at_end(lx) && *lx->p != ';') {
    if (*lx->p == '(')
      skip_comment(lx);
    else if (*lx->p == '"')
      g_free(read_quoted(lx));
    else
      lx->p++;
  }
}

/* TEXT (transfer full) as valid UTF-8 without control characters, which a report or notice can
 * carry: a forged value may hold anything. (transfer full) */
static char *
clean(char *take_text)
{
  char *valid = g_utf8_make_valid(take_text, -1);
  g_free(take_text);
  for (char *p = valid; *p; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f)
      *p = ' ';
  return valid;
}

static gboolean
next_is(lexer *lx, char c)
{
  return !at_end(lx) && *lx->p == c;
}

static void
property_free(gpointer data)
{
  mugai_auth_property *prop = data;
  g_free(prop->ptype);
  g_free(prop->property);
  g_free(prop->value);
  g_free(prop);
}

static void
result_free(gpointer data)
{
  mugai_auth_result *r = data;
  g_free(r->method);
  g_free(r->result);
  g_free(r->reason);
  g_free(r->comment);
  g_ptr_array_unref(r->properties);
  g_free(r);
}

static void
add_property(mugai_auth_result *r, char *take_ptype, char *take_property, char *take_value)
{
  if (r->properties->len >= MUGAI_AUTH_RESULTS_MAX_PROPS) {
    g_free(take_ptype);
    g_free(take_property);
    g_free(take_value);
    return;
  }
  mugai_auth_property *prop = g_new0(mugai_auth_property, 1);
  prop->ptype = take_ptype;
  prop->property = take_property;
  prop->value = take_value;
  g_ptr_array_add(r->properties, prop);
}

/* "reason=value", "ptype.property=value" or "property=value" after a result, P on its first
 * word. FALSE when the text there is none of these (the caller skips the rest of the resinfo). */
static gboolean
read_property(lexer *lx, mugai_auth_result *r)
{
  g_autofree char *word = read_run(lx, is_keyword_char, TRUE);
  if (*word == '\0')
    return FALSE;
  skip_cfws(lx);
  g_autofree char *property = NULL;
  if (next_is(lx, '.')) {
    lx->p++;
    skip_cfws(lx);
    property = read_run(lx, is_keyword_char, TRUE);
    skip_cfws(lx);
    if (*property == '\0')
      return FALSE;
  }
  if (!next_is(lx, '='))
    return FALSE;
  lx->p++;
  skip_cfws(lx);
  if (property == NULL && strcmp(word, "reason") == 0 && r->reason == NULL) {
    r->reason = clean(read_value(lx));
    return TRUE;
  }
  char *value = clean(read_pvalue(lx));
  if (property)
    add_property(r, g_steal_pointer(&word), g_steal_pointer(&property), value);
  else
    add_property(r, g_strdup(""), g_steal_pointer(&word), value);
  return TRUE;
}

/* One resinfo, P just after its ";": a result added to AR, or "none", or (malformed) skipped. */
static void
read_resinfo(lexer *lx, mugai_auth_results *ar)
{
  g_autoptr(GString) comment = g_string_new(NULL);
  lx->comment = comment;
  g_autofree char *method = read_run(lx, is_keyword_char, TRUE);
  skip_cfws(lx);
  if (*method != '\0' && next_is(lx, '/')) { /* method-version, e.g. "dkim/1" */
    lx->p++;
    skip_cfws(lx);
    g_free(read_run(lx, is_keyword_char, FALSE));
    skip_cfws(lx);
  }
  if (*method == '\0' || !next_is(lx, '=')) {
    if (strcmp(method, "none") != 0 || !(at_end(lx) || next_is(lx, ';')))
      ar->malformed = TRUE; /* "none" alone is the no-result form */
    skip_to_semicolon(lx);
    lx->comment = NULL;
    return;
  }
  lx->p++;
  skip_cfws(lx);
  g_autofree char *value = read_run(lx, is_keyword_char, TRUE);
  if (*value == '\0') {
    ar->malformed = TRUE;
    skip_to_semicolon(lx);
    lx->comment = NULL;
    return;
  }
  mugai_auth_result *r = g_new0(mugai_auth_result, 1);
  r->method = g_steal_pointer(&method);
  r->result = g_steal_pointer(&value);
  r->properties = g_ptr_array_new_with_free_func(property_free);
  g_ptr_array_add(ar->results, r);
  for (skip_cfws(lx); !at_end(lx) && !next_is(lx, ';'); skip_cfws(lx)) {
    if (!read_property(lx, r)) {
      ar->malformed = TRUE;
      skip_to_semicolon(lx);
    }
  }
  lx->comment = NULL;
  if (comment->len) {
    /* An invalid byte becomes U+FFFD, three bytes: the cap is applied again to the clean text. */
    r->comment = clean(g_strdup(comment->str));
    gsize cut = strlen(r->comment);
    while (cut > MUGAI_AUTH_RESULTS_MAX_COMMENT)
      cut = (gsize) (g_utf8_find_prev_char(r->comment, r->comment + cut) - r->comment);
    r->comment[cut] = '\0';
  }
}

/* [CFWS] authserv-id [CFWS version]; NULL when the value starts with a result instead. */
static char *
read_authserv_id(lexer *lx)
{
  skip_cfws(lx);
  g_autofree char *id = read_value(lx);
  skip_cfws(lx);
  if (*id == '\0' || next_is(lx, '=') || next_is(lx, '/'))
    return NULL; /* "spf=pass ...": no authserv-id at all */
  if (!at_end(lx) && g_ascii_isdigit(*lx->p)) {
    const char *mark = lx->p;
    while (!at_end(lx) && g_ascii_isdigit(*lx->p))
      lx->p++;
    skip_cfws(lx);
    if (!at_end(lx) && *lx->p != ';')
      lx->p = mark; /* not a version: the loop reports what follows as malformed */
  }
  return g_steal_pointer(&id);
}

mugai_auth_results *
mugai_auth_results_parse(const char *value, gssize len)
{
  g_return_val_if_fail(value != NULL || len == 0, NULL);
  gsize n = len < 0 ? strlen(value) : (gsize) len;
  lexer lx = {value, value + MIN(n, (gsize) MUGAI_AUTH_RESULTS_MAX_BYTES), NULL};
  g_autofree char *id = read_authserv_id(&lx);
  if (id == NULL)
    return NULL;
  mugai_auth_results *ar = g_new0(mugai_auth_results, 1);
  ar->authserv_id = clean(g_steal_pointer(&id));
  ar->results = g_ptr_array_new_with_free_func(result_free);
  ar->truncated = n > MUGAI_AUTH_RESULTS_MAX_BYTES;
  for (skip_cfws(&lx); !at_end(&lx); skip_cfws(&lx)) {
    if (*lx.p != ';') { /* text where only ";" may be */
      ar->malformed = TRUE;
      skip_to_semicolon(&lx);
      continue;
    }
    lx.p++;
    skip_cfws(&lx);
    if (at_end(&lx))
      break;
    if (ar->results->len == MUGAI_AUTH_RESULTS_MAX_RESULTS) {
      ar->truncated = TRUE;
      break;
    }
    read_resinfo(&lx, ar);
  }
  return ar;
}

void
mugai_auth_results_free(mugai_auth_results *ar)
{
  if (ar == NULL)
    return;
  g_free(ar->authserv_id);
  g_ptr_array_unref(ar->results);
  g_free(ar);
}

const char *
mugai_auth_result_property(const mugai_auth_result *result, const char *ptype,
                           const char *property)
{
  for (guint i = 0; i < result->properties->len; i++) {
    const mugai_auth_property *prop = g_ptr_array_index(result->properties, i);
    if (strcmp(prop->ptype, ptype) == 0 && strcmp(prop->property, property) == 0)
      return prop->value;
  }
  return NULL;
}
