/* report_json.c — build the JSON report with json-glib (see report_json.h). */
#include "sanitize/report_json.h"

#include <json-glib/json-glib.h>
#include <string.h>
#include "sanitize/converter.h"

static void
add_string_or_null(JsonBuilder *b, const char *member, const char *value)
{
  json_builder_set_member_name(b, member);
  if (value)
    json_builder_add_string_value(b, value);
  else
    json_builder_add_null_value(b);
}

static void
add_reply(JsonBuilder *b, const mugai_result *result)
{
  json_builder_set_member_name(b, "reply");
  if (result->verdict == MUGAI_VERDICT_DELIVER || result->reply_text == NULL) {
    json_builder_add_null_value(b);
    return;
  }
  json_builder_begin_object(b);
  add_string_or_null(b, "code", result->reply_code);
  add_string_or_null(b, "status", result->reply_status);
  add_string_or_null(b, "text", result->reply_text);
  json_builder_end_object(b);
}

static void
add_actions(JsonBuilder *b, const mugai_result *result)
{
  json_builder_set_member_name(b, "actions");
  json_builder_begin_array(b);
  for (guint i = 0; i < MUGAI_ACTION_COUNT; i++)
    if (result->actions[i])
      json_builder_add_string_value(b, mugai_action_name(i));
  json_builder_end_array(b);
  json_builder_set_member_name(b, "action_counts");
  json_builder_begin_object(b);
  for (guint i = 0; i < MUGAI_ACTION_COUNT; i++) {
    if (result->actions[i]) {
      json_builder_set_member_name(b, mugai_action_name(i));
      json_builder_add_int_value(b, result->actions[i]);
    }
  }
  json_builder_end_object(b);
}

static void
add_bool(JsonBuilder *b, const char *name, gboolean value)
{
  json_builder_set_member_name(b, name);
  json_builder_add_boolean_value(b, value);
}

/* "contents": what a removed archive or winmail.dat holds (only on such parts). */
static void
add_contents(JsonBuilder *b, const mugai_archive_listing *listing)
{
  json_builder_set_member_name(b, "contents");
  json_builder_begin_object(b);
  add_string_or_null(b, "format", listing->format);
  add_bool(b, "encrypted", listing->encrypted);
  add_bool(b, "truncated", listing->truncated);
  add_bool(b, "damaged", listing->damaged);
  json_builder_set_member_name(b, "entries");
  json_builder_begin_array(b);
  for (guint i = 0; i < listing->entries->len; i++) {
    const mugai_archive_entry *e = g_ptr_array_index(listing->entries, i);
    json_builder_begin_object(b);
    add_string_or_null(b, "name", e->name);
    json_builder_set_member_name(b, "size");
    if (e->size_known)
      json_builder_add_int_value(b, (gint64) e->size);
    else
      json_builder_add_null_value(b);
    add_bool(b, "encrypted", e->encrypted);
    json_builder_set_member_name(b, "depth");
    json_builder_add_int_value(b, e->depth);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  json_builder_end_object(b);
}

/* "conversion": what became of a file the policy converts (only on such parts). */
static void
add_conversion(JsonBuilder *b, const mugai_part_conversion *c)
{
  json_builder_set_member_name(b, "conversion");
  json_builder_begin_object(b);
  add_string_or_null(b, "type", c->type);
  add_string_or_null(b, "unit", c->unit);
  json_builder_set_member_name(b, "count");
  json_builder_add_int_value(b, c->count);
  json_builder_set_member_name(b, "warnings");
  json_builder_begin_array(b);
  for (guint i = 0; mugai_convert_warning_name(i); i++)
    if (c->warnings & (1u << i))
      json_builder_add_string_value(b, mugai_convert_warning_name(i));
  json_builder_end_array(b);
  json_builder_set_member_name(b, "text_bytes");
  json_builder_add_int_value(b, (gint64) c->text_bytes);
  add_bool(b, "truncated", c->truncated);
  add_string_or_null(b, "failure", c->failure);
  json_builder_end_object(b);
}

static void
add_parts(JsonBuilder *b, const mugai_result *result)
{
  json_builder_set_member_name(b, "parts");
  json_builder_begin_array(b);
  for (guint i = 0; i < result->parts->len; i++) {
    const mugai_part *part = g_ptr_array_index(result->parts, i);
    json_builder_begin_object(b);
    add_string_or_null(b, "path", part->path);
    add_string_or_null(b, "type", part->type);
    add_string_or_null(b, "detected_type", part->detected_type);
    add_string_or_null(b, "name", part->name);
    json_builder_set_member_name(b, "size");
    json_builder_add_int_value(b, (gint64) part->size);
    add_string_or_null(b, "sha256", part->sha256);
    add_string_or_null(b, "action", mugai_part_action_name(part->action));
    add_string_or_null(b, "reason", part->reason);
    if (part->contents)
      add_contents(b, part->contents);
    if (part->locked) /* only on such parts: other reports stay as they were */
      add_bool(b, "locked", TRUE);
    if (part->conversion)
      add_conversion(b, part->conversion);
    if (part->scanned) {
      json_builder_set_member_name(b, "scan");
      json_builder_begin_object(b);
      add_string_or_null(b, "verdict", mugai_scan_verdict_name(part->scan_verdict));
      add_string_or_null(b, "signature", part->signature);
      json_builder_end_object(b);
    }
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
}

/* "authentication": the trusted results and how many untrusted copies were removed (only with
 * [authentication] trusted_authserv_ids, on inbound mail that had such a header). */
static void
add_authentication(JsonBuilder *b, const mugai_result *result)
{
  guint removed = result->actions[MUGAI_ACTION_AUTH_REMOVED];
  if (result->auth_id == NULL && removed == 0)
    return;
  json_builder_set_member_name(b, "authentication");
  json_builder_begin_object(b);
  add_string_or_null(b, "authserv_id", result->auth_id);
  json_builder_set_member_name(b, "results");
  json_builder_begin_array(b);
  for (guint i = 0; i < result->auth_checks->len; i++) {
    const mugai_auth_check *check = g_ptr_array_index(result->auth_checks, i);
    json_builder_begin_object(b);
    add_string_or_null(b, "method", check->method);
    add_string_or_null(b, "result", check->result);
    add_string_or_null(b, "domain", check->domain);
    if (strcmp(check->method, "dmarc") == 0)
      add_bool(b, "policy_reject", check->policy_reject);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  json_builder_set_member_name(b, "results_total");
  json_builder_add_int_value(b, result->auth_checks_total);
  json_builder_set_member_name(b, "removed");
  json_builder_add_int_value(b, removed);
  json_builder_end_object(b);
}

/* "unlock_attempts": PPAP, what a password mail's passwords did (only on such mail). */
static void
add_unlock_attempts(JsonBuilder *b, const mugai_result *result)
{
  static const char *const states[] = {[MUGAI_UNLOCK_ATTEMPT_OPENED] = "opened",
                                       [MUGAI_UNLOCK_ATTEMPT_NOT_OPENED] = "not_opened",
                                       [MUGAI_UNLOCK_ATTEMPT_TOO_LATE] = "too_late"};
  if (result->unlock_attempts->len == 0)
    return;
  json_builder_set_member_name(b, "unlock_attempts");
  json_builder_begin_array(b);
  for (guint i = 0; i < result->unlock_attempts->len; i++) {
    const mugai_unlock_attempt *a = g_ptr_array_index(result->unlock_attempts, i);
    json_builder_begin_object(b);
    add_string_or_null(b, "quarantine_id", a->quarantine_id);
    add_string_or_null(b, "names", a->names);
    json_builder_set_member_name(b, "time");
    json_builder_add_int_value(b, a->time);
    add_string_or_null(b, "state", states[a->state]);
    add_string_or_null(b, "detail", a->detail);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
}

char *
mugai_report_json(const mugai_result *result, const mugai_envelope *envelope)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "version");
  json_builder_add_int_value(b, 1);
  add_string_or_null(b, "verdict", mugai_verdict_name(result->verdict));
  add_reply(b, result);
  add_string_or_null(b, "reason", result->verdict == MUGAI_VERDICT_DELIVER
                                      ? NULL : mugai_reason_get(result->reason)->word);
  if (result->clause)
    add_string_or_null(b, "clause", result->clause);
  if (result->rule)
    add_string_or_null(b, "rule", result->rule);
  if (result->list)
    add_string_or_null(b, "list", result->list);
  add_string_or_null(b, "direction", mugai_direction_name(result->direction));
  add_string_or_null(b, "queue_id", envelope ? envelope->queue_id : NULL);
  if (result->quarantine_id) /* only with a quarantine: reports without one stay as they were */
    add_string_or_null(b, "quarantine_id", result->quarantine_id);
  add_string_or_null(b, "message_type", result->message_type);
  json_builder_set_member_name(b, "size");
  json_builder_add_int_value(b, (gint64) result->in_size);
  json_builder_set_member_name(b, "out_size");
  json_builder_add_int_value(b, (gint64) result->out_size);
  add_actions(b, result);
  add_authentication(b, result);
  add_parts(b, result);
  add_unlock_attempts(b, result);
  json_builder_end_object(b);

  g_autoptr(JsonNode) root = json_builder_get_root(b);
  g_autoptr(JsonGenerator) gen = json_generator_new();
  json_generator_set_pretty(gen, TRUE);
  json_generator_set_root(gen, root);
  g_autofree char *text = json_generator_to_data(gen, NULL);
  return g_strconcat(text, "\n", NULL);
}
