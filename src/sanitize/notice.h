/* notice.h — the text at the top of a sanitized body that tells the reader what mugai did:
 * that the mail was converted, and each removed part by name, type and size. Japanese by default,
 * English selectable ([notice] language). Pure. */
#pragma once
#include <glib.h>
#include "config/policy.h"
#include "sanitize/result.h"

/* Append the notice for RESULT to OUT ("\n" line ends). Writes nothing when nothing the reader
 * would miss was done (no part removed, no HTML converted). Returns TRUE when it wrote. */
gboolean mugai_notice_write(GString *out, mugai_language language, const mugai_result *result);

/* A name safe to show in one line of text: control and format characters (bidi overrides that
 * disguise "exe") removed, at most 120 characters. (transfer full) */
char *mugai_notice_display_name(const char *name);

/* Header lines introducing an inlined attached message. */
void mugai_notice_write_forwarded(GString *out, mugai_language language, const char *from,
                                  const char *date, const char *subject, const char *to);

/* The line introducing the body as its first, conflicting Content-Type declares it. */
void mugai_notice_write_first_reading(GString *out, mugai_language language);
