/* document_type.c — attachment type names (see document_type.h). Pure. */
#include "config/document_type.h"

#include <string.h>

static const char *const type_names[] = {"pdf", "docx", "xlsx", "pptx", "odt", "ods", "odp",
                                         "rtf", "html", "eml", "ics", "vcf", "csv", "tsv", "text",
                                         "zip", NULL};

/* libmagic's names (and the common aliases senders declare) of each type; prefixes end in '.'. */
static const struct {
  const char *mime;
  const char *type;
} by_mime[] = {
  {"application/pdf", "pdf"},
  {"application/x-pdf", "pdf"},
  {"application/vnd.openxmlformats-officedocument.wordprocessingml.", "docx"},
  {"application/vnd.ms-word.document.macroenabled.12", "docx"},
  {"application/vnd.ms-word.template.macroenabled.12", "docx"},
  {"application/vnd.openxmlformats-officedocument.spreadsheetml.", "xlsx"},
  {"application/vnd.ms-excel.sheet.macroenabled.12", "xlsx"},
  {"application/vnd.ms-excel.template.macroenabled.12", "xlsx"},
  {"application/vnd.openxmlformats-officedocument.presentationml.", "pptx"},
  {"application/vnd.ms-powerpoint.presentation.macroenabled.12", "pptx"},
  {"application/vnd.oasis.opendocument.text", "odt"},
  {"application/vnd.oasis.opendocument.spreadsheet", "ods"},
  {"application/vnd.oasis.opendocument.presentation", "odp"},
  {"text/rtf", "rtf"},
  {"application/rtf", "rtf"},
  {"text/html", "html"},
  {"application/xhtml+xml", "html"},
  {"message/rfc822", "eml"},
  {"text/calendar", "ics"},
  {"text/vcard", "vcf"},
  {"text/x-vcard", "vcf"},
  {"text/csv", "csv"},
  {"text/tab-separated-values", "tsv"},
  {"application/zip", "zip"},
  {"application/x-zip-compressed", "zip"},
};

static gboolean
name_has_ext(const char *name, const char *ext)
{
  const char *dot = name ? strrchr(name, '.') : NULL;
  return dot && g_ascii_strcasecmp(dot + 1, ext) == 0;
}

/* libmagic calls CSV, TSV, calendars and address cards text/plain: the name tells them apart. */
static const char *
text_type_by_name(const char *name)
{
  static const struct {
    const char *ext, *type;
  } exts[] = {{"csv", "csv"}, {"tsv", "tsv"}, {"tab", "tsv"}, {"ics", "ics"}, {"ical", "ics"},
              {"vcf", "vcf"}, {"vcard", "vcf"}};
  for (gsize i = 0; i < G_N_ELEMENTS(exts); i++)
    if (name_has_ext(name, exts[i].ext))
      return exts[i].type;
  return "text";
}

const char *
mugai_document_type(const char *detected, const char *declared, const char *name)
{
  const char *mime = detected && *detected ? detected : declared;
  if (mime == NULL || *mime == '\0')
    return NULL;
  g_autofree char *lower = g_ascii_strdown(mime, -1);
  for (gsize i = 0; i < G_N_ELEMENTS(by_mime); i++) {
    gsize n = strlen(by_mime[i].mime);
    gboolean prefix = by_mime[i].mime[n - 1] == '.';
    if (prefix ? strncmp(lower, by_mime[i].mime, n) == 0 : strcmp(lower, by_mime[i].mime) == 0)
      return by_mime[i].type;
  }
  if (strcmp(lower, "text/plain") == 0)
    return text_type_by_name(name);
  return NULL;
}

const char *const *
mugai_document_type_names(void)
{
  return type_names;
}

gboolean
mugai_document_type_matches(const char *entry, const char *type, const char *mime)
{
  if (strchr(entry, '/') == NULL)
    return type && g_ascii_strcasecmp(entry, type) == 0;
  if (mime == NULL)
    return FALSE;
  gsize n = strlen(entry);
  if (n >= 2 && strcmp(entry + n - 2, "/*") == 0)
    return g_ascii_strncasecmp(entry, mime, n - 1) == 0; /* "image/" */
  return g_ascii_strcasecmp(entry, mime) == 0;
}

gboolean
mugai_document_type_entry_valid(const char *entry)
{
  for (const char *const *t = type_names; *t; t++)
    if (strcmp(entry, *t) == 0)
      return TRUE;
  const char *slash = strchr(entry, '/');
  if (slash == NULL || slash == entry || slash[1] == '\0' || strchr(slash + 1, '/'))
    return FALSE;
  for (const char *p = entry; *p; p++)
    if (!g_ascii_isalnum(*p) && !strchr("/.+-_*", *p))
      return FALSE;
  const char *star = strchr(entry, '*');
  return star == NULL || (star == slash + 1 && star[1] == '\0');
}
