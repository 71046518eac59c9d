/* convert_private.h — what the per-format converters share: the capped text writer, the call
 * context (limits and the budgets spent across zip levels) and each format's entry point. */
#pragma once
#include "convert/convert.h"

/* Shared by every level of one mugai_convert() call. */
typedef struct {
  const mugai_convert_limits *limits;
  guint64 expanded;   /* bytes inflated so far */
  guint entries;      /* zip members seen so far */
  guint depth;        /* current zip nesting */
  guint converted;    /* zip members (not zips) whose text went in, all levels */
} mugai_convert_ctx;

/* Append to RESULT->text within limits->max_output; past it the text is cut at a UTF-8 boundary
 * and TRUNCATED is set. Returns FALSE once the cap is reached, so loops can stop. */
gboolean mugai_convert_out(mugai_convert_ctx *ctx, mugai_convert_result *result, const char *s,
                           gssize len);
gboolean mugai_convert_outf(mugai_convert_ctx *ctx, mugai_convert_result *result, const char *fmt,
                            ...) G_GNUC_PRINTF(3, 4);
/* Set RESULT's failure (first one wins) and clear its text. */
void mugai_convert_fail(mugai_convert_result *result, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* Dispatch used by mugai_convert() and for zip members one level down. */
void mugai_convert_into(mugai_convert_ctx *ctx, const void *data, gsize len, const char *mime,
                        const char *name, mugai_convert_result *result);

void mugai_convert_pdf(mugai_convert_ctx *ctx, const void *data, gsize len, mugai_convert_result *r);
void mugai_convert_text(mugai_convert_ctx *ctx, const void *data, gsize len, mugai_convert_result *r);
void mugai_convert_html(mugai_convert_ctx *ctx, const void *data, gsize len, mugai_convert_result *r);
void mugai_convert_rtf(mugai_convert_ctx *ctx, const void *data, gsize len, mugai_convert_result *r);
void mugai_convert_eml(mugai_convert_ctx *ctx, const void *data, gsize len, mugai_convert_result *r);
/* docx/xlsx/pptx/odt/ods/odp or a plain zip, told apart by the members (zip_doc.c). */
void mugai_convert_zip(mugai_convert_ctx *ctx, const void *data, gsize len, const char *name,
                       mugai_convert_result *r);
