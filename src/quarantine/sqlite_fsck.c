/* sqlite_fsck.c — the SQLite backend's fsck: entries against their originals, in the index or as
 * an older mugai's files (see sqlite_store.h), its findings told in a neutral report (fsck.h). Owns its counts until they go to the report. */
#include "quarantine/sqlite_store.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "quarantine/original_codec.h"
#include "quarantine/quarantine_id.h"

/* What this fsck counts (named in the report as these fields are). */
typedef struct {
  guint64 files;             /* originals found, in the index or as files */
  guint64 rows;              /* entries in the index */
  guint64 temp_removed;      /* temp files removed */
  guint64 orphans_removed;   /* files without a row, removed */
  guint64 lost_rows_removed; /* entries without an original, removed */
  guint64 size_mismatches;   /* originals whose size differs from their entry (kept) */
  guint64 strangers;         /* files in objects/ that are not originals (kept) */
  guint64 owners_wrong;      /* group or mode not the store's (fixed when repairing, if may) */
  guint64 owners_unfixed;    /* of those, what this run may not or could not fix */
  mugai_quarantine_fsck_report *report;
} fsck_run;

#define say(r, ...) mugai_quarantine_fsck_report_say((r)->report, __VA_ARGS__)

/* The size of the original in the row of load_rows()'s query: its blob's, or what its zstd frame
 * records (-1 when the frame's header is damaged: a mismatch). Decoding it whole is left to a
 * read, which verifies its checksum. */
static gint64
stored_size(sqlite3_stmt *st)
{
  if (sqlite3_column_int(st, 3) != MUGAI_ORIGINAL_ZSTD)
    return sqlite3_column_int64(st, 2);
  const guint8 *head = sqlite3_column_blob(st, 4);
  return head ? mugai_original_frame_size(head, (gsize) sqlite3_column_bytes(st, 4)) : -1;
}

/* Each entry against its original in the index: counted, sizes compared. Returns id → size of the
 * entries whose original is not in the index (an older mugai's file, or lost); R->rows set. */
static GHashTable *
load_rows(sqlite3 *db, fsck_run *r, GError **error)
{
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db,
                         /* substr() loads the whole blob: only a frame's, for its header */
                         "SELECT e.id, e.size, length(o.data), o.codec,"
                         " CASE WHEN o.codec = 1 THEN substr(o.data, 1, 18) END"
                         " FROM entry e LEFT JOIN original o ON o.entry_id = e.id",
                         -1, &st, NULL) != SQLITE_OK) {
    g_set_error(error, MUGAI_QUARANTINE_ERROR, MUGAI_QUARANTINE_ERROR_INDEX, "index: %s",
                sqlite3_errmsg(db));
    return NULL;
  }
  GHashTable *rows = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  while (sqlite3_step(st) == SQLITE_ROW) {
    const char *id = (const char *) sqlite3_column_text(st, 0);
    gint64 size = sqlite3_column_int64(st, 1);
    r->rows++;
    if (sqlite3_column_type(st, 2) == SQLITE_NULL) {
      g_hash_table_insert(rows, g_strdup(id), g_memdup2(&size, sizeof size));
      continue;
    }
    r->files++;
    gint64 stored = stored_size(st);
    if (stored != size) {
      r->size_mismatches++;
      say(r, "%s: its original holds %" G_GINT64_FORMAT " bytes, the entry says %" G_GINT64_FORMAT
          " (left alone)", id, stored, size);
    }
  }
  sqlite3_finalize(st);
  return rows;
}

/* "mugai:mugai", numbers for ids without a name. */
static char *
owner_name(gint64 uid, gint64 gid)
{
  struct passwd *pw = uid >= 0 ? getpwuid((uid_t) uid) : NULL;
  struct group *gr = gid >= 0 ? getgrgid((gid_t) gid) : NULL;
  g_autofree char *user = pw ? g_strdup(pw->pw_name) : g_strdup_printf("%" G_GINT64_FORMAT, uid);
  g_autofree char *group = gr ? g_strdup(gr->gr_name) : g_strdup_printf("%" G_GINT64_FORMAT, gid);
  return g_strdup_printf("%s:%s", user, group);
}

/* PATH (ST) against the store's group and MODE, what lets the milter and the group use it after
 * a umask, an older mugai or an admin's cp; its user may be any (a member's own command made
 * it). Root fixes it, giving it to the store's user too; the file's own user can fix a mode. */
static void
check_owner(mugai_sqlite_store *q, const char *path, const struct stat *st, guint mode,
            gboolean repair, fsck_run *r)
{
  const mugai_durable_owner *o = &q->owner;
  gboolean group_ok = o->gid < 0 || st->st_gid == (gid_t) o->gid;
  if ((st->st_mode & 07777) == mode && group_ok)
    return;
  r->owners_wrong++;
  gboolean may = geteuid() == 0 || (group_ok && st->st_uid == geteuid());
  g_autoptr(GError) local = NULL;
  g_autofree char *done = NULL;
  if (!may)
    done = g_strdup(" (only root may fix it)");
  else if (!repair)
    done = g_strdup("");
  else if (mugai_durable_settle(path, o, mode, &local))
    done = g_strdup(", fixed");
  else
    done = g_strdup_printf(", not fixed: %s", local->message);
  if (!may || local != NULL)
    r->owners_unfixed++;
  g_autofree char *is = owner_name(st->st_uid, st->st_gid);
  g_autofree char *want = owner_name(o->uid, o->gid);
  say(r, "%s: owned by %s, mode %04o; the store's are %s, mode %04o%s", path, is,
      (unsigned) (st->st_mode & 07777), want, mode, done);
}

/* A directory of the store (not followed when a symlink). */
static void
check_dir(mugai_sqlite_store *q, const char *path, gboolean repair, fsck_run *r)
{
  struct stat st;
  if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
    check_owner(q, path, &st, MUGAI_DURABLE_DIR_MODE, repair, r);
}

/* The index and its -wal and -shm files (this fsck holds the index open, so they exist). */
static void
check_index_files(mugai_sqlite_store *q, gboolean repair, fsck_run *r)
{
  static const char *const suffixes[] = {"", "-wal", "-shm"};
  for (gsize i = 0; i < G_N_ELEMENTS(suffixes); i++) {
    g_autofree char *path = g_strconcat(q->dir, "/" MUGAI_QINDEX_FILE,
                                        suffixes[i], NULL);
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISREG(st.st_mode))
      check_owner(q, path, &st, MUGAI_QINDEX_MODE, repair, r);
  }
}

static gboolean
young(const struct stat *st, gint64 now, gint64 grace)
{
  return st->st_mtime > now - grace;
}

static void
check_temp(mugai_sqlite_store *q, gint64 now, gint64 grace, gboolean repair,
           fsck_run *r)
{
  g_autofree char *tmp = g_build_filename(q->dir, "tmp", NULL);
  check_dir(q, tmp, repair, r);
  g_autoptr(GDir) d = g_dir_open(tmp, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name(d)) != NULL) {
    g_autofree char *path = g_build_filename(tmp, name, NULL);
    struct stat st;
    if (stat(path, &st) != 0 || young(&st, now, grace))
      continue;
    if (repair && unlink(path) != 0)
      continue;
    r->temp_removed++;
    say(r, "%s: temp file of an unfinished store%s", path, repair ? ", removed" : "");
  }
}

/* One file under objects/ (an older mugai's): counted, matched against its row (taken out of
 * ROWS: the entries whose original is not in the index). */
static void
check_file(mugai_sqlite_store *q, const char *path, const char *name, GHashTable *rows, gint64 now,
           gint64 grace, gboolean repair, fsck_run *r)
{
  struct stat st;
  if (lstat(path, &st) != 0)
    return;
  if (!S_ISREG(st.st_mode) || !mugai_quarantine_id_valid(name)) {
    r->strangers++;
    say(r, "%s: not an original of this store (left alone)", path);
    return;
  }
  r->files++;
  gint64 *size = g_hash_table_lookup(rows, name);
  if (size != NULL) {
    if (*size != (gint64) st.st_size) {
      r->size_mismatches++;
      say(r, "%s: %lld bytes, the index says %" G_GINT64_FORMAT " (left alone)", path,
          (long long) st.st_size, *size);
    }
    g_hash_table_remove(rows, name);
    check_owner(q, path, &st, MUGAI_DURABLE_FILE_MODE, repair, r);
    return;
  }
  if (young(&st, now, grace))
    return;
  if (repair && unlink(path) != 0)
    return;
  r->orphans_removed++;
  say(r, "%s: no index row (a store or delete that did not finish)%s", path,
      repair ? ", removed" : "");
}

static void
walk_objects(mugai_sqlite_store *q, GHashTable *rows, gint64 now, gint64 grace, gboolean repair,
             fsck_run *r)
{
  g_autofree char *objects = g_build_filename(q->dir, "objects", NULL);
  check_dir(q, objects, repair, r);
  g_autoptr(GDir) top = g_dir_open(objects, 0, NULL);
  const char *a, *b, *name;
  while (top && (a = g_dir_read_name(top)) != NULL) {
    g_autofree char *da = g_build_filename(objects, a, NULL);
    check_dir(q, da, repair, r);
    g_autoptr(GDir) mid = g_dir_open(da, 0, NULL);
    while (mid && (b = g_dir_read_name(mid)) != NULL) {
      g_autofree char *db = g_build_filename(da, b, NULL);
      check_dir(q, db, repair, r);
      g_autoptr(GDir) leaf = g_dir_open(db, 0, NULL);
      while (leaf && (name = g_dir_read_name(leaf)) != NULL) {
        g_autofree char *path = g_build_filename(db, name, NULL);
        check_file(q, path, name, rows, now, grace, repair, r);
      }
    }
  }
}

/* The rows left in ROWS have no original, in the index or as a file. */
static gboolean
drop_lost_rows(mugai_sqlite_store *q, GHashTable *rows, gboolean repair,
               fsck_run *r, GError **error)
{
  sqlite3 *db = q->db;
  GHashTableIter it;
  gpointer id;
  g_hash_table_iter_init(&it, rows);
  while (g_hash_table_iter_next(&it, &id, NULL)) {
    g_autofree char *path = mugai_sqlite_store_path_of(q, id);
    if (access(path, F_OK) == 0)
      continue; /* stored while this fsck ran */
    r->lost_rows_removed++;
    say(r, "%s: in the index, but its original is missing (in the index and as %s)%s",
        (char *) id, path, repair ? "; entry removed" : "");
    if (!repair)
      continue;
    g_autoptr(GError) local = NULL;
    if (!mugai_qindex_exec(db, "BEGIN IMMEDIATE", &local) || !mugai_qindex_delete(db, id, &local) ||
        !mugai_qindex_audit_add(db, "fsck", id, "original missing", "", &local) ||
        !mugai_qindex_exec(db, "COMMIT", &local)) {
      mugai_qindex_exec(db, "ROLLBACK", NULL);
      g_set_error(error, MUGAI_QUARANTINE_ERROR, MUGAI_QUARANTINE_ERROR_INDEX, "%s",
                  local->message);
      return FALSE;
    }
  }
  return TRUE;
}

/* The counts into the report, and the line `mugai quarantine fsck` ends with. */
static void
finish_report(const fsck_run *r, gboolean repair)
{
  const struct {
    const char *name;
    guint64 n;
  } counts[] = {
      {"files", r->files},
      {"rows", r->rows},
      {"temp_removed", r->temp_removed},
      {"orphans_removed", r->orphans_removed},
      {"lost_rows_removed", r->lost_rows_removed},
      {"size_mismatches", r->size_mismatches},
      {"strangers", r->strangers},
      {"owners_wrong", r->owners_wrong},
      {"owners_unfixed", r->owners_unfixed},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(counts); i++)
    mugai_quarantine_fsck_report_set_count(r->report, counts[i].name, counts[i].n);
  r->report->left_to_admin = r->size_mismatches + r->strangers + r->owners_unfixed;
  r->report->entries_dropped = r->lost_rows_removed;
  g_free(r->report->summary);
  r->report->summary = g_strdup_printf(
      "%" G_GUINT64_FORMAT " originals, %" G_GUINT64_FORMAT " entries; %s %" G_GUINT64_FORMAT
      " entries without an original, %" G_GUINT64_FORMAT " temp files, %" G_GUINT64_FORMAT
      " files without an entry; %" G_GUINT64_FORMAT " size mismatches, %" G_GUINT64_FORMAT
      " strangers; %" G_GUINT64_FORMAT " owners or modes %s",
      r->files, r->rows, repair ? "removed" : "would remove", r->lost_rows_removed,
      r->temp_removed, r->orphans_removed, r->size_mismatches, r->strangers, r->owners_wrong,
      r->owners_unfixed ? "wrong (see above)" : repair ? "fixed" : "to fix");
}

gboolean
mugai_sqlite_store_fsck(mugai_sqlite_store *q, gint64 grace, gboolean repair,
                        mugai_quarantine_fsck_report *report, GError **error)
{
  fsck_run r = {.report = report};
  gint64 now = g_get_real_time() / G_USEC_PER_SEC;
  g_autoptr(GHashTable) rows = load_rows(q->db, &r, error);
  if (rows == NULL)
    return FALSE;
  check_index_files(q, repair, &r);
  check_temp(q, now, grace, repair, &r);
  walk_objects(q, rows, now, grace, repair, &r);
  gboolean ok = drop_lost_rows(q, rows, repair, &r, error);
  finish_report(&r, repair);
  return ok;
}
