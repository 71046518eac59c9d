/* notice_template.h — the placeholder language of notice templates ([notice] template_ja/_en).
 *
 * A template is UTF-8 text. "{NAME}" is replaced by a value mugai computes; a line that is only
 * placeholders which all came out empty disappears. A line that starts with "{?NAME}" appears
 * only when NAME is not empty (the marker itself is not shown). "{{" and "}}" write one brace.
 * The names are listed below; anything else in braces is an error when the template is loaded,
 * so a typo is a config error, never a notice with a hole in it. Pure.
 */
#pragma once
#include <glib.h>

typedef enum {
  MUGAI_NOTICE_WARNINGS,     /* the warning block: DMARC fail, a claimed inside sender, links
                              * whose text names another host */
  MUGAI_NOTICE_ACTIONS,      /* one line per thing done to the body (HTML converted, ...) */
  MUGAI_NOTICE_REMOVED,      /* the removed parts: name, type, size, true type, SHA-256, contents */
  MUGAI_NOTICE_REMOVED_COUNT,/* how many parts were removed */
  MUGAI_NOTICE_QUEUE_ID,     /* the Postfix queue ID ("" when not known) */
  MUGAI_NOTICE_AUTHENTICATION, /* one line: the trusted SPF/DKIM/DMARC results ([authentication]) */
  MUGAI_NOTICE_QUARANTINE_ID,/* the id the original is kept under ("" without a quarantine) */
  MUGAI_NOTICE_CONVERTED,    /* the attachments turned into text below the body: name, type,
                              * pages, size, what was not run (macros) */
  MUGAI_NOTICE_FIELD_COUNT
} mugai_notice_field;

#define MUGAI_NOTICE_TEMPLATE_MAX 65536 /* bytes; a notice is a few lines */

/* The placeholder name of FIELD ("removed"). Static string. */
const char *mugai_notice_field_name(mugai_notice_field field);

/* NULL when TEXT is a valid template; else what is wrong, with its line (transfer full). */
char *mugai_notice_template_check(const char *text);

/* Expand TEXT (checked) into OUT with VALUES[field] (nullable entries are empty). */
void mugai_notice_template_expand(GString *out, const char *text,
                                  const char *const values[MUGAI_NOTICE_FIELD_COUNT]);

/* The built-in templates (config/notice.ja.txt, config/notice.en.txt compiled in). */
extern const char *const mugai_notice_template_ja;
extern const char *const mugai_notice_template_en;
