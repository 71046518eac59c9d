/* status.h — what mugai-milter tells `mugai status`: counts of messages and verdicts since start,
 * the last configuration reload, the scanner in force and the clock, written as JSON to
 * [milter] status_file (atomically, every MUGAI_STATUS_INTERVAL seconds and after a reload), so a
 * monitoring system reads it without talking to the milter. The counts are process-wide
 * atomics: one milter process per status file. */
#pragma once
#include "milter/callbacks.h"
#include "sanitize/result.h"

#define MUGAI_STATUS_INTERVAL 10 /* seconds; `mugai status` calls a file older than 3x stale */

/* One message answered with VERDICT (VIRUS: a signature matched). Thread-safe. */
void mugai_status_count(mugai_verdict verdict, gboolean virus);

/* A reload (SIGHUP) done: OK (the new configuration is in force) or refused, and why. */
void mugai_status_note_reload(gboolean ok, const char *detail);

/* Start the thread that writes the status file of STATE's policy (re-read each time, so a
 * reload may move it; "" writes none); it checks the clock too and warns once per change. */
void mugai_status_start(mugai_milter_state *state);

/* Stops and joins the status thread (before the state it reads is freed); nothing when not started. */
void mugai_status_stop(void);

/* Write the status file now (after a reload). */
void mugai_status_write(mugai_milter_state *state);

/* A clean stop: the status file goes, so `mugai status` says at once that the milter is not
 * running (after a crash, the file's age says it). */
void mugai_status_remove(mugai_milter_state *state);
