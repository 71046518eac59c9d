/* html2text.h — readable plain text from an HTML document, through an HTML5 parser (gumbo).
 *
 * What a reader would see in a browser: block structure, lists with markers, headings, tables as
 * rows, <pre> kept, whitespace collapsed, link targets after their text ("text <URL>"), image alt
 * text as "[image: alt]". Link targets go through links.h: normalised, allow-listed, optionally
 * defanged, IDN hosts followed by their punycode form. Never: script, style, head, template,
 * noscript, comments. Pure; safe from any thread.
 */
#pragma once
#include <glib.h>

#include "sanitize/links.h"

typedef struct {
  gsize max_output;   /* cap on the produced text in bytes; the text is cut (at a UTF-8
                         boundary) with a final "\n[...]\n" line when it is reached */
  guint max_depth;    /* element nesting deeper than this is flattened (its text still shown) */
  const mugai_link_options *links; /* (nullable) kinds of link shown defanged; NULL: none. When
                                      a kind is defanged, URLs of that kind in the text are too */
  mugai_link_report *report;       /* (nullable) out: links defanged, dropped, IDN, mismatched;
                                      initialised by the caller, added to */
  gboolean whole;     /* gumbo parses the document as it is, long text runs included (tests
                         compare it with the default, html_hoist.h, which must give the same) */
} mugai_html_options;

/* HTML must be UTF-8 (decode it with charset.h first). Returns UTF-8 text with "\n" line ends,
 * no trailing blank lines (transfer full). *TRUNCATED (nullable) is set when max_output cut it. */
char *mugai_html_to_text(const char *html, gsize len, const mugai_html_options *options,
                         gboolean *truncated);
