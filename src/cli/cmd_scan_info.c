/* cmd_scan_info.c — `mugai scan-info`: load the virus scanner exactly as mugai-milter would and
 * say what it holds (engine version, signature count, newest signature build time and age), or
 * exactly why it cannot be used. Owns the policy and the scanner of one run. */
#include <stdio.h>
#include <string.h>
#include "cli/cli.h"
#include "config/config.h"
#include "scan/scan_open.h"

static const char description[] =
    "Loads the virus scanner the configuration names ([scan] backend) as mugai-milter does at\n"
    "start, and prints one line: engine and version, number of signatures, build time of the\n"
    "newest signatures and their age. With backend none it says that mail is not scanned.\n"
    "\n"
    "Exit status:\n"
    "  0   the scanner is usable (or backend none)\n"
    "  2   usage or configuration error\n"
    "  75  the scanner cannot be used (no or unreadable database, signatures older than\n"
    "      [scan] max_signature_age, clamd not answering): mugai-milter would answer every\n"
    "      message 451 until it can\n";

static const char *
backend_name(mugai_scan_backend backend)
{
  return backend == MUGAI_SCAN_BACKEND_LIBCLAMAV ? "libclamav"
         : backend == MUGAI_SCAN_BACKEND_CLAMD   ? "clamd"
                                                 : "none";
}

int
mugai_cmd_scan_info(int argc, char **argv)
{
  g_autofree char *path = NULL;
  GOptionEntry entries[] = {
    {"config", 'c', 0, G_OPTION_ARG_FILENAME, &path, "Configuration file", "FILE"},
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr(GOptionContext) context = g_option_context_new("- show the virus scanner's state");
  g_option_context_set_summary(context, "Usage: mugai scan-info [-c FILE]");
  g_option_context_set_description(context, description);
  g_option_context_add_main_entries(context, entries, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(context, &argc, &argv, &error)) {
    fprintf(stderr, "mugai scan-info: %s (see mugai scan-info --help)\n", error->message);
    return MUGAI_EXIT_USAGE;
  }
  if (argc > 1) {
    fprintf(stderr, "mugai scan-info: unexpected argument '%s'\n", argv[1]);
    return MUGAI_EXIT_USAGE;
  }
  g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(mugai_policy) policy = mugai_config_load(path, problems, &error);
  if (policy == NULL) {
    fprintf(stderr, "mugai scan-info: configuration error:\n%s\n", error->message);
    return MUGAI_EXIT_USAGE;
  }
  const mugai_scan_policy *scan = &policy->scan;
  if (scan->backend == MUGAI_SCAN_BACKEND_NONE) {
    printf("backend none: mail is not scanned for viruses (X-Mugai-Actions: not-scanned)\n");
    return 0;
  }
  const char *where = scan->backend == MUGAI_SCAN_BACKEND_CLAMD ? scan->clamd_socket
                                                                 : scan->database_dir;
  g_autoptr(mugai_scanner) scanner = mugai_scan_open(scan, NULL, NULL, &error);
  if (scanner == NULL) {
    printf("backend %s (%s): not usable: %s\n", backend_name(scan->backend), where,
           error->message);
    return MUGAI_EXIT_TEMPFAIL;
  }
  g_autofree char *description_line = mugai_scan_describe(scanner);
  printf("backend %s (%s): %s; max_signature_age %.1f days\n", backend_name(scan->backend), where,
         description_line, (double) scan->max_signature_age / 86400.0);
  return 0;
}
