/* autoforward.c — the markers of automatic forwarding (see autoforward.h).
 *
 * What each one is:
 *   Auto-Submitted: auto-forwarded          RFC 3834's field, the value forwarding agents use
 *   X-MS-Exchange-Inbox-Rules-Loop          Exchange/Outlook: an inbox rule forwarded or redirected
 *   X-MS-Exchange-Organization-AutoForwarded: true       Exchange: mailbox forwarding
 *   X-MS-Exchange-Generated-Message-Source: Mailbox Rules Agent   Exchange: made by an inbox rule
 *   X-Forwarded-To, X-Forwarded-For         Gmail and others: mailbox forwarding
 *   Resent-From, Resent-Sender              RFC 5322 resending: a redirect keeps the message and
 *                                           adds these
 *   X-Loop                                  procmail's loop guard on forwarding recipes
 *   X-Sieve-Redirected-From                 Dovecot Pigeonhole: a Sieve "redirect"
 *   Delivered-To: an inside address         (outbound) delivered to an inside mailbox already:
 *                                           Postfix local(8) adds it before a .forward or alias
 *   MAIL FROM:<SRS0=...>                    a forwarder's Sender Rewriting Scheme
 *   MAIL FROM: an outside address           (outbound, with internal_domains) mail of someone
 *                                           outside leaving again: it was relayed, not written
 */
#include "sanitize/autoforward.h"

#include "sanitize/gateway.h"

#include <string.h>

#define SHOWN_MAX 200

static gboolean
applies(const mugai_policy *policy, const mugai_envelope *envelope)
{
  const mugai_autoforward_policy *a = &policy->autoforward;
  gboolean out = envelope->direction == MUGAI_DIRECTION_OUT;
  if (a->block == MUGAI_AUTOFORWARD_NO || (a->block == MUGAI_AUTOFORWARD_OUTBOUND && !out) ||
      (a->block == MUGAI_AUTOFORWARD_INBOUND && out))
    return FALSE;
  if (mugai_gateway_address_listed(a->exempt_senders, envelope->mail_from))
    return FALSE;
  if (envelope->rcpts == NULL || envelope->rcpts[0] == NULL)
    return TRUE;
  for (gsize i = 0; envelope->rcpts[i]; i++)
    if (!mugai_gateway_address_listed(a->exempt_recipients, envelope->rcpts[i]))
      return TRUE;
  return FALSE; /* every recipient is exempt */
}

/* "Name: value", unfolded, control characters escaped, cut. (transfer full) */
static char *
shown(const char *name, const char *value)
{
  g_autofree char *flat = g_strdup(value ? value : "");
  g_strdelimit(flat, "\r\n\t", ' ');
  g_strstrip(flat);
  g_autofree char *escaped = g_strescape(flat, NULL);
  return g_strdup_printf("%s: %.*s", name, SHOWN_MAX, escaped);
}

/* The first word of an Auto-Submitted value ("auto-forwarded; by=..." → "auto-forwarded"). */
static gboolean
auto_submitted_forwarded(const char *value)
{
  g_autofree char *v = g_strstrip(g_strdup(value));
  gsize n = strcspn(v, " \t;(");
  return n == strlen("auto-forwarded") && g_ascii_strncasecmp(v, "auto-forwarded", n) == 0;
}

/* The address inside a header value like "<user@example.jp>" or "user@example.jp". */
static char *
bare_address(const char *value)
{
  g_autofree char *v = g_strstrip(g_strdup(value));
  g_strdelimit(v, "<>", ' ');
  return g_strdup(g_strstrip(v));
}

static char *
header_marker(const mugai_policy *policy, const char *name, const char *value, gboolean outbound)
{
  static const char *const present[] = {
    "X-MS-Exchange-Inbox-Rules-Loop", "X-Forwarded-To", "X-Forwarded-For", "Resent-From",
    "Resent-Sender", "X-Loop", "X-Sieve-Redirected-From",
  };
  for (gsize i = 0; i < G_N_ELEMENTS(present); i++)
    if (g_ascii_strcasecmp(name, present[i]) == 0)
      return shown(name, value);
  g_autofree char *v = g_strstrip(g_strdup(value ? value : ""));
  if (g_ascii_strcasecmp(name, "Auto-Submitted") == 0 && auto_submitted_forwarded(v))
    return shown(name, value);
  if (g_ascii_strcasecmp(name, "X-MS-Exchange-Organization-AutoForwarded") == 0 &&
      g_ascii_strcasecmp(v, "true") == 0)
    return shown(name, value);
  if (g_ascii_strcasecmp(name, "X-MS-Exchange-Generated-Message-Source") == 0 &&
      g_ascii_strcasecmp(v, "Mailbox Rules Agent") == 0)
    return shown(name, value);
  if (outbound && g_ascii_strcasecmp(name, "Delivered-To") == 0) {
    g_autofree char *addr = bare_address(v);
    if (mugai_gateway_internal_address(policy, addr))
      return shown(name, value);
  }
  return NULL;
}

static char *
envelope_marker(const mugai_policy *policy, const mugai_envelope *envelope)
{
  const char *from = envelope->mail_from;
  if (from == NULL || *from == '\0') /* bounces and reports: never a forward */
    return NULL;
  if (g_ascii_strncasecmp(from, "SRS0=", 5) == 0 || g_ascii_strncasecmp(from, "SRS1=", 5) == 0)
    return shown("MAIL FROM", from);
  if (envelope->direction == MUGAI_DIRECTION_OUT && policy->gateway.internal_domains[0] != NULL &&
      strchr(from, '@') != NULL && !mugai_gateway_internal_address(policy, from))
    return shown("MAIL FROM (outside sender on outbound mail)", from);
  return NULL;
}

char *
mugai_autoforward_marker(const mugai_policy *policy, GMimeMessage *message,
                         const mugai_envelope *envelope)
{
  g_return_val_if_fail(policy != NULL && message != NULL && envelope != NULL, NULL);
  if (!applies(policy, envelope))
    return NULL;
  gboolean outbound = envelope->direction == MUGAI_DIRECTION_OUT;
  GMimeHeaderList *list = g_mime_object_get_header_list(GMIME_OBJECT(message));
  int count = g_mime_header_list_get_count(list);
  for (int i = 0; i < count; i++) {
    GMimeHeader *h = g_mime_header_list_get_header_at(list, i);
    char *marker = header_marker(policy, g_mime_header_get_name(h), g_mime_header_get_raw_value(h),
                                 outbound);
    if (marker)
      return marker;
  }
  return envelope_marker(policy, envelope);
}
