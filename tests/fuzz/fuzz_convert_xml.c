/* fuzz_convert_xml.c — libFuzzer target for the OOXML and ODF XML paths (src/convert/): the first
 * byte picks which part of which document the rest of the input becomes (docx document.xml, xlsx
 * workbook/sharedStrings/styles/sheet, pptx presentation/slide, odt/ods/odp content.xml, or a
 * .rels part); the other parts are fixed and valid. The zip is built here with libarchive's
 * writer, then mugai_convert() reads it under small limits picked by the second byte.
 * A crash, leak or sanitizer report is a bug, and so is a broken promise of convert.h: the text
 * is valid UTF-8, within max_output, and empty when there is a failure.
 */
#include <archive.h>
#include <archive_entry.h>
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "convert/convert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CT "[Content_Types].xml"
#define W "xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\""
#define S "xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" " \
          "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\""
#define P "xmlns:p=\"http://schemas.openxmlformats.org/presentationml/2006/main\" " \
          "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\""
#define REL "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
#define RELS(body) "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">" body "</Relationships>"

typedef struct {
  const char *name;
  const char *xml; /* NULL: the fuzzer's bytes */
} member;

typedef struct {
  member m[6];
} layout;

static const layout layouts[] = {
  {{{CT, "<Types/>"}, {"word/document.xml", NULL}, {"word/_rels/document.xml.rels", RELS("")}}},
  {{{CT, "<Types/>"}, {"word/document.xml", "<w:document " W "><w:body/></w:document>"},
    {"word/_rels/document.xml.rels", NULL}}},
  {{{CT, "<Types/>"}, {"xl/workbook.xml", NULL},
    {"xl/_rels/workbook.xml.rels", RELS("<Relationship Id=\"rId1\" Type=\"" REL "worksheet\" Target=\"s.xml\"/>")},
    {"xl/s.xml", "<worksheet " S "><sheetData><row><c t=\"s\"><v>0</v></c></row></sheetData></worksheet>"}}},
  {{{CT, "<Types/>"}, {"xl/workbook.xml", "<workbook " S "><sheets><sheet name=\"a\" r:id=\"rId1\"/></sheets></workbook>"},
    {"xl/_rels/workbook.xml.rels", RELS("<Relationship Id=\"rId1\" Type=\"" REL "worksheet\" Target=\"s.xml\"/>")},
    {"xl/s.xml", NULL}}},
  {{{CT, "<Types/>"}, {"xl/workbook.xml", "<workbook " S "><sheets><sheet name=\"a\" r:id=\"rId1\"/></sheets></workbook>"},
    {"xl/_rels/workbook.xml.rels", RELS("<Relationship Id=\"rId1\" Type=\"" REL "worksheet\" Target=\"s.xml\"/>")},
    {"xl/s.xml", "<worksheet " S "><sheetData><row><c t=\"s\" s=\"1\"><v>0</v></c><c s=\"1\"><v>45000.25</v></c></row></sheetData></worksheet>"},
    {"xl/sharedStrings.xml", NULL}, {"xl/styles.xml", NULL}}},
  {{{CT, "<Types/>"}, {"ppt/presentation.xml", "<p:presentation " P "><p:sldIdLst><p:sldId r:id=\"rId1\"/></p:sldIdLst></p:presentation>"},
    {"ppt/_rels/presentation.xml.rels", RELS("<Relationship Id=\"rId1\" Type=\"" REL "slide\" Target=\"slides/s.xml\"/>")},
    {"ppt/slides/s.xml", NULL}}},
  {{{CT, "<Types/>"}, {"ppt/presentation.xml", NULL},
    {"ppt/_rels/presentation.xml.rels", RELS("<Relationship Id=\"rId1\" Type=\"" REL "slide\" Target=\"slides/s.xml\"/>")},
    {"ppt/slides/s.xml", "<p:sld " P "/>"}}},
  {{{"mimetype", "application/vnd.oasis.opendocument.text"}, {"content.xml", NULL}}},
  {{{"mimetype", "application/vnd.oasis.opendocument.spreadsheet"}, {"content.xml", NULL}}},
  {{{"mimetype", "application/vnd.oasis.opendocument.presentation"}, {"content.xml", NULL},
    {"META-INF/manifest.xml", "<m/>"}}},
};

static la_ssize_t
write_cb(struct archive *a, void *user, const void *buf, size_t len)
{
  (void) a;
  g_byte_array_append(user, buf, (guint) len);
  return (la_ssize_t) len;
}

static GByteArray *
build_zip(const layout *l, const uint8_t *xml, size_t xml_len)
{
  GByteArray *out = g_byte_array_new();
  struct archive *w = archive_write_new();
  archive_write_set_format_zip(w);
  archive_write_set_bytes_in_last_block(w, 1);
  archive_write_open2(w, out, NULL, write_cb, NULL, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS(l->m) && l->m[i].name; i++) {
    const void *d = l->m[i].xml ? (const void *) l->m[i].xml : (const void *) xml;
    size_t n = l->m[i].xml ? strlen(l->m[i].xml) : xml_len;
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, l->m[i].name);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, (la_int64_t) n);
    archive_write_header(w, e);
    archive_write_data(w, d, n);
    archive_entry_free(e);
  }
  archive_write_close(w);
  archive_write_free(w);
  return out;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 2)
    return 0;
  const layout *l = &layouts[data[0] % G_N_ELEMENTS(layouts)];
  mugai_convert_limits limits;
  mugai_convert_limits_init(&limits);
  /* small caps half the time, so the truncation and refusal paths run as often as the rest */
  if (data[1] & 1) {
    limits.max_output = 1 + data[1] * 8u;
    limits.max_cells = 1 + (data[1] >> 2);
    limits.max_xml_depth = 1 + (data[1] >> 3);
    limits.max_pages = 1 + (data[1] >> 5);
  }
  g_autoptr(GByteArray) zip = build_zip(l, data + 2, size - 2);
  g_autoptr(mugai_convert_result) r = mugai_convert(zip->data, zip->len, "application/zip", NULL, &limits);
  if (!g_utf8_validate_len(r->text->str, r->text->len, NULL) || r->text->len > limits.max_output)
    abort();
  if (r->failure && r->text->len)
    abort();
  return 0;
}
