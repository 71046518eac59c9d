/* reasons.c — the reason table (see reasons.h). Static data only. */
#include "sanitize/reasons.h"

static const mugai_reason_info reasons[MUGAI_REASON_COUNT] = {
  [MUGAI_REASON_NONE] = {"none", NULL, NULL, NULL, FALSE},
  [MUGAI_REASON_INTERNAL] = {"internal", "451", "4.3.0",
                             "Temporary failure in mail sanitization, please try again later",
                             FALSE},
  [MUGAI_REASON_TOO_BIG] = {"too_big", "552", "5.3.4", "Message too big for this gateway", FALSE},
  [MUGAI_REASON_MIME_DEPTH] = {"mime_depth", "554", "5.6.0",
                               "Message structure is nested too deeply to be checked", FALSE},
  [MUGAI_REASON_MIME_PARTS] = {"mime_parts", "554", "5.6.0",
                               "Message has too many MIME parts to be checked", FALSE},
  [MUGAI_REASON_MALFORMED] = {"malformed", "554", "5.6.0", "Message could not be parsed", FALSE},
  [MUGAI_REASON_TIME] = {"time_limit", "554", "5.6.0",
                         "Message takes too long to be checked by this gateway", FALSE},
  [MUGAI_REASON_HEADERS] = {"malformed_headers", "554", "5.6.0",
                            "Message has too many malformed header fields", FALSE},
  [MUGAI_REASON_VIRUS] = {"virus", "550", "5.7.1", "Virus found", TRUE},
  [MUGAI_REASON_SCAN_TOO_BIG] = {"scan_too_big", "552", "5.3.4",
                                 "Message content is too big to be scanned for viruses", FALSE},
  [MUGAI_REASON_SCAN_ERROR] = {"scan_error", "451", "4.3.0",
                               "Virus scanning is not available, please try again later", FALSE},
  [MUGAI_REASON_AUTOFORWARD] = {"autoforward", "550", "5.7.1",
                                "Automatic forwarding is not allowed by this gateway", TRUE},
  [MUGAI_REASON_SHOWN_ADDRESSES] = {"shown_addresses", "550", "5.7.1",
                                    "Too many outside addresses in To and Cc: put them in Bcc",
                                    TRUE},
  [MUGAI_REASON_INDIVIDUAL_NUMBER] = {"individual_number", "550", "5.7.1",
                                      "Message contains an individual number (My Number): not sent",
                                      TRUE},
  [MUGAI_REASON_IMPERSONATION] = {"impersonation", "550", "5.7.1",
                                  "Message claims an inside sender but comes from outside", TRUE},
  [MUGAI_REASON_ATTACHMENT] = {"attachment", "550", "5.7.1",
                               "Attachments are not allowed in outbound mail", TRUE},
  [MUGAI_REASON_ATTACHMENT_TOO_BIG] = {"attachment_too_big", "552", "5.3.4",
                                       "Attachment too big for outbound mail", TRUE},
  [MUGAI_REASON_RATE_LIMIT] = {"rate_limit", "451", "4.7.1",
                               "Mass mailing limit reached, please try again later", FALSE},
  [MUGAI_REASON_DMARC] = {"dmarc", "550", "5.7.1",
                          "Message failed the DMARC check of its From domain", TRUE},
  [MUGAI_REASON_ATTACHMENT_TYPE] = {"attachment_type", "550", "5.7.1",
                                    "Attachment type not accepted by this gateway", TRUE},
};

const mugai_reason_info *
mugai_reason_get(mugai_reason reason)
{
  g_return_val_if_fail(reason < MUGAI_REASON_COUNT, &reasons[MUGAI_REASON_INTERNAL]);
  return &reasons[reason];
}
