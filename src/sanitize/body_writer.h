/* body_writer.h — the new body on the wire: UTF-8 text → CRLF lines in a transfer encoding that
 * any relay accepts (7bit for short-lined ASCII, else base64 or quoted-printable). Pure. */
#pragma once
#include <glib.h>

/* Encode TEXT (valid UTF-8, "\n" line ends) into a new byte array (transfer full); *CTE gets the
 * Content-Transfer-Encoding value to declare (static string). */
GByteArray *mugai_body_encode(const char *text, gsize len, const char **cte);
