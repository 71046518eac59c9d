/* actions.c — names of the actions mugai takes on a message (see actions.h). Static data only. */
#include "sanitize/actions.h"

static const char *const action_names[MUGAI_ACTION_COUNT] = {
  [MUGAI_ACTION_HTML2TEXT] = "html2text",
  [MUGAI_ACTION_REMOVED] = "removed",
  [MUGAI_ACTION_ALTERNATIVE] = "alternative_dropped",
  [MUGAI_ACTION_CHARSET] = "charset_utf8",
  [MUGAI_ACTION_INLINED] = "message_inlined",
  [MUGAI_ACTION_TRUNCATED] = "truncated",
  [MUGAI_ACTION_FORGED] = "forged_headers_removed",
  [MUGAI_ACTION_ACTIVE_HEADERS] = "active_headers_removed",
  [MUGAI_ACTION_AMBIGUOUS] = "ambiguous_type",
  [MUGAI_ACTION_REENCODED] = "reencoded",
  [MUGAI_ACTION_UNTRUSTED] = "structure_untrusted",
  [MUGAI_ACTION_SIGNATURE] = "signature_removed",
  [MUGAI_ACTION_ENCRYPTED] = "encrypted_removed",
  [MUGAI_ACTION_INLINE_IMAGES] = "inline_images_dropped",
  [MUGAI_ACTION_PARTIAL] = "partial_fragment",
  [MUGAI_ACTION_ARCHIVE_LISTED] = "archive_listed",
  [MUGAI_ACTION_LINK_DEFANGED] = "link_defanged",
  [MUGAI_ACTION_LINK_DROPPED] = "link_dropped",
  [MUGAI_ACTION_LINK_MISMATCH] = "link_mismatch",
  [MUGAI_ACTION_HEADERS_CLEANED] = "headers_cleaned",
  [MUGAI_ACTION_SUBJECT_TAGGED] = "subject_tagged",
  [MUGAI_ACTION_NOT_SCANNED] = "not-scanned", /* spelled as the admins' issue asked */
  [MUGAI_ACTION_IMPERSONATION] = "impersonation_warned",
  [MUGAI_ACTION_DMARC_FAIL] = "dmarc_fail_warned",
  [MUGAI_ACTION_AUTH_REMOVED] = "auth_results_removed",
  [MUGAI_ACTION_TEXT_EXTRACTED] = "text_extracted",
  [MUGAI_ACTION_BANNER] = "banner",
  [MUGAI_ACTION_LOCKED] = "locked",
  [MUGAI_ACTION_UNLOCKED] = "unlocked",
  [MUGAI_ACTION_PASSWORD_MASKED] = "password_masked",
  [MUGAI_ACTION_UNLOCK_FAILED] = "unlock_failed",
};

gboolean
mugai_action_is_header_only(mugai_action action)
{
  return action == MUGAI_ACTION_FORGED || action == MUGAI_ACTION_ACTIVE_HEADERS ||
         action == MUGAI_ACTION_HEADERS_CLEANED || action == MUGAI_ACTION_SUBJECT_TAGGED ||
         action == MUGAI_ACTION_NOT_SCANNED || action == MUGAI_ACTION_AUTH_REMOVED;
}

const char *
mugai_action_name(mugai_action action)
{
  g_return_val_if_fail(action < MUGAI_ACTION_COUNT, "unknown");
  return action_names[action];
}

char *
mugai_actions_format(const guint counts[MUGAI_ACTION_COUNT])
{
  GString *out = g_string_new(NULL);
  for (guint i = 0; i < MUGAI_ACTION_COUNT; i++) {
    if (counts[i] == 0)
      continue;
    if (out->len)
      g_string_append_c(out, ',');
    g_string_append(out, action_names[i]);
    if (counts[i] > 1)
      g_string_append_printf(out, ":%u", counts[i]);
  }
  if (out->len == 0)
    g_string_append(out, "none");
  return g_string_free(out, FALSE);
}
