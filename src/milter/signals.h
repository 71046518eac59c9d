/* signals.h — SIGHUP asks for a reload, as Postfix admins expect, instead of stopping the milter
 * (what libmilter alone does with it). SIGTERM and SIGINT stay libmilter's: a clean stop. */
#pragma once
#include <glib.h>

/* Block SIGHUP, SIGTERM and SIGINT in the calling thread and every thread it creates afterwards.
 * Call first in main(), before any thread exists (libmilter blocks them too, later). */
void mugai_signals_block(void);

/* Start the thread that waits for SIGHUP and calls ON_HUP(DATA) for each one. */
void mugai_signals_on_hup(void (*on_hup)(gpointer data), gpointer data);
