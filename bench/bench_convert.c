/* bench_convert.c — convert files through the sandboxed worker exactly as the sanitizer will
 * (convert_client.h), and say what it cost. Also the script tests' driver of the spawner.
 *
 *   bench_convert [--worker PATH] [--timeout-ms N] [--cpu S] [--memory MB] [--max-member N]
 *                 [--max-expanded N] [--max-output N] [--repeat N] [--type MIME] [--text] FILE...
 *
 * One line per file (the last of --repeat runs):
 *   file=F size=BYTES status=done|refused|timeout|limit|crashed|error kind=K count=N unit=U
 *   warnings=W reason="..." text_bytes=N ms=N peak_rss_kb=N
 * (--text also prints the text after the line), then a summary: MB/s and pages/s over all runs,
 * the largest peak RSS of any worker. Exit 0 whatever the outcomes: numbers only.
 */
#include <stdio.h>
#include <string.h>

#include "convert/convert_client.h"

int
main(int argc, char **argv)
{
  mugai_convert_client_options o;
  mugai_convert_client_options_init(&o);
  g_autofree char *worker = NULL, *type = NULL;
  gint timeout = 0, cpu = 0, memory = -1, repeat = 1;
  gint64 max_member = 0, max_expanded = 0, max_output = 0;
  gboolean show_text = FALSE;
  GOptionEntry entries[] = {
    {"worker", 0, 0, G_OPTION_ARG_FILENAME, &worker, "the mugai-convert program", "PATH"},
    {"type", 0, 0, G_OPTION_ARG_STRING, &type, "libmagic type given to the worker", "MIME"},
    {"timeout-ms", 0, 0, G_OPTION_ARG_INT, &timeout, "wall-clock limit", "MS"},
    {"cpu", 0, 0, G_OPTION_ARG_INT, &cpu, "CPU seconds", "S"},
    {"memory", 0, 0, G_OPTION_ARG_INT, &memory, "RLIMIT_AS of the worker", "MB"},
    {"max-member", 0, 0, G_OPTION_ARG_INT64, &max_member, "bytes of one zip member", "N"},
    {"max-expanded", 0, 0, G_OPTION_ARG_INT64, &max_expanded, "bytes inflated in all", "N"},
    {"max-output", 0, 0, G_OPTION_ARG_INT64, &max_output, "text bytes", "N"},
    {"repeat", 0, 0, G_OPTION_ARG_INT, &repeat, "runs per file", "N"},
    {"text", 0, 0, G_OPTION_ARG_NONE, &show_text, "print the text too", NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL}};
  g_autoptr(GOptionContext) ctx = g_option_context_new("FILE...");
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(ctx, &argc, &argv, &error) || argc < 2) {
    fprintf(stderr, "bench_convert: %s\n", error ? error->message : "no FILE");
    return 2;
  }
  o.program = worker;
  if (timeout > 0)
    o.timeout_ms = (guint) timeout;
  if (cpu > 0)
    o.cpu_seconds = (guint) cpu;
  if (memory >= 0)
    o.memory_mb = (guint) memory;
  if (max_member > 0)
    o.limits.max_member = (gsize) max_member;
  if (max_expanded > 0)
    o.limits.max_expanded = (gsize) max_expanded;
  if (max_output > 0)
    o.limits.max_output = (gsize) max_output;
  guint64 bytes = 0, pages = 0, peak = 0;
  gint64 t0 = g_get_monotonic_time();
  for (int i = 1; i < argc; i++) {
    g_autofree char *data = NULL;
    gsize len = 0;
    if (!g_file_get_contents(argv[i], &data, &len, &error)) {
      fprintf(stderr, "bench_convert: %s\n", error->message);
      return 2;
    }
    for (int n = 0; n < MAX(repeat, 1); n++) {
      g_autofree char *base = g_path_get_basename(argv[i]);
      g_autoptr(mugai_convert_outcome) r = mugai_convert_run(&o, data, len, type, base);
      bytes += len;
      pages += r->unit && strcmp(r->unit, "pages") == 0 ? r->count : 0;
      peak = MAX(peak, r->peak_rss_kb);
      if (n + 1 < MAX(repeat, 1))
        continue;
      g_autofree char *w = mugai_convert_warnings_to_string(r->warnings);
      printf("file=%s size=%zu status=%s kind=%s count=%u unit=%s warnings=%s reason=\"%s\" "
             "text_bytes=%zu ms=%" G_GUINT64_FORMAT " peak_rss_kb=%" G_GUINT64_FORMAT "\n",
             base, len, mugai_convert_status_name(r->status), r->kind, r->count,
             r->unit ? r->unit : "", w, r->reason ? r->reason : "", r->text->len, r->elapsed_ms,
             r->peak_rss_kb);
      if (show_text)
        printf("%s\n--end--\n", r->text->str);
    }
  }
  double secs = (double) (g_get_monotonic_time() - t0) / 1e6;
  printf("summary runs=%d bytes=%" G_GUINT64_FORMAT " seconds=%.3f MB/s=%.2f pages/s=%.1f "
         "files/s=%.1f max_peak_rss_kb=%" G_GUINT64_FORMAT "\n",
         (argc - 1) * MAX(repeat, 1), bytes, secs, (double) bytes / 1e6 / secs,
         (double) pages / secs, (double) ((argc - 1) * MAX(repeat, 1)) / secs, peak);
  return 0;
}
