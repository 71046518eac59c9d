/* context.h — the milter's two-level context (OpenDKIM's model).
 *
 * mugai_conn: created at connect, freed at close; holds a reference to the policy in force at
 * connect, renewed at every MAIL FROM, so a reload reaches the next message of a long session
 * but never changes the rules under a message in flight.
 * mugai_msg: created at MAIL FROM, freed by mugai_msg_free() — at the next MAIL FROM, end of
 * message, abort, close and every early final answer.
 */
#pragma once
#include <glib.h>
#include "config/policy.h"
#include "sanitize/result.h"
#include "sanitize/spool.h"

typedef struct {
  char *queue_id;      /* (nullable) Postfix {i}, read lazily */
  guint64 size_cap;    /* the direction's max_message_size (at MAIL FROM the largest any rule
                        * allows the sender, from the first recipient its rule's): the spool
                        * never grows past it */
  guint64 declared_size; /* ESMTP SIZE= at MAIL FROM; 0 = none */
  gboolean first_contact; /* inbound, and nobody inside has written to the sender ([contacts],
                           * looked up at MAIL FROM when a rule has match_first_contact) */
  /* (nullable until the first recipient is accepted) the policy the message is judged under: the
   * connection's, or one of its [rule NAME] policies (owned by it). Every recipient shares it. */
  const mugai_policy *policy;
  char *mail_from;
  GPtrArray *rcpts;    /* char *, NULL-terminated when handed to the core */
  GPtrArray *headers;  /* mugai_header *, as received: the edits are applied against this list */
  mugai_spool *spool;  /* headers rebuilt, empty line, body */
  gboolean headers_done;
  /* A failure at a stage that sends no reply (SMFIP_NR_HDR, _EOH, _BODY), answered at the next
   * stage that does; nothing after it is spooled. */
  guint64 overflow; /* the size the message passed size_cap at; 0 = none */
  char *failure;    /* (nullable) why it could not be spooled */
} mugai_msg;

typedef struct {
  mugai_policy *policy; /* (transfer full) ref taken at connect, renewed at MAIL FROM */
  char *client_addr;
  char *helo;
  char *daemon_name;      /* (nullable) Postfix {daemon_name} at connect */
  mugai_direction direction; /* decided at connect, again at MAIL FROM (the policy may change) */
  gboolean leading_space; /* Postfix agreed to SMFIP_HDR_LEADSPC: header values keep their space */
  unsigned long noreply;  /* the SMFIP_NR_* stages that send no reply: a failure in one of them
                           * is answered at the next stage that replies (mugai_msg overflow) */
  mugai_msg *msg;         /* (nullable) the message in progress */
} mugai_conn;

mugai_conn *mugai_conn_new(mugai_policy *policy, const char *client_addr);
void mugai_conn_free(mugai_conn *conn); /* NULL-safe; frees the message in progress too */

mugai_msg *mugai_msg_new(const mugai_policy *policy, const char *mail_from);
void mugai_msg_free(mugai_msg *msg); /* NULL-safe */
