/* clamav.c — the libclamav backend of the scanner interface (see clamav.h).
 *
 * Owns one compiled cl_engine per mugai_scan_engine, counted with g_atomic_ref_count. Shared
 * process state is only what libclamav itself demands once: cl_init() and its message callback, set
 * in a g_once. The callback hands each message to whoever asked: a scan's own context, or the
 * thread that is loading signatures. Must never log, exit, or call a limit hit or an error clean.
 */
#include "scan/clamav.h"

#include <clamav.h>
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <glib/gstdio.h>
#include <unistd.h>

G_DEFINE_QUARK(mugai-scan-error-quark, mugai_scan_error)

/* libclamav's messages for one load or one scan: enough to say which file and line, capped. */
#define MESSAGES_MAX 2048
#define LIMIT_PREFIX "Heuristics.Limits.Exceeded."
#define CLAMAV_FILESIZE_MAX (G_GUINT64_CONSTANT(2) * 1024 * 1024 * 1024 - 1) /* libclamav's cap */

typedef struct {
  mugai_scanner scanner; /* the interface; ctx points back here */
  gatomicrefcount refs;  /* one per holder: the owner, each message scanning */
  struct cl_engine *cl;
  mugai_clamav_limits limits; /* as libclamav holds them, defaults filled in */
  gint64 max_signature_age;
  char *engine_name;
  char *signature_source;
  mugai_scan_info info;
  void (*freed)(gpointer data);
  gpointer freed_data;
} mugai_scan_engine;

/* What one scan collects from libclamav's callbacks, which get it as their context. */
typedef struct {
  GString *messages;
  char *found;         /* name from the virus-found callback: the only one for a top-level limit */
  guint64 member_max;  /* mugai's max_filesize, for archive members */
  guint64 member_size; /* > 0: a member larger than member_max was met (cut by libclamav) */
} scan_context;

/* libclamav 1.4 cuts a zip member that inflates past max_filesize to its first max_filesize bytes
 * (in 8 KiB steps) and calls the zip clean, whatever its headers claim
 * (tests/unit/test_scan_clamav_limits.c). So libclamav is given a larger file limit than mugai's
 * (MEMBER_SLACK more) and every member seen larger than mugai's own is stopped here: whatever
 * libclamav cut is always larger. CL_VIRUS, not a flag alone: a clean answer would be cached and
 * the next scan of the same bytes would skip this callback. */
#define MEMBER_SLACK (64 * 1024)
#define INSPECTION_NAME "Detected.By.Callback.Inspection"

/* The messages of the cl_load() running on this thread, if any (its callbacks get no context). */
static GPrivate load_messages = G_PRIVATE_INIT(NULL);

static void
messages_add(GString *messages, const char *msg)
{
  if (messages->len >= MESSAGES_MAX)
    return;
  if (messages->len > 0)
    g_string_append(messages, "; ");
  gsize len = strlen(msg);
  while (len > 0 && g_ascii_isspace(msg[len - 1]))
    len--;
  g_string_append_len(messages, msg, (gssize) MIN(len, MESSAGES_MAX - messages->len));
}

static void
on_message(enum cl_msg severity, const char *fullmsg, const char *msg, void *context)
{
  (void) fullmsg;
  if (severity < CL_MSG_WARN)
    return;
  scan_context *scan = context;
  GString *messages = scan ? scan->messages : g_private_get(&load_messages);
  if (messages != NULL)
    messages_add(messages, msg);
}

static void
on_virus_found(int fd, const char *virname, void *context)
{
  (void) fd;
  scan_context *scan = context;
  if (scan != NULL && scan->found == NULL && virname != NULL)
    scan->found = g_strdup(virname);
}

static cl_error_t
on_file_inspection(int fd, const char *type, const char **ancestors, size_t parent_file_size,
                   const char *file_name, size_t file_size, const char *file_buffer,
                   uint32_t recursion_level, uint32_t layer_attributes, void *context)
{
  (void) fd, (void) type, (void) ancestors, (void) parent_file_size, (void) file_name;
  (void) file_buffer, (void) layer_attributes;
  scan_context *scan = context;
  if (scan == NULL || recursion_level == 0 || (guint64) file_size <= scan->member_max)
    return CL_SUCCESS;
  scan->member_size = MAX(scan->member_size, (guint64) file_size);
  return CL_VIRUS;
}

static gpointer
clamav_init_once(gpointer unused)
{
  (void) unused;
  cl_set_clcb_msg(on_message); /* before cl_init, and before any thread scans */
  return GINT_TO_POINTER(cl_init(CL_INIT_DEFAULT));
}

static gboolean
clamav_init(GError **error)
{
  static GOnce once = G_ONCE_INIT;
  cl_error_t rc = GPOINTER_TO_INT(g_once(&once, clamav_init_once, NULL));
  if (rc != CL_SUCCESS) {
    g_set_error(error, MUGAI_SCAN_ERROR_DOMAIN, MUGAI_SCAN_ERROR_INIT, "libclamav cl_init failed: %s",
                cl_strerror(rc));
    return FALSE;
  }
  return TRUE;
}

/* ---- signature age ---- */

static const char *const container_exts[] = {".cvd", ".cld", ".cud"};
/* Plain files that carry detections. Allow lists (.fp, .ign2...) and engine settings (.cfg,
 * .ftm) are left out: editing one does not make the detections any newer. */
static const char *const plain_exts[] = {".db",  ".hdb", ".hdu", ".hsb",  ".hsu",  ".mdb", ".mdu",
                                         ".msb", ".msu", ".ndb", ".ndu",  ".ldb",  ".ldu", ".sdb",
                                         ".zmd", ".rmd", ".pdb", ".gdb",  ".wdb",  ".cbc", ".cdb",
                                         ".idb", ".ioc", ".yar", ".yara", ".pwdb", ".imp"};

static gboolean
has_ext(const char *name, const char *const *exts, gsize n)
{
  for (gsize i = 0; i < n; i++)
    if (g_str_has_suffix(name, exts[i]) && strlen(name) > strlen(exts[i]))
      return TRUE;
  return FALSE;
}

/* What else cl_load() reads: allow lists, ignore lists, engine settings, certificate trust. */
static const char *const other_exts[] = {".fp", ".sfp", ".ign", ".ign2", ".cfg", ".ftm", ".crb",
                                         ".cat", ".info"};

gboolean
mugai_clamav_is_database_file(const char *name)
{
  return has_ext(name, container_exts, G_N_ELEMENTS(container_exts)) ||
         has_ext(name, plain_exts, G_N_ELEMENTS(plain_exts)) ||
         has_ext(name, other_exts, G_N_ELEMENTS(other_exts));
}

/* The build time of one signature file; FALSE when it is not one. */
static gboolean
file_time(const char *dir, const char *name, gint64 *time, GError **error)
{
  g_autofree char *path = g_build_filename(dir, name, NULL);
  gboolean container = has_ext(name, container_exts, G_N_ELEMENTS(container_exts));
  if (!container && !has_ext(name, plain_exts, G_N_ELEMENTS(plain_exts)))
    return FALSE;
  GStatBuf st;
  if (g_stat(path, &st) != 0 || !S_ISREG(st.st_mode))
    return FALSE;
  if (!container) {
    *time = (gint64) st.st_mtime;
    return TRUE;
  }
  /* A container's mtime is when freshclam fetched it, not when Talos built it. */
  struct cl_cvd *head = cl_cvdhead(path);
  if (head == NULL) {
    g_set_error(error, MUGAI_SCAN_ERROR_DOMAIN, MUGAI_SCAN_ERROR_LOAD_FAILED,
                "cannot read the signature header of %s", path);
    return FALSE;
  }
  *time = (gint64) head->stime;
  cl_cvdfree(head);
  return TRUE;
}

gboolean
mugai_clamav_signature_time(const char *dir, gint64 *time, char **source, GError **error)
{
  g_return_val_if_fail(dir != NULL && time != NULL && source != NULL, FALSE);
  g_autoptr(GError) local = NULL;
  g_autoptr(GDir) listing = g_dir_open(dir, 0, &local);
  if (listing == NULL) {
    g_set_error(error, MUGAI_SCAN_ERROR_DOMAIN, MUGAI_SCAN_ERROR_NO_DATABASE, "no signature database: %s",
                local->message);
    return FALSE;
  }
  g_autofree char *newest_name = NULL;
  gint64 newest = 0;
  const char *name;
  while ((name = g_dir_read_name(listing)) != NULL) {
    gint64 t = 0;
    if (!file_time(dir, name, &t, &local)) {
      if (local != NULL) {
        g_propagate_error(error, g_steal_pointer(&local));
        return FALSE;
      }
      continue;
    }
    if (newest_name == NULL || t > newest) {
      newest = t;
      g_free(newest_name);
      newest_name = g_strdup(name);
    }
  }
  if (newest_name == NULL) {
    g_set_error(error, MUGAI_SCAN_ERROR_DOMAIN, MUGAI_SCAN_ERROR_NO_DATABASE,
                "no signature database: no .cvd, .cld or signature file in %s", dir);
    return FALSE;
  }
  *time = newest;
  *source = g_steal_pointer(&newest_name);
  return TRUE;
}

char *
mugai_scan_age_problem(const char *source, gint64 built, gint64 max_age)
{
  gint64 now = g_get_real_time() / G_USEC_PER_SEC;
  if (max_age <= 0 || now - built <= max_age)
    return NULL;
  g_autoptr(GDateTime) when = g_date_time_new_from_unix_utc(built);
  g_autofree char *iso = when ? g_date_time_format_iso8601(when) : g_strdup("?");
  return g_strdup_printf("signatures too old: newest is %s, built %s (%.1f days ago); "
                         "max_signature_age is %.1f days",
                         source, iso, (double) (now - built) / 86400.0, (double) max_age / 86400.0);
}

/* ---- the engine ---- */

static void
engine_free(mugai_scan_engine *engine)
{
  void (*freed)(gpointer) = engine->freed;
  gpointer freed_data = engine->freed_data;
  if (engine->cl != NULL)
    cl_engine_free(engine->cl);
  g_free(engine->engine_name);
  g_free(engine->signature_source);
  g_free(engine);
  if (freed != NULL)
    freed(freed_data);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(mugai_scan_engine, engine_free)

static void
engine_ref(gpointer ctx)
{
  mugai_scan_engine *engine = ctx;
  g_atomic_ref_count_inc(&engine->refs);
}

static void
engine_unref(gpointer ctx)
{
  mugai_scan_engine *engine = ctx;
  if (g_atomic_ref_count_dec(&engine->refs))
    engine_free(engine);
}

static const mugai_scan_info *
engine_get_info(gpointer ctx)
{
  mugai_scan_engine *engine = ctx;
  return &engine->info;
}

/* What each of libclamav's limit alerts means, for the detail line. */
static char *
limit_detail(const mugai_scan_engine *engine, const char *signature)
{
  const mugai_clamav_limits *l = &engine->limits;
  const char *which = signature + strlen(LIMIT_PREFIX);
  if (strcmp(which, "MaxFileSize") == 0)
    return g_strdup_printf(
        "too big to scan: a file over max_filesize (%" G_GUINT64_FORMAT " bytes)", l->max_filesize);
  if (strcmp(which, "MaxScanSize") == 0)
    return g_strdup_printf("too big to scan: more than max_scansize (%" G_GUINT64_FORMAT
                           " bytes) to scan",
                           l->max_scansize);
  if (strcmp(which, "MaxRecursion") == 0)
    return g_strdup_printf("too big to scan: archives nested deeper than max_recursion (%u)",
                           l->max_recursion);
  if (strcmp(which, "MaxFiles") == 0)
    return g_strdup_printf("too big to scan: more than max_files (%u) archive members",
                           l->max_files);
  if (strcmp(which, "MaxScanTime") == 0)
    return g_strdup_printf("too big to scan: scan took longer than max_scantime (%u ms)",
                           l->max_scantime_ms);
  return g_strdup_printf("too big to scan: a scan limit was hit (%s)", signature);
}

static void
set_limit_hit(const mugai_scan_engine *engine, const char *which, mugai_scan_result *result)
{
  result->verdict = MUGAI_SCAN_TOO_BIG;
  result->signature = g_strconcat(LIMIT_PREFIX, which, NULL);
  result->detail = limit_detail(engine, result->signature);
}

static void
set_error(mugai_scan_result *result, char *take_detail)
{
  result->verdict = MUGAI_SCAN_ERROR;
  result->detail = take_detail;
}

/* libclamav's answer to a verdict. Without CL_SCAN_HEURISTIC_EXCEEDS_MAX a limit hit is CL_CLEAN;
 * with it, an alert named Heuristics.Limits.Exceeded.*, reported only if no real signature
 * matched elsewhere in the file (heuristics do not take precedence). */
static void
set_verdict(const mugai_scan_engine *engine, cl_error_t rc, const char *virname,
            const scan_context *scan, mugai_scan_result *result)
{
  switch (rc) {
  case CL_CLEAN:
    result->verdict = MUGAI_SCAN_CLEAN;
    return;
  case CL_VIRUS: {
    const char *name = virname ? virname : scan->found;
    if (scan->member_size > 0 && (name == NULL || strcmp(name, INSPECTION_NAME) == 0)) {
      set_limit_hit(engine, "MaxFileSize", result);
      g_free(result->detail);
      result->detail = g_strdup_printf("too big to scan: an archive member of at least %"
                                       G_GUINT64_FORMAT " bytes, over max_filesize (%"
                                       G_GUINT64_FORMAT " bytes)",
                                       scan->member_size, engine->limits.max_filesize);
    } else if (name == NULL)
      set_error(result, g_strdup("libclamav reported a detection without naming it"));
    else if (g_str_has_prefix(name, LIMIT_PREFIX))
      set_limit_hit(engine, name + strlen(LIMIT_PREFIX), result);
    else {
      result->verdict = MUGAI_SCAN_INFECTED;
      result->signature = g_strdup(name);
    }
    return;
  }
  case CL_ETIMEOUT: /* the error codes of a limit, should one ever reach the caller */
    set_limit_hit(engine, "MaxScanTime", result);
    return;
  case CL_EMAXSIZE:
    set_limit_hit(engine, "MaxScanSize", result);
    return;
  case CL_EMAXFILES:
    set_limit_hit(engine, "MaxFiles", result);
    return;
  case CL_EMAXREC:
    set_limit_hit(engine, "MaxRecursion", result);
    return;
  default:
    set_error(result, g_strdup_printf("scan failed: %s%s%s", cl_strerror(rc),
                                      scan->messages->len ? ": " : "", scan->messages->str));
  }
}

/* What every scan checks before libclamav runs: FALSE when RESULT already holds the answer. */
static gboolean
may_scan(mugai_scan_engine *engine, guint64 len, mugai_scan_result *result)
{
  mugai_scan_result_clear(result);
  char *too_old =
      mugai_scan_age_problem(engine->signature_source, engine->info.signature_time,
                             engine->max_signature_age);
  if (too_old != NULL) {
    set_error(result, too_old);
    return FALSE;
  }
  if (len > engine->limits.max_filesize) { /* libclamav gives this one no name: say it here */
    set_limit_hit(engine, "MaxFileSize", result);
    return FALSE;
  }
  if (len == 0) { /* nothing to hide in, and libclamav's maps refuse it */
    result->verdict = MUGAI_SCAN_CLEAN;
    return FALSE;
  }
  return TRUE;
}

/* Scans MAP (closed here) into RESULT. */
static void
scan_map(mugai_scan_engine *engine, cl_fmap_t *map, const char *name, mugai_scan_result *result)
{
  if (map == NULL) {
    set_error(result, g_strdup("scan failed: cannot map the data for libclamav"));
    return;
  }
  /* clamd's defaults (every parser, heuristic alerts) plus alerts on limits: a part that cannot
   * be scanned to the end is not clean. */
  struct cl_scan_options options = {
      .general = CL_SCAN_GENERAL_HEURISTICS,
      .parse = ~0u,
      .heuristic = CL_SCAN_HEURISTIC_EXCEEDS_MAX,
  };
  scan_context scan = {.messages = g_string_new(NULL), .member_max = engine->limits.max_filesize};
  const char *virname = NULL;
  unsigned long scanned = 0;
  cl_error_t rc = cl_scanmap_callback(map, name, &virname, &scanned, engine->cl, &options, &scan);
  set_verdict(engine, rc, virname, &scan, result); /* virname may live in the map: copy first */
  cl_fmap_close(map);
  g_string_free(scan.messages, TRUE);
  g_free(scan.found);
}

static void
engine_scan(gpointer ctx, const guint8 *data, gsize len, const char *name,
            mugai_scan_result *result)
{
  mugai_scan_engine *engine = ctx;
  if (may_scan(engine, len, result))
    scan_map(engine, cl_fmap_open_memory(data, len), name, result);
}

/* libclamav's reader for a map over a file: HANDLE points to the descriptor. */
static off_t
read_fd(void *handle, void *buf, size_t count, off_t offset)
{
  ssize_t n;
  do
    n = pread(*(const int *) handle, buf, count, offset);
  while (n < 0 && errno == EINTR);
  return n;
}

/* Up to this size a file is mapped and scanned in place. libclamav's own map over a descriptor
 * gives pages back only past 8 MB (UNPAGE_THRSHLD_HI in its fmap.c), so below that it holds the
 * whole file anyway, in anonymous pages it faults in, zeroes and fills with pread (on the mix of
 * bench/compare 2.5 % of mugai-milter's CPU went to those copies alone). A mapping of the spool
 * file shares the page cache's pages instead. */
#define MAP_IN_PLACE_MAX ((guint64) 8 << 20)

/* A map over the file with aging: libclamav reads the pages it needs and gives old ones back,
 * so a large part is not resident whole (40 MB: 19 MB at the peak, against 41 MB mapped). A
 * smaller one is mapped read-only and scanned as memory (if it cannot be, through the reader).
 * A file shorter than LEN is an error: libclamav takes a short read at the end for the end of
 * the file and answers clean, and a mapping past the end would fault. */
static void
engine_scan_fd(gpointer ctx, int fd, guint64 len, const char *name, mugai_scan_result *result)
{
  mugai_scan_engine *engine = ctx;
  if (!may_scan(engine, len, result))
    return;
  struct stat st;
  if (fstat(fd, &st) != 0 || (guint64) st.st_size < len) {
    set_error(result, g_strdup("scan failed: the file holds fewer bytes than the part"));
    return;
  }
  void *mapped = len <= MAP_IN_PLACE_MAX ? mmap(NULL, (size_t) len, PROT_READ, MAP_PRIVATE, fd, 0)
                                         : MAP_FAILED;
  if (mapped == MAP_FAILED) {
    scan_map(engine, cl_fmap_open_handle(&fd, 0, (size_t) len, read_fd, 1), name, result);
    return;
  }
  scan_map(engine, cl_fmap_open_memory(mapped, (size_t) len), name, result);
  munmap(mapped, (size_t) len);
}

static const mugai_scanner_vtable clamav_vtable = {
    .scan = engine_scan,
    .scan_fd = engine_scan_fd,
    .get_info = engine_get_info,
    .ref = engine_ref,
    .unref = engine_unref,
};

/* ---- loading ---- */

static gboolean
set_limits(mugai_scan_engine *engine, const mugai_clamav_limits *want, GError **error)
{
  static const struct {
    enum cl_engine_field field;
    gsize offset;
    gboolean wide;
    const char *name;
  } fields[] = {
      {CL_ENGINE_MAX_FILESIZE, G_STRUCT_OFFSET(mugai_clamav_limits, max_filesize), TRUE,
       "max_filesize"},
      {CL_ENGINE_MAX_SCANSIZE, G_STRUCT_OFFSET(mugai_clamav_limits, max_scansize), TRUE,
       "max_scansize"},
      {CL_ENGINE_MAX_RECURSION, G_STRUCT_OFFSET(mugai_clamav_limits, max_recursion), FALSE,
       "max_recursion"},
      {CL_ENGINE_MAX_FILES, G_STRUCT_OFFSET(mugai_clamav_limits, max_files), FALSE, "max_files"},
      {CL_ENGINE_MAX_SCANTIME, G_STRUCT_OFFSET(mugai_clamav_limits, max_scantime_ms), FALSE,
       "max_scantime"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(fields); i++) {
    const guint8 *src = (const guint8 *) want + fields[i].offset;
    guint8 *dst = (guint8 *) &engine->limits + fields[i].offset;
    guint64 value = fields[i].wide ? *(const guint64 *) src : *(const guint32 *) src;
    gboolean filesize = fields[i].field == CL_ENGINE_MAX_FILESIZE;
    /* mugai's own file limit leaves libclamav MEMBER_SLACK above it, even at libclamav's cap. */
    guint64 own = filesize ? MIN(value, (guint64) CLAMAV_FILESIZE_MAX - MEMBER_SLACK) : 0;
    if (filesize && value != 0)
      value = own + MEMBER_SLACK;
    if (value > (guint64) G_MAXINT64 ||
        (value != 0 &&
         cl_engine_set_num(engine->cl, fields[i].field, (long long) value) != CL_SUCCESS)) {
      g_set_error(error, MUGAI_SCAN_ERROR_DOMAIN, MUGAI_SCAN_ERROR_LIMITS,
                  "libclamav refused %s = %" G_GUINT64_FORMAT, fields[i].name, value);
      return FALSE;
    }
    int err = CL_SUCCESS; /* read back: the values in force, defaults included, for the details */
    long long held = cl_engine_get_num(engine->cl, fields[i].field, &err);
    if (filesize) /* mugai's own limit, for the checks and the details */
      *(guint64 *) dst = own != 0 ? own : (guint64) MAX(held - MEMBER_SLACK, 0);
    else if (fields[i].wide)
      *(guint64 *) dst = (guint64) MAX(held, 0);
    else
      *(guint32 *) dst = (guint32) CLAMP(held, 0, G_MAXUINT32);
  }
  return TRUE;
}

/* cl_load() and cl_engine_compile(), with libclamav's messages caught for the error. */
static gboolean
load_signatures(mugai_scan_engine *engine, const char *dir, GError **error)
{
  g_autoptr(GString) messages = g_string_new(NULL);
  g_private_set(&load_messages, messages);
  unsigned int signo = 0;
  cl_error_t rc = cl_load(dir, engine->cl, &signo, CL_DB_STDOPT);
  int code = MUGAI_SCAN_ERROR_LOAD_FAILED;
  const char *what = "cannot load signatures from";
  if (rc == CL_SUCCESS) {
    code = MUGAI_SCAN_ERROR_COMPILE_FAILED;
    what = "cannot compile the signatures from";
    rc = cl_engine_compile(engine->cl);
  }
  g_private_set(&load_messages, NULL);
  if (rc != CL_SUCCESS) {
    g_set_error(error, MUGAI_SCAN_ERROR_DOMAIN, code, "%s %s: %s%s%s", what, dir, cl_strerror(rc),
                messages->len ? ": " : "", messages->str);
    return FALSE;
  }
  engine->info.signatures = signo;
  return TRUE;
}

mugai_scanner *
mugai_clamav_new(const mugai_clamav_config *config, GError **error)
{
  g_return_val_if_fail(config != NULL && config->database_dir != NULL, NULL);
  if (!clamav_init(error))
    return NULL;
  g_autoptr(mugai_scan_engine) engine = g_new0(mugai_scan_engine, 1);
  g_atomic_ref_count_init(&engine->refs);
  engine->scanner.vtable = &clamav_vtable;
  engine->scanner.ctx = engine;
  engine->max_signature_age = config->max_signature_age;
  /* The age first: it reads only headers, and an old database is refused before the costly load. */
  if (!mugai_clamav_signature_time(config->database_dir, &engine->info.signature_time,
                                   &engine->signature_source, error))
    return NULL;
  char *too_old =
      mugai_scan_age_problem(engine->signature_source, engine->info.signature_time,
                             config->max_signature_age);
  if (too_old != NULL) {
    g_set_error(error, MUGAI_SCAN_ERROR_DOMAIN, MUGAI_SCAN_ERROR_TOO_OLD, "%s (in %s)", too_old,
                config->database_dir);
    g_free(too_old);
    return NULL;
  }
  engine->cl = cl_engine_new();
  if (engine->cl == NULL) {
    g_set_error(error, MUGAI_SCAN_ERROR_DOMAIN, MUGAI_SCAN_ERROR_INIT, "libclamav cl_engine_new failed");
    return NULL;
  }
  if (config->temp_dir != NULL) {
    if (g_access(config->temp_dir, W_OK | X_OK) != 0) {
      g_set_error(error, MUGAI_SCAN_ERROR_DOMAIN, MUGAI_SCAN_ERROR_INIT,
                  "temp_dir %s cannot be written: %s", config->temp_dir, g_strerror(errno));
      return NULL;
    }
    if (cl_engine_set_str(engine->cl, CL_ENGINE_TMPDIR, config->temp_dir) != CL_SUCCESS) {
      g_set_error(error, MUGAI_SCAN_ERROR_DOMAIN, MUGAI_SCAN_ERROR_LIMITS,
                  "libclamav refused temp_dir %s", config->temp_dir);
      return NULL;
    }
  }
  cl_engine_set_clcb_virus_found(engine->cl, on_virus_found);
  cl_engine_set_clcb_file_inspection(engine->cl, on_file_inspection);
  if (!set_limits(engine, &config->limits, error) ||
      !load_signatures(engine, config->database_dir, error))
    return NULL;
  engine->engine_name = g_strconcat("ClamAV ", cl_retver(), NULL);
  engine->info.engine = engine->engine_name;
  engine->info.signature_source = engine->signature_source;
  engine->freed = config->freed; /* only now: a failed load frees without telling */
  engine->freed_data = config->freed_data;
  mugai_scan_engine *done = g_steal_pointer(&engine);
  return &done->scanner;
}
