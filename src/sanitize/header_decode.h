/* header_decode.h — header values and part file names as UTF-8, decoded the way mail clients do.
 *
 * RFC 2047 encoded-words and RFC 2231 parameters go through mugai_charset_to_utf8(), so
 * ISO-2022-JP means CP50220 (①, ㈱, Ⅲ, 髙 survive) and unlabelled 8-bit bytes are detected.
 * Every result is valid UTF-8 without control characters (they become spaces). Pure: no globals,
 * no logging; safe from any thread.
 */
#pragma once
#include <gmime/gmime.h>

/* An unstructured header value (Subject, Comments, a display name) as it is raw on the wire,
 * folding included. NULL in gives NULL out. (transfer full) (nullable) */
char *mugai_header_decode_text(const char *raw);

/* An address header (From, To, Cc) for display: display names and comments decoded as text,
 * anything inside <...> left exactly as it is. NULL in gives NULL out.
 * (transfer full) (nullable) */
char *mugai_header_decode_address(const char *raw);

/* The raw value (folding and leading space included) of the first header NAME of OBJ, or NULL.
 * g_mime_object_get_header() returns text GMime already decoded through iconv; use this
 * instead wherever the value is decoded for display. (transfer none) (nullable) */
const char *mugai_object_get_raw_header(GMimeObject *obj, const char *name);

/* The file name of PART, decoded: Content-Disposition filename, else Content-Type name (RFC 2231
 * forms first, continuations included), directories stripped. NULL when the part has no name.
 * (transfer full) (nullable) */
char *mugai_part_filename(GMimeObject *part);
