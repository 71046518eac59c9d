/* fuzz_header_decode.c — libFuzzer target for header_decode.c: the input (up to its first NUL,
 * as a header value is a C string) decoded as an unstructured value and as an address header,
 * then parsed by GMime as the value of a Content-Disposition header and of a Content-Type header
 * of a one-line part, whose file name mugai_part_filename() reads.
 * What header_decode.h promises, and so what is asserted: every result is valid UTF-8 without
 * C0 control characters or DEL (they become spaces); NULL comes only from NULL (text, address);
 * a file name is NULL or non-empty, has no directory ('/' or '\\'), is not "." or "..", and has
 * no white space at either end. A crash, leak or sanitizer report is a bug. */
#include <gmime/gmime.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "sanitize/gmime_autoptr.h"
#include "sanitize/header_decode.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void) argc;
  (void) argv;
  g_mime_init();
  return 0;
}

static void
check_value(const char *s)
{
  if (s == NULL || !g_utf8_validate(s, -1, NULL))
    abort();
  for (const char *p = s; *p; p++)
    if ((guchar) *p < 0x20 || *p == 0x7F || (*p == '\xc2' && (guchar) p[1] >= 0x80 && (guchar) p[1] <= 0x9f))
      abort();
}

static void
check_name(const char *name)
{
  if (name == NULL)
    return;
  check_value(name);
  gsize n = strlen(name);
  if (n == 0 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
    abort();
  if (strchr(name, '/') != NULL || strchr(name, '\\') != NULL)
    abort();
  if (g_ascii_isspace(name[0]) || g_ascii_isspace(name[n - 1]))
    abort();
}

/* "NAME: VALUE" and a one-line body, parsed as walk.c gets its parts. */
static void
filename_of(const char *header, const char *value)
{
  GByteArray *bytes = g_byte_array_new(); /* the stream takes it */
  g_byte_array_append(bytes, (const guint8 *) header, (guint) strlen(header));
  g_byte_array_append(bytes, (const guint8 *) value, (guint) strlen(value));
  g_byte_array_append(bytes, (const guint8 *) "\r\n\r\nbody\r\n", 10);
  g_autoptr(GMimeStream) stream = g_mime_stream_mem_new_with_byte_array(bytes);
  g_autoptr(GMimeParser) parser = g_mime_parser_new_with_stream(stream);
  GMimeObject *part = g_mime_parser_construct_part(parser, NULL);
  if (part == NULL)
    return;
  g_autofree char *name = mugai_part_filename(part);
  check_name(name);
  g_object_unref(part);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autofree char *raw = g_strndup((const char *) data, size);
  g_autofree char *text = mugai_header_decode_text(raw);
  check_value(text);
  g_autofree char *address = mugai_header_decode_address(raw);
  check_value(address);
  filename_of("Content-Disposition: ", raw);
  filename_of("Content-Type: ", raw);
  return 0;
}
