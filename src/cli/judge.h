/* judge.h — how the `mugai` commands decide one saved message under one policy: the envelope
 * from the options, the size refused at MAIL FROM, the message read as Postfix hands it to the
 * milter, then mugai_sanitize(). `mugai sanitize` and `mugai config diff` both call
 * mugai_judge_message(), so the two can never judge differently: whatever chooses or applies the
 * policy for a message belongs there, nowhere else.
 */
#pragma once
#include <glib.h>
#include "cli/message_reader.h"
#include "config/policy.h"
#include "sanitize/sanitize.h"

/* The envelope options both commands take (owned strings, as GOptionContext parsed them). */
typedef struct {
  char *from;        /* (nullable) --from */
  char **rcpts;      /* (nullable) --rcpt, repeatable */
  char *client;      /* (nullable) --client */
  char *direction;   /* (nullable) --direction in|out; NULL: [gateway] decides per policy */
  char *daemon_name; /* (nullable) --daemon-name */
  gint64 size;       /* --size: the ESMTP SIZE= declared at MAIL FROM; 0 none */
  char *queue_id;    /* (nullable) for the summary line (`mugai sanitize --queue-id`) */
  gboolean first_contact; /* --first-contact: inbound mail judged as from a first contact */
} mugai_judge_options;

/* Add --from, --rcpt, --client, --direction, --daemon-name, --size and --first-contact, storing
 * into OPTIONS (which must outlive the parse), to CONTEXT's main options. */
void mugai_judge_add_options(GOptionContext *context, mugai_judge_options *options);

/* FALSE (the problem printed on stderr, led by PROGRAM) when the parsed values make no sense. */
gboolean mugai_judge_options_valid(const mugai_judge_options *options, const char *program);

void mugai_judge_options_clear(mugai_judge_options *options);

typedef struct mugai_judge mugai_judge;

/* A judge of messages under POLICY (a reference is taken). The file typer and the virus scanner
 * are opened at the first message that needs them and kept for all later ones; when the scanner
 * cannot be opened, "PROGRAM: virus scanner: WHY" goes to stderr once, and messages are judged
 * as the milter would without one (451). (transfer full) */
mugai_judge *mugai_judge_new(mugai_policy *policy, const char *program);

/* From now on, keep originals in the policy's [quarantine] dir as mugai-milter does, before the
 * result is returned (`mugai sanitize`; never `config diff`, which only compares). The store is
 * opened (made when missing) at the first message to keep; a failure is the milter's tempfail. */
void mugai_judge_keep_originals(mugai_judge *judge);
void mugai_judge_free(mugai_judge *judge); /* NULL-safe */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(mugai_judge, mugai_judge_free)

/* SERVICES (filled in; lent from JUDGE) as its messages are judged with: the file typer, the
 * scanner and the converter, opened at the first call. FALSE when the file typer cannot be
 * opened (judge->filetype_failure: every message would be the tempfail). */
gboolean mugai_judge_services(mugai_judge *judge, mugai_services *services);

/* (transfer none) the policy a message with OPTIONS' envelope is judged under: the main one, or
 * the [rule NAME] its sender and first recipient match. */
const mugai_policy *mugai_judge_policy_for(mugai_judge *judge, const mugai_judge_options *options);

/* The message Postfix would deliver for RESULT (DELIVER) of MESSAGE: its headers with the result's
 * edits, then the new body or the original one. (transfer full) NULL with ERROR on an I/O error. */
GByteArray *mugai_judge_delivered(const mugai_read_message *message, const mugai_result *result,
                                  GError **error);

/* Judge the message in the file PATH (NULL or "-": standard input) with OPTIONS' envelope.
 * ENVELOPE is filled in (its strings lent from OPTIONS); MESSAGE must be zeroed and holds the
 * message as read (headers and spool, for writing it out), to be cleared with
 * mugai_read_message_clear() in every case. Never NULL: a message that cannot be read or spooled
 * is the tempfail the milter would answer, and then READ_ERROR (nullable) is set too, naming
 * PATH. (transfer full) */
mugai_result *mugai_judge_message(mugai_judge *judge, const mugai_judge_options *options,
                                  const char *path, mugai_envelope *envelope,
                                  mugai_read_message *message, GError **read_error);

/* The same for the message read from INPUT (left open), NAME saying what it is for errors:
 * `mugai quarantine release --sanitized` judges an original read through the quarantine. */
mugai_result *mugai_judge_message_from(mugai_judge *judge, const mugai_judge_options *options,
                                       FILE *input, const char *name, mugai_envelope *envelope,
                                       mugai_read_message *message, GError **read_error);
