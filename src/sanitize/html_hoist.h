/* html_hoist.h — runs of text and long attribute values lifted out of an HTML document before
 * gumbo parses it, and put back into the text nodes and values afterwards.
 *
 * Why: gumbo 0.10.1 makes a token of every character and appends each to its text node one
 * code point at a time, about 300 instructions a character; in Japanese mail the text is most
 * of the document, and gumbo was a quarter of mugai-milter's CPU. A run of plain characters in
 * the data state builds nothing but text, so each one is replaced by a placeholder, a single
 * private-use character (U+F0000 + the run's index) that gumbo treats the same way (a non-space
 * character), and the original bytes go back in when the text is read. A quoted attribute
 * value is copied a character at a time the same way, and only html2text reads the values, so
 * long ones (link targets, styles) are lifted whole too. The tree gumbo builds is the same.
 *
 * What it must never do: lift anything gumbo would not read as plain data characters. It tracks
 * the HTML tokenizer's states that a document can reach by itself (tags, attributes and their
 * quotes, comments, doctypes, bogus comments, character references) and skips <style> and
 * <title> to their end tags. Where the tree builder would switch the tokenizer (script,
 * plaintext, svg, math, select, frameset, textarea, xmp, iframe, noembed, noframes, noscript)
 * it lifts nothing more. A run holds no '<', '&', CR or NUL, keeps its leading and trailing
 * white space in the document, and is valid UTF-8; a value holds no '&', CR or NUL, is valid
 * UTF-8, and is not one the tree builder reads (type, encoding). A document that holds a character of the
 * placeholders' range (U+F0000 to U+FFFFF) itself is not lifted at all.
 */
#pragma once
#include <glib.h>

typedef struct {
  gsize offset, length; /* in the original document */
} mugai_html_run;

typedef struct {
  GString *html;      /* the document with placeholders; NULL when nothing was lifted */
  GArray *runs;       /* of mugai_html_run, by placeholder index */
  const char *source; /* the original document (borrowed) */
} mugai_html_hoist;

/* Fills H from HTML (LEN bytes). Returns TRUE when something was lifted: parse H->html then. */
gboolean mugai_html_hoist_lift(mugai_html_hoist *h, const char *html, gsize len);

/* TEXT (*LEN bytes of a text node's content or an attribute's value) with each placeholder
 * replaced by its run: TEXT itself when it holds none, else SCRATCH's string (emptied and
 * refilled; *LEN set to its length). A placeholder that is not one of H's is left as it is. */
const char *mugai_html_hoist_restore(const mugai_html_hoist *h, const char *text, gsize *len,
                                     GString *scratch);

/* Frees what H holds; H may be lifted again. */
void mugai_html_hoist_clear(mugai_html_hoist *h);
