/* context.c — connection and message contexts (see context.h). */
#include "milter/context.h"

#include "sanitize/headers.h"

mugai_conn *
mugai_conn_new(mugai_policy *policy, const char *client_addr)
{
  mugai_conn *conn = g_new0(mugai_conn, 1);
  conn->policy = mugai_policy_ref(policy);
  conn->client_addr = g_strdup(client_addr);
  return conn;
}

void
mugai_conn_free(mugai_conn *conn)
{
  if (conn == NULL)
    return;
  mugai_msg_free(conn->msg);
  mugai_policy_unref(conn->policy);
  g_free(conn->client_addr);
  g_free(conn->helo);
  g_free(conn->daemon_name);
  g_free(conn);
}

mugai_msg *
mugai_msg_new(const mugai_policy *policy, const char *mail_from)
{
  mugai_msg *msg = g_new0(mugai_msg, 1);
  msg->mail_from = g_strdup(mail_from);
  msg->rcpts = g_ptr_array_new_with_free_func(g_free);
  msg->headers = mugai_headers_new();
  msg->spool = mugai_spool_new(policy->spool_dir, policy->spool_memory);
  return msg;
}

void
mugai_msg_free(mugai_msg *msg)
{
  if (msg == NULL)
    return;
  g_free(msg->queue_id);
  g_free(msg->mail_from);
  g_ptr_array_unref(msg->rcpts);
  g_ptr_array_unref(msg->headers);
  mugai_spool_free(msg->spool);
  g_free(msg->failure);
  g_free(msg);
}
