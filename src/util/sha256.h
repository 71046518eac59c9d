/* sha256.h — the SHA-256 of every part mugai reads (the notice, the report and the quarantine name
 * it), streamed. OpenSSL's, not GLib's GChecksum: GLib's portable C code was a fifth of all the
 * instructions of sanitizing an ordinary mail with an attachment; OpenSSL uses the CPU's SHA
 * instructions where it has them. Same digests, same lower-case hex. */
#pragma once
#include <glib.h>

typedef struct mugai_sha256 mugai_sha256;

mugai_sha256 *mugai_sha256_new(void); /* (transfer full) never NULL (aborts when out of memory) */
void mugai_sha256_update(mugai_sha256 *h, const void *data, gsize len);
/* (transfer full) the 64 hex digits of what was given so far; H may not be updated after. */
char *mugai_sha256_hex(mugai_sha256 *h);
/* Start again, as if new. */
void mugai_sha256_reset(mugai_sha256 *h);
void mugai_sha256_free(mugai_sha256 *h); /* NULL-safe */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(mugai_sha256, mugai_sha256_free)
