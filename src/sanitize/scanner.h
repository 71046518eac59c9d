/* scanner.h — the virus scanner as the sanitizer sees it: an interface (vtable + ctx).
 *
 * The sanitizer calls mugai_scanner_scan() on every decoded leaf part and never knows which
 * engine answers (libclamav in scan/clamav.c, later a clamd client). Header-only on
 * purpose: sanitize/ includes it without linking libclamav, so the core builds, tests and fuzzes
 * without signatures. Owns nothing; a backend owns its engine and counts references to it.
 *
 * Lifetime: a scanner is shared by all milter threads and counted. A message takes its own
 * reference for the time it scans, so a reload can swap in a new scanner at any moment:
 *
 *   lock; s = mugai_scanner_ref(current); unlock;   ...scan the message... mugai_scanner_unref(s);
 *   reload: fresh = mugai_clamav_new(...); lock; old = current; current = fresh; unlock;
 *           mugai_scanner_unref(old);   (scans in flight finish on old; freed after the last)
 */
#pragma once
#include <glib.h>

typedef enum {
  MUGAI_SCAN_CLEAN,    /* scanned all the way down, nothing found */
  MUGAI_SCAN_INFECTED, /* a signature matched: result->signature names it */
  MUGAI_SCAN_TOO_BIG,  /* a scan limit (size, scan size, recursion, files, time) stopped the scan */
  MUGAI_SCAN_ERROR,    /* the scan could not be done or trusted: result->detail says why */
} mugai_scan_verdict;

typedef struct {
  mugai_scan_verdict verdict;
  /* (nullable) INFECTED: the signature name a user sees ("Eicar-Test-Signature");
   * TOO_BIG: the limit hit ("Heuristics.Limits.Exceeded.MaxFileSize"); otherwise NULL. */
  char *signature;
  /* (nullable) TOO_BIG / ERROR: one line for the log and the report; otherwise NULL. */
  char *detail;
} mugai_scan_result;

/* Frees the strings and sets the result back to CLEAN, so a result can be reused. */
static inline void
mugai_scan_result_clear(mugai_scan_result *result)
{
  g_clear_pointer(&result->signature, g_free);
  g_clear_pointer(&result->detail, g_free);
  result->verdict = MUGAI_SCAN_CLEAN;
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(mugai_scan_result, mugai_scan_result_clear)

/* What `mugai-milter` and `mugai sanitize` report at start. Fixed once the engine is loaded. */
typedef struct {
  const char *engine;           /* "ClamAV 1.4.6" */
  guint signatures;             /* signatures loaded */
  gint64 signature_time;        /* newest signature build time, Unix seconds (UTC) */
  const char *signature_source; /* the file that gave signature_time ("daily.cld") */
} mugai_scan_info;

/* Seconds between the newest signature build time and NOW (Unix seconds); negative when the
 * clock is behind the database. */
static inline gint64
mugai_scan_info_age(const mugai_scan_info *info, gint64 now)
{
  return now - info->signature_time;
}

typedef struct mugai_scanner mugai_scanner;

typedef struct {
  /* Must be callable from many threads at once. Fills RESULT (cleared by the caller). NAME is
   * (nullable), the part's file name, for the engine's own logs and type hints only. */
  void (*scan)(gpointer ctx, const guint8 *data, gsize len, const char *name,
               mugai_scan_result *result);
  /* (nullable) The same for the LEN bytes of the file FD (read from offset 0; the file
   * position is left alone): an engine that reads the file itself holds only part of a large
   * one in memory at a time, where a mapping handed to scan() is resident whole. A file shorter
   * than LEN is an error, not clean. */
  void (*scan_fd)(gpointer ctx, int fd, guint64 len, const char *name, mugai_scan_result *result);
  const mugai_scan_info *(*get_info)(gpointer ctx);
  void (*ref)(gpointer ctx);
  void (*unref)(gpointer ctx); /* the last one frees the engine */
} mugai_scanner_vtable;

struct mugai_scanner {
  const mugai_scanner_vtable *vtable;
  gpointer ctx;
};

/* Scan LEN bytes at DATA (the whole decoded part: engines need the entire file) into RESULT,
 * which must be cleared (`g_auto(mugai_scan_result) r = {0};`). Returns result->verdict. */
static inline mugai_scan_verdict
mugai_scanner_scan(mugai_scanner *scanner, const guint8 *data, gsize len, const char *name,
                   mugai_scan_result *result)
{
  g_return_val_if_fail(scanner != NULL && result != NULL, MUGAI_SCAN_ERROR);
  g_return_val_if_fail(data != NULL || len == 0, MUGAI_SCAN_ERROR);
  scanner->vtable->scan(scanner->ctx, data, len, name, result);
  return result->verdict;
}

/* Can SCANNER read a file by itself (mugai_scanner_scan_fd)? */
static inline gboolean
mugai_scanner_can_scan_fd(const mugai_scanner *scanner)
{
  return scanner != NULL && scanner->vtable->scan_fd != NULL;
}

/* As mugai_scanner_scan() for the first LEN bytes of the file FD; only when
 * mugai_scanner_can_scan_fd(). */
static inline mugai_scan_verdict
mugai_scanner_scan_fd(mugai_scanner *scanner, int fd, guint64 len, const char *name,
                      mugai_scan_result *result)
{
  g_return_val_if_fail(mugai_scanner_can_scan_fd(scanner) && result != NULL, MUGAI_SCAN_ERROR);
  g_return_val_if_fail(fd >= 0, MUGAI_SCAN_ERROR);
  scanner->vtable->scan_fd(scanner->ctx, fd, len, name, result);
  return result->verdict;
}

/* (transfer none) valid while the caller holds its reference to SCANNER. */
static inline const mugai_scan_info *
mugai_scanner_get_info(mugai_scanner *scanner)
{
  g_return_val_if_fail(scanner != NULL, NULL);
  return scanner->vtable->get_info(scanner->ctx);
}

/* (transfer full) SCANNER itself, with one more reference. */
static inline mugai_scanner *
mugai_scanner_ref(mugai_scanner *scanner)
{
  g_return_val_if_fail(scanner != NULL, NULL);
  scanner->vtable->ref(scanner->ctx);
  return scanner;
}

static inline void
mugai_scanner_unref(mugai_scanner *scanner) /* NULL-safe */
{
  if (scanner != NULL)
    scanner->vtable->unref(scanner->ctx);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(mugai_scanner, mugai_scanner_unref)

/* "clean", "infected", "too-big", "error": for the report and the log line. */
static inline const char *
mugai_scan_verdict_name(mugai_scan_verdict verdict)
{
  switch (verdict) {
  case MUGAI_SCAN_CLEAN:
    return "clean";
  case MUGAI_SCAN_INFECTED:
    return "infected";
  case MUGAI_SCAN_TOO_BIG:
    return "too-big";
  case MUGAI_SCAN_ERROR:
    break;
  }
  return "error";
}
