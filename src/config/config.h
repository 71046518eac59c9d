/* config.h — read and validate the INI config file into an immutable mugai_policy.
 *
 * Every problem is reported at once, each as "FILE:LINE: [group] key: what is wrong"
 * (GKeyFile alone gives neither line numbers nor unknown-key errors). Never logs, never exits.
 */
#pragma once
#include <glib.h>
#include "config/policy.h"

#define MUGAI_DEFAULT_CONFIG_PATH "/etc/mugai/mugai.conf"
#define MUGAI_EMBEDDED_SOURCE "(embedded default)"

/* The embedded default configuration text (config/mugai.conf compiled in). */
extern const char *const mugai_default_config_text;

#define MUGAI_CONFIG_ERROR (mugai_config_error_quark())
GQuark mugai_config_error_quark(void);
typedef enum {
  MUGAI_CONFIG_ERROR_IO,      /* the file could not be read */
  MUGAI_CONFIG_ERROR_INVALID, /* one or more problems; the message lists them, one per line */
} mugai_config_error;

/* Parse TEXT (named SOURCE in messages). On success returns a new policy (transfer full).
 * On failure returns NULL, sets ERROR, and appends each problem line (transfer full strings)
 * to PROBLEMS when it is non-NULL. */
mugai_policy *mugai_config_parse(const char *text, gsize len, const char *source,
                                 GPtrArray *problems, GError **error);

/* Parse the text of a [lists] file (named SOURCE in messages): one sender address or domain per
 * line, "#" comments and blank lines allowed. Returns the senders lower-cased, domains without a
 * leading "@", sorted, without duplicates (transfer full, NULL-terminated). On problems returns NULL, sets ERROR to all of
 * them, one per line as "SOURCE:LINE: what is wrong", and appends each to PROBLEMS (nullable). */
char **mugai_config_parse_sender_list(const char *text, gsize len, const char *source,
                                      GPtrArray *problems, GError **error);

/* Read PATH (nullable: MUGAI_DEFAULT_CONFIG_PATH when it exists, else the embedded default). */
mugai_policy *mugai_config_load(const char *path, GPtrArray *problems, GError **error);

/* The hex SHA-256 of the file at PATH as mugai_config_load() would read it (what a policy's sha256
 * says when it came from that file). (transfer full) NULL with ERROR when it cannot be read. */
char *mugai_config_file_sha256(const char *path, GError **error);

/* Set every key of POLICY to its default from the key table in config.c. policy.c calls it so that
 * mugai_policy_new_defaults() and the parser share one list of keys; prefer that function. */
void mugai_config_set_defaults(mugai_policy *policy);

/* Print the effective policy as an INI text (for `mugai config check -v`). (transfer full) */
char *mugai_config_dump(const mugai_policy *policy);
