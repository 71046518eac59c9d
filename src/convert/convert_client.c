/* convert_client.c — convert one attachment in a mugai-convert worker (see convert_client.h):
 * its arguments and the parse of its answer; worker_spawn.c runs it (spawn, feed, deadline, caps,
 * reap). Owns nothing past the call; the answer is untrusted bytes, parsed within bounds.
 */
#include "convert/convert_client.h"

#include <string.h>
#include "convert/worker_spawn.h"

#define HEADER_MAX 4096    /* the framed answer's header lines */

void
mugai_convert_client_options_init(mugai_convert_client_options *options)
{
  *options = (mugai_convert_client_options){.timeout_ms = 30000, .memory_mb = 1024};
  mugai_convert_limits_init(&options->limits);
}

const char *
mugai_convert_status_name(mugai_convert_status status)
{
  static const char *const names[] = {"done", "refused", "timeout", "limit", "crashed", "error"};
  return (guint) status < G_N_ELEMENTS(names) ? names[status] : "error";
}

void
mugai_convert_outcome_free(mugai_convert_outcome *outcome)
{
  if (outcome == NULL)
    return;
  g_free(outcome->reason);
  g_free(outcome->kind);
  g_free(outcome->unit);
  if (outcome->text)
    g_string_free(outcome->text, TRUE);
  g_free(outcome);
}

/* The worker's words are untrusted bytes: stored as valid UTF-8, a repeated key replacing. */
static void
set_str(char **slot, const char *value)
{
  g_free(*slot);
  *slot = g_utf8_make_valid(value, -1);
}

/* Parse "key: value" lines, an empty line and exactly length bytes of text. */
static gboolean
parse_answer(GByteArray *out, mugai_convert_outcome *o)
{
  if (out->len == 0)
    return FALSE;
  const char *s = (const char *) out->data;
  const char *end = g_strstr_len(s, MIN(out->len, (guint) HEADER_MAX), "\n\n");
  if (end == NULL)
    return FALSE;
  g_autofree char *head = g_strndup(s, (gsize) (end - s));
  const char *body = end + 2;
  gsize body_len = out->len - (gsize) (body - s);
  g_auto(GStrv) lines = g_strsplit(head, "\n", -1);
  gboolean have_length = FALSE, ok = FALSE;
  for (char **l = lines; *l; l++) {
    char *colon = strstr(*l, ": ");
    const char *value = colon ? colon + 2 : "";
    if (colon == NULL && !g_str_has_suffix(*l, ":"))
      return FALSE;
    if (colon)
      *colon = '\0';
    else
      (*l)[strlen(*l) - 1] = '\0';
    if (strcmp(*l, "status") == 0)
      ok = strcmp(value, "ok") == 0;
    else if (strcmp(*l, "kind") == 0)
      set_str(&o->kind, value);
    else if (strcmp(*l, "unit") == 0)
      set_str(&o->unit, value);
    else if (strcmp(*l, "count") == 0)
      o->count = (guint) MIN(g_ascii_strtoull(value, NULL, 10), (guint64) G_MAXUINT);
    else if (strcmp(*l, "warnings") == 0)
      o->warnings = mugai_convert_warnings_from_string(value);
    else if (strcmp(*l, "reason") == 0)
      set_str(&o->reason, value);
    else if (strcmp(*l, "length") == 0)
      have_length = g_ascii_strtoull(value, NULL, 10) == body_len;
  }
  if (!have_length || !g_utf8_validate_len(body, body_len, NULL))
    return FALSE;
  o->status = ok ? MUGAI_CONVERT_DONE : MUGAI_CONVERT_REFUSED;
  if (ok)
    g_string_append_len(o->text, body, (gssize) body_len);
  else if (o->reason == NULL)
    o->reason = g_strdup("not convertible");
  return TRUE;
}

mugai_convert_outcome *
mugai_convert_run(const mugai_convert_client_options *options, const void *data, gsize len,
                  const char *mime, const char *name)
{
  mugai_convert_outcome *o = g_new0(mugai_convert_outcome, 1);
  o->text = g_string_new(NULL);
  o->kind = g_strdup("");
  g_autoptr(GPtrArray) argv = mugai_worker_argv(options);
  if (mime)
    g_ptr_array_add(argv, g_strdup_printf("--type=%s", mime));
  if (name)
    g_ptr_array_add(argv, g_strdup_printf("--name=%s", name));
  g_ptr_array_add(argv, NULL);
  g_auto(mugai_worker_end) end = {0};
  mugai_worker_run(options, argv, NULL, 0, data, len, options->limits.max_output + HEADER_MAX,
                   &end);
  o->peak_rss_kb = end.peak_rss_kb;
  o->elapsed_ms = end.elapsed_ms;
  o->status = end.status;
  if (end.status != MUGAI_CONVERT_DONE) {
    o->reason = g_steal_pointer(&end.reason);
  } else if (!parse_answer(end.out, o)) {
    g_string_truncate(o->text, 0);
    g_clear_pointer(&o->reason, g_free);
    o->status = MUGAI_CONVERT_CRASHED;
    o->reason = g_strdup("crashed (no valid answer)");
  }
  return o;
}
