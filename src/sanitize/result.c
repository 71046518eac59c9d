/* result.c — the mugai_result object (see result.h): construction, refusal, the summary line.
 * Owns every string and array inside the result; mugai_result_free() is the one place they go. */
#include "sanitize/result.h"

#include <string.h>

static void
part_free(gpointer data)
{
  mugai_part *part = data;
  g_free(part->path);
  g_free(part->type);
  g_free(part->detected_type);
  g_free(part->name);
  g_free(part->sha256);
  g_free(part->reason);
  g_free(part->signature);
  mugai_archive_listing_free(part->contents);
  if (part->conversion) {
    g_free(part->conversion->type);
    g_free(part->conversion->unit);
    g_free(part->conversion->failure);
    g_free(part->conversion);
  }
  g_free(part);
}

void
mugai_header_free(mugai_header *header)
{
  if (header == NULL)
    return;
  g_free(header->name);
  g_free(header->value);
  g_free(header->gap);
  g_free(header);
}

static void
header_change_free(gpointer data)
{
  mugai_header_change *change = data;
  g_free(change->name);
  g_free(change->value);
  g_free(change);
}

static void
header_removal_free(gpointer data)
{
  mugai_header_removal *removal = data;
  g_free(removal->name);
  g_free(removal);
}

static void
auth_check_free(gpointer data)
{
  mugai_auth_check *check = data;
  g_free(check->method);
  g_free(check->result);
  g_free(check->domain);
  g_free(check);
}

static void
link_warning_free(gpointer data)
{
  mugai_link_warning *w = data;
  g_free(w->text);
  g_free(w->target);
  g_free(w);
}

void
mugai_unlock_attempt_clear(mugai_unlock_attempt *attempt)
{
  g_free(attempt->quarantine_id);
  g_free(attempt->names);
  g_free(attempt->detail);
  *attempt = (mugai_unlock_attempt){0};
}

void
mugai_unlock_attempt_free(mugai_unlock_attempt *attempt)
{
  if (attempt == NULL)
    return;
  mugai_unlock_attempt_clear(attempt);
  g_free(attempt);
}

mugai_result *
mugai_result_new(mugai_direction direction)
{
  mugai_result *result = g_new0(mugai_result, 1);
  result->verdict = MUGAI_VERDICT_DELIVER;
  result->reason = MUGAI_REASON_NONE;
  result->direction = direction;
  result->parts = g_ptr_array_new_with_free_func(part_free);
  result->add_headers = g_ptr_array_new_with_free_func((GDestroyNotify) mugai_header_free);
  result->link_warnings = g_ptr_array_new_with_free_func(link_warning_free);
  result->change_headers = g_ptr_array_new_with_free_func(header_change_free);
  result->remove_headers = g_ptr_array_new_with_free_func(header_removal_free);
  result->auth_checks = g_ptr_array_new_with_free_func(auth_check_free);
  result->unlock_attempts = g_ptr_array_new_with_free_func((GDestroyNotify) mugai_unlock_attempt_free);
  return result;
}

void
mugai_result_free(mugai_result *result)
{
  if (result == NULL)
    return;
  g_free(result->detail);
  g_free(result->reply_text);
  g_free(result->clause);
  g_free(result->quarantine_id);
  g_free(result->rule);
  g_free(result->claim_header);
  g_free(result->claim_address);
  g_free(result->claim_real);
  g_free(result->auth_id);
  g_ptr_array_unref(result->auth_checks);
  g_free(result->message_type);
  g_ptr_array_unref(result->parts);
  g_ptr_array_unref(result->add_headers);
  g_ptr_array_unref(result->link_warnings);
  g_ptr_array_unref(result->change_headers);
  g_ptr_array_unref(result->remove_headers);
  g_ptr_array_unref(result->unlock_attempts);
  if (result->body)
    g_byte_array_unref(result->body);
  g_free(result);
}

void
mugai_result_set_refusal(mugai_result *result, mugai_verdict verdict, mugai_reason reason,
                         const char *detail)
{
  g_return_if_fail(verdict != MUGAI_VERDICT_DELIVER);
  result->verdict = verdict;
  result->reason = reason;
  g_free(result->detail);
  result->detail = detail ? g_strescape(detail, NULL) : NULL;
  const mugai_reason_info *info = mugai_reason_get(reason);
  g_free(result->reply_text);
  result->reply_text = NULL;
  result->reply_code[0] = result->reply_status[0] = '\0';
  if (info->code != NULL && verdict != MUGAI_VERDICT_DISCARD && verdict != MUGAI_VERDICT_HOLD) {
    g_strlcpy(result->reply_code, info->code, sizeof result->reply_code);
    g_strlcpy(result->reply_status, info->status, sizeof result->reply_status);
    result->reply_text = g_strdup(info->text);
    /* A reason answered the other way than usual keeps its detail code, in the right class. */
    char cls = verdict == MUGAI_VERDICT_TEMPFAIL ? '4' : '5';
    if (result->reply_code[0] != cls) {
      g_strlcpy(result->reply_code, cls == '4' ? "451" : "554", sizeof result->reply_code);
      result->reply_status[0] = cls;
    }
  }
  /* A refused message has no edits: nothing of a half-built body may leak into a reply. */
  result->rewrite_mime = FALSE;
  g_ptr_array_set_size(result->add_headers, 0);
  g_ptr_array_set_size(result->change_headers, 0);
  g_ptr_array_set_size(result->remove_headers, 0);
  if (result->body) {
    g_byte_array_unref(result->body);
    result->body = NULL;
  }
  result->out_size = 0;
}

void
mugai_result_reply_note(mugai_result *result, const char *format, ...)
{
  g_return_if_fail(result->reply_text != NULL);
  va_list ap;
  va_start(ap, format);
  g_autofree char *note = g_strdup_vprintf(format, ap);
  va_end(ap);
  char *text = g_strdup_printf("%s (%s)", result->reply_text, note);
  g_free(result->reply_text);
  result->reply_text = text;
}

void
mugai_result_set_clause(mugai_result *result, const char *clause)
{
  if (clause == NULL || *clause == '\0' || result->clause != NULL ||
      result->verdict == MUGAI_VERDICT_DELIVER)
    return;
  result->clause = g_strdup(clause);
  if (result->reply_text == NULL || !g_str_is_ascii(clause)) /* the config allows no controls */
    return;
  gsize len = strlen(result->reply_text);
  char *text = len && result->reply_text[len - 1] == ')'
                   ? g_strdup_printf("%.*s; clause %s)", (int) (len - 1), result->reply_text, clause)
                   : g_strdup_printf("%s (clause %s)", result->reply_text, clause);
  g_free(result->reply_text);
  result->reply_text = text;
}

void
mugai_result_remove_header(mugai_result *result, const char *name, guint occurrence)
{
  mugai_header_removal *removal = g_new0(mugai_header_removal, 1);
  removal->name = g_strdup(name);
  removal->occurrence = occurrence;
  g_ptr_array_add(result->remove_headers, removal);
}

gboolean
mugai_result_header_removed(const mugai_result *result, const char *name, guint occurrence)
{
  for (guint i = 0; i < result->remove_headers->len; i++) {
    const mugai_header_removal *r = g_ptr_array_index(result->remove_headers, i);
    if (r->occurrence == occurrence && g_ascii_strcasecmp(r->name, name) == 0)
      return TRUE;
  }
  return FALSE;
}

void
mugai_result_name_in_reply(mugai_result *result, const char *what)
{
  g_return_if_fail(result->reply_text != NULL && what != NULL);
  g_autofree char *safe = g_strndup(what, 100);
  g_strcanon(safe, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:/+-", '?');
  char *text = g_strdup_printf("%s: %s", result->reply_text, safe);
  g_free(result->reply_text);
  result->reply_text = text;
}

mugai_part *
mugai_result_add_part(mugai_result *result, const char *path, const char *type)
{
  mugai_part *part = g_new0(mugai_part, 1);
  part->path = g_strdup(path);
  part->type = g_strdup(type);
  part->detected_type = g_strdup("");
  part->sha256 = g_strdup("");
  part->reason = g_strdup("");
  g_ptr_array_add(result->parts, part);
  return part;
}

void
mugai_result_add_header(mugai_result *result, const char *name, const char *value)
{
  mugai_header *header = g_new0(mugai_header, 1);
  header->name = g_strdup(name);
  header->value = g_strdup(value);
  g_ptr_array_add(result->add_headers, header);
}

const char *
mugai_verdict_name(mugai_verdict verdict)
{
  static const char *const names[] = {"deliver", "reject", "tempfail", "discard", "hold"};
  g_return_val_if_fail(verdict < G_N_ELEMENTS(names), "tempfail");
  return names[verdict];
}

const char *
mugai_direction_name(mugai_direction direction)
{
  return direction == MUGAI_DIRECTION_OUT ? "out" : "in";
}

const char *
mugai_part_action_name(mugai_part_action action)
{
  static const char *const names[] = {"container", "kept", "converted", "removed", "dropped",
                                      "extracted"};
  g_return_val_if_fail(action < G_N_ELEMENTS(names), "removed");
  return names[action];
}

char *
mugai_result_summary(const mugai_result *result, double ms)
{
  g_autofree char *actions = mugai_actions_format(result->actions);
  GString *line = g_string_new(NULL);
  g_string_append_printf(line, "verdict=%s direction=%s actions=%s size=%" G_GUINT64_FORMAT
                         " out=%" G_GUINT64_FORMAT " parts=%u ms=%.1f",
                         mugai_verdict_name(result->verdict),
                         mugai_direction_name(result->direction), actions, result->in_size,
                         result->out_size, result->parts->len, ms);
  if (result->rule)
    g_string_append_printf(line, " rule=%s", result->rule); /* [rule NAME]: . _ - letters digits */
  if (result->list)
    g_string_append_printf(line, " list=%s", result->list);
  if (result->quarantine_id) /* an id is digits, '-' and hex: safe as it is */
    g_string_append_printf(line, " quarantine=%s", result->quarantine_id);
  if (result->verdict != MUGAI_VERDICT_DELIVER) {
    const mugai_reason_info *info = mugai_reason_get(result->reason);
    g_string_append_printf(line, " reason=%s", info->word);
    if (result->reply_text)
      g_string_append_printf(line, " reply=\"%s %s %s\"", result->reply_code,
                             result->reply_status, result->reply_text);
    if (result->detail)
      g_string_append_printf(line, " detail=\"%.200s\"", result->detail);
    if (result->clause) { /* the admin's own text (valid UTF-8, no controls): kept readable */
      g_string_append(line, " clause=\"");
      for (const char *p = result->clause; *p; p++) {
        if (*p == '"' || *p == '\\')
          g_string_append_c(line, '\\');
        g_string_append_c(line, *p);
      }
      g_string_append_c(line, '"');
    }
  }
  return g_string_free(line, FALSE);
}
