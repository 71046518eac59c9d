/* links_private.h — what links.c (one target) and links_text.c (URLs inside text) share.
 * Not for other modules: use links.h. */
#pragma once
#include "sanitize/links.h"

typedef enum {
  LINK_FORM_URL,     /* a target as written in href, or "scheme:..." found in text */
  LINK_FORM_HOST,    /* "www.example.jp/path" or a bare domain: a web URL without its scheme */
  LINK_FORM_ADDRESS, /* a bare e-mail address: a mailto URL without its scheme */
} LinkForm;

/* mugai_link_parse() for S read as FORM. */
void links_parse_form(const char *s, gsize len, LinkForm form, const mugai_link_options *options,
                      mugai_link *link);

/* Records one mismatch (TEXT as the reader sees it, TARGET as shown), keeping at most
 * MUGAI_LINK_WARNINGS_MAX. */
void links_report_mismatch(mugai_link_report *report, const char *text, gsize len,
                           const char *target);
