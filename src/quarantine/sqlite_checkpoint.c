/* sqlite_checkpoint.c — WAL checkpoints of a long-running writer on a thread of their own (see
 * sqlite_store.h).
 *
 * Why: with the originals in the index a checkpoint copies megabytes into the database file and
 * fsyncs it. Run by SQLite inside a COMMIT (its default, every 1000 pages), it held the group
 * commit, so every message waiting behind it waited too: batches of ten answered 100-250 ms late
 * under load (mugai-milter's ms= on bench/compare's synthetic load). A PASSIVE checkpoint on
 * another connection runs beside the writer's commits instead.
 *
 * Owns: its thread and its connection; the writer's connection only lends it a hook.
 */
#include "quarantine/sqlite_store.h"

#define CHECKPOINT_FRAMES 1000 /* SQLite's own default for an automatic checkpoint */
#define CHECKPOINT_IDLE_S 10   /* a look anyway: `mugai quarantine` commands write too */

struct mugai_sqlite_checkpointer {
  sqlite3 *db; /* its own connection to the index */
  GThread *thread;
  GMutex lock; /* guards due and stop */
  GCond wake;
  gboolean due;  /* the writer's WAL has CHECKPOINT_FRAMES frames or more */
  gboolean stop;
};

/* sqlite3_wal_hook: after each commit of the writer, FRAMES in its WAL. */
static int
on_commit(void *data, sqlite3 *db, const char *name, int frames)
{
  (void) db;
  (void) name;
  mugai_sqlite_checkpointer *c = data;
  if (frames >= CHECKPOINT_FRAMES) {
    g_mutex_lock(&c->lock);
    c->due = TRUE;
    g_cond_signal(&c->wake);
    g_mutex_unlock(&c->lock);
  }
  return SQLITE_OK;
}

static gpointer
run(gpointer data)
{
  mugai_sqlite_checkpointer *c = data;
  g_mutex_lock(&c->lock);
  while (!c->stop) {
    gint64 until = g_get_monotonic_time() + CHECKPOINT_IDLE_S * G_TIME_SPAN_SECOND;
    while (!c->due && !c->stop && g_cond_wait_until(&c->wake, &c->lock, until))
      ;
    if (c->stop)
      break;
    c->due = FALSE;
    g_mutex_unlock(&c->lock);
    /* PASSIVE: copies what no reader still needs, never waits, never blocks a writer; a failure
     * (a reader, a full disk) only leaves the WAL longer until the next one. */
    sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    g_mutex_lock(&c->lock);
  }
  g_mutex_unlock(&c->lock);
  return NULL;
}

mugai_sqlite_checkpointer *
mugai_sqlite_checkpointer_start(sqlite3 *writer, const char *index, GError **error)
{
  g_autoptr(GError) local = NULL;
  sqlite3 *db = mugai_qindex_open(index, FALSE, &local);
  if (db == NULL) {
    mugai_sqlite_fail(error, MUGAI_QUARANTINE_ERROR_INDEX, "%s", local->message);
    return NULL;
  }
  mugai_sqlite_checkpointer *c = g_new0(mugai_sqlite_checkpointer, 1);
  c->db = db;
  g_mutex_init(&c->lock);
  g_cond_init(&c->wake);
  c->thread = g_thread_new("mugai-checkpoint", run, c);
  sqlite3_wal_hook(writer, on_commit, c); /* replaces SQLite's automatic checkpoints */
  return c;
}

void
mugai_sqlite_checkpointer_stop(mugai_sqlite_checkpointer *c, sqlite3 *writer)
{
  if (c == NULL)
    return;
  sqlite3_wal_autocheckpoint(writer, CHECKPOINT_FRAMES); /* SQLite's hook back, ours gone */
  g_mutex_lock(&c->lock);
  c->stop = TRUE;
  g_cond_signal(&c->wake);
  g_mutex_unlock(&c->lock);
  g_thread_join(c->thread);
  mugai_qindex_close(c->db);
  g_cond_clear(&c->wake);
  g_mutex_clear(&c->lock);
  g_free(c);
}
