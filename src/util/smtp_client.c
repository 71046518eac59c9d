/* smtp_client.c — a minimal SMTP client over GIO (see smtp_client.h). Owns the connection of one
 * call. Never logs; never sends anything after a reply it did not expect but QUIT or RSET. */
#include "util/smtp_client.h"

#include <gio/gio.h>
#include <string.h>

#define REPLY_MAX 16384 /* a multi-line reply longer than this is not a server we talk to */

typedef struct {
  GSocketConnection *conn;
  GDataInputStream *in;
  GOutputStream *out;
  const char *server;
} session;

static gboolean
fail(GError **error, const char *server, const char *step, const char *why)
{
  g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "relay %s: %s: %s", server, step, why);
  return FALSE;
}

/* One reply (all its lines); *CODE its code. The text is the last line's. */
static char *
read_reply(session *s, int *code, GError **error)
{
  g_autoptr(GString) text = g_string_new(NULL);
  for (;;) {
    gsize len = 0;
    g_autoptr(GError) local = NULL;
    g_autofree char *line = g_data_input_stream_read_line(s->in, &len, NULL, &local);
    if (line == NULL) {
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s",
                  local ? local->message : "the server closed the connection");
      return NULL;
    }
    if (len && line[len - 1] == '\r')
      line[--len] = '\0';
    if (len < 3 || !g_ascii_isdigit(line[0]) || !g_ascii_isdigit(line[1]) ||
        !g_ascii_isdigit(line[2]) || text->len + len > REPLY_MAX) {
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "not an SMTP reply: %.80s", line);
      return NULL;
    }
    g_string_truncate(text, 0);
    g_string_append(text, line);
    if (len == 3 || line[3] != '-') {
      *code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
      return g_string_free(g_steal_pointer(&text), FALSE);
    }
  }
}

static gboolean
write_all(session *s, const void *data, gsize len, GError **error)
{
  return g_output_stream_write_all(s->out, data, len, NULL, NULL, error);
}

/* Send LINE (without CRLF; NULL: send nothing) and expect a reply of class WANT (2 or 3). */
static gboolean
step(session *s, const char *what, const char *line, int want, char **reply_out, GError **error)
{
  g_autoptr(GError) local = NULL;
  if (line != NULL) {
    g_autofree char *full = g_strconcat(line, "\r\n", NULL);
    if (!write_all(s, full, strlen(full), &local))
      return fail(error, s->server, what, local->message);
  }
  int code = 0;
  g_autofree char *reply = read_reply(s, &code, &local);
  if (reply == NULL)
    return fail(error, s->server, what, local->message);
  if (code / 100 != want)
    return fail(error, s->server, what, reply);
  if (reply_out)
    *reply_out = g_steal_pointer(&reply);
  return TRUE;
}

/* The message, dot-stuffed, each line ending in CRLF, then ".". */
static gboolean
send_data(session *s, const guint8 *message, gsize len, GError **error)
{
  g_autoptr(GString) buf = g_string_sized_new(MIN(len + len / 32 + 8, 1 << 20));
  gboolean line_start = TRUE;
  for (gsize i = 0; i < len; i++) {
    char c = (char) message[i];
    if (line_start && c == '.')
      g_string_append_c(buf, '.');
    if (c == '\n' && (i == 0 || message[i - 1] != '\r'))
      g_string_append_c(buf, '\r'); /* a bare LF: SMTP lines end in CRLF */
    g_string_append_c(buf, c);
    line_start = c == '\n';
    if (buf->len >= (1 << 20) && !write_all(s, buf->str, buf->len, error))
      return FALSE;
    if (buf->len >= (1 << 20))
      g_string_truncate(buf, 0);
  }
  if (!line_start)
    g_string_append(buf, "\r\n");
  g_string_append(buf, ".\r\n");
  return write_all(s, buf->str, buf->len, error);
}

static gboolean
transaction(session *s, const char *sender, const char *const *rcpts, const guint8 *message,
            gsize len, char **reply, GError **error)
{
  g_autofree char *ehlo_reply = NULL;
  if (!step(s, "greeting", NULL, 2, NULL, error) ||
      !step(s, "EHLO", "EHLO mugai-release", 2, &ehlo_reply, error))
    return FALSE;
  g_autofree char *mail = g_strdup_printf("MAIL FROM:<%s>", sender);
  if (!step(s, "MAIL FROM", mail, 2, NULL, error))
    return FALSE;
  for (gsize i = 0; rcpts[i]; i++) {
    g_autofree char *rcpt = g_strdup_printf("RCPT TO:<%s>", rcpts[i]);
    if (!step(s, "RCPT TO", rcpt, 2, NULL, error)) {
      step(s, "RSET", "RSET", 2, NULL, NULL); /* nothing is sent to only some of them */
      return FALSE;
    }
  }
  g_autoptr(GError) local = NULL;
  if (!step(s, "DATA", "DATA", 3, NULL, error))
    return FALSE;
  if (!send_data(s, message, len, &local))
    return fail(error, s->server, "message", local->message);
  if (!step(s, "end of data", NULL, 2, reply, error))
    return FALSE;
  step(s, "QUIT", "QUIT", 2, NULL, NULL);
  return TRUE;
}

gboolean
mugai_smtp_send(const char *host_port, guint timeout, const char *sender, const char *const *rcpts,
                const guint8 *message, gsize len, char **reply, GError **error)
{
  g_return_val_if_fail(rcpts != NULL && rcpts[0] != NULL, FALSE);
  for (gsize i = 0; rcpts[i]; i++) /* an address with CR or LF would inject commands */
    if (strpbrk(rcpts[i], "\r\n<>") != NULL)
      return fail(error, host_port, "RCPT TO", "an address holds a line break or <>");
  if (strpbrk(sender, "\r\n<>") != NULL)
    return fail(error, host_port, "MAIL FROM", "the sender holds a line break or <>");
  g_autoptr(GSocketClient) client = g_socket_client_new();
  g_socket_client_set_timeout(client, timeout);
  g_autoptr(GError) local = NULL;
  g_autoptr(GSocketConnection) conn =
      g_socket_client_connect_to_host(client, host_port, 25, NULL, &local);
  if (conn == NULL)
    return fail(error, host_port, "cannot connect", local->message);
  g_autoptr(GDataInputStream) in =
      g_data_input_stream_new(g_io_stream_get_input_stream(G_IO_STREAM(conn)));
  g_data_input_stream_set_newline_type(in, G_DATA_STREAM_NEWLINE_TYPE_LF);
  session s = {conn, in, g_io_stream_get_output_stream(G_IO_STREAM(conn)), host_port};
  return transaction(&s, sender, rcpts, message, len, reply, error);
}
