#include "eqm/signals.h"

#include <signal.h>
#include <string.h>

static volatile sig_atomic_t running = 1;
static volatile sig_atomic_t received = 0;

static void on_signal(int sig) {
    if (!running) {
        /* Second signal: the default action, which ends the process. */
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    received = sig;
    running = 0;
}

void eqm_signals_install(void) {
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

bool eqm_signals_running(void) {
    return running != 0;
}

void eqm_signals_stop(void) {
    running = 0;
}

int eqm_signals_received(void) {
    return (int)received;
}
