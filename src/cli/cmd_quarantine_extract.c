/* cmd_quarantine_extract.c — `mugai quarantine extract ID --part PATH -o FILE`: one part of an
 * original, transfer-decoded, numbered as the JSON report numbers parts (IMAP part numbers;
 * the parts of an attached message continue its number: 2.1, 2.2). Owns one run's store, the
 * parsed original and the output file; never writes anywhere but FILE. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cli/cli.h"
#include "cli/quarantine_cli.h"
#include "cli/quarantine_cmds.h"
#include "quarantine/quarantine_id.h"
#include "sanitize/gmime_autoptr.h"
#include "sanitize/headers.h"

#define PROGRAM "mugai quarantine extract"

static const char description[] =
    "Writes one part of a quarantined original to FILE, decoded from its transfer encoding\n"
    "(base64, quoted-printable): the file a recipient asked for, to check or to hand over.\n"
    "PATH is the part's number as `mugai quarantine show ID` and the JSON report give it\n"
    "(1, 2, 1.2; inside an attached message 2.1...). FILE is created anew (mode 0600); an\n"
    "existing FILE is not overwritten. \"-\" writes to standard output (not to a terminal).\n"
    "\n"
    "Exit status: 0 written, 2 usage error or no such part, 4 no entry with that id, 75 the\n"
    "store or FILE failed, 77 permission denied.\n";

static GMimeMessage *
parse_message(GMimeStream *stream)
{
  g_autoptr(GMimeParser) parser = g_mime_parser_new_with_stream(stream);
  g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
  return g_mime_parser_construct_message(parser, NULL);
}

/* The attached message in the leaf PART, its header block split as the walk splits it. */
static GMimeMessage *
open_attached(GMimePart *part)
{
  GMimeDataWrapper *content = g_mime_part_get_content(part);
  if (content == NULL)
    return NULL;
  g_autoptr(GMimeStream) mem = g_mime_stream_mem_new();
  g_mime_data_wrapper_write_to_stream(content, mem);
  GByteArray *raw = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
  g_autoptr(GPtrArray) headers = mugai_headers_new();
  gsize body = mugai_headers_split((const char *) raw->data, raw->len, headers);
  GByteArray *rebuilt = g_byte_array_new();
  mugai_headers_write_block(rebuilt, headers);
  g_byte_array_append(rebuilt, raw->data + body, raw->len - body);
  g_autoptr(GMimeStream) stream = g_mime_stream_mem_new_with_byte_array(rebuilt);
  return parse_message(stream);
}

/* Step N (1-based) into the body of a message: the Nth child of a multipart, or the body. */
static GMimeObject *
message_child(GMimeMessage *message, guint64 n)
{
  GMimeObject *body = g_mime_message_get_mime_part(message);
  if (body && GMIME_IS_MULTIPART(body))
    return n <= (guint64) g_mime_multipart_get_count(GMIME_MULTIPART(body))
               ? g_mime_multipart_get_part(GMIME_MULTIPART(body), (int) n - 1)
               : NULL;
  return n == 1 ? body : NULL;
}

static gboolean
is_message_leaf(GMimeObject *obj)
{
  GMimeContentType *ct = g_mime_object_get_content_type(obj);
  return GMIME_IS_PART(obj) && ct &&
         g_ascii_strcasecmp(g_mime_content_type_get_media_type(ct), "message") == 0;
}

/* (transfer none) the part PATH names, kept alive by KEEP (attached messages parsed on the way). */
static GMimeObject *
find_part(GMimeMessage *top, const char *path, GPtrArray *keep)
{
  g_auto(GStrv) steps = g_strsplit(path, ".", -1);
  GMimeMessage *message = top;
  GMimeObject *at = NULL;
  for (guint i = 0; steps[i]; i++) {
    guint64 n = 0;
    if (!g_ascii_string_to_unsigned(steps[i], 10, 1, 100000, &n, NULL))
      return NULL;
    if (at == NULL) {
      at = message_child(message, n);
    } else if (GMIME_IS_MULTIPART(at)) {
      GMimeMultipart *mp = GMIME_MULTIPART(at);
      at = n <= (guint64) g_mime_multipart_get_count(mp)
               ? g_mime_multipart_get_part(mp, (int) n - 1)
               : NULL;
    } else if (is_message_leaf(at)) {
      message = open_attached(GMIME_PART(at));
      if (message == NULL)
        return NULL;
      g_ptr_array_add(keep, message);
      at = message_child(message, n);
    } else {
      return NULL;
    }
    if (at == NULL)
      return NULL;
  }
  return at;
}

static int
write_part(GMimePart *part, const char *out)
{
  gboolean to_stdout = strcmp(out, "-") == 0;
  if (to_stdout && isatty(STDOUT_FILENO)) {
    fprintf(stderr, PROGRAM ": not writing a part to a terminal: give -o FILE\n");
    return MUGAI_EXIT_USAGE;
  }
  int fd = to_stdout ? dup(STDOUT_FILENO)
                     : open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    fprintf(stderr, PROGRAM ": cannot create %s: %s\n", out, g_strerror(errno));
    return errno == EEXIST ? MUGAI_EXIT_USAGE : MUGAI_EXIT_TEMPFAIL;
  }
  g_autoptr(GMimeStream) stream = g_mime_stream_fs_new(fd); /* owns fd */
  GMimeDataWrapper *content = g_mime_part_get_content(part);
  gboolean ok = content == NULL || g_mime_data_wrapper_write_to_stream(content, stream) >= 0;
  if (!ok || g_mime_stream_flush(stream) != 0) {
    fprintf(stderr, PROGRAM ": cannot write %s\n", out);
    return MUGAI_EXIT_TEMPFAIL;
  }
  return 0;
}

int
mugai_cmd_quarantine_extract(int argc, char **argv)
{
  g_autofree char *config = NULL, *path = NULL, *out = NULL;
  GOptionEntry entries[] = {
      {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config, "Configuration file", "FILE"},
      {"part", 0, 0, G_OPTION_ARG_STRING, &path, "The part's number, as in the report", "PATH"},
      {"output", 'o', 0, G_OPTION_ARG_FILENAME, &out, "Write it to FILE (- standard output)",
       "FILE"},
      G_OPTION_ENTRY_NULL,
  };
  g_autoptr(GOptionContext) context = g_option_context_new("ID - write one part of an original");
  g_option_context_set_summary(context, "Usage: mugai quarantine extract ID --part PATH -o FILE "
                                        "[-c FILE]");
  g_option_context_set_description(context, description);
  g_option_context_add_main_entries(context, entries, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(context, &argc, &argv, &error) || argc != 2 || !path || !out) {
    fprintf(stderr, PROGRAM ": %s (see " PROGRAM " --help)\n",
            error       ? error->message
            : argc != 2 ? "give exactly one ID"
                        : "--part and -o are needed");
    return MUGAI_EXIT_USAGE;
  }
  const char *id = argv[1];
  if (!mugai_qcli_id_valid(PROGRAM, id))
    return MUGAI_EXIT_NOT_FOUND;
  int status = 0;
  g_autoptr(mugai_policy) policy = NULL;
  g_autoptr(mugai_quarantine) q = mugai_qcli_open(config, PROGRAM, &policy, &status);
  if (q == NULL)
    return status;
  g_autoptr(mugai_quarantine_entry) e = mugai_qcli_get_entry(q, PROGRAM, id, &status);
  if (e == NULL)
    return status;
  g_autoptr(mugai_spool) original = mugai_qcli_read_original(q, policy, PROGRAM, id, &status);
  if (original == NULL)
    return status;
  g_autoptr(GMimeStream) stream = mugai_spool_get_stream(original, &error);
  if (stream == NULL) {
    fprintf(stderr, PROGRAM ": %s\n", error->message);
    return MUGAI_EXIT_TEMPFAIL;
  }
  g_autoptr(GMimeMessage) message = parse_message(stream);
  g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func(g_object_unref);
  GMimeObject *part = message ? find_part(message, path, keep) : NULL;
  if (part == NULL || !GMIME_IS_PART(part)) {
    fprintf(stderr, PROGRAM ": %s has no part %s%s (see mugai quarantine show %s)\n", id, path,
            part ? " that is a file (it is a multipart container)" : "", id);
    return MUGAI_EXIT_USAGE;
  }
  return write_part(GMIME_PART(part), out);
}
