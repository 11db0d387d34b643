/*
 * signals.h - SIGINT and SIGTERM for every program: the first asks for a
 * graceful stop (eqm_signals_running() turns false; the program finishes
 * what it holds and exits), a second one ends the process at once, by the
 * same signal, as an operator pressing Ctrl-C twice means it.
 *
 * The handler only sets a flag (and on the second signal re-raises); the
 * main loop does the work. SIGPIPE is ignored, so a closed socket or pipe
 * is an error return, not a death.
 */
#ifndef EQM_SIGNALS_H
#define EQM_SIGNALS_H

#include <stdbool.h>

/* Installs the handlers; safe to call more than once. */
void eqm_signals_install(void);

/* False once a stop was asked for (by a signal or eqm_signals_stop()). */
bool eqm_signals_running(void);

/* Asks for a graceful stop, as the first signal would. */
void eqm_signals_stop(void);

/* The signal that asked for the stop, or 0. */
int eqm_signals_received(void);

#endif /* EQM_SIGNALS_H */
