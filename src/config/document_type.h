/* document_type.h — the attachment type names of [inbound] convert and reject_attachments:
 * "pdf", "docx", "xlsx", "pptx", "odt", "ods", "odp", "rtf", "html", "eml", "ics", "vcf", "csv",
 * "tsv", "text", "zip", told from libmagic's type of the content (never from the file name,
 * except to tell the kinds of plain text apart, which libmagic calls all text/plain). */
#pragma once
#include <glib.h>

/* The type name of a part whose libmagic type is DETECTED ("" or NULL when it was not checked:
 * then the DECLARED type stands in) and file name NAME (nullable); NULL when it is none of them.
 * Static string. */
const char *mugai_document_type(const char *detected, const char *declared, const char *name);

/* The type names, NULL-terminated, in the order above (static). */
const char *const *mugai_document_type_names(void);

/* Does ENTRY of a type list ("pdf", "application/x-dosexec", or "image/" plus an asterisk for all images) name this part? TYPE is
 * its mugai_document_type() (nullable), MIME its libmagic type (else the declared one). */
gboolean mugai_document_type_matches(const char *entry, const char *type, const char *mime);

/* Is ENTRY a valid list entry: a type name, a MIME type "a/b", or "a/" and an asterisk? */
gboolean mugai_document_type_entry_valid(const char *entry);
