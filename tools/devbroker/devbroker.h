/*
 * devbroker.h - the parts of eqm-devbroker (see main.c):
 *
 *   main.c      options, the handle that owns the mock cluster, the
 *               contract's topics, the bootstrap file, the main loop
 *   commands.c  the control commands (fault injection, topics, leaders):
 *               one line in, one reply line out
 *   control.c   the Unix control socket that carries them, and the
 *               `eqm-devbroker ctl` client
 */
#ifndef EQM_DEVBROKER_H
#define EQM_DEVBROKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

enum {
    CTL_LINE_MAX = 1024, /* longest command or reply, newline included */
    CTL_CLIENTS_MAX = 16,
    CTL_CLIENT_TIMEOUT_S = 10,
    CONF_PROPS_MAX = 32,
    PUSH_ERRORS_MAX = 100000,
    LOOP_POLL_MS = 100,
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

struct devbroker {
    rd_kafka_t *rk;
    rd_kafka_mock_cluster_t *mcluster;
    int brokers;
    int partitions;
    bool shutdown_requested; /* by the control command, not a signal */
};

/* ---- commands.c -------------------------------------------------------- */

/*
 * Runs one command line and writes the full reply line (with "ok " or
 * "error " and a newline) into out; logs it. line is modified. `shutdown`
 * asks the main loop to stop (eqm_signals_stop()).
 */
void devbroker_command_run(struct devbroker *db, char *line, char *out, size_t out_size);

/* The commands' usage lines, one per line, for --help. */
void devbroker_commands_usage(FILE *f);

/* A decimal int in [min, max] into *out; 0, or -1 (and *out untouched). */
int devbroker_parse_int(const char *s, int min, int max, int *out)
    __attribute__((warn_unused_result));

/* ---- control.c --------------------------------------------------------- */

struct ctl_client {
    int fd;
    size_t len;
    char buf[CTL_LINE_MAX];
};

struct ctl_server {
    int fd;
    const char *path;
    struct ctl_client clients[CTL_CLIENTS_MAX];
};

/*
 * Binds path, replacing a stale socket left by a crashed run but refusing
 * to steal one another live devbroker still answers on. 0, or -1 with
 * errstr.
 */
int ctl_server_open(struct ctl_server *srv, const char *path, char *errstr, size_t errstr_size)
    __attribute__((warn_unused_result));
/* Closes every client and the socket, and removes it. */
void ctl_server_close(struct ctl_server *srv);
/* Waits up to timeout_ms for clients and answers what they sent. 0, or
 * -1 (errno) if poll() failed. */
int ctl_server_poll(struct devbroker *db, struct ctl_server *srv, int timeout_ms)
    __attribute__((warn_unused_result));

/* eqm-devbroker ctl SOCKET COMMAND...: one request, one reply line on
 * stdout. The exit status: 0 when the reply starts with `ok`. */
int ctl_main(int argc, char **argv);

#endif /* EQM_DEVBROKER_H */
