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
  MUGAI_ACTION_SIGNATURE,   /* an S/MIME or PGP signature was dropped (the content was kept) */
  MUGAI_ACTION_ENCRYPTED,   /* encrypted or opaque-signed content, which cannot be checked, removed */
  MUGAI_ACTION_INLINE_IMAGES, /* images a multipart/related HTML body referred to were dropped */
  MUGAI_ACTION_PARTIAL,     /* the message is a fragment (message/partial): shown as text only */
  MUGAI_ACTION_ARCHIVE_LISTED, /* the files inside a removed archive or winmail.dat were listed */
  MUGAI_ACTION_LINK_DEFANGED,  /* link targets were written so that no client makes them clickable */
  MUGAI_ACTION_LINK_DROPPED,   /* javascript:, data: and other active link targets were left out */
  MUGAI_ACTION_LINK_MISMATCH,  /* a link's text named another host than its target: warned */
  MUGAI_ACTION_HEADERS_CLEANED,/* header values decoded, stripped of controls or cut (inbound) */
  MUGAI_ACTION_SUBJECT_TAGGED, /* [notice] subject_tag was put in front of the Subject */
  MUGAI_ACTION_NOT_SCANNED,    /* [scan] backend = none: no virus scanner looked at the message */
  MUGAI_ACTION_IMPERSONATION,  /* an inside sender claimed on inbound mail: warned in the notice */
  MUGAI_ACTION_DMARC_FAIL,     /* the trusted DMARC result is fail: warned in the notice */
  MUGAI_ACTION_AUTH_REMOVED,   /* untrusted Authentication-Results headers were removed (inbound) */
  MUGAI_ACTION_TEXT_EXTRACTED, /* an attachment was turned into text ([inbound] convert) */
  MUGAI_ACTION_BANNER,         /* [notice] banner was put at the top of the text */
  MUGAI_ACTION_LOCKED,         /* PPAP: a password-protected archive is held for its password */
  MUGAI_ACTION_UNLOCKED,       /* PPAP: this mail's password opened a held archive, whose text
                                * went to the recipient in a new message */
  MUGAI_ACTION_PASSWORD_MASKED,/* PPAP: the password that opened it was masked in the text */
  MUGAI_ACTION_UNLOCK_FAILED,  /* PPAP: this mail's passwords did not open a held archive (or it
                                * came too late): said in the notice */
  MUGAI_ACTION_COUNT
} mugai_action;

/* TRUE for actions that change headers only: they never require a new body. */
gboolean mugai_action_is_header_only(mugai_action action);

/* The short word for ACTION ("html2text"); static string. */
const char *mugai_action_name(mugai_action action);

/* "html2text,removed:2" from per-action counts (count 1 → word, more → word:N); "none" when all 0.
 * (transfer full) */
char *mugai_actions_format(const guint counts[MUGAI_ACTION_COUNT]);
