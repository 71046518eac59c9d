/* bench_scan_engine.c — what the libclamav engine costs: load time and memory of the engine [scan]
 * names, then scan throughput over whole files, as the milter's engine sees them (raw_message
 * scans each message as one such file). Not a test: numbers only.
 *
 *   bench_scan_engine -c CONF [-n PASSES] [--each] [--compare] FILE...
 *
 * Prints, in this order:
 *   load     wall and CPU seconds of mugai_scan_open() (mugai_clamav_new() with the config's
 *            limits; the first call also runs cl_init()), the signature count, and VmRSS/VmHWM
 *            from /proc/self/status before and after;
 *   pass N   every FILE scanned whole with mugai_scanner_scan(): MB/s, files/s, CPU ms per file,
 *            verdicts. Pass 1 is cold; later passes are mostly answered by libclamav's own cache
 *            of clean files (an MD5 of the whole file per lookup), which the milter has too;
 *   --each   one line per FILE: size, verdict, signature, ms in pass 1 and in the last pass;
 *   --compare  mugai_sanitize() of every FILE with CONF's policy (set raw_message = no in it):
 *            how many files the whole-file scan flags (any verdict but clean) that the part scan
 *            does not, and the other way round. Not timed;
 *   free     how long the last unref (cl_engine_free()) takes, VmRSS once the engine is freed, and
 *            after malloc_trim(0).
 */
#include <gmime/gmime.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include "config/config.h"
#include "sanitize/gmime_autoptr.h"
#include "sanitize/sanitize.h"
#include "scan/scan_open.h"

typedef struct {
  guint64 rss_kb; /* VmRSS */
  guint64 hwm_kb; /* VmHWM: the peak so far */
} memory;

static memory
memory_now(void)
{
  memory m = {0};
  g_autofree char *status = NULL;
  if (!g_file_get_contents("/proc/self/status", &status, NULL, NULL))
    return m;
  const char *p = strstr(status, "VmRSS:");
  if (p)
    m.rss_kb = g_ascii_strtoull(p + 6, NULL, 10);
  p = strstr(status, "VmHWM:");
  if (p)
    m.hwm_kb = g_ascii_strtoull(p + 6, NULL, 10);
  return m;
}

static double
cpu_seconds(void)
{
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

typedef struct {
  char *path;
  GBytes *data;
  mugai_scan_verdict verdict; /* pass 1 */
  char *signature;            /* (nullable) pass 1 */
  double first_ms, last_ms;
} bench_file;

static void
bench_file_free(bench_file *f)
{
  g_free(f->path);
  g_bytes_unref(f->data);
  g_free(f->signature);
  g_free(f);
}

/* One pass over FILES; prints its line. */
static void
scan_pass(mugai_scanner *scanner, GPtrArray *files, guint64 total, gint pass)
{
  guint counts[MUGAI_SCAN_ERROR + 1] = {0};
  gint64 t0 = g_get_monotonic_time();
  double c0 = cpu_seconds();
  for (guint i = 0; i < files->len; i++) {
    bench_file *f = g_ptr_array_index(files, i);
    gsize len = 0;
    const guint8 *data = g_bytes_get_data(f->data, &len);
    g_autofree char *name = g_path_get_basename(f->path);
    g_auto(mugai_scan_result) result = {0};
    gint64 m0 = g_get_monotonic_time();
    mugai_scan_verdict v = mugai_scanner_scan(scanner, data, len, name, &result);
    double ms = (g_get_monotonic_time() - m0) / 1000.0;
    counts[v]++;
    f->last_ms = ms;
    if (pass == 1) {
      f->first_ms = ms;
      f->verdict = v;
      f->signature = g_strdup(result.signature ? result.signature : result.detail);
    }
  }
  double wall = (g_get_monotonic_time() - t0) / 1e6, cpu = cpu_seconds() - c0;
  printf("pass %d%s: %u files, %.1f MB in %.3f s: %.1f MB/s, %.0f files/s, %.3f ms CPU per file; "
         "clean %u, infected %u, too-big %u, error %u\n",
         pass, pass == 1 ? " (cold)" : " (libclamav cache warm)", files->len, total / 1e6, wall,
         total / 1e6 / wall, files->len / wall, cpu * 1000 / files->len,
         counts[MUGAI_SCAN_CLEAN], counts[MUGAI_SCAN_INFECTED], counts[MUGAI_SCAN_TOO_BIG],
         counts[MUGAI_SCAN_ERROR]);
}

/* Did the sanitizer's part scan flag the message (a virus, a scan limit, a scan error)? */
static gboolean
parts_flagged(const mugai_result *result)
{
  if (result->reason == MUGAI_REASON_VIRUS || result->reason == MUGAI_REASON_SCAN_TOO_BIG ||
      result->reason == MUGAI_REASON_SCAN_ERROR)
    return TRUE;
  for (guint i = 0; result->parts && i < result->parts->len; i++) {
    const mugai_part *part = g_ptr_array_index(result->parts, i);
    if (part->scanned && part->scan_verdict != MUGAI_SCAN_CLEAN)
      return TRUE;
  }
  return FALSE;
}

static void
compare(const mugai_policy *policy, mugai_scanner *scanner, mugai_filetype *filetype,
        GPtrArray *files)
{
  const char *rcpts[] = {"taro@city.example.lg.jp", NULL};
  mugai_envelope envelope = {.mail_from = "a@example.jp", .rcpts = rcpts,
                             .direction = MUGAI_DIRECTION_IN};
  mugai_services services = {.filetype = filetype, .scanner = scanner};
  guint raw_only = 0, parts_only = 0, both = 0, neither = 0;
  for (guint i = 0; i < files->len; i++) {
    bench_file *f = g_ptr_array_index(files, i);
    gsize len = 0;
    const char *data = g_bytes_get_data(f->data, &len);
    g_autoptr(GMimeStream) raw = g_mime_stream_mem_new_with_buffer(data, len);
    g_autoptr(mugai_result) result = mugai_sanitize(policy, raw, &envelope, &services);
    gboolean by_raw = f->verdict != MUGAI_SCAN_CLEAN, by_parts = parts_flagged(result);
    raw_only += by_raw && !by_parts;
    parts_only += by_parts && !by_raw;
    both += by_raw && by_parts;
    neither += !by_raw && !by_parts;
    if (by_raw != by_parts)
      printf("  %s: whole file %s%s%s, sanitize (parts) verdict=%s reason=%s\n", f->path,
             mugai_scan_verdict_name(f->verdict), f->signature ? " " : "",
             f->signature ? f->signature : "", mugai_verdict_name(result->verdict),
             result->detail ? result->detail : "-");
  }
  printf("compare (raw_message = %s in the config): flagged by the whole-file scan only: %u, by the "
         "part scan only: %u, by both: %u, by neither: %u\n",
         policy->scan.raw_message ? "yes" : "no", raw_only, parts_only, both, neither);
}

int
main(int argc, char **argv)
{
  g_autofree char *config = NULL;
  gint passes = 2;
  gboolean each = FALSE, do_compare = FALSE;
  g_auto(GStrv) paths = NULL;
  GOptionEntry entries[] = {
    {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config, "Configuration file ([scan])", "FILE"},
    {"passes", 'n', 0, G_OPTION_ARG_INT, &passes, "Scan passes over all files (1 is cold)", "N"},
    {"each", 0, 0, G_OPTION_ARG_NONE, &each, "One line per file", NULL},
    {"compare", 0, 0, G_OPTION_ARG_NONE, &do_compare,
     "Also sanitize each file: what the whole-file scan flags that the part scan does not", NULL},
    {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &paths, NULL, "FILE..."},
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr(GOptionContext) context = g_option_context_new("FILE... - benchmark the scan engine");
  g_option_context_add_main_entries(context, entries, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(context, &argc, &argv, &error) || paths == NULL || passes < 1) {
    fprintf(stderr, "bench_scan_engine: %s\n", error ? error->message : "no files given");
    return 2;
  }
  mugai_sanitize_init();
  g_autoptr(mugai_policy) policy = mugai_config_load(config, NULL, &error);
  if (policy == NULL) {
    fprintf(stderr, "bench_scan_engine: %s\n", error->message);
    return 2;
  }
  if (policy->scan.backend != MUGAI_SCAN_BACKEND_LIBCLAMAV) {
    fprintf(stderr, "bench_scan_engine: %s: [scan] backend is not libclamav\n", policy->source);
    return 2;
  }
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func((GDestroyNotify) bench_file_free);
  guint64 total = 0;
  for (guint i = 0; paths[i]; i++) {
    char *data = NULL;
    gsize len = 0;
    if (!g_file_get_contents(paths[i], &data, &len, &error)) {
      fprintf(stderr, "bench_scan_engine: %s\n", error->message);
      return 2;
    }
    bench_file *f = g_new0(bench_file, 1);
    f->path = g_strdup(paths[i]);
    f->data = g_bytes_new_take(data, len);
    g_ptr_array_add(files, f);
    total += len;
  }

  memory before = memory_now();
  gint64 t0 = g_get_monotonic_time();
  double c0 = cpu_seconds();
  mugai_scanner *scanner = mugai_scan_open(&policy->scan, NULL, NULL, &error);
  double load_wall = (g_get_monotonic_time() - t0) / 1e6, load_cpu = cpu_seconds() - c0;
  if (scanner == NULL) {
    fprintf(stderr, "bench_scan_engine: virus scanner: %s\n", error->message);
    return 2;
  }
  memory after = memory_now();
  g_autofree char *what = mugai_scan_describe(scanner);
  printf("load (%s): %.2f s wall, %.2f s CPU: %s\n", policy->scan.database_dir, load_wall, load_cpu,
         what);
  printf("memory: VmRSS %.1f MB before, %.1f MB after (+%.1f MB); VmHWM %.1f MB after (peak "
         "during the load +%.1f MB)\n",
         before.rss_kb / 1024.0, after.rss_kb / 1024.0,
         ((double) after.rss_kb - (double) before.rss_kb) / 1024.0, after.hwm_kb / 1024.0,
         ((double) after.hwm_kb - (double) before.rss_kb) / 1024.0);

  for (gint pass = 1; pass <= passes; pass++)
    scan_pass(scanner, files, total, pass);
  if (each)
    for (guint i = 0; i < files->len; i++) {
      bench_file *f = g_ptr_array_index(files, i);
      g_autofree char *name = g_path_get_basename(f->path);
      gsize len = g_bytes_get_size(f->data);
      printf("  %-24s %9.1f KB  %-8s %-40s pass 1 %8.2f ms (%6.1f MB/s), pass %d %8.2f ms\n", name,
             len / 1024.0, mugai_scan_verdict_name(f->verdict), f->signature ? f->signature : "-",
             f->first_ms, len / 1e6 / (f->first_ms / 1000.0), passes, f->last_ms);
    }
  if (do_compare) {
    g_autoptr(mugai_filetype) filetype = mugai_filetype_new(&error);
    if (filetype == NULL) {
      fprintf(stderr, "bench_scan_engine: %s\n", error->message);
      return 2;
    }
    compare(policy, scanner, filetype, files);
  }
  memory held = memory_now();
  gint64 f0 = g_get_monotonic_time();
  mugai_scanner_unref(scanner); /* the last reference: cl_engine_free() */
  double free_ms = (g_get_monotonic_time() - f0) / 1000.0;
  memory freed = memory_now();
  malloc_trim(0);
  memory trimmed = memory_now();
  printf("free: the last unref took %.1f ms; VmRSS %.1f MB with the engine, %.1f MB once freed, "
         "%.1f MB after malloc_trim(0); VmHWM %.1f MB\n",
         free_ms, held.rss_kb / 1024.0, freed.rss_kb / 1024.0, trimmed.rss_kb / 1024.0,
         trimmed.hwm_kb / 1024.0);
  g_mime_shutdown();
  return 0;
}
