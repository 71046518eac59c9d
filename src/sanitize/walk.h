/* walk.h — (private to sanitize/) the walk over a parsed message's MIME tree that decides, part by
 * part, what the reader gets: text kept, HTML rendered, everything else removed and reported. */
#pragma once
#include <gmime/gmime.h>
#include "sanitize/sanitize.h"

typedef struct {
  const mugai_policy *policy;
  const mugai_services *services;
  const mugai_envelope *envelope;
  mugai_result *result;      /* (transfer none) parts and action counts are recorded here */
  GString *text;             /* the body text being assembled: UTF-8, "\n" line ends */
  guint entities;            /* MIME entities seen, against [limits] mime_parts */
  guint typed;               /* parts given to libmagic, against MUGAI_FILETYPE_MAX_PER_MESSAGE */
  const mugai_link_options *defang; /* (nullable) link kinds written defanged; NULL: none */
  mugai_link_report links;   /* links seen in HTML and text: counts and mismatch warnings */
  const char *queue_id;      /* (nullable) for the notice's {queue_id} */
  const char *quarantine_id; /* (nullable) for the notice's {quarantine_id} */
  gint64 deadline;           /* g_get_monotonic_time() past which the walk stops; 0 = none */
  mugai_reason limit;        /* NONE, or the limit that stopped the walk */
  gboolean text_full;        /* the body text reached [limits] text_size */
  gboolean crit_warning;     /* GMime reported a GMIME_CRIT_* problem: the structure is untrusted */
  char *failure;             /* (nullable) an internal failure: the walk stops, verdict tempfail */
  mugai_scanner *scanner;    /* (nullable) (transfer none) every leaf is scanned with it */
  mugai_reason scan_reason;  /* NONE, or the scanner's worst answer: VIRUS > SCAN_TOO_BIG >
                              * SCAN_ERROR; VIRUS and SCAN_ERROR also stop the walk (limit) */
  char *scan_name;           /* (nullable) the signature or limit the reply names */
  char *scan_detail;         /* (nullable) one line for the log: which part, what happened */
  char *limit_detail;        /* (nullable) what the refusal for LIMIT names (a type) */
  GPtrArray *attached;       /* (nullable) mugai_attached_text *: converted files, in MIME order,
                              * appended below the body by mugai_walk_attached_texts() */
  guint64 attached_bytes;    /* their text so far, against [convert] text_per_message */
} mugai_walk;

/* Parse STREAM as a message with mugai's parser options; GMIME_CRIT_* warnings mark WALK's
 * structure untrusted. (transfer full) (nullable) */
GMimeMessage *mugai_walk_parse(mugai_walk *walk, GMimeStream *stream);

/* A message whose Content-Type is declared twice, differently, reads one way in GMime (the last
 * header wins) and another in many clients (the first wins). When the first declares text, the
 * body read that way from RAW is appended too, so the reader loses nothing either client shows. */
void mugai_walk_first_reading(mugai_walk *walk, GMimeMessage *message, GMimeStream *raw);

/* TRUE (and the walk's limit set to MUGAI_REASON_TIME) once the deadline has passed. */
gboolean mugai_walk_out_of_time(mugai_walk *walk);

/* Append the text of every converted attachment below the body, each under its header line,
 * through the body's caps and payload checks. */
void mugai_walk_attached_texts(mugai_walk *walk);

/* Walk BODY, the top-level MIME part of a message (nullable for a header-only message). */
void mugai_walk_message_body(mugai_walk *walk, GMimeObject *body);
