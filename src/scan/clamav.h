/* clamav.h — the scanner interface backed by an in-process libclamav engine.
 *
 * One engine is loaded from a signature directory, compiled, then only read: every milter thread
 * scans with it at once. It is counted (see scanner.h); the last unref frees it. Fails closed:
 * a missing or unloadable database, a scan error or signatures older than the configured age are
 * errors with a message saying exactly which, never a clean verdict. Logs nothing: libclamav's own
 * messages are caught and put into the GError or the scan result's detail.
 */
#pragma once
#include <glib.h>
#include "sanitize/scanner.h"

/* The GError domain of scanner setup failures. Not MUGAI_SCAN_ERROR, which is the verdict of
 * sanitize/scanner.h: a macro of that name once turned every clamd and libclamav scan error into
 * the quark's number, a verdict nobody knew, and mail passed (tests/unit/test_scan_clamd.c). */
#define MUGAI_SCAN_ERROR_DOMAIN (mugai_scan_error_quark())
GQuark mugai_scan_error_quark(void);

typedef enum {
  MUGAI_SCAN_ERROR_INIT,           /* cl_init() failed */
  MUGAI_SCAN_ERROR_NO_DATABASE,    /* the directory is missing or holds no signature file */
  MUGAI_SCAN_ERROR_LOAD_FAILED,    /* cl_load() refused a file, or a CVD header is unreadable */
  MUGAI_SCAN_ERROR_COMPILE_FAILED, /* cl_engine_compile() failed */
  MUGAI_SCAN_ERROR_LIMITS,         /* libclamav refused a limit */
  MUGAI_SCAN_ERROR_TOO_OLD,        /* newest signature older than max_signature_age */
  MUGAI_SCAN_ERROR_UNREACHABLE,    /* clamd: bad socket, connect or I/O failure, timeout, or an
                                    * answer that is not clamd's (clamd.h) */
} mugai_scan_error;

/* libclamav's own limits, from the config. 0 keeps libclamav's default (1.4: 100 MiB file,
 * 400 MiB scan, recursion 17, 10000 files, 120 s); none can be switched off from here, and
 * libclamav caps a file at 2 GiB - 1. A scan that hits one is TOO_BIG (libclamav alone would call
 * it clean), archive members over max_filesize included (libclamav 1.4 cuts a zip member there
 * without an alert; clamav.c catches it, see MEMBER_SLACK). That is why max_filesize is held at
 * most 2 GiB - 64 KiB - 1 (libclamav caps files at 2 GiB - 1): a larger part is TOO_BIG.
 */
typedef struct {
  guint64 max_filesize;  /* bytes of one file, the part itself or an archive member */
  guint64 max_scansize;  /* bytes scanned in all for one part, archive members included */
  guint32 max_recursion; /* archive-in-archive depth */
  guint32 max_files;     /* archive members scanned for one part */
  guint32 max_scantime_ms;
} mugai_clamav_limits;

typedef struct {
  const char *database_dir; /* freshclam's directory, e.g. /var/lib/clamav */
  /* (nullable) libclamav's scratch directory, one subdirectory per scan: a tmpfs ([scan]
   * temp_dir); NULL: $TMPDIR or /tmp. Must be writable: checked at load. */
  const char *temp_dir;
  mugai_clamav_limits limits;
  gint64 max_signature_age; /* seconds; 0: not checked */
  /* (nullable) called once, from whichever thread drops the last reference, after the engine
   * is freed: lets a reload tell when the old signatures are gone. */
  void (*freed)(gpointer data);
  gpointer freed_data;
} mugai_clamav_config;

/* Load and compile the signatures in config->database_dir. Costs seconds and hundreds of MB with
 * the official databases: call it at start and on reload, never per message.
 * (transfer full) unref with mugai_scanner_unref(); NULL with ERROR set on failure. */
mugai_scanner *mugai_clamav_new(const mugai_clamav_config *config, GError **error);

/* Is NAME (a file name in a signature directory) one that libclamav loads? freshclam's own files
 * (freshclam.dat, its tmp.* download directories) are not. */
gboolean mugai_clamav_is_database_file(const char *name);

/* "signatures too old: newest is daily.cld, built 2025-01-01T00:00:00Z (8.0 days ago);
 * max_signature_age is 7.0 days" — NULL while BUILT (Unix seconds) is within MAX_AGE seconds of
 * now, or MAX_AGE is 0. The words every backend uses. (transfer full) */
char *mugai_scan_age_problem(const char *source, gint64 built, gint64 max_age);

/* The newest signature build time in DIR: a .cvd/.cld/.cud header's build time, or a plain
 * signature file's (.ndb, .hdb, ...: they carry none) modification time. *SOURCE (transfer full)
 * gets that file's name. FALSE with ERROR (NO_DATABASE, LOAD_FAILED) when there is none or a
 * header cannot be read. Reads headers only; usable without an engine (`mugai config check`). */
gboolean mugai_clamav_signature_time(const char *dir, gint64 *time, char **source, GError **error);
