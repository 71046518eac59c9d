/* entry.c — an index entry built from what the core decided (see entry.h). Pure. */
#include "quarantine/entry.h"

#include <string.h>
#include "sanitize/header_decode.h"
#include "sanitize/headers.h"
#include "sanitize/report_json.h"

void
mugai_quarantine_part_free(mugai_quarantine_part *part)
{
  if (part == NULL)
    return;
  g_free(part->path);
  g_free(part->type);
  g_free(part->detected_type);
  g_free(part->name);
  g_free(part->sha256);
  g_free(part->action);
  g_free(part->reason);
  g_free(part);
}

mugai_quarantine_entry *
mugai_quarantine_entry_new(void)
{
  mugai_quarantine_entry *e = g_new0(mugai_quarantine_entry, 1);
  char **strings[] = {&e->id,        &e->queue_id, &e->client,     &e->direction,
                      &e->mail_from, &e->from,     &e->subject,    &e->verdict,
                      &e->reason,    &e->actions,  &e->signatures, &e->report_json};
  for (gsize i = 0; i < G_N_ELEMENTS(strings); i++)
    *strings[i] = g_strdup("");
  e->host = g_strdup(g_get_host_name());
  e->rcpts = g_new0(char *, 1);
  e->parts = g_ptr_array_new_with_free_func((GDestroyNotify) mugai_quarantine_part_free);
  return e;
}

void
mugai_quarantine_entry_free(mugai_quarantine_entry *e)
{
  if (e == NULL)
    return;
  char *strings[] = {e->id,        e->queue_id, e->client,     e->direction,
                     e->mail_from, e->from,     e->subject,    e->verdict,
                     e->reason,    e->actions,  e->signatures, e->report_json};
  for (gsize i = 0; i < G_N_ELEMENTS(strings); i++)
    g_free(strings[i]);
  g_free(e->host);
  g_strfreev(e->rcpts);
  g_ptr_array_unref(e->parts);
  g_free(e);
}

static void
set(char **slot, const char *value)
{
  g_free(*slot);
  *slot = g_strdup(value ? value : "");
}

/* The decoded values of From and Subject in the header block at the start of DATA. */
static void
read_headers(mugai_quarantine_entry *e, const guint8 *data, gsize len)
{
  g_autoptr(GPtrArray) headers = mugai_headers_new();
  mugai_headers_split((const char *) data, len, headers);
  gboolean from_done = FALSE, subject_done = FALSE;
  for (guint i = 0; i < headers->len; i++) {
    const mugai_header *h = g_ptr_array_index(headers, i);
    if (!from_done && g_ascii_strcasecmp(h->name, "From") == 0) {
      g_autofree char *v = mugai_header_decode_address(h->value);
      set(&e->from, v ? g_strstrip(v) : "");
      from_done = TRUE;
    } else if (!subject_done && g_ascii_strcasecmp(h->name, "Subject") == 0) {
      g_autofree char *v = mugai_header_decode_text(h->value);
      set(&e->subject, v ? g_strstrip(v) : "");
      subject_done = TRUE;
    }
  }
}

static void
add_parts(mugai_quarantine_entry *e, const mugai_result *result, GString *signatures)
{
  for (guint i = 0; i < result->parts->len; i++) {
    const mugai_part *p = g_ptr_array_index(result->parts, i);
    mugai_quarantine_part *q = g_new0(mugai_quarantine_part, 1);
    q->path = g_strdup(p->path);
    q->type = g_strdup(p->type);
    q->detected_type = g_strdup(p->detected_type ? p->detected_type : "");
    q->name = g_strdup(p->name ? p->name : "");
    q->size = p->size;
    q->sha256 = g_strdup(p->sha256 ? p->sha256 : "");
    q->action = g_strdup(mugai_part_action_name(p->action));
    q->reason = g_strdup(p->reason ? p->reason : "");
    g_ptr_array_add(e->parts, q);
    if (p->scanned && p->scan_verdict == MUGAI_SCAN_INFECTED && p->signature)
      g_string_append_printf(signatures, "%s%s", signatures->len ? "," : "", p->signature);
  }
}

mugai_quarantine_entry *
mugai_quarantine_entry_build(const char *id, gint64 now, const guint8 *data, gsize len,
                             const mugai_envelope *envelope, const mugai_result *result)
{
  mugai_quarantine_entry *e = mugai_quarantine_entry_new();
  set(&e->id, id);
  e->time = now;
  set(&e->queue_id, envelope->queue_id);
  set(&e->client, envelope->client_addr);
  set(&e->direction, mugai_direction_name(envelope->direction));
  set(&e->mail_from, envelope->mail_from);
  g_strfreev(e->rcpts);
  e->rcpts = g_strdupv((char **) envelope->rcpts);
  if (e->rcpts == NULL)
    e->rcpts = g_new0(char *, 1);
  read_headers(e, data, len);
  e->size = len;
  set(&e->verdict, mugai_verdict_name(result->verdict));
  set(&e->reason, mugai_reason_get(result->reason)->word);
  g_autofree char *actions = mugai_actions_format(result->actions);
  set(&e->actions, actions);
  g_autoptr(GString) signatures = g_string_new(NULL);
  add_parts(e, result, signatures);
  set(&e->signatures, signatures->str);
  /* Waiting for a password only when the rest was delivered: a refused mail's zip is not
   * opened later by a password mail. */
  e->locked = result->locked_archives > 0 && result->verdict == MUGAI_VERDICT_DELIVER;
  g_autofree char *report = mugai_report_json(result, envelope);
  set(&e->report_json, report);
  return e;
}
