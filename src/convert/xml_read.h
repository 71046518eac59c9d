/* xml_read.h — walk one XML part of a document as a stream of events, safely.
 *
 * libxml2's streaming reader over bytes in memory: no network (XML_PARSE_NONET), no entity
 * substitution (no XML_PARSE_NOENT), no DTD loading or defaulted attributes; a document with a
 * DOCTYPE at all fails (OOXML and ODF parts never have one, billion-laughs always does), and so
 * does element nesting deeper than MAX_DEPTH.
 */
#pragma once
#include <glib.h>
#include <libxml/xmlreader.h>

typedef enum { MUGAI_XML_START, MUGAI_XML_END, MUGAI_XML_TEXT } mugai_xml_event;

/* LOCAL is the element's local name, NS its namespace URI (nullable); for TEXT both are those of
 * no element and TEXT is the character data. READER is valid for attribute lookups on START.
 * Return FALSE to stop the walk early (not a failure). */
typedef gboolean (*mugai_xml_cb)(gpointer user, mugai_xml_event event, const char *ns,
                                 const char *local, const char *text, xmlTextReaderPtr reader);

/* FALSE with *FAILURE (transfer full) when the part is not well-formed, has a DTD or nests too
 * deep. */
gboolean mugai_xml_walk(GBytes *part, guint max_depth, mugai_xml_cb cb, gpointer user,
                        char **failure);

/* Attribute LOCAL in namespace NS (nullable: no namespace) of the current element. (transfer full) */
char *mugai_xml_attr(xmlTextReaderPtr reader, const char *ns, const char *local);
