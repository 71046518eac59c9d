/* policy.h — the immutable, reference-counted policy built from a validated config file.
 *
 * Owns: every string inside it. Never modified after mugai_config_*() returns it, so any number of
 * threads may read it; a reload builds a new one and swaps the pointer (milter threads hold a ref).
 */
#pragma once
#include <glib.h>

typedef enum {
  MUGAI_LANG_JA,
  MUGAI_LANG_EN,
} mugai_language;

/* Hard bounds on the work one message may cause. Passed as const * to everything that parses. */
typedef struct {
  guint64 message_bytes; /* [limits] message_size: larger input gets a final reject */
  guint mime_depth;      /* [limits] mime_depth: nesting of multipart and message/rfc822 */
  guint mime_parts;      /* [limits] mime_parts: leaf + container parts in one message */
  guint64 html_bytes;    /* [limits] html_size: HTML larger than this is not rendered */
  guint64 text_bytes;    /* [limits] text_size: cap on the sanitized body text */
} mugai_limits;

typedef struct mugai_policy {
  char *source;  /* file path, or "(embedded default)" */
  char *sha256;  /* hex SHA-256 of the config text as read */

  char *milter_socket;   /* [milter] socket: "unix:/path" or "inet:PORT@HOST" */
  char *spool_dir;       /* [milter] spool_dir: private temp files for large bodies */
  guint64 spool_memory;  /* [milter] spool_memory: bytes kept in memory before spooling */

  mugai_language notice_language; /* [notice] language: ja | en */

  mugai_limits limits;
} mugai_policy;

/* (transfer full) a new policy holding every default; refcount 1. */
mugai_policy *mugai_policy_new_defaults(void);
mugai_policy *mugai_policy_ref(mugai_policy *policy);
void mugai_policy_unref(mugai_policy *policy); /* NULL-safe */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(mugai_policy, mugai_policy_unref)
