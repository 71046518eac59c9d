/* temp_tree.h — rm -r for the temporary directories the unit tests make (a test's own tree:
 * symbolic links are removed, never followed). Header-only, like scan_test_db.h: each
 * tests/unit/test_*.c is its own program. */
#pragma once
#include <glib.h>
#include <glib/gstdio.h>

static void
temp_tree_remove(const char *path)
{
  GDir *d = g_dir_open(path, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name(d)) != NULL) {
    g_autofree char *child = g_build_filename(path, name, NULL);
    if (g_file_test(child, G_FILE_TEST_IS_DIR) && !g_file_test(child, G_FILE_TEST_IS_SYMLINK))
      temp_tree_remove(child);
    else
      g_unlink(child);
  }
  if (d)
    g_dir_close(d);
  g_rmdir(path);
}
