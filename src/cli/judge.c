/* judge.c — one saved message judged under one policy (see judge.h), the way mugai-milter judges
 * mail: direction, size at MAIL FROM, the message spooled as the callbacks spool it, then
 * mugai_sanitize() with the same services. Owns the policy reference, the file typer and the
 * scanner of one policy; never prints anything but the one scanner problem, never exits.
 */
#include "cli/judge.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "convert/converter_worker.h"
#include "quarantine/keep.h"
#include "quarantine/quarantine_id.h"
#include "sanitize/gateway.h"
#include "sanitize/headers.h"
#include "sanitize/gmime_autoptr.h"
#include "scan/scan_open.h"

struct mugai_judge {
  mugai_policy *policy;
  char *program;
  gboolean services_tried;  /* opened (or failed to) at the first message that needed them */
  mugai_filetype *filetype; /* (nullable) */
  char *filetype_failure;   /* (nullable) why there is no file typer: every message tempfails */
  mugai_scanner *scanner;   /* (nullable) */
  char *scanner_failure;    /* (nullable) why there is no scanner */
  mugai_converter *converter; /* (nullable) the mugai-convert workers */
  char *converter_failure;  /* (nullable) why there are none: attachments are removed */
  gboolean rcpts_told;      /* the recipients of other rules were named (once: every message of
                             * a run has the same envelope) */
  gboolean keep_originals;  /* store originals in [quarantine] dir (mugai sanitize) */
  mugai_quarantine *quarantine; /* (nullable) opened at the first message to keep */
  char *quarantine_failure; /* (nullable) why it could not be opened */
  char *quarantine_id;      /* (nullable) the id of the message being judged (the envelope
                             * lends it) */
};

void
mugai_judge_add_options(GOptionContext *context, mugai_judge_options *o)
{
  GOptionEntry entries[] = {
    {"from", 0, 0, G_OPTION_ARG_STRING, &o->from, "Envelope sender (MAIL FROM)", "ADDR"},
    {"rcpt", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->rcpts, "Envelope recipient (repeatable)", "ADDR"},
    {"client", 0, 0, G_OPTION_ARG_STRING, &o->client, "SMTP client IP address", "IP"},
    {"direction", 0, 0, G_OPTION_ARG_STRING, &o->direction,
     "in or out (default: decided from --client and --daemon-name by [gateway])", "in|out"},
    {"daemon-name", 0, 0, G_OPTION_ARG_STRING, &o->daemon_name,
     "Postfix {daemon_name} of the service that received the message", "NAME"},
    {"size", 0, 0, G_OPTION_ARG_INT64, &o->size,
     "The ESMTP SIZE= the client declared at MAIL FROM", "BYTES"},
    {"first-contact", 0, 0, G_OPTION_ARG_NONE, &o->first_contact,
     "Judge inbound mail as from a sender nobody inside has written to (the milter looks this "
     "up in [contacts]): the [rule NAME] with match_first_contact applies", NULL},
    G_OPTION_ENTRY_NULL,
  };
  g_option_context_add_main_entries(context, entries, NULL); /* copies the entries */
}

gboolean
mugai_judge_options_valid(const mugai_judge_options *o, const char *program)
{
  if (o->size < 0) {
    fprintf(stderr, "%s: --size must not be negative\n", program);
    return FALSE;
  }
  if (o->direction && strcmp(o->direction, "in") != 0 && strcmp(o->direction, "out") != 0) {
    fprintf(stderr, "%s: --direction must be 'in' or 'out', not '%s'\n", program, o->direction);
    return FALSE;
  }
  return TRUE;
}

void
mugai_judge_options_clear(mugai_judge_options *o)
{
  g_free(o->from);
  g_strfreev(o->rcpts);
  g_free(o->client);
  g_free(o->direction);
  g_free(o->daemon_name);
  g_free(o->queue_id);
  memset(o, 0, sizeof *o);
}

mugai_judge *
mugai_judge_new(mugai_policy *policy, const char *program)
{
  mugai_judge *judge = g_new0(mugai_judge, 1);
  judge->policy = mugai_policy_ref(policy);
  judge->program = g_strdup(program);
  return judge;
}

void
mugai_judge_free(mugai_judge *judge)
{
  if (judge == NULL)
    return;
  mugai_quarantine_free(judge->quarantine);
  g_free(judge->quarantine_failure);
  g_free(judge->quarantine_id);
  mugai_scanner_unref(judge->scanner);
  mugai_converter_worker_free(judge->converter);
  g_free(judge->converter_failure);
  mugai_filetype_free(judge->filetype);
  g_free(judge->scanner_failure);
  g_free(judge->filetype_failure);
  g_free(judge->program);
  mugai_policy_unref(judge->policy);
  g_free(judge);
}

void
mugai_judge_keep_originals(mugai_judge *judge)
{
  judge->keep_originals = TRUE;
}

/* The store originals go to, opened once; NULL (and the reason kept) when it cannot be. */
static mugai_quarantine *
open_quarantine(mugai_judge *judge)
{
  if (judge->quarantine == NULL && judge->quarantine_failure == NULL) {
    g_autoptr(GError) error = NULL;
    const mugai_quarantine_policy *qp = &judge->policy->quarantine;
    judge->quarantine = mugai_quarantine_open(qp, TRUE, &error);
    if (judge->quarantine == NULL)
      judge->quarantine_failure = g_strdup(error->message);
  }
  return judge->quarantine;
}

/* Keep the original of MESSAGE when RESULT asks for it, as on_eom() does; RESULT becomes the
 * tempfail when that fails. */
static void
keep_original(mugai_judge *judge, const mugai_envelope *envelope, mugai_read_message *message,
              mugai_result *result)
{
  if (!result->quarantine || judge->quarantine_id == NULL)
    return;
  mugai_quarantine *q = open_quarantine(judge);
  if (q == NULL) {
    g_autofree char *why = g_strdup_printf("original not kept: %s", judge->quarantine_failure);
    mugai_result_set_refusal(result, MUGAI_VERDICT_TEMPFAIL, MUGAI_REASON_INTERNAL, why);
    return;
  }
  mugai_quarantine_keep(q, judge->quarantine_id, message->spool, envelope, result);
}

/* The file typer, then the engine the milter loads (no reload to watch for): once per judge,
 * since loading the official signatures takes seconds. */
static void
open_services(mugai_judge *judge)
{
  if (judge->services_tried)
    return;
  judge->services_tried = TRUE;
  g_autoptr(GError) error = NULL;
  judge->filetype = mugai_filetype_new(&error);
  if (judge->filetype == NULL) {
    judge->filetype_failure = g_strdup(error->message);
    return;
  }
  judge->scanner = mugai_scan_open(&judge->policy->scan, NULL, NULL, &error);
  if (error != NULL) {
    fprintf(stderr, "%s: virus scanner: %s\n", judge->program, error->message);
    judge->scanner_failure = g_strdup(error->message);
    g_clear_error(&error);
  }
  g_autofree char *worker = mugai_converter_worker_program(judge->policy->convert.worker);
  judge->converter = mugai_converter_worker_new(worker, judge->policy->convert.workers, &error);
  if (judge->converter == NULL) {
    fprintf(stderr, "%s: attachments are removed, not converted: %s\n", judge->program,
            error->message);
    judge->converter_failure = g_strdup(error->message);
  }
}

static mugai_direction
direction_of(const mugai_policy *policy, const mugai_judge_options *o)
{
  if (o->direction)
    return strcmp(o->direction, "out") == 0 ? MUGAI_DIRECTION_OUT : MUGAI_DIRECTION_IN;
  return mugai_gateway_direction(policy, o->client, o->daemon_name);
}

static mugai_result *
tempfail(mugai_direction direction, const char *why)
{
  mugai_result *result = mugai_result_new(direction);
  mugai_result_set_refusal(result, MUGAI_VERDICT_TEMPFAIL, MUGAI_REASON_INTERNAL, why);
  return result;
}

static const char *
input_name(const char *path)
{
  return path == NULL || strcmp(path, "-") == 0 ? "standard input" : path;
}

/* (nullable) PATH opened, or standard input; the error names PATH. */
static FILE *
open_input(const char *path, GError **error)
{
  if (path == NULL || strcmp(path, "-") == 0)
    return stdin;
  FILE *input = fopen(path, "rb");
  if (input == NULL) {
    int saved = errno;
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(saved), "cannot open %s: %s", path,
                g_strerror(saved));
  }
  return input;
}

/* The message could not be read: the milter's tempfail, and for the caller a copy of ERROR led
 * by NAME (nullable: ERROR names the input already). */
static mugai_result *
unreadable(mugai_direction direction, const GError *error, const char *name, GError **read_error)
{
  if (read_error != NULL) {
    *read_error = g_error_copy(error);
    if (name != NULL)
      g_prefix_error(read_error, "%s: ", name);
  }
  return tempfail(direction, error->message);
}

/* The policy of the first recipient, as the milter chooses it (the [rule NAME] and [lists] of
 * the main policy); a recipient another one matches the milter defers (452 4.5.3) to a message of
 * its own, which is said on stderr. */
static const mugai_policy *
rule_policy(mugai_judge *judge, const mugai_judge_options *o)
{
  const char *first = o->rcpts ? o->rcpts[0] : NULL;
  gboolean first_contact = o->first_contact &&
                           direction_of(judge->policy, o) == MUGAI_DIRECTION_IN;
  const mugai_policy *policy = mugai_gateway_rule_policy(judge->policy, o->from, first,
                                                         first_contact);
  for (gsize i = 1; o->rcpts && o->rcpts[i] && !judge->rcpts_told; i++) {
    const mugai_policy *other = mugai_gateway_rule_policy(judge->policy, o->from, o->rcpts[i],
                                                          first_contact);
    if (other == policy)
      continue;
    g_autofree char *its = mugai_gateway_policy_name(other);
    g_autofree char *message = mugai_gateway_policy_name(policy);
    fprintf(stderr, "%s: --rcpt %s is under %s, the message under %s: the milter defers it "
            "(452 4.5.3) to a message of its own\n", judge->program, o->rcpts[i], its, message);
  }
  judge->rcpts_told = TRUE;
  return policy;
}

gboolean
mugai_judge_services(mugai_judge *judge, mugai_services *services)
{
  open_services(judge);
  *services = (mugai_services){
    .filetype = judge->filetype,
    .scanner = judge->scanner,
    .scanner_failure = judge->scanner_failure,
    .converter = judge->converter,
    .converter_failure = judge->converter_failure,
  };
  return judge->filetype_failure == NULL;
}

const mugai_policy *
mugai_judge_policy_for(mugai_judge *judge, const mugai_judge_options *options)
{
  return rule_policy(judge, options);
}

GByteArray *
mugai_judge_delivered(const mugai_read_message *message, const mugai_result *result,
                      GError **error)
{
  g_autoptr(GByteArray) out = g_byte_array_new();
  mugai_headers_render(out, message->headers, result);
  if (result->body) {
    g_byte_array_append(out, result->body->data, result->body->len);
    return g_steal_pointer(&out);
  }
  const guint8 *data = NULL;
  gsize len = 0;
  if (!mugai_spool_view(message->spool, &data, &len, error))
    return NULL;
  if (message->body_offset < len)
    g_byte_array_append(out, data + message->body_offset, (guint) (len - message->body_offset));
  return g_steal_pointer(&out);
}

/* Judge the message in GIVEN (nullable: the file PATH is opened, and closed after) named PATH. */
static mugai_result *
judge_input(mugai_judge *judge, const mugai_judge_options *options, const char *path, FILE *given,
            mugai_envelope *envelope, mugai_read_message *message, GError **read_error)
{
  g_clear_pointer(&judge->quarantine_id, g_free);
  if (judge->keep_originals && mugai_quarantine_policy_enabled(&judge->policy->quarantine))
    judge->quarantine_id = mugai_quarantine_id_new(g_get_real_time() / G_USEC_PER_SEC);
  *envelope = (mugai_envelope) {
    .client_addr = options->client,
    .mail_from = options->from,
    .rcpts = (const char *const *) options->rcpts,
    .direction = direction_of(judge->policy, options), /* [gateway] is never a rule's */
    .queue_id = options->queue_id,
    .quarantine_id = judge->quarantine_id,
  };
  const mugai_policy *policy = rule_policy(judge, options);
  if ((guint64) options->size > mugai_gateway_size_cap(policy, envelope->direction)) {
    mugai_result *result = mugai_result_new(envelope->direction); /* refused at MAIL FROM */
    result->in_size = (guint64) options->size;
    mugai_gateway_refuse_size(result, policy, envelope->direction);
    return result;
  }
  g_autoptr(GError) error = NULL;
  FILE *input = given ? given : open_input(path, &error);
  if (input == NULL)
    return unreadable(envelope->direction, error, NULL, read_error);
  gboolean ok = mugai_read_message_from(input, policy->spool_dir, policy->spool_memory, message,
                                        &error);
  if (input != stdin && input != given)
    fclose(input);
  g_autoptr(GMimeStream) raw = ok ? mugai_spool_get_stream(message->spool, &error) : NULL;
  if (raw == NULL)
    return unreadable(envelope->direction, error, input_name(path), read_error);
  mugai_services services;
  if (!mugai_judge_services(judge, &services))
    return tempfail(envelope->direction, judge->filetype_failure);
  mugai_result *result = mugai_sanitize(policy, raw, envelope, &services);
  keep_original(judge, envelope, message, result);
  return result;
}

mugai_result *
mugai_judge_message(mugai_judge *judge, const mugai_judge_options *options, const char *path,
                    mugai_envelope *envelope, mugai_read_message *message, GError **read_error)
{
  return judge_input(judge, options, path, NULL, envelope, message, read_error);
}

mugai_result *
mugai_judge_message_from(mugai_judge *judge, const mugai_judge_options *options, FILE *input,
                         const char *name, mugai_envelope *envelope, mugai_read_message *message,
                         GError **read_error)
{
  return judge_input(judge, options, name, input, envelope, message, read_error);
}
