/* bench_sanitize.c — the sanitize core's cost per message, as the milter pays it: messages read
 * into memory once, engines loaded once, then mugai_sanitize() over all of them N times.
 * Prints messages/s, MB/s and CPU ms per message of the best pass, and the first pass's CPU (the
 * scanner's clean-file cache answers the passes after it). Not a test: numbers only.
 * --convert gives the core the mugai-convert workers as mugai and mugai-milter do ([convert]
 * worker, else the mugai-convert beside this program) and adds the workers' CPU per message
 * (getrusage of the reaped children); without it attachments of [inbound] convert types are
 * removed as when no worker can be run. Not the workers' peak RSS: a posix_spawn'ed child's
 * ru_maxrss starts at its parent's RSS (it shares the parent's memory until exec), so here it would
 * be this process's, with every message loaded; bench_convert, a small parent, measures it. */
#include <gmime/gmime.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include "config/config.h"
#include "convert/converter_worker.h"
#include "sanitize/gmime_autoptr.h"
#include "sanitize/sanitize.h"
#include "scan/scan_open.h"

static double
cpu_seconds_of(int who)
{
  struct rusage usage;
  getrusage(who, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

static gint
compare_doubles(gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
  g_autofree char *config = NULL;
  gint passes = 3;
  gboolean no_magic = FALSE, convert = FALSE;
  g_auto(GStrv) files = NULL;
  GOptionEntry entries[] = {
    {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config, "Configuration file", "FILE"},
    {"passes", 'n', 0, G_OPTION_ARG_INT, &passes, "Passes over all messages (best one counts)", "N"},
    {"no-magic", 0, 0, G_OPTION_ARG_NONE, &no_magic, "Without libmagic (to see its share)", NULL},
    {"convert", 0, 0, G_OPTION_ARG_NONE, &convert, "With the mugai-convert workers", NULL},
    {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &files, NULL, "MESSAGE.eml..."},
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr(GOptionContext) context = g_option_context_new("MESSAGE.eml... - benchmark the core");
  g_option_context_add_main_entries(context, entries, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(context, &argc, &argv, &error) || files == NULL) {
    fprintf(stderr, "bench_sanitize: %s\n", error ? error->message : "no messages given");
    return 2;
  }
  mugai_sanitize_init();
  g_autoptr(mugai_policy) policy = mugai_config_load(config, NULL, &error);
  g_autoptr(mugai_filetype) filetype = policy ? mugai_filetype_new(&error) : NULL;
  if (policy == NULL || filetype == NULL) {
    fprintf(stderr, "bench_sanitize: %s\n", error->message);
    return 2;
  }
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func((GDestroyNotify) g_bytes_unref);
  guint64 total = 0;
  for (guint i = 0; files[i]; i++) {
    char *data = NULL;
    gsize len = 0;
    if (!g_file_get_contents(files[i], &data, &len, NULL))
      continue;
    g_ptr_array_add(messages, g_bytes_new_take(data, len));
    total += len;
  }
  const char *rcpts[] = {"taro@city.example.lg.jp", NULL};
  mugai_envelope envelope = {.mail_from = "a@example.jp", .rcpts = rcpts,
                             .direction = MUGAI_DIRECTION_IN};
  /* The scanner [scan] names, as the milter loads it (backend none: the sanitizer alone). */
  gint64 load0 = g_get_monotonic_time();
  g_autoptr(mugai_scanner) scanner = mugai_scan_open(&policy->scan, NULL, NULL, &error);
  if (scanner == NULL && error != NULL) {
    fprintf(stderr, "bench_sanitize: virus scanner: %s\n", error->message);
    return 2;
  }
  if (scanner != NULL) {
    g_autofree char *what = mugai_scan_describe(scanner);
    printf("scanner loaded in %.2f s: %s\n", (g_get_monotonic_time() - load0) / 1e6, what);
  } else {
    printf("scanner: none ([scan] backend = none)\n");
  }
  g_autoptr(mugai_converter) converter = NULL;
  if (convert) {
    g_autofree char *worker = mugai_converter_worker_program(policy->convert.worker);
    converter = mugai_converter_worker_new(worker, policy->convert.workers, &error);
    if (converter == NULL) {
      fprintf(stderr, "bench_sanitize: converter: %s\n", error->message);
      return 2;
    }
    printf("converter: %s, at most %u workers\n", worker, policy->convert.workers);
  }
  mugai_services services = {.filetype = no_magic ? NULL : filetype, .scanner = scanner,
                             .converter = converter};
  double best_wall = 1e9, best_cpu = 1e9, best_children = 1e9, first_cpu = 0;
  g_autoptr(GArray) per_message = g_array_sized_new(FALSE, FALSE, sizeof(double), messages->len);
  guint delivered = 0;
  for (gint pass = 0; pass < passes; pass++) {
    gint64 t0 = g_get_monotonic_time();
    double c0 = cpu_seconds_of(RUSAGE_SELF), k0 = cpu_seconds_of(RUSAGE_CHILDREN);
    g_array_set_size(per_message, 0);
    for (guint i = 0; i < messages->len; i++) {
      gint64 m0 = g_get_monotonic_time();
      gsize len = 0;
      const char *data = g_bytes_get_data(g_ptr_array_index(messages, i), &len);
      g_autoptr(GMimeStream) raw = g_mime_stream_mem_new_with_buffer(data, len);
      g_autoptr(mugai_result) result = mugai_sanitize(policy, raw, &envelope, &services);
      delivered += result->verdict == MUGAI_VERDICT_DELIVER;
      double ms = (g_get_monotonic_time() - m0) / 1000.0;
      g_array_append_val(per_message, ms);
    }
    best_wall = MIN(best_wall, (g_get_monotonic_time() - t0) / 1e6);
    double cpu = cpu_seconds_of(RUSAGE_SELF) - c0;
    first_cpu = pass == 0 ? cpu : first_cpu;
    best_cpu = MIN(best_cpu, cpu);
    best_children = MIN(best_children, cpu_seconds_of(RUSAGE_CHILDREN) - k0);
  }
  printf("mugai_sanitize (in process, best of %d): %u messages, %.1f MB: %.0f msgs/s, %.1f MB/s, "
         "%.3f ms CPU per message (%u delivered)\n",
         passes, messages->len, total / 1e6, messages->len / best_wall, total / 1e6 / best_wall,
         best_cpu * 1000 / messages->len, delivered / passes);
  /* Later passes give libclamav the same parts again, which its clean-file cache answers
   * without scanning: the first pass is what new mail costs. */
  if (passes > 1)
    printf("first pass (libclamav's clean-file cache cold, every engine's first use): %.3f ms "
           "CPU per message\n",
           first_cpu * 1000 / messages->len);
  if (convert)
    printf("workers (least of the passes): %.3f ms CPU per message, so %.3f ms CPU per message "
           "in all\n", best_children * 1000 / messages->len,
           (best_cpu + best_children) * 1000 / messages->len);
  g_array_sort(per_message, compare_doubles);
  guint n = per_message->len;
  printf("per message (last pass, wall): median %.3f ms, p90 %.3f ms, p99 %.3f ms, max %.3f ms\n",
         g_array_index(per_message, double, n / 2), g_array_index(per_message, double, n * 9 / 10),
         g_array_index(per_message, double, n * 99 / 100), g_array_index(per_message, double, n - 1));
  g_mime_shutdown();
  return 0;
}
