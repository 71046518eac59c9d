/* auth_results.h — one Authentication-Results header value (RFC 8601) read into its parts: the
 * authserv-id, and each method's result with its reason, properties and comments.
 *
 * The value comes from the internet (any copy may be forged) or from the gateway's own
 * authenticators (OpenDKIM, OpenDMARC, rspamd); either way it is read as hostile input: bounded
 * in bytes, results, properties and comment text, never past LEN, NUL bytes and unterminated
 * comments or quotes handled. Pure.
 */
#pragma once
#include <glib.h>

#define MUGAI_AUTH_RESULTS_MAX_BYTES 16384 /* of a value read; the rest is ignored (truncated) */
#define MUGAI_AUTH_RESULTS_MAX_RESULTS 32  /* resinfo read per header; more: truncated */
#define MUGAI_AUTH_RESULTS_MAX_PROPS 8     /* ptype.property=value read per result */
#define MUGAI_AUTH_RESULTS_MAX_COMMENT 200 /* bytes of comment text kept per result */

typedef struct {
  char *ptype;    /* lower case: "smtp", "header", "body", "policy"; "" when the property had
                   * no ptype (Microsoft's "action=none") */
  char *property; /* lower case: "mailfrom", "d", "from" */
  char *value;    /* as written, quotes removed: "example.jp", "user@example.jp" */
} mugai_auth_property;

typedef struct {
  char *method;   /* lower case, version dropped: "spf", "dkim", "dmarc", "arc" */
  char *result;   /* lower case: "pass", "fail", "none", "softfail", "temperror"... */
  char *reason;   /* (nullable) the reason= text */
  char *comment;  /* (nullable) the comments of this result joined by " ": OpenDMARC's
                   * "p=reject dis=none", rspamd's "policy=reject"; at most ..._MAX_COMMENT */
  GPtrArray *properties; /* mugai_auth_property *, in order, at most ..._MAX_PROPS */
} mugai_auth_result;

typedef struct {
  char *authserv_id; /* as written (quotes removed); compare ASCII case-insensitively */
  GPtrArray *results; /* mugai_auth_result *, in order; empty for "none" */
  gboolean truncated; /* a cap was reached: later results were not read */
  gboolean malformed; /* some resinfo could not be read and was skipped */
} mugai_auth_results;

/* VALUE (LEN bytes, not NUL-terminated; -1: NUL-terminated) read as the value of an
 * Authentication-Results header, folding line ends included. NULL when it has no authserv-id
 * (Office 365 writes some so: such a header says nothing about who wrote it). (transfer full) */
mugai_auth_results *mugai_auth_results_parse(const char *value, gssize len);
void mugai_auth_results_free(mugai_auth_results *ar); /* NULL-safe */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(mugai_auth_results, mugai_auth_results_free)

/* (transfer none) (nullable) the value of PTYPE.PROPERTY (lower case) of RESULT; the first one. */
const char *mugai_auth_result_property(const mugai_auth_result *result, const char *ptype,
                                       const char *property);
