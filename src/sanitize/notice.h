/* notice.h — the text at the top of a sanitized body that tells the reader what mugai did:
 * that the mail was converted, and each removed part by name, type and size. Japanese by default,
 * English selectable ([notice] language). Pure. */
#pragma once
#include <glib.h>
#include "config/policy.h"
#include "sanitize/result.h"

/* TRUE when RESULT did something the reader would miss (a part removed, HTML converted, a
 * signature or encrypted content dropped, links changed or suspicious...). */
gboolean mugai_notice_needed(const mugai_result *result);

/* Append the notice for RESULT to OUT ("\n" line ends) through POLICY's template for its
 * language; QUEUE_ID (nullable) fills {queue_id}, QUARANTINE_ID (nullable) {quarantine_id}.
 * Writes nothing and returns FALSE when mugai_notice_needed() says so. */
gboolean mugai_notice_write(GString *out, const mugai_policy *policy, const mugai_result *result,
                            const char *queue_id, const char *quarantine_id);

/* A name safe to show in one line of text: control and format characters (bidi overrides that
 * disguise "exe") removed, at most 120 characters. (transfer full) */
char *mugai_notice_display_name(const char *name);

/* Header lines introducing an inlined attached message. */
void mugai_notice_write_forwarded(GString *out, mugai_language language, const char *from,
                                  const char *date, const char *subject, const char *to);

/* The line introducing the body as its first, conflicting Content-Type declares it. */
void mugai_notice_write_first_reading(GString *out, mugai_language language);

/* The line above the text of an attachment turned into text ("---------- 添付ファイル「a.pdf」の
 * テキスト（PDF, 3 ページ, 12.0 KB） ----------"), then what was not run or fetched. PART has a
 * conversion. */
void mugai_notice_write_attachment_header(GString *out, mugai_language language,
                                          const mugai_part *part);
/* The line that ends a text that was cut: "(truncated) ...". */
void mugai_notice_write_attachment_cut(GString *out, mugai_language language);
