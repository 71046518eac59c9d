/* scan_open.c — build the scanner [scan] asks for (see scan_open.h). */
#include "scan/scan_open.h"

#include "scan/clamav.h"
#include "scan/clamd.h"

/* libclamav refuses a file limit of 2 GiB or more. */
#define CLAMAV_FILESIZE_MAX (G_GUINT64_CONSTANT(2) * 1024 * 1024 * 1024 - 1)

static mugai_scanner *
open_libclamav(const mugai_scan_policy *scan, void (*freed)(gpointer), gpointer data,
               GError **error)
{
  mugai_clamav_config config = {
    .database_dir = scan->database_dir,
    .temp_dir = scan->temp_dir,
    .limits = {
      .max_filesize = MIN(scan->max_file_size, CLAMAV_FILESIZE_MAX),
      .max_scansize = scan->max_scan_size,
      .max_recursion = scan->max_recursion,
      .max_files = scan->max_files,
      .max_scantime_ms = (guint32) MIN(scan->max_scan_time * 1000, (guint64) G_MAXUINT32),
    },
    .max_signature_age = (gint64) scan->max_signature_age,
    .freed = freed,
    .freed_data = data,
  };
  return mugai_clamav_new(&config, error);
}

mugai_scanner *
mugai_scan_open(const mugai_scan_policy *scan, void (*freed)(gpointer data), gpointer data,
                GError **error)
{
  switch (scan->backend) {
  case MUGAI_SCAN_BACKEND_LIBCLAMAV:
    return open_libclamav(scan, freed, data, error);
  case MUGAI_SCAN_BACKEND_CLAMD: {
    mugai_clamd_config config = {
      .socket = scan->clamd_socket,
      .timeout_ms = (guint) MIN(scan->clamd_timeout * 1000, (guint64) G_MAXUINT),
      .max_signature_age = (gint64) scan->max_signature_age,
      .freed = freed,
      .freed_data = data,
    };
    return mugai_clamd_new(&config, error);
  }
  case MUGAI_SCAN_BACKEND_NONE:
    break;
  }
  return NULL;
}

char *
mugai_scan_describe(mugai_scanner *scanner)
{
  const mugai_scan_info *info = mugai_scanner_get_info(scanner);
  gint64 now = g_get_real_time() / G_USEC_PER_SEC;
  g_autofree char *count = info->signatures ? g_strdup_printf("%u signatures", info->signatures)
                                            : g_strdup("signature count not reported");
  if (info->signature_time <= 0) /* clamd with plain signature files only */
    return g_strdup_printf("%s, %s, signature date not reported (%s)", info->engine, count,
                           info->signature_source);
  g_autoptr(GDateTime) built = g_date_time_new_from_unix_utc(info->signature_time);
  g_autofree char *when = built ? g_date_time_format(built, "%Y-%m-%dT%H:%M:%SZ") : g_strdup("?");
  return g_strdup_printf("%s, %s, newest built %s (%s, %.1f days old)", info->engine, count, when,
                         info->signature_source, (double) mugai_scan_info_age(info, now) / 86400.0);
}
