/* notify.c — notification mails through sendmail (see notify.h).
 *
 * GLib's child watch reaps children from a main context the milter does not run, so the child is
 * spawned unreaped: each worker writes the mail to its stdin and waits for it itself (waitpid).
 */
#include "milter/notify.h"

#include <errno.h>
#include <sys/wait.h>
#include <unistd.h>
#include "milter/log.h"

#define WORKERS 2
#define QUEUED_MAX 100 /* more waiting than this: a storm of refusals; the rest are not sent */

typedef struct {
  char **argv;
  char *queue_id;
  char *rcpt;
  GByteArray *mail;
} job;

static GThreadPool *pool;

static void
job_free(job *j)
{
  g_strfreev(j->argv);
  g_free(j->queue_id);
  g_free(j->rcpt);
  g_byte_array_unref(j->mail);
  g_free(j);
}

static gboolean
write_all(int fd, const guint8 *data, gsize len)
{
  while (len > 0) {
    ssize_t n = write(fd, data, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return FALSE;
    data += n;
    len -= (gsize) n;
  }
  return TRUE;
}

static void
run_job(gpointer data, gpointer unused)
{
  (void) unused;
  job *j = data;
  GPid pid = 0;
  int in = -1;
  g_autoptr(GError) error = NULL;
  if (!g_spawn_async_with_pipes(NULL, j->argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD |
                                G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, &pid, &in, NULL, NULL,
                                &error)) {
    mugai_log_warning("%s: notification to <%s> not sent: %s", j->queue_id, j->rcpt,
                      error->message);
    job_free(j);
    return;
  }
  gboolean written = write_all(in, j->mail->data, j->mail->len);
  close(in);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    continue;
  g_spawn_close_pid(pid);
  if (written && WIFEXITED(status) && WEXITSTATUS(status) == 0)
    mugai_log_info("%s: notification sent to <%s>", j->queue_id, j->rcpt);
  else
    mugai_log_warning("%s: notification to <%s> not sent: %s exited with %d", j->queue_id,
                      j->rcpt, j->argv[0], WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  job_free(j);
}

void
mugai_notify_start(void)
{
  pool = g_thread_pool_new(run_job, NULL, WORKERS, FALSE, NULL);
}

void
mugai_notify_send(char *const *command, const char *queue_id, const char *rcpt, GByteArray *mail)
{
  if (pool == NULL || g_thread_pool_unprocessed(pool) >= QUEUED_MAX) {
    mugai_log_warning("%s: notification to <%s> not sent: %u notifications are waiting already",
                      queue_id, rcpt, pool ? g_thread_pool_unprocessed(pool) : 0);
    g_byte_array_unref(mail);
    return;
  }
  GStrvBuilder *argv = g_strv_builder_new();
  g_strv_builder_addv(argv, (const char **) command);
  const char *tail[] = {"-i", "-f", "<>", "--", rcpt, NULL};
  g_strv_builder_addv(argv, tail);
  job *j = g_new0(job, 1);
  j->argv = g_strv_builder_end(argv);
  g_strv_builder_unref(argv);
  j->queue_id = g_strdup(queue_id);
  j->rcpt = g_strdup(rcpt);
  j->mail = mail;
  g_thread_pool_push(pool, j, NULL);
}
