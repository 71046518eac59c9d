/* converter_worker.c — the converter interface on mugai-convert workers (see converter_worker.h).
 *
 * Owns: the program path and the count of workers running. Never: more workers at once than
 * allowed, or a wait for a slot that outlasts the file's timeout.
 */
#include "convert/converter_worker.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "convert/convert_client.h"

typedef struct {
  mugai_converter converter; /* first: the interface handed out */
  char *program;
  guint max_workers;
  GMutex lock;
  GCond freed;   /* signalled when a worker ends */
  guint running;
} worker_converter;

char *
mugai_converter_worker_program(const char *configured)
{
  if (configured && *configured)
    return g_strdup(configured);
  g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
  if (self) {
    g_autofree char *dir = g_path_get_dirname(self);
    g_autofree char *beside = g_build_filename(dir, "mugai-convert", NULL);
    if (g_file_test(beside, G_FILE_TEST_IS_EXECUTABLE))
      return g_steal_pointer(&beside);
  }
  return g_strdup(MUGAI_CONVERT_PROGRAM);
}

/* A slot for one worker, waited for until DEADLINE (monotonic µs). */
static gboolean
take_slot(worker_converter *wc, gint64 deadline)
{
  g_mutex_lock(&wc->lock);
  gboolean ok = TRUE;
  while (ok && wc->running >= wc->max_workers)
    ok = g_cond_wait_until(&wc->freed, &wc->lock, deadline);
  if (ok)
    wc->running++;
  g_mutex_unlock(&wc->lock);
  return ok;
}

static void
give_slot(worker_converter *wc)
{
  g_mutex_lock(&wc->lock);
  wc->running--;
  g_cond_signal(&wc->freed);
  g_mutex_unlock(&wc->lock);
}

/* A slot and the client's options for one worker within LIMITS; FALSE with *FAILURE when no
 * slot came free in the file's time (then no slot is held). */
static gboolean
start(worker_converter *wc, const mugai_conversion_limits *limits, mugai_convert_client_options *o,
      char **failure)
{
  gint64 t0 = g_get_monotonic_time();
  if (!take_slot(wc, t0 + (gint64) limits->timeout_ms * 1000)) {
    *failure = g_strdup_printf("timeout after %" G_GUINT64_FORMAT " ms waiting for a free "
                               "worker ([convert] workers = %u)", limits->timeout_ms,
                               wc->max_workers);
    return FALSE;
  }
  guint64 waited_ms = (guint64) (g_get_monotonic_time() - t0) / 1000;
  mugai_convert_client_options_init(o);
  o->program = wc->program;
  o->timeout_ms = (guint) MAX(limits->timeout_ms - MIN(waited_ms, limits->timeout_ms), 1);
  o->cpu_seconds = limits->cpu_seconds;
  o->memory_mb = limits->memory_mb;
  o->limits = (mugai_convert_limits){
    .max_output = limits->max_output, .max_expanded = limits->max_expanded,
    .max_member = limits->max_member, .max_entries = limits->max_entries,
    .max_depth = limits->max_depth, .max_xml_depth = limits->max_xml_depth,
    .max_pages = limits->max_pages, .max_cells = limits->max_cells,
  };
  return TRUE;
}

static void
convert(gpointer ctx, const guint8 *data, gsize len, const char *mime, const char *name,
        const mugai_conversion_limits *limits, mugai_conversion *out)
{
  worker_converter *wc = ctx;
  mugai_convert_client_options o;
  if (!start(wc, limits, &o, &out->failure))
    return;
  g_autoptr(mugai_convert_outcome) r = mugai_convert_run(&o, data, len, mime, name);
  give_slot(wc);
  out->kind = g_strdup(r->kind);
  out->unit = g_strdup(r->unit);
  out->count = r->count;
  out->warnings = r->warnings;
  if (r->status == MUGAI_CONVERT_DONE) {
    out->done = TRUE;
    out->text = g_steal_pointer(&r->text);
  } else {
    out->failure = g_strdup(r->reason ? r->reason : mugai_convert_status_name(r->status));
  }
}

/* PPAP: the same slots and limits as a conversion; the outcome's answer handed over whole. */
static void
unlock(gpointer ctx, const guint8 *data, gsize len, const char *const *passwords,
       const mugai_conversion_limits *limits, mugai_unlock *out)
{
  worker_converter *wc = ctx;
  mugai_convert_client_options o;
  if (!start(wc, limits, &o, &out->failure)) {
    out->status = MUGAI_UNLOCK_FAILED;
    out->password_index = -1;
    return;
  }
  g_autoptr(mugai_unlock_outcome) r = mugai_convert_unlock_run(&o, data, len, passwords);
  give_slot(wc);
  mugai_unlock_clear(out);
  *out = r->unlock;
  r->unlock = (mugai_unlock){.password_index = -1};
}

static const mugai_converter_vtable worker_vtable = {.convert = convert, .unlock = unlock};

mugai_converter *
mugai_converter_worker_new(const char *program, guint max_workers, GError **error)
{
  g_return_val_if_fail(program != NULL, NULL);
  if (!g_path_is_absolute(program) || access(program, X_OK) != 0) {
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno ? errno : ENOENT),
                "cannot run the converter %s: %s", program,
                g_path_is_absolute(program) ? g_strerror(errno) : "not an absolute path");
    return NULL;
  }
  worker_converter *wc = g_new0(worker_converter, 1);
  wc->converter = (mugai_converter){.vtable = &worker_vtable, .ctx = wc};
  wc->program = g_strdup(program);
  wc->max_workers = MAX(max_workers, 1u);
  g_mutex_init(&wc->lock);
  g_cond_init(&wc->freed);
  return &wc->converter;
}

void
mugai_converter_worker_free(mugai_converter *converter)
{
  if (converter == NULL)
    return;
  worker_converter *wc = converter->ctx;
  g_free(wc->program);
  g_mutex_clear(&wc->lock);
  g_cond_clear(&wc->freed);
  g_free(wc);
}
