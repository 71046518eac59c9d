/* notify.h — sends notification mails ([notify]) through sendmail, off the milter's threads.
 *
 * A refusal must not wait for a local mail submission, so each mail goes to a small pool of
 * worker threads that run the configured sendmail with the null sender (a notification is never
 * bounced back, never loops) and log what happened, led by the refused message's queue ID.
 */
#pragma once
#include <glib.h>

/* Call once before the first mugai_notify_send(). */
void mugai_notify_start(void);

/* Queue MAIL (transfer full) for RCPT: COMMAND (program and arguments, copied) gets
 * "-i -f <> -- RCPT" after it and MAIL on its standard input. QUEUE_ID names the refused
 * message in the log line. */
void mugai_notify_send(char *const *command, const char *queue_id, const char *rcpt,
                       GByteArray *mail);
