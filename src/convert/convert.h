/* convert.h — attachment bytes → UTF-8 text (issue 8): PDF, OOXML, ODF, RTF, CSV/TSV/ICS/VCF/EML,
 * plain text in any charset, HTML, and zips of those.
 *
 * These converters parse hostile documents with big C/C++ libraries (poppler, libxml2,
 * libarchive), so they are meant to run inside the sandboxed mugai-convert worker, never in the
 * milter's address space: the milter reaches them through convert_client.h. They are a library so
 * that unit tests and the fuzzer can call them directly. Pure apart from mugai_convert_init().
 */
#pragma once
#include <glib.h>
#include "sanitize/converter.h"

/* Every converter works inside these bounds; a bound that is hit ends in a truncated text or a
 * failure with a reason, never in more work. */
typedef struct {
  gsize max_output;   /* bytes of text produced for one file (all members of a zip together) */
  gsize max_expanded; /* bytes inflated from zips, all members and levels together */
  gsize max_member;   /* bytes of one zip member read (an XML part, a nested file) */
  guint max_entries;  /* zip members looked at, all levels together */
  guint max_depth;    /* zips inside zips: 1 converts the members of a zip, not of a zip in it */
  guint max_xml_depth;/* element nesting in one XML part */
  guint max_pages;    /* PDF pages, sheets, slides read */
  guint max_cells;    /* spreadsheet cells produced (repeated ODF cells count one by one) */
} mugai_convert_limits;

/* Defaults: 4 MiB of text, 64 MiB inflated, 16 MiB a member, 2000 entries, depth 2, XML depth
 * 128, 2000 pages, 1,000,000 cells. */
void mugai_convert_limits_init(mugai_convert_limits *limits);

/* The warning bits (mugai_convert_warning) are the sanitizer's: sanitize/converter.h. */

typedef struct {
  const char *kind;  /* "pdf", "docx", "xlsx", "pptx", "odt", "ods", "odp", "text", "csv", "tsv",
                        "ics", "vcf", "eml", "rtf", "html", "zip"; "" when unknown (static) */
  const char *unit;  /* "pages", "sheets", "slides", "files" or NULL (static) */
  guint count;       /* how many UNIT */
  guint warnings;    /* mugai_convert_warning bits */
  char *failure;     /* (nullable) why no text could be produced: "encrypted", "damaged: ..." */
  GString *text;     /* UTF-8, "\n" line ends; empty on failure */
} mugai_convert_result;

/* Process-wide setup of libxml2 (no external entity loader at all). Idempotent, thread-safe. */
void mugai_convert_init(void);

/* Convert LEN bytes of DATA whose libmagic type is MIME (nullable) and file name NAME (nullable,
 * a hint for text types and macro-enabled names). Always returns a result (transfer full). */
mugai_convert_result *mugai_convert(const void *data, gsize len, const char *mime, const char *name,
                                    const mugai_convert_limits *limits);
/* The kind mugai_convert() would use, or NULL when the type is not supported (static). */
const char *mugai_convert_kind(const void *data, gsize len, const char *mime, const char *name);

void mugai_convert_result_free(mugai_convert_result *result); /* NULL-safe */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(mugai_convert_result, mugai_convert_result_free)

/* Comma-separated names of the warning bits ("macros,truncated"), "" for none. (transfer full) */
char *mugai_convert_warnings_to_string(guint warnings);
/* The bits of such a list; unknown names are ignored. */
guint mugai_convert_warnings_from_string(const char *names);

/* PPAP (unlock.h, unlock_client.c): how many passwords one unlock tries and how long one may be
 * (the client refuses more): as many as one password mail plausibly gives, and
 * MUGAI_PASSWORD_MAX_BYTES (sanitize/passwords.h). Member names longer than the last are cut at a
 * character boundary: they are labels, not paths. */
#define MUGAI_UNLOCK_MAX_PASSWORDS 32
#define MUGAI_UNLOCK_MAX_PASSWORD_BYTES 128
#define MUGAI_UNLOCK_MAX_NAME_BYTES 1024

/* "opened", "wrong_password", "unsupported", "refused", "failed" (static), as the worker's wire
 * format spells them. */
const char *mugai_unlock_status_name(mugai_unlock_status status);
/* The status NAME spells; FALSE when it is none of them. */
gboolean mugai_unlock_status_from_name(const char *name, mugai_unlock_status *status);
