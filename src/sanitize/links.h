/* links.h — links in sanitized mail: normalised, checked, optionally defanged, phishing tells.
 *
 * One normal form for every check: NFKC (full-width "ｈｔｔｐｓ：／／" is "https://"), the IDNA
 * full stops 。｡． read as ".", controls and invisible or bidi characters removed, ends trimmed.
 * Scheme allow-list on that form: http, https, ftp (web), mailto, tel, and relative targets;
 * anything else (javascript:, vbscript:, data:, file:, ...) is dropped.
 *
 * Defanged forms (nothing a mail client auto-links):
 *   web     https://example.com/a      -> hxxps://example[.]com/a   (http -> hxxp, ftp -> fxp;
 *           every "." and "@" of the authority bracketed; a URL or "www." nested in the path or
 *           query gets its scheme or dot defanged too)
 *   www     www.example.com/a          -> www[.]example[.]com/a      (plain text only)
 *   mailto  mailto:a@example.com       -> mailto[:]a[@]example[.]com (every "@", and "." after
 *           an "@"; a bare address a@example.com -> a[@]example[.]com)
 *   tel     tel:+81-3-1234-5678        -> tel[:]+81-3-1234-5678
 * A host shown in another form than its ASCII one (IDN, percent-encoded) is followed by that form:
 *   https://例え.jp/ (xn--r8jz45g.jp), defanged: hxxps://例え[.]jp/ (xn--r8jz45g[.]jp).
 *
 * Limits: a target longer than MUGAI_LINK_MAX_BYTES as written is dropped (a cut URL would lead
 * elsewhere); in plain text a URL is scanned for at most MUGAI_LINK_MAX_BYTES and the rest of it
 * stays as written, after its already defanged start.
 * Pure: no globals, no logging; every function is safe from any thread.
 */
#pragma once
#include <glib.h>

#define MUGAI_LINK_MAX_BYTES    8192 /* longest target processed, in bytes as written */
#define MUGAI_LINK_WARNINGS_MAX 20   /* mismatch warnings kept in a report */

typedef struct {
  gboolean defang_web, defang_mailto, defang_tel;
} mugai_link_options;

/* Visible text vs real target: UTF-8, no controls or bidi characters, one line, each at most
 * about 200 bytes (cut with "…"); the target in the form shown in the body, " (punycode)"
 * included; both defanged when the options defang their kind. */
typedef struct {
  char *text;
  char *target;
} mugai_link_warning;

typedef struct {
  guint defanged;        /* links written in defanged form */
  guint dropped;         /* link targets not shown (javascript:, vbscript:, data:, unknown schemes,
                            over-long) */
  guint idn;             /* links whose host was shown with its punycode (ASCII) form */
  GPtrArray *mismatched; /* mugai_link_warning *: visible text names another host than the target;
                            at most MUGAI_LINK_WARNINGS_MAX kept, all counted in mismatched_total */
  guint mismatched_total;
} mugai_link_report;

typedef enum {
  MUGAI_LINK_NONE,     /* empty or "#fragment": nothing to show, not counted as dropped */
  MUGAI_LINK_WEB,      /* http:, https:, ftp: or scheme-relative "//host/..." */
  MUGAI_LINK_MAILTO,
  MUGAI_LINK_TEL,
  MUGAI_LINK_RELATIVE, /* no scheme and no host ("/path", "page.html"): shown as written */
  MUGAI_LINK_DROPPED,  /* any other scheme, or too long: never shown */
} mugai_link_kind;

/* One link target, parsed. All strings owned by the struct; NULL unless the kind is shown. */
typedef struct {
  mugai_link_kind kind;
  char *url;         /* normal form, scheme in lower case */
  char *display;     /* what the reader is shown: url, or its defanged form */
  char *note;        /* (nullable) ASCII form of the host when the shown one differs, defanged
                        like display: "xn--r8jz45g.jp" */
  char *host;        /* (nullable) host for comparisons: percent-decoded, lower case, no trailing
                        dot, punycode; the domain of the first address for mailto */
  gboolean defanged; /* display is the defanged form */
} mugai_link;

void mugai_link_report_init(mugai_link_report *report);  /* caller-owned struct */
void mugai_link_report_clear(mugai_link_report *report); /* frees what init/processing allocated */

/* Parses HREF (LEN bytes of UTF-8, entities already decoded) into LINK, which the caller clears
 * with mugai_link_clear(). OPTIONS (nullable) choose the kinds shown defanged. */
void mugai_link_parse(const char *href, gsize len, const mugai_link_options *options,
                      mugai_link *link);
void mugai_link_clear(mugai_link *link);

/* Equal, or one a subdomain of the other, a leading "www." ignored. Hosts in comparison form. */
gboolean mugai_link_hosts_related(const char *a, const char *b);

/* Does TEXT, the link's visible text, name a host (a URL, "www." name or bare domain; an e-mail
 * address only for mailto targets) none of which is related to LINK's host? If so and REPORT is
 * not NULL, records the warning there (text defanged as OPTIONS ask). Text without a host and
 * targets without one never mismatch. */
gboolean mugai_link_check_text(const mugai_link *link, const char *text, gsize len,
                               const mugai_link_options *options, mugai_link_report *report);

/* Defangs the URLs in TEXT from byte offset FROM to the end, in place, for the kinds OPTIONS
 * (nullable: nothing is done) ask: "http(s)://", "ftp://", "www.", "mailto:", bare e-mail
 * addresses, "tel:". A URL is replaced by its defanged normal form (full-width input included) and
 * its punycode note; one of a kind not defanged is left as written. Invalid UTF-8 is left as is. */
void mugai_links_process_text(GString *text, gsize from, const mugai_link_options *options,
                              mugai_link_report *report);
