/* config_private.h — what the files of the config parser share, and nothing outside src/config/
 * uses: the type of the one key table, the table itself (config_table.c), the value checks
 * (config_checks.c), and the quoting of input in problem messages. */
#pragma once
#include <glib.h>
#include "config/config.h"

#define NO_MAX G_MAXUINT64
#define MAX_REPORTED 50    /* a binary file gives 50 lines of problems, not 50 000 */
#define MAX_SHOWN_CHARS 64 /* of any input quoted in a message */

typedef enum {
  OPT_STRING, OPT_SIZE, OPT_UINT, OPT_ENUM, OPT_BOOL, OPT_DURATION, OPT_TEMPLATE,
  OPT_LIST, /* items separated by commas or spaces, each checked by check; "" = empty list */
} opt_type;

/* Extra check of a string value: NULL when it is fine, else what is wrong (transfer full). */
typedef char *(*opt_check_fn)(const char *value);

typedef struct {
  const char *group;
  const char *key;
  opt_type type;
  const char *def;            /* written as in the file and parsed by the same code as the file,
                                 so a default can neither be invalid nor dump differently */
  guint64 min, max;           /* inclusive bounds of OPT_SIZE and OPT_UINT */
  gsize offset;               /* of the field in mugai_policy */
  opt_check_fn check;         /* OPT_STRING */
  const char *const *choices; /* OPT_ENUM: NULL-terminated; choices[i] is stored as i; "" is a
                                 value of the C enum this key does not offer */
  gboolean empty_ok;          /* OPT_STRING: an empty value is meaningful ("no tag") */
  void (*derive)(mugai_policy *policy); /* (nullable) fills what is computed from the value once,
                                         * so no message parses it again (after every set) */
} config_opt;

/* The one list of keys, in the order config/mugai.conf documents them (config_table.c). */
extern const config_opt mugai_config_opts[];
extern const gsize mugai_config_opt_count;

/* The keys of a [rule NAME] section that say what it matches live in the table under this group,
 * which is not a group of the file: the section's other keys are GROUP.KEY of the groups. */
#define RULE_GROUP "rule"
#define RULE_NAME_MAX 40

gboolean config_is_rule_match_key(const config_opt *opt);
gboolean config_is_rule_key(const config_opt *opt);
char *config_rule_key_spelling(const config_opt *opt); /* (transfer full) */
gboolean config_is_first_of_group(gsize index);

/* Input quoted in a message: escaped and cut (see config_table.c). */
void config_append_escaped(GString *out, const char *text, gsize max);
char *config_shown_text(const char *text, gboolean quote); /* (transfer full) */
#define shown(text) config_shown_text(text, FALSE)
#define quoted(text) config_shown_text(text, TRUE)
char *config_format_number(const config_opt *opt, guint64 n); /* (transfer full) */

/* The checks of string and list values (config_checks.c): NULL when VALUE is fine, else what is
 * wrong (transfer full); the derive steps fill what is computed from a value once. */
char *config_check_socket(const char *value);
char *config_check_absolute_path(const char *value);
char *config_check_subject_tag(const char *value);
char *config_check_banner(const char *value);
char *config_check_clamd_socket(const char *value);
char *config_check_domain(const char *value);
char *config_check_network(const char *value);
char *config_check_daemon_name(const char *value);
void config_derive_internal_masks(mugai_policy *policy);
void config_derive_exempt_client_masks(mugai_policy *policy);
char *config_check_address_or_domain(const char *value);
char *config_check_clause(const char *value);
char *config_check_authserv_id(const char *value);
char *config_check_address(const char *value);
char *config_check_rcpt_domain(const char *value);
char *config_check_optional_path(const char *value);
char *config_check_optional_address(const char *value);
char *config_check_command(const char *value);
void config_derive_sendmail_argv(mugai_policy *policy);
char *config_check_contact(const char *value);
char *config_check_host_port(const char *value);
char *config_check_convert_type(const char *value);
char *config_check_attachment_type(const char *value);
char *config_check_optional_user(const char *value);
char *config_check_spool_dir(const char *value);
char *config_check_store_dir(const char *value);
char *config_unsafe_directory(const char *path);
char *config_check_file_safe(int fd, const char *path);
char *config_check_optional_group(const char *value);
