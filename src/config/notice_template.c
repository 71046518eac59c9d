/* notice_template.c — check and expand notice templates (see notice_template.h).
 *
 * Written by hand because GLib has no template engine and the language is three rules; a real
 * one (e.g. Mustache) would be a dependency for six names. Never reads past the text, never
 * recurses, and expanded values are inserted as they are (they are never re-read as template).
 */
#include "config/notice_template.h"

#include <string.h>

static const char *const field_names[MUGAI_NOTICE_FIELD_COUNT + 1] = { /* NULL-terminated */
  [MUGAI_NOTICE_WARNINGS] = "warnings",
  [MUGAI_NOTICE_ACTIONS] = "actions",
  [MUGAI_NOTICE_REMOVED] = "removed",
  [MUGAI_NOTICE_REMOVED_COUNT] = "removed_count",
  [MUGAI_NOTICE_QUEUE_ID] = "queue_id",
  [MUGAI_NOTICE_AUTHENTICATION] = "authentication",
  [MUGAI_NOTICE_QUARANTINE_ID] = "quarantine_id",
  [MUGAI_NOTICE_CONVERTED] = "converted",
};

const char *
mugai_notice_field_name(mugai_notice_field field)
{
  g_return_val_if_fail(field < MUGAI_NOTICE_FIELD_COUNT, "");
  return field_names[field];
}

/* The field named by the text at P (just after "{", up to "}"), or -1. *LEN gets the name length. */
static int
field_at(const char *p, gsize *len)
{
  const char *close = strchr(p, '}');
  if (close == NULL)
    return -1;
  *len = (gsize) (close - p);
  for (int i = 0; i < MUGAI_NOTICE_FIELD_COUNT; i++)
    if (strlen(field_names[i]) == *len && memcmp(p, field_names[i], *len) == 0)
      return i;
  return -1;
}

char *
mugai_notice_template_check(const char *text)
{
  if (strlen(text) > MUGAI_NOTICE_TEMPLATE_MAX)
    return g_strdup_printf("longer than %d bytes", MUGAI_NOTICE_TEMPLATE_MAX);
  if (!g_utf8_validate(text, -1, NULL))
    return g_strdup("not valid UTF-8 (save the file as UTF-8)");
  guint line = 1;
  for (const char *p = text; *p; p++) {
    if (*p == '\n') {
      line++;
    } else if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
      p++;
    } else if (*p == '{') {
      gsize len = 0;
      const char *name = p + 1 + (p[1] == '?');
      if (field_at(name, &len) < 0) {
        g_autofree char *shown = g_strndup(name, MIN(strcspn(name, "}\n"), (gsize) 40));
        g_autofree char *known = g_strjoinv(", ", (char **) field_names);
        return g_strdup_printf("line %u: unknown placeholder {%s} (known: %s)", line, shown, known);
      }
      if (p[1] == '?' && p != text && p[-1] != '\n')
        return g_strdup_printf("line %u: {?%.*s} must start its line", line, (int) len, name);
      p = name + len;
    } else if (*p == '}') {
      return g_strdup_printf("line %u: a lone \"}\" (write }} for one)", line);
    } else if ((guchar) *p < 0x20 && *p != '\t' && *p != '\r') {
      return g_strdup_printf("line %u: a control character", line);
    }
  }
  return NULL;
}

/* Expand one line [P, END) of a checked template into OUT. Returns FALSE (OUT unchanged) when
 * the line must vanish: its condition is empty, or it holds placeholders, all empty, and nothing
 * else but spaces. */
static gboolean
expand_line(GString *out, const char *p, const char *end,
            const char *const values[MUGAI_NOTICE_FIELD_COUNT])
{
  gsize mark = out->len, len = 0;
  gboolean fields = FALSE, filled = FALSE, literal = FALSE;
  if (p[0] == '{' && p[1] == '?') {
    int f = field_at(p + 2, &len);
    if (f < 0 || values[f] == NULL || *values[f] == '\0')
      return FALSE;
    p += 3 + len;
    literal = TRUE; /* its condition holds: the line shows */
  }
  while (p < end) {
    if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
      g_string_append_c(out, *p);
      p += 2;
      literal = TRUE;
    } else if (*p == '{') {
      int f = field_at(p + 1, &len);
      const char *v = f >= 0 && values[f] ? values[f] : "";
      g_string_append(out, v);
      fields = TRUE;
      filled = filled || *v;
      p += 2 + len;
    } else {
      literal = literal || (*p != ' ' && *p != '\t' && *p != '\r');
      if (*p != '\r')
        g_string_append_c(out, *p);
      p++;
    }
  }
  if (fields && !filled && !literal) {
    g_string_truncate(out, mark);
    return FALSE;
  }
  return TRUE;
}

void
mugai_notice_template_expand(GString *out, const char *text,
                             const char *const values[MUGAI_NOTICE_FIELD_COUNT])
{
  const char *p = text;
  while (*p) {
    const char *nl = strchr(p, '\n');
    const char *end = nl ? nl : p + strlen(p);
    gsize mark = out->len;
    /* A block value (the removed list) ends with its own newline: no second one after it. */
    if (expand_line(out, p, end, values) && (out->len == mark || out->str[out->len - 1] != '\n'))
      g_string_append_c(out, '\n');
    p = nl ? nl + 1 : end;
  }
}
