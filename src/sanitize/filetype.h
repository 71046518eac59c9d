/* filetype.h — the true type of a part's content, by libmagic, usable from many threads.
 *
 * A magic_t handle is not thread-safe, and loading the database costs milliseconds, so handles
 * are loaded once and kept in a pool: each call borrows one, and a new one is loaded only when
 * every existing handle is busy, up to four (each maps the database again); past that a call
 * waits for a handle to come back. Owns the handles; mugai_filetype_free() closes them.
 */
#pragma once
#include <glib.h>

typedef struct mugai_filetype mugai_filetype;

/* (transfer full) NULL with ERROR set when libmagic's database cannot be loaded. */
mugai_filetype *mugai_filetype_new(GError **error);
void mugai_filetype_free(mugai_filetype *filetype); /* NULL-safe */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(mugai_filetype, mugai_filetype_free)

/* MIME type of the first LEN bytes of DATA ("application/pdf"), "application/octet-stream" when
 * libmagic cannot tell. DECLARED (nullable) is the type the sender gave: when it is PDF, PNG,
 * JPEG or GIF and DATA starts with that format's signature, libmagic, whose rule for the format
 * is that signature and gives the same answer, is not asked. (transfer full) */
char *mugai_filetype_detect(mugai_filetype *filetype, const void *data, gsize len,
                            const char *declared);

/* libmagic costs from 10 us (a JPEG) to 0.5 ms (text) a call on an idle machine: a message with
 * hundreds of attachments has only its first parts typed (the rest report detected_type ""), so
 * it cannot cost more. */
#define MUGAI_FILETYPE_MAX_PER_MESSAGE 32

/* How many bytes of a part are enough for detection: callers pass at most this much. */
#define MUGAI_FILETYPE_PREFIX 8192
