/* passwords.h — PPAP: the passwords a "password mail" gives for an archive sent just before it
 * ("パスワード：Abc123", "PW: xyz", "解凍パスワードは【p@ss】です"), found in the text the reader
 * would get, and masked in it once one of them opened the archive. Pure: no I/O, no state.
 *
 * Markers (any case and width: ＰＷ, ﾊﾟｽﾜｰﾄﾞ; ー, －, - and the other dashes are one):
 * パスワード, パスフレーズ, パスコード, 暗証番号, 暗証コード, 解凍パスワード, 解凍キー, 解凍コード,
 * 解凍用, 密码, 密碼, and the Latin password, passphrase, passcode, passwd, pass, pwd, pw, p/w,
 * pin (PINコード, PIN番号). A Latin marker is a word of its own (no ASCII letter either side:
 * "compass", "passage", "PWM" are none) and needs an explicit separator or a bracket ("PW: x",
 * "PWは x", "password is x", "pass (x)"; "pass the file" gives nothing).
 *
 * Separators after a marker (at most 16 characters): white space (U+3000 too, never a line end),
 * ：:＝= は 、 → ⇒ -> "is", a closing bracket (【パスワード】x), and a note in Japanese in
 * parentheses (パスワード(半角)：x).
 *
 * The token: a run of printable ASCII or full-width ASCII, ending at white space, a line end,
 * anything else (Japanese: "パスワードはabc123です" gives abc123) or ，．; so spaces end it
 * ("Password: p@ss w0rd" gives p@ss). After an opening bracket 「『【〔《〈“‘([<"' it is all up
 * to the matching closer on the same line, trimmed, spaces inside allowed ("【 p@ss w0rd 】"),
 * refused if anything inside is not ASCII ("【別途送付】"); with no closer on the line the token
 * starts after the opener. A plain token ending in . , ; : (or in ")"/"]" it did not open) is
 * offered without that character first, then whole ("PW: abc123." gives abc123, abc123.).
 * Refused (each a thing prose puts after a marker): fewer than 4 characters, no letter or digit
 * ("----"), a URL (http: https: ftp: www. mailto: or "://"), a few English words (below, attached,
 * sent, ...), one that is the next marker ("パスワード PW: x"), longer than MAX_BYTES.
 * A full-width token ("ＡＢＣ１２３") also gives its ASCII form (NFKC) as a second candidate,
 * with the same span.
 *
 * When the marker's line has no token and ends after the separators ("パスワード：") or says
 * the password follows (下記, 以下, 次の, below, follow), the password may stand alone (possibly
 * quoted "> ", or bracketed) on one of the next 2 non-empty lines, past at most 2 blank ones.
 *
 * Not found: passwords of kana or kanji, passwords with spaces outside brackets, a password
 * given only in an image or an attachment, or in words ("大文字のA、数字の1...").
 *
 * Work is linear in the text: each character is read a bounded number of times, and only the
 * first 1000 markers are read (a password mail has a handful; packed markers are an attack). */
#pragma once
#include <glib.h>

#define MUGAI_PASSWORD_MAX_BYTES 128 /* longer tokens are not passwords anyone types */

typedef struct {
  gsize offset, length; /* the token's bytes in the text searched */
  char *password;       /* the candidate (valid UTF-8, no controls, never empty) */
} mugai_password_candidate;

void mugai_password_candidate_free(mugai_password_candidate *c); /* NULL-safe */

/* (transfer full) mugai_password_candidate *, in the order they appear, each password once
 * (the first place it is found), at most MAX; empty when TEXT (LEN bytes of UTF-8; NUL bytes are
 * white space) has none or is not valid UTF-8. These are the passwords to try on the archive;
 * the other places each was found are not listed: mugai_password_mask_all() finds them again. */
GPtrArray *mugai_password_candidates(const char *text, gsize len, guint max);

/* Replace in TEXT the token of each of CANDIDATES (as returned for TEXT, unchanged since) with
 * MUGAI_PASSWORD_MASK, in one pass; overlapping tokens (a full-width token and its ASCII form,
 * "abc." and "abc") make one mask, spans outside TEXT are ignored. The count of masks made.
 * For masking exactly the places listed (one candidate, or all of them). */
#define MUGAI_PASSWORD_MASK "********"
guint mugai_password_mask(GString *text, const GPtrArray *candidates);

/* Mask PASSWORD (a candidate's password, which opened the archive) everywhere in TEXT: every
 * place a marker gives it (its full-width spelling too), and every verbatim copy not inside a
 * longer ASCII word (a quoted earlier mail, "abc123" repeated). The count of masks made; 0 for
 * a PASSWORD under 4 or over MAX_BYTES bytes. What the delivery of a password mail uses. */
guint mugai_password_mask_all(GString *text, const char *password);
