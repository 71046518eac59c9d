/* quarantine_json.c — index entries as JSON (see quarantine_json.h). Pure. */
#include "cli/quarantine_json.h"

#include "cli/quarantine_cli.h"

static void
member_string(JsonBuilder *b, const char *name, const char *value)
{
  json_builder_set_member_name(b, name);
  json_builder_add_string_value(b, value);
}

static void
member_int(JsonBuilder *b, const char *name, gint64 value)
{
  json_builder_set_member_name(b, name);
  json_builder_add_int_value(b, value);
}

static void
add_parts(JsonBuilder *b, const mugai_quarantine_entry *e)
{
  json_builder_set_member_name(b, "parts");
  json_builder_begin_array(b);
  for (guint i = 0; i < e->parts->len; i++) {
    const mugai_quarantine_part *p = g_ptr_array_index(e->parts, i);
    json_builder_begin_object(b);
    member_string(b, "path", p->path);
    member_string(b, "type", p->type);
    member_string(b, "detected_type", p->detected_type);
    member_string(b, "name", p->name);
    member_int(b, "size", (gint64) p->size);
    member_string(b, "sha256", p->sha256);
    member_string(b, "action", p->action);
    member_string(b, "reason", p->reason);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
}

void
mugai_qcli_entry_json(JsonBuilder *b, const mugai_quarantine_entry *e, gboolean detail)
{
  json_builder_begin_object(b);
  member_string(b, "id", e->id);
  member_int(b, "time", e->time);
  g_autofree char *when = mugai_qcli_format_time(e->time);
  member_string(b, "time_text", when);
  member_string(b, "host", e->host);
  member_string(b, "queue_id", e->queue_id);
  member_string(b, "client", e->client);
  member_string(b, "direction", e->direction);
  member_string(b, "mail_from", e->mail_from);
  json_builder_set_member_name(b, "rcpts");
  json_builder_begin_array(b);
  for (guint i = 0; e->rcpts[i]; i++)
    json_builder_add_string_value(b, e->rcpts[i]);
  json_builder_end_array(b);
  member_string(b, "from", e->from);
  member_string(b, "subject", e->subject);
  member_int(b, "size", (gint64) e->size);
  member_string(b, "verdict", e->verdict);
  member_string(b, "reason", e->reason);
  member_string(b, "actions", e->actions);
  json_builder_set_member_name(b, "signatures");
  json_builder_begin_array(b);
  g_auto(GStrv) names = g_strsplit(e->signatures, ",", -1);
  for (guint i = 0; names[i]; i++)
    if (*names[i])
      json_builder_add_string_value(b, names[i]);
  json_builder_end_array(b);
  member_int(b, "released", e->released);
  json_builder_set_member_name(b, "locked");
  json_builder_add_boolean_value(b, e->locked);
  if (detail) {
    add_parts(b, e);
    json_builder_set_member_name(b, "report");
    g_autoptr(JsonNode) report = json_from_string(e->report_json, NULL);
    if (report)
      json_builder_add_value(b, g_steal_pointer(&report));
    else
      json_builder_add_null_value(b);
  }
  json_builder_end_object(b);
}

char *
mugai_qcli_json_text(JsonBuilder *b, gboolean pretty)
{
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  g_autoptr(JsonGenerator) gen = json_generator_new();
  json_generator_set_pretty(gen, pretty);
  json_generator_set_root(gen, root);
  return json_generator_to_data(gen, NULL);
}
