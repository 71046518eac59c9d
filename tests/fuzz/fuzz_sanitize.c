/* fuzz_sanitize.c — libFuzzer target for the sanitize entry point: arbitrary bytes as a message,
 * through mugai_sanitize() with the default policy, inbound (a third of them outbound), every part
 * scanned by a real libclamav engine (a one-signature database written at start: EICAR). Any
 * crash, leak, sanitizer report or an unsanitized delivery (a rewritten body that is not
 * text/plain) is a bug. The strict policy runs with [scan] backend = none, so the not-scanned
 * path is fuzzed too, and trusts two authserv-ids, so Authentication-Results headers are read,
 * shown and removed. Attachments of converted types go to a converter that answers with the
 * file's own bytes as its "text" (the worst a compromised worker could send back; the real one is
 * fuzzed by fuzz_convert_xml and tested in tests/convert/), or, for bytes starting with "F",
 * fails: the cleaning, caps and notice of attachment text are fuzzed in-process. */
#include <gmime/gmime.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "config/config.h"
#include "sanitize/gmime_autoptr.h"
#include "sanitize/headers.h"
#include "sanitize/report_json.h"
#include "sanitize/sanitize.h"
#include "scan/clamav.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static mugai_policy *policy;
static mugai_policy *strict; /* every optional rewrite on: defanging, subject tag, ISO-2022-JP */
static mugai_filetype *filetype;
static mugai_scanner *scanner;

static void
echo_convert(gpointer ctx, const guint8 *data, gsize len, const char *mime, const char *name,
             const mugai_conversion_limits *limits, mugai_conversion *out)
{
  (void) ctx;
  (void) mime;
  (void) name;
  if (len > 0 && data[0] == 'F') {
    out->failure = g_strndup((const char *) data, MIN(len, (gsize) 300)); /* any bytes */
    return;
  }
  out->done = TRUE;
  out->kind = g_strdup("text");
  out->unit = len % 2 ? g_strdup("pages") : NULL;
  out->count = (guint) len;
  out->warnings = len & 0x3f;
  out->text = g_string_new_len((const char *) data, (gssize) MIN(len, limits->max_output));
}

static const mugai_converter_vtable echo_vtable = {.convert = echo_convert};
static mugai_converter echo_converter = {.vtable = &echo_vtable};

/* EICAR as an .ndb body signature, in hex so that this file is not EICAR itself. */
static const char eicar_ndb[] =
    "Eicar-Test-Signature:0:*:58354f2150254041505b345c505a58353428505e2937434329377d2445494341522d"
    "5354414e444152442d414e544956495255532d544553542d46494c452124482b482a\n";

static mugai_scanner *
load_scanner(void)
{
  char *dir = g_dir_make_tmp("mugai-fuzz-db-XXXXXX", NULL);
  g_autofree char *path = dir ? g_build_filename(dir, "fuzz.ndb", NULL) : NULL;
  if (path == NULL || !g_file_set_contents(path, eicar_ndb, -1, NULL))
    abort();
  mugai_clamav_config config = {.database_dir = dir, .limits = {.max_filesize = 4 << 20}};
  mugai_scanner *loaded = mugai_clamav_new(&config, NULL);
  unlink(path); /* loaded: the engine keeps no file open */
  rmdir(dir);
  g_free(dir);
  if (loaded == NULL)
    abort();
  return loaded;
}

static void
unload_scanner(void)
{
  g_clear_pointer(&scanner, mugai_scanner_unref);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void) argc;
  (void) argv;
  mugai_sanitize_init();
  policy = mugai_config_parse(mugai_default_config_text, strlen(mugai_default_config_text),
                              MUGAI_EMBEDDED_SOURCE, NULL, NULL);
  if (policy == NULL)
    abort();
  /* Small limits, so inputs of fuzzing size reach every limit path (the boundary pre-scan, depth,
   * part count, text and HTML caps) and single runs stay short. */
  policy->limits.message_bytes = 4 * 1024 * 1024;
  policy->limits.mime_parts = 64;
  policy->limits.mime_depth = 8;
  policy->limits.text_bytes = 64 * 1024;
  policy->limits.html_bytes = 64 * 1024;
  policy->scan.max_file_size = 4 * 1024 * 1024;
  filetype = mugai_filetype_new(NULL);
  scanner = load_scanner();
  /* libclamav keeps the engine's pointers in its own mmap'd pool, which LeakSanitizer does not
   * read: an engine alive at exit looks leaked. Freed before the leak check (atexit runs ours
   * first: it was registered after the sanitizer's). */
  atexit(unload_scanner);
  static const char strict_text[] =
      "[scan]\nbackend = none\n"
      "[notice]\nsubject_tag = [無害化]\n[output]\ncharset = iso-2022-jp\n"
      "[links]\ndefang_web = yes\ndefang_mailto = yes\ndefang_tel = yes\n"
      "[limits]\nmessage_size = 4M\nmime_parts = 64\nmime_depth = 8\ntext_size = 64K\n"
      "html_size = 64K\nheader_size = 1K\narchive_depth = 3\narchive_entries = 50\n"
      "[authentication]\ntrusted_authserv_ids = mx mx.city.example.lg.jp\n";
  strict = mugai_config_parse(strict_text, sizeof strict_text - 1, "strict", NULL, NULL);
  if (strict == NULL)
    abort();
  return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autoptr(GMimeStream) raw = g_mime_stream_mem_new_with_buffer((const char *) data, size);
  const char *rcpts[] = {"taro@city.example.lg.jp", NULL};
  /* One input in three goes outbound (scanned, checked for forwarding markers, individual
   * numbers and shown addresses, delivered unchanged); none costs an input byte. */
  mugai_envelope envelope = {.mail_from = "a@example.jp", .rcpts = rcpts,
                             .direction = size % 3 == 2 ? MUGAI_DIRECTION_OUT : MUGAI_DIRECTION_IN};
  /* Odd sizes run under the strict policy: no input byte is spent on choosing it. */
  const mugai_policy *chosen = size & 1 ? strict : policy;
  mugai_services services = {.filetype = filetype, .scanner = size & 1 ? NULL : scanner,
                             .converter = size & 1 ? &echo_converter : NULL,
                             .converter_failure = "not in this run"};
  g_autoptr(mugai_result) result = mugai_sanitize(chosen, raw, &envelope, &services);
  /* The CLI's path around the core: header split, rendering, the JSON report. */
  g_autoptr(GPtrArray) headers = mugai_headers_new();
  mugai_headers_split((const char *) data, size, headers);
  g_autoptr(GByteArray) rendered = g_byte_array_new();
  mugai_headers_render(rendered, headers, result);
  g_free(mugai_report_json(result, &envelope));
  /* Changed header values go on the wire as one header each: never a line end of their own
   * that would start a new header, never a control character. */
  for (guint i = 0; i < result->change_headers->len; i++) {
    const mugai_header_change *c = g_ptr_array_index(result->change_headers, i);
    for (const char *p = c->value; *p; p++)
      if (((guchar) *p < 0x20 && *p != '\t' && !(*p == '\n' && (p[1] == ' ' || p[1] == '\t'))) ||
          *p == 0x7f)
        abort();
  }
  if (result->verdict == MUGAI_VERDICT_DELIVER && result->body) {
    /* The invariant: a rewritten body is declared text/plain UTF-8 (or ISO-2022-JP under the
     * strict policy), and the body is ASCII on the wire (base64, quoted-printable or 7bit). */
    gboolean declared = FALSE;
    for (guint i = 0; i < result->add_headers->len; i++) {
      const mugai_header *h = g_ptr_array_index(result->add_headers, i);
      if (g_ascii_strcasecmp(h->name, "Content-Type") == 0 &&
          (strcmp(h->value, "text/plain; charset=UTF-8") == 0 ||
           (chosen == strict && strcmp(h->value, "text/plain; charset=ISO-2022-JP") == 0)))
        declared = TRUE;
    }
    if (!declared)
      abort();
    for (guint i = 0; i < result->body->len; i++)
      if (result->body->data[i] >= 0x80)
        abort();
  }
  return 0;
}
