/* fuzz_sanitize.c — libFuzzer target for the sanitize entry point: arbitrary bytes as a message,
 * through mugai_sanitize() with the default policy, inbound. Any crash, leak, sanitizer report
 * or an unsanitized delivery (a rewritten body that is not text/plain) is a bug. */
#include <gmime/gmime.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "config/config.h"
#include "sanitize/gmime_autoptr.h"
#include "sanitize/headers.h"
#include "sanitize/report_json.h"
#include "sanitize/sanitize.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static mugai_policy *policy;
static mugai_filetype *filetype;

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
  filetype = mugai_filetype_new(NULL);
  return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autoptr(GMimeStream) raw = g_mime_stream_mem_new_with_buffer((const char *) data, size);
  const char *rcpts[] = {"taro@city.example.lg.jp", NULL};
  mugai_envelope envelope = {.mail_from = "a@example.jp", .rcpts = rcpts,
                             .direction = MUGAI_DIRECTION_IN};
  mugai_services services = {.filetype = filetype};
  g_autoptr(mugai_result) result = mugai_sanitize(policy, raw, &envelope, &services);
  /* The CLI's path around the core: header split, rendering, the JSON report. */
  g_autoptr(GPtrArray) headers = mugai_headers_new();
  mugai_headers_split((const char *) data, size, headers);
  g_autoptr(GByteArray) rendered = g_byte_array_new();
  mugai_headers_render(rendered, headers, result);
  g_free(mugai_report_json(result, &envelope));
  if (result->verdict == MUGAI_VERDICT_DELIVER && result->body) {
    /* The invariant: a rewritten body is declared text/plain UTF-8, and the body is ASCII on the
     * wire (base64, quoted-printable or 7bit). */
    gboolean declared = FALSE;
    for (guint i = 0; i < result->add_headers->len; i++) {
      const mugai_header *h = g_ptr_array_index(result->add_headers, i);
      if (g_ascii_strcasecmp(h->name, "Content-Type") == 0 &&
          strcmp(h->value, "text/plain; charset=UTF-8") == 0)
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
