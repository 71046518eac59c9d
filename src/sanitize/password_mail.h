/* password_mail.h — (private to sanitize/) PPAP on the password mail's side: read the text the
 * reader gets for candidate passwords, let the unlocker try them on the archives held for the
 * sender, and mask them once one opened something. */
#pragma once
#include "sanitize/sanitize.h"

/* For an inbound mail under POLICY ([ppap] unlock) with SERVICES->unlocker: when TEXT (UTF-8,
 * the body the reader gets, before links are rewritten) gives candidate passwords, try them for
 * ENVELOPE's sender and recipients; RESULT gets the attempts and their actions, and TEXT the
 * passwords masked when one opened an archive. FALSE, with *FAILURE (transfer full), when the
 * unlocker failed in a way a retry may mend: the mail must be tempfailed. */
gboolean mugai_password_mail(const mugai_policy *policy, const mugai_envelope *envelope,
                             const mugai_services *services, GString *text, mugai_result *result,
                             char **failure);
