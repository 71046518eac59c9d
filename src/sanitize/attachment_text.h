/* attachment_text.h — (private to sanitize/) what becomes of a file the walk removes: refused
 * ([inbound] reject_attachments), turned into text ([inbound] convert) or left removed; and the
 * texts of the converted files, which walk.c appends below the body.
 *
 * Owns: the pending texts in walk->attached (freed by mugai_attachment_texts_clear()).
 * Never: hands the converter a file the scanner did not pass, or lets a file's text through
 * without its header line, its caps and the body's checks (walk.c appends it like body text).
 */
#pragma once
#include "sanitize/walk.h"

typedef enum {
  MUGAI_FATE_REMOVE,  /* stays removed and named */
  MUGAI_FATE_CONVERT, /* its text goes below the body, the file does not */
  MUGAI_FATE_REJECT,  /* the message is refused (walk->limit is set) */
} mugai_attachment_fate;

/* The text of one converted file, waiting for the body to be complete. */
typedef struct {
  mugai_part *part; /* (transfer none) the result's entry, action EXTRACTED */
  GString *text;    /* UTF-8, cleaned (see attachment_text.c) */
  gboolean cut;     /* a cap cut it: "(truncated)" follows */
} mugai_attached_text;

/* What the policy does with PART, a file the walk removes (its detected type is known).
 * CONVERTIBLE: a plain attachment, not an encrypted or signed structure. REJECT sets the walk's
 * limit and names the type in walk->limit_detail. */
mugai_attachment_fate mugai_attachment_fate_of(mugai_walk *walk, const mugai_part *part,
                                               gboolean convertible);

/* May PART (scanned clean) be given to the converter: there is one and the file is not over
 * [convert] file_size? FALSE with the reason recorded (the part stays removed). */
gboolean mugai_attachment_may_convert(mugai_walk *walk, mugai_part *part);

/* Turn LEN bytes of DATA, PART's whole decoded content (mugai_attachment_may_convert() said
 * yes), into text with the walk's converter: PART becomes EXTRACTED and its text waits in walk->attached; or it stays
 * removed and part->conversion->failure says why. */
void mugai_attachment_convert(mugai_walk *walk, mugai_part *part, const guint8 *data, gsize len);

/* PART, which the policy converts, stays removed because of WHY (printf). */
void mugai_attachment_not_converted(mugai_walk *walk, mugai_part *part, const char *format, ...)
    G_GNUC_PRINTF(3, 4);

void mugai_attachment_texts_clear(mugai_walk *walk);
