/* actions.h — the one table of action names. The log line, the X-Mugai-Actions header and the
 * JSON report all spell what was done with these words, so admins can grep one vocabulary. */
#pragma once
#include <glib.h>

typedef enum {
  MUGAI_ACTION_HTML2TEXT,   /* an HTML part was rendered as text */
  MUGAI_ACTION_REMOVED,     /* a part (attachment, image, signature...) was removed */
  MUGAI_ACTION_ALTERNATIVE, /* a redundant alternative (usually HTML beside text) was dropped */
  MUGAI_ACTION_CHARSET,     /* text was converted from another charset to UTF-8 */
  MUGAI_ACTION_INLINED,     /* an attached message's text was inlined */
  MUGAI_ACTION_TRUNCATED,   /* text beyond [limits] text_size / html_size was cut */
  MUGAI_ACTION_FORGED,      /* incoming X-Mugai-* headers were removed */
  MUGAI_ACTION_ACTIVE_HEADERS, /* read-receipt requests and face images were removed (inbound) */
  MUGAI_ACTION_AMBIGUOUS,   /* conflicting Content-Type headers: both readings shown */
  MUGAI_ACTION_REENCODED,   /* text only re-encoded (a transfer encoding or type that may not pass) */
  MUGAI_ACTION_UNTRUSTED,   /* GMime flagged the structure (GMIME_CRIT_*): rewritten, never passed */
  MUGAI_ACTION_COUNT
} mugai_action;

/* The short word for ACTION ("html2text"); static string. */
const char *mugai_action_name(mugai_action action);

/* "html2text,removed:2" from per-action counts (count 1 → word, more → word:N); "none" when all 0.
 * (transfer full) */
char *mugai_actions_format(const guint counts[MUGAI_ACTION_COUNT]);
