/* ooxml.h — Office Open XML (docx, xlsx, pptx) and OpenDocument, from an already read zip. */
#pragma once
#include "convert/xml_read.h"
#include "convert/zip_read.h"

void mugai_ooxml_docx(mugai_convert_ctx *ctx, mugai_zip *zip, mugai_convert_result *r);
void mugai_ooxml_xlsx(mugai_convert_ctx *ctx, mugai_zip *zip, mugai_convert_result *r);
void mugai_ooxml_pptx(mugai_convert_ctx *ctx, mugai_zip *zip, mugai_convert_result *r);
void mugai_odf(mugai_convert_ctx *ctx, mugai_zip *zip, const char *mimetype, mugai_convert_result *r);

/* Macros, embedded objects and external links of an OOXML package, by part names and by the
 * relationships in every .rels part. */
void mugai_ooxml_flags(mugai_zip *zip, mugai_convert_result *r);

/* The relationships of the part PART ("xl/workbook.xml"): Id → target part name resolved against
 * PART's folder ("xl/worksheets/sheet1.xml"); external targets are left out. (transfer full) */
GHashTable *mugai_ooxml_rels(mugai_convert_ctx *ctx, mugai_zip *zip, const char *part);

/* Walk member NAME of ZIP; a missing member is a failure too. */
gboolean mugai_ooxml_walk(mugai_convert_ctx *ctx, mugai_zip *zip, const char *name, mugai_xml_cb cb,
                          gpointer user, mugai_convert_result *r);
