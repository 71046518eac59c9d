/* passwords.h — PPAP: the passwords a "password mail" gives for an archive sent just before it
 * ("パスワード：Abc123", "PW: xyz", "解凍パスワードは【p@ss】です"), found in the text the reader
 * would get, and masked in it once one of them opened the archive. Pure: no I/O, no state.
 *
 * Found: after a marker (パスワード, ﾊﾟｽﾜｰﾄﾞ, PW, P/W, PASS, password, passcode, pwd, 解凍, 暗証,
 * パスコード, 密码 and the like, any case and width), past separators (：:＝=は 「【"' spaces, or
 * the end of the marker's line when the password stands alone on the next one), one token of
 * printable characters up to white space or a closing bracket or 。、. A full-width token
 * ("ＡＢＣ１２３") also gives its ASCII form (NFKC) as a second candidate.
 */
#pragma once
#include <glib.h>

#define MUGAI_PASSWORD_MAX_BYTES 128 /* longer tokens are not passwords anyone types */

typedef struct {
  gsize offset, length; /* the token's bytes in the text searched */
  char *password;       /* the candidate (valid UTF-8, no controls, never empty) */
} mugai_password_candidate;

void mugai_password_candidate_free(mugai_password_candidate *c); /* NULL-safe */

/* (transfer full) mugai_password_candidate *, in the order they appear, each password once
 * (the first place it is found), at most MAX; empty when TEXT (LEN bytes of UTF-8) has none. */
GPtrArray *mugai_password_candidates(const char *text, gsize len, guint max);

/* Replace in TEXT the token of each of CANDIDATES (as returned for TEXT, unchanged since) with
 * MUGAI_PASSWORD_MASK, last to first so offsets hold; the count replaced. */
#define MUGAI_PASSWORD_MASK "********"
guint mugai_password_mask(GString *text, const GPtrArray *candidates);
