/* smtp_client.h — hand one message to an SMTP server (a Postfix smtpd): EHLO, MAIL FROM, RCPT TO
 * each recipient, DATA with dot-stuffing, QUIT. What `mugai quarantine release` re-injects
 * with; mugai never delivers mail itself (DESIGN.md: Postfix keeps the queue). */
#pragma once
#include <glib.h>

/* Send the LEN bytes at MESSAGE (CRLF lines) from SENDER ("" = the null sender) to RCPTS
 * (NULL-terminated, at least one) through the server at HOST_PORT ("127.0.0.1:10026",
 * "[::1]:10026"), waiting at most TIMEOUT seconds for each step. Every recipient must be
 * accepted, else nothing is sent (the transaction is reset). *REPLY (nullable) gets the server's
 * last reply to the message ("250 2.0.0 Ok: queued as 4Xyz"). The error says which step failed
 * with the server's reply. */
gboolean mugai_smtp_send(const char *host_port, guint timeout, const char *sender,
                         const char *const *rcpts, const guint8 *message, gsize len, char **reply,
                         GError **error);
