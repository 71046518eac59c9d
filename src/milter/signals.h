/* signals.h — SIGHUP asks for a reload, as Postfix admins expect, instead of stopping the milter
 * (what libmilter alone does with it). SIGTERM and SIGINT stay libmilter's: a clean stop. */
#pragma once
#include <glib.h>

/* Block SIGHUP, SIGTERM and SIGINT in the calling thread and every thread it creates afterwards.
 * Call first in main(), before any thread exists (libmilter blocks them too, later). */
void mugai_signals_block(void);

/* Start the thread that waits for SIGHUP and calls ON_HUP(DATA) for each one. */
void mugai_signals_on_hup(void (*on_hup)(gpointer data), gpointer data);

/* Stop that thread and wait for it, after a reload it is running has finished; does nothing when
 * it was never started. Before main() frees what ON_HUP reads. */
void mugai_signals_stop_hup(void);

/* The calling thread is about to run smfi_main(): a SIGTERM or SIGINT from now on interrupts its
 * wait for connections, so that the stop takes effect at once instead of up to 5 s later. */
void mugai_signals_wake_here(void);

/* smfi_main() has returned in that thread: no more interruptions (waits for the waker). */
void mugai_signals_listener_returned(void);
