/* config_reload.h — the configuration of a running mugai-milter: reloaded on SIGHUP (validated
 * first; a bad file keeps the policy in force), and compared with the file on disk every
 * [milter] config_check_interval (tamper check: a file changed without a reload is logged with
 * both hashes). Messages in flight keep the policy they started with (see context.h). */
#pragma once
#include "milter/callbacks.h"

/* Reload the configuration from PATH (nullable: what mugai_config_load() reads without -c) into
 * STATE, and the virus scanner with it. Logs what happened. Called on the SIGHUP thread. */
void mugai_config_reload(mugai_milter_state *state, const char *path);

/* Start the tamper check thread (runs until the process ends). */
void mugai_config_watch_start(mugai_milter_state *state);

/* Stops and joins the tamper check's thread; nothing when not started. */
void mugai_config_watch_stop(void);
