/* prescan.h — a linear look at the raw message before GMime builds its tree.
 *
 * GMime allocates a part object for every boundary line before mugai can count parts, so a few
 * MB of "--b" lines would cost gigabytes. This scan bounds that: it counts the lines that are
 * delimiters of a boundary the message declares, and says when they alone exceed
 * [limits] mime_parts, or when so many boundaries meet so many "--" lines that the parse itself
 * would be the attack. Pure; reads the stream and leaves it at its start. */
#pragma once
#include <gmime/gmime.h>
#include "config/policy.h"
#include "sanitize/reasons.h"

/* MUGAI_REASON_NONE when parsing may go ahead; MUGAI_REASON_MIME_PARTS when the message has more
 * delimiter lines (or declared boundaries) than parts allowed; MUGAI_REASON_MIME_DEPTH when more
 * boundaries than the depth limit meet more "--" lines than a real message has; MUGAI_REASON_INTERNAL
 * on a read error. */
mugai_reason mugai_prescan(GMimeStream *raw, const mugai_limits *limits);
