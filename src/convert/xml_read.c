/* xml_read.c — the one place the converters touch libxml2 (see xml_read.h).
 *
 * Owns one xmlTextReader per call. Why the reader and not a tree: a sheet of a million cells would
 * be a million nodes in memory; the reader keeps one. Why refuse any DOCTYPE instead of trusting
 * libxml2's entity amplification check: no part of an OOXML or ODF file has one, so a DTD is
 * hostile by definition and refusing it means no entity is ever declared, let alone expanded.
 */
#include "convert/xml_read.h"

#include <string.h>

#define XML_OPTIONS (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA)

static void
silence(void *arg, const char *msg, xmlParserSeverities severity, xmlTextReaderLocatorPtr loc)
{
  (void) arg;
  (void) msg;
  (void) severity;
  (void) loc;
}

gboolean
mugai_xml_walk(GBytes *part, guint max_depth, mugai_xml_cb cb, gpointer user, char **failure)
{
  gsize len = 0;
  const char *data = g_bytes_get_data(part, &len);
  if (len > G_MAXINT) {
    *failure = g_strdup("XML part too large");
    return FALSE;
  }
  /* Refused before libxml2 sees it, so the reason is the same whatever its own checks do. */
  if (memmem(data ? data : "", len, "<!DOCTYPE", 9) || memmem(data ? data : "", len, "<!ENTITY", 8)) {
    *failure = g_strdup("XML with a DTD or entities (refused)");
    return FALSE;
  }
  xmlTextReaderPtr r = xmlReaderForMemory(data ? data : "", (int) len, NULL, NULL, XML_OPTIONS);
  if (r == NULL) {
    *failure = g_strdup("XML parser could not start");
    return FALSE;
  }
  xmlTextReaderSetErrorHandler(r, silence, NULL);
  gboolean ok = TRUE, go = TRUE;
  int ret;
  while (go && (ret = xmlTextReaderRead(r)) == 1) {
    int type = xmlTextReaderNodeType(r);
    int depth = xmlTextReaderDepth(r);
    if (depth < 0 || (guint) depth > max_depth) {
      *failure = g_strdup_printf("XML nested deeper than %u", max_depth);
      ok = FALSE;
      break;
    }
    const char *local = (const char *) xmlTextReaderConstLocalName(r);
    const char *ns = (const char *) xmlTextReaderConstNamespaceUri(r);
    switch (type) {
    case XML_READER_TYPE_DOCUMENT_TYPE:
    case XML_READER_TYPE_ENTITY_REFERENCE:
    case XML_READER_TYPE_ENTITY:
      *failure = g_strdup("XML with a DTD or entities (refused)");
      ok = FALSE;
      go = FALSE;
      break;
    case XML_READER_TYPE_ELEMENT: {
      gboolean empty = xmlTextReaderIsEmptyElement(r) == 1;
      go = cb(user, MUGAI_XML_START, ns, local, NULL, r);
      if (go && empty)
        go = cb(user, MUGAI_XML_END, ns, local, NULL, r);
      break;
    }
    case XML_READER_TYPE_END_ELEMENT:
      go = cb(user, MUGAI_XML_END, ns, local, NULL, r);
      break;
    case XML_READER_TYPE_TEXT:
    case XML_READER_TYPE_CDATA:
    case XML_READER_TYPE_SIGNIFICANT_WHITESPACE:
    case XML_READER_TYPE_WHITESPACE:
      go = cb(user, MUGAI_XML_TEXT, NULL, NULL, (const char *) xmlTextReaderConstValue(r), r);
      break;
    default:
      break;
    }
  }
  if (ok && go && ret != 0) {
    *failure = g_strdup("XML not well-formed");
    ok = FALSE;
  }
  xmlFreeTextReader(r);
  return ok;
}

char *
mugai_xml_attr(xmlTextReaderPtr reader, const char *ns, const char *local)
{
  xmlChar *v = ns ? xmlTextReaderGetAttributeNs(reader, (const xmlChar *) local, (const xmlChar *) ns)
                  : xmlTextReaderGetAttribute(reader, (const xmlChar *) local);
  if (v == NULL)
    return NULL;
  char *s = g_strdup((const char *) v);
  xmlFree(v);
  return s;
}
