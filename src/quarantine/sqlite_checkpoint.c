/* sqlite_checkpoint.c — WAL checkpoints of a long-running writer on a thread of their own (see
 * sqlite_store.h).
 *
 * Why: with the originals in the index a checkpoint copies megabytes into the database file and
 * fsyncs it. Run by SQLite inside a COMMIT (its default, every 1000 pages), it held the group
 * commit, so every message waiting behind it waited too: batches of ten answered 100-250 ms late
 * under load (mugai-milter's ms= on bench/compare's synthetic load). A PASSIVE checkpoint on
 * another connection runs beside the writer's commits instead, once per CHECKPOINT_FRAMES new
 * frames. A PASSIVE one never lets the WAL start over while writes go on, so past WAL_MAX_FRAMES
 * the pass is a RESTART: the writers wait only for the tail the passes before left (and one
 * fsync), never longer than RESTART_WAIT_MS for a reader (then it is tried again later).
 *
 * Owns: its thread and its connection; the writer's connection only lends it a hook.
 */
#include "quarantine/sqlite_store.h"

#define CHECKPOINT_FRAMES 1000 /* SQLite's own default for an automatic checkpoint */
#define CHECKPOINT_IDLE_S 10   /* a look anyway: `mugai quarantine` commands write too */
#define WAL_MAX_FRAMES 4096    /* 16 MB of WAL, its journal_size_limit (index.c) */
#define RESTART_WAIT_MS 200    /* a RESTART waits this long for readers, writers behind it */

struct mugai_sqlite_checkpointer {
  sqlite3 *db; /* its own connection to the index */
  GThread *thread;
  GMutex lock; /* guards due and stop */
  GCond wake;
  gboolean due;  /* CHECKPOINT_FRAMES frames were added since the last pass */
  gboolean stop;
  int last_log; /* frames in the WAL at the last pass */
};

/* sqlite3_wal_hook: after each commit of the writer, FRAMES in its WAL. */
static int
on_commit(void *data, sqlite3 *db, const char *name, int frames)
{
  (void) db;
  (void) name;
  mugai_sqlite_checkpointer *c = data;
  g_mutex_lock(&c->lock);
  int added = frames < c->last_log ? frames : frames - c->last_log; /* started over, or grew */
  if (added >= CHECKPOINT_FRAMES && !c->due) {
    c->due = TRUE;
    g_cond_signal(&c->wake);
  }
  g_mutex_unlock(&c->lock);
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
    int mode = c->last_log >= WAL_MAX_FRAMES ? SQLITE_CHECKPOINT_RESTART : SQLITE_CHECKPOINT_PASSIVE;
    g_mutex_unlock(&c->lock);
    /* PASSIVE copies what no reader still needs, never waits, never blocks a writer; a failure
     * (a reader, a full disk) only leaves the WAL longer until the next pass. */
    int log = -1;
    sqlite3_wal_checkpoint_v2(c->db, NULL, mode, &log, NULL);
    g_mutex_lock(&c->lock);
    if (log >= 0)
      c->last_log = log;
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
  sqlite3_busy_timeout(db, RESTART_WAIT_MS);
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
