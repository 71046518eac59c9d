/* tnef_list.h — the attachment names inside a TNEF stream (application/ms-tnef, winmail.dat),
 * which Outlook sends in place of the real attachments, for the notice: the reader sees
 * "winmail.dat" but what was sent is "見積書.xlsx". Fills the listing type of archive_list.h;
 * attachments that are archives themselves are listed one level down, within the same limits.
 * Pure: no globals, no logging; safe from any thread.
 */
#pragma once
#include "sanitize/archive_list.h"

/* The TNEF signature (0x223E9F78, little endian) opens DATA's LEN bytes. */
gboolean mugai_tnef_detect(const guint8 *data, gsize len);

/* The attachments of the TNEF stream DATA (format "tnef"): each one's long file name (MAPI
 * PR_ATTACH_LONG_FILENAME), else its 8-bit title in the stream's OEM codepage, and its size.
 * A truncated or corrupt stream gives what was listed before the fault with damaged = TRUE.
 * Never NULL. (transfer full) */
mugai_archive_listing *mugai_tnef_list(const guint8 *data, gsize len,
                                       const mugai_archive_limits *limits);
