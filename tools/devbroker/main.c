/*
 * eqm-devbroker - a throwaway Kafka broker for development and tests.
 *
 * librdkafka's mock cluster speaks the real Kafka protocol on 127.0.0.1, so
 * our consumers, kcat and the integration tests talk to it exactly as they
 * would to Kafka. The mock cluster lives inside a dummy producer handle that
 * never produces; it is only the owner the mock API asks for.
 *
 * A Unix control socket takes one command per line and answers one line,
 * `ok ...` or `error ...`, which is how tests inject faults. The same binary
 * is the client: `eqm-devbroker ctl SOCKET COMMAND...`.
 *
 * Everything runs on one thread: the main loop polls the control socket and
 * serves librdkafka's log queue; the mock cluster has its own thread inside
 * librdkafka, and its public API is safe to call from ours.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "eqm/log.h"

#define DEFAULT_TOPICS                                                                             \
    "stop-search.events,custody.events,recruitment.events,equality.alerts,"                        \
    "equality.dead-letter"

enum {
    CTL_LINE_MAX = 1024, /* longest command or reply, newline included */
    CTL_CLIENTS_MAX = 16,
    CTL_CLIENT_TIMEOUT_S = 10,
    CONF_PROPS_MAX = 32,
    PUSH_ERRORS_MAX = 100000,
    LOOP_POLL_MS = 100,
};

static volatile sig_atomic_t run = 1;
static bool shutdown_requested; /* by the control command, not a signal */

/* Flags only; a second signal means the operator has given up waiting. */
static void on_signal(int sig) {
    (void)sig;
    if (!run)
        _exit(1);
    run = 0;
}

struct devbroker_config {
    int brokers;
    int partitions;
    const char *topics;
    const char *bootstrap_file;
    const char *control_socket;
    enum eqm_log_level log_level;
    const char *props[CONF_PROPS_MAX]; /* "name=value", passed to the handle */
    int props_cnt;
};

struct devbroker {
    rd_kafka_t *rk;
    rd_kafka_mock_cluster_t *mcluster;
    int brokers;
    int partitions;
};

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
 * Kafka API keys by protocol name. The mock only understands the numbers;
 * the names are what people read in broker logs and KIPs.
 */
static const struct {
    const char *name;
    int16_t key;
} api_keys[] = {
    {"Produce", 0},
    {"Fetch", 1},
    {"ListOffsets", 2},
    {"Metadata", 3},
    {"OffsetCommit", 8},
    {"OffsetFetch", 9},
    {"FindCoordinator", 10},
    {"JoinGroup", 11},
    {"Heartbeat", 12},
    {"LeaveGroup", 13},
    {"SyncGroup", 14},
    {"DescribeGroups", 15},
    {"ListGroups", 16},
    {"SaslHandshake", 17},
    {"ApiVersions", 18},
    {"CreateTopics", 19},
    {"DeleteTopics", 20},
    {"DeleteRecords", 21},
    {"InitProducerId", 22},
    {"OffsetForLeaderEpoch", 23},
    {"AddPartitionsToTxn", 24},
    {"AddOffsetsToTxn", 25},
    {"EndTxn", 26},
    {"TxnOffsetCommit", 28},
    {"DescribeConfigs", 32},
    {"SaslAuthenticate", 36},
    {"OffsetDelete", 47},
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static int parse_long(const char *s, long min, long max, long *out) {
    char *end;
    long v;

    if (!s || !*s)
        return -1;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

static int parse_int(const char *s, int min, int max, int *out) {
    long v;

    if (parse_long(s, min, max, &v) < 0)
        return -1;
    *out = (int)v;
    return 0;
}

/* Accepts an API name (any case) or its numeric key. */
static int parse_api(const char *s, int16_t *out) {
    long v;

    for (size_t i = 0; i < ARRAY_LEN(api_keys); i++) {
        if (strcasecmp(s, api_keys[i].name) == 0) {
            *out = api_keys[i].key;
            return 0;
        }
    }
    if (parse_long(s, 0, INT16_MAX, &v) == 0) {
        *out = (int16_t)v;
        return 0;
    }
    return -1;
}

/*
 * Accepts NOT_LEADER_FOR_PARTITION, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
 * local errors such as _TRANSPORT (the mock then drops the connection), or a
 * number. Names come from librdkafka's own table, so every code it knows
 * works, not only the ones listed in --help.
 */
static int parse_err(const char *s, rd_kafka_resp_err_t *out) {
    static const char prefix[] = "RD_KAFKA_RESP_ERR_";
    const struct rd_kafka_err_desc *descs;
    size_t cnt;
    long v;

    if (strncasecmp(s, prefix, sizeof(prefix) - 1) == 0)
        s += sizeof(prefix) - 1;
    /* KIP-392 renamed error 6; librdkafka 2.0 still reports the old name. */
    if (strcasecmp(s, "NOT_LEADER_OR_FOLLOWER") == 0) {
        *out = RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION;
        return 0;
    }
    rd_kafka_get_err_descs(&descs, &cnt);
    for (size_t i = 0; i < cnt; i++) {
        if (descs[i].name && strcasecmp(s, descs[i].name) == 0) {
            *out = descs[i].code;
            return 0;
        }
    }
    if (parse_long(s, INT_MIN, INT_MAX, &v) == 0) {
        *out = (rd_kafka_resp_err_t)v;
        return 0;
    }
    return -1;
}

/* Broker ids run 1..N; "all" or -1 means every broker. */
static int parse_broker(const struct devbroker *db, const char *s, int32_t *out) {
    int v;

    if (strcasecmp(s, "all") == 0) {
        *out = -1;
        return 0;
    }
    if (parse_int(s, -1, db->brokers, &v) < 0 || v == 0)
        return -1;
    *out = v;
    return 0;
}

/*
 * Control commands. Each writes the text after "ok " or "error " into reply
 * and returns 0 or -1. argv[0] is the command name.
 */
typedef int (*cmd_fn)(struct devbroker *db, int argc, char **argv, char *reply, size_t reply_size);

static int reply_err(char *reply, size_t reply_size, rd_kafka_resp_err_t err) {
    snprintf(reply, reply_size, "%s: %s", rd_kafka_err2name(err), rd_kafka_err2str(err));
    return -1;
}

static int cmd_ping(struct devbroker *db, int argc, char **argv, char *reply, size_t reply_size) {
    snprintf(reply, reply_size, "pong");
    return 0;
}

static int cmd_info(struct devbroker *db, int argc, char **argv, char *reply, size_t reply_size) {
    snprintf(reply, reply_size, "bootstrap.servers=%s brokers=%d partitions=%d",
             rd_kafka_mock_cluster_bootstraps(db->mcluster), db->brokers, db->partitions);
    return 0;
}

static int cmd_shutdown(struct devbroker *db, int argc, char **argv, char *reply,
                        size_t reply_size) {
    run = 0;
    shutdown_requested = true;
    snprintf(reply, reply_size, "shutting down");
    return 0;
}

static int cmd_broker_updown(struct devbroker *db, int argc, char **argv, char *reply,
                             size_t reply_size) {
    rd_kafka_resp_err_t err;
    int32_t id;

    if (parse_broker(db, argv[1], &id) < 0) {
        snprintf(reply, reply_size, "bad broker id \"%s\" (1..%d or all)", argv[1], db->brokers);
        return -1;
    }
    if (strcmp(argv[0], "broker-down") == 0)
        err = rd_kafka_mock_broker_set_down(db->mcluster, id);
    else
        err = rd_kafka_mock_broker_set_up(db->mcluster, id);
    if (err)
        return reply_err(reply, reply_size, err);
    snprintf(reply, reply_size, "%s %s", argv[0], argv[1]);
    return 0;
}

static int cmd_broker_rtt(struct devbroker *db, int argc, char **argv, char *reply,
                          size_t reply_size) {
    rd_kafka_resp_err_t err;
    int32_t id;
    int ms;

    if (parse_broker(db, argv[1], &id) < 0 || parse_int(argv[2], 0, 600000, &ms) < 0) {
        snprintf(reply, reply_size, "usage: broker-rtt ID|all MS (0..600000)");
        return -1;
    }
    if ((err = rd_kafka_mock_broker_set_rtt(db->mcluster, id, ms)))
        return reply_err(reply, reply_size, err);
    snprintf(reply, reply_size, "broker %s rtt %d ms", argv[1], ms);
    return 0;
}

static int cmd_push_errors(struct devbroker *db, int argc, char **argv, char *reply,
                           size_t reply_size) {
    rd_kafka_resp_err_t err, *errs;
    int16_t key;
    int cnt;

    if (parse_api(argv[1], &key) < 0) {
        snprintf(reply, reply_size, "unknown API \"%s\"", argv[1]);
        return -1;
    }
    if (parse_err(argv[2], &err) < 0) {
        snprintf(reply, reply_size, "unknown error \"%s\"", argv[2]);
        return -1;
    }
    if (parse_int(argv[3], 1, PUSH_ERRORS_MAX, &cnt) < 0) {
        snprintf(reply, reply_size, "bad count \"%s\" (1..%d)", argv[3], PUSH_ERRORS_MAX);
        return -1;
    }
    if (!(errs = malloc((size_t)cnt * sizeof(*errs)))) {
        snprintf(reply, reply_size, "out of memory");
        return -1;
    }
    for (int i = 0; i < cnt; i++)
        errs[i] = err;
    /* The mock copies the array; the next cnt requests with this key fail. */
    rd_kafka_mock_push_request_errors_array(db->mcluster, key, (size_t)cnt, errs);
    free(errs);
    snprintf(reply, reply_size, "pushed %d x %s on api %d", cnt, rd_kafka_err2name(err), key);
    return 0;
}

/* Per-broker errors, optionally delayed: these beat the cluster-wide stack. */
static int cmd_broker_push_errors(struct devbroker *db, int argc, char **argv, char *reply,
                                  size_t reply_size) {
    rd_kafka_resp_err_t err, rerr;
    int32_t id;
    int16_t key;
    int cnt, rtt = 0;

    if (parse_broker(db, argv[1], &id) < 0 || id < 0 || parse_api(argv[2], &key) < 0 ||
        parse_err(argv[3], &err) < 0 || parse_int(argv[4], 1, PUSH_ERRORS_MAX, &cnt) < 0 ||
        (argc > 5 && parse_int(argv[5], 0, 600000, &rtt) < 0)) {
        snprintf(reply, reply_size, "usage: broker-push-errors ID API ERR COUNT [RTT_MS]");
        return -1;
    }
    for (int i = 0; i < cnt; i++) {
        rerr = rd_kafka_mock_broker_push_request_error_rtts(db->mcluster, id, key, 1, err, rtt);
        if (rerr)
            return reply_err(reply, reply_size, rerr);
    }
    snprintf(reply, reply_size, "pushed %d x %s on broker %d api %d rtt %d ms", cnt,
             rd_kafka_err2name(err), id, key, rtt);
    return 0;
}

static int cmd_clear_errors(struct devbroker *db, int argc, char **argv, char *reply,
                            size_t reply_size) {
    int16_t key;

    if (argc > 1) {
        if (parse_api(argv[1], &key) < 0) {
            snprintf(reply, reply_size, "unknown API \"%s\"", argv[1]);
            return -1;
        }
        rd_kafka_mock_clear_request_errors(db->mcluster, key);
    } else {
        for (size_t i = 0; i < ARRAY_LEN(api_keys); i++)
            rd_kafka_mock_clear_request_errors(db->mcluster, api_keys[i].key);
    }
    /* The mock has no call to clear per-broker stacks; they drain as used. */
    snprintf(reply, reply_size, "cleared cluster error stacks (per-broker stacks kept)");
    return 0;
}

static int cmd_topic_error(struct devbroker *db, int argc, char **argv, char *reply,
                           size_t reply_size) {
    rd_kafka_resp_err_t err;

    if (parse_err(argv[2], &err) < 0) {
        snprintf(reply, reply_size, "unknown error \"%s\"", argv[2]);
        return -1;
    }
    /* Only Metadata and AddPartitionsToTxn look at it; NO_ERROR clears it.
     * The mock creates the topic if it does not exist yet. */
    rd_kafka_mock_topic_set_error(db->mcluster, argv[1], err);
    snprintf(reply, reply_size, "topic %s error %s", argv[1], rd_kafka_err2name(err));
    return 0;
}

static int cmd_create_topic(struct devbroker *db, int argc, char **argv, char *reply,
                            size_t reply_size) {
    rd_kafka_resp_err_t err;
    int partitions, replication = 1;

    if (parse_int(argv[2], 1, 100000, &partitions) < 0 ||
        (argc > 3 && parse_int(argv[3], 1, db->brokers, &replication) < 0)) {
        snprintf(reply, reply_size, "usage: create-topic NAME PARTITIONS [REPLICATION<=%d]",
                 db->brokers);
        return -1;
    }
    if ((err = rd_kafka_mock_topic_create(db->mcluster, argv[1], partitions, replication)))
        return reply_err(reply, reply_size, err);
    snprintf(reply, reply_size, "created %s partitions %d", argv[1], partitions);
    return 0;
}

static int cmd_set_leader(struct devbroker *db, int argc, char **argv, char *reply,
                          size_t reply_size) {
    rd_kafka_resp_err_t err;
    int32_t id;
    int partition;

    if (parse_int(argv[2], 0, INT32_MAX, &partition) < 0 || parse_broker(db, argv[3], &id) < 0) {
        snprintf(reply, reply_size, "usage: set-leader TOPIC PARTITION ID (-1: leaderless)");
        return -1;
    }
    if ((err = rd_kafka_mock_partition_set_leader(db->mcluster, argv[1], partition, id)))
        return reply_err(reply, reply_size, err);
    snprintf(reply, reply_size, "%s [%d] leader %d", argv[1], partition, id);
    return 0;
}

static int cmd_coordinator(struct devbroker *db, int argc, char **argv, char *reply,
                           size_t reply_size) {
    rd_kafka_resp_err_t err;
    int id;

    if ((strcmp(argv[1], "group") != 0 && strcmp(argv[1], "transaction") != 0) ||
        parse_int(argv[3], 0, INT32_MAX, &id) < 0) {
        snprintf(reply, reply_size, "usage: set-coordinator group|transaction KEY ID");
        return -1;
    }
    if ((err = rd_kafka_mock_coordinator_set(db->mcluster, argv[1], argv[2], id)))
        return reply_err(reply, reply_size, err);
    snprintf(reply, reply_size, "%s %s coordinator %d", argv[1], argv[2], id);
    return 0;
}

static int cmd_help(struct devbroker *db, int argc, char **argv, char *reply, size_t reply_size);

static const struct {
    const char *name;
    int min_args, max_args; /* not counting the name */
    cmd_fn fn;
    const char *usage;
} commands[] = {
    {"ping", 0, 0, cmd_ping, "ping"},
    {"info", 0, 0, cmd_info, "info"},
    {"help", 0, 0, cmd_help, "help"},
    {"shutdown", 0, 0, cmd_shutdown, "shutdown"},
    {"broker-down", 1, 1, cmd_broker_updown, "broker-down ID|all"},
    {"broker-up", 1, 1, cmd_broker_updown, "broker-up ID|all"},
    {"broker-rtt", 2, 2, cmd_broker_rtt, "broker-rtt ID|all MS"},
    {"push-errors", 3, 3, cmd_push_errors, "push-errors API ERR COUNT"},
    {"broker-push-errors", 4, 5, cmd_broker_push_errors,
     "broker-push-errors ID API ERR COUNT [RTT_MS]"},
    {"clear-errors", 0, 1, cmd_clear_errors, "clear-errors [API]"},
    {"topic-error", 2, 2, cmd_topic_error, "topic-error TOPIC ERR"},
    {"create-topic", 2, 3, cmd_create_topic, "create-topic NAME PARTITIONS [REPLICATION]"},
    {"set-leader", 3, 3, cmd_set_leader, "set-leader TOPIC PARTITION ID"},
    {"set-coordinator", 3, 3, cmd_coordinator, "set-coordinator group|transaction KEY ID"},
};

static int cmd_help(struct devbroker *db, int argc, char **argv, char *reply, size_t reply_size) {
    size_t o = 0;

    o += (size_t)snprintf(reply, reply_size, "commands:");
    for (size_t i = 0; i < ARRAY_LEN(commands) && o < reply_size; i++)
        o += (size_t)snprintf(reply + o, reply_size - o, " %s;", commands[i].usage);
    return 0;
}

/*
 * Runs one command line and writes the full reply line (with "ok " or
 * "error " and a newline) into out. line is modified.
 */
static void command_run(struct devbroker *db, char *line, char *out, size_t out_size) {
    char reply[CTL_LINE_MAX - 16] = "";
    char *argv[8], *save = NULL, *tok;
    char qline[CTL_LINE_MAX + 8] = "";
    int argc = 0, rc = -1;
    bool found = false;

    eqm_log_quote(qline, sizeof(qline), line);
    for (tok = strtok_r(line, " \t\r", &save); tok && argc < (int)ARRAY_LEN(argv);
         tok = strtok_r(NULL, " \t\r", &save))
        argv[argc++] = tok;

    if (argc == 0) {
        snprintf(reply, sizeof(reply), "empty command");
    } else if (tok) {
        snprintf(reply, sizeof(reply), "too many arguments");
    } else {
        for (size_t i = 0; i < ARRAY_LEN(commands); i++) {
            if (strcmp(argv[0], commands[i].name) != 0)
                continue;
            found = true;
            if (argc - 1 < commands[i].min_args || argc - 1 > commands[i].max_args)
                snprintf(reply, sizeof(reply), "usage: %s", commands[i].usage);
            else
                rc = commands[i].fn(db, argc, argv, reply, sizeof(reply));
            break;
        }
        if (!found)
            snprintf(reply, sizeof(reply), "unknown command \"%s\" (try help)", argv[0]);
    }
    /* A reply is one line whatever a librdkafka error string contains. */
    for (char *p = reply; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    snprintf(out, out_size, "%s %s\n", rc == 0 ? "ok" : "error", reply);
    if (rc == 0)
        eqm_log_info("control command", "cmd=%s result=ok", qline);
    else {
        char qreply[sizeof(reply) + 16] = "";

        eqm_log_quote(qreply, sizeof(qreply), reply);
        eqm_log_warn("control command failed", "cmd=%s reason=%s", qline, qreply);
    }
}

static void ctl_client_close(struct ctl_client *c) {
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->len = 0;
}

/* Replies are short and the socket fresh, so a non-blocking send fits. */
static void ctl_send(struct ctl_client *c, const char *text) {
    size_t len = strlen(text);

    if (send(c->fd, text, len, MSG_NOSIGNAL) != (ssize_t)len)
        ctl_client_close(c);
}

/*
 * Binds path, replacing a stale socket left by a crashed run but refusing
 * to steal one another live devbroker still answers on.
 */
static int ctl_server_open(struct ctl_server *srv, const char *path, char *errstr,
                           size_t errstr_size) {
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    struct stat st;
    int fd = -1, probe;

    srv->fd = -1;
    srv->path = path;
    for (int i = 0; i < CTL_CLIENTS_MAX; i++)
        srv->clients[i].fd = -1;

    if (strlen(path) >= sizeof(addr.sun_path)) {
        snprintf(errstr, errstr_size, "control socket path longer than %zu bytes",
                 sizeof(addr.sun_path) - 1);
        return -1;
    }
    memcpy(addr.sun_path, path, strlen(path) + 1);

    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            snprintf(errstr, errstr_size, "%s exists and is not a socket", path);
            return -1;
        }
        probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (probe >= 0 && connect(probe, (struct sockaddr *)&addr, sizeof(addr)) == 0) {
            close(probe);
            snprintf(errstr, errstr_size, "%s is in use by a running devbroker", path);
            return -1;
        }
        if (probe >= 0)
            close(probe);
        unlink(path);
    }

    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
        listen(fd, CTL_CLIENTS_MAX) < 0) {
        snprintf(errstr, errstr_size, "%s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    srv->fd = fd;
    return 0;
}

static void ctl_server_close(struct ctl_server *srv) {
    if (srv->fd < 0)
        return;
    for (int i = 0; i < CTL_CLIENTS_MAX; i++)
        ctl_client_close(&srv->clients[i]);
    close(srv->fd);
    srv->fd = -1;
    unlink(srv->path);
}

static void ctl_server_accept(struct ctl_server *srv) {
    int fd;

    while ((fd = accept(srv->fd, NULL, NULL)) >= 0) {
        struct ctl_client *slot = NULL;

        /* accept4() is GNU-only; set the flags the accepted fd lacks. */
        if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 ||
            fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
            close(fd);
            continue;
        }

        for (int i = 0; i < CTL_CLIENTS_MAX && !slot; i++)
            if (srv->clients[i].fd < 0)
                slot = &srv->clients[i];
        if (!slot) {
            struct ctl_client tmp = {.fd = fd};
            ctl_send(&tmp, "error too many control clients\n");
            ctl_client_close(&tmp);
            continue;
        }
        slot->fd = fd;
        slot->len = 0;
    }
}

/* Reads what is there and answers every complete line; EOF ends a last line. */
static void ctl_client_read(struct devbroker *db, struct ctl_client *c) {
    char out[CTL_LINE_MAX + 16];
    char *nl;
    ssize_t n;
    bool eof = false;

    n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (n <= 0)
        eof = true;
    else
        c->len += (size_t)n;
    c->buf[c->len] = '\0';

    while ((nl = memchr(c->buf, '\n', c->len))) {
        size_t used = (size_t)(nl - c->buf) + 1;

        *nl = '\0';
        command_run(db, c->buf, out, sizeof(out));
        ctl_send(c, out);
        if (c->fd < 0)
            return; /* the peer went away; the send closed it */
        memmove(c->buf, c->buf + used, c->len - used);
        c->len -= used;
        c->buf[c->len] = '\0';
    }
    if (eof) {
        if (c->len > 0) {
            command_run(db, c->buf, out, sizeof(out));
            ctl_send(c, out);
        }
        ctl_client_close(c);
    } else if (c->len >= sizeof(c->buf) - 1) {
        ctl_send(c, "error line too long\n");
        ctl_client_close(c);
    }
}

static int ctl_server_poll(struct devbroker *db, struct ctl_server *srv, int timeout_ms) {
    struct pollfd pfds[1 + CTL_CLIENTS_MAX];
    struct ctl_client *owners[1 + CTL_CLIENTS_MAX];
    nfds_t n = 0;
    int r;

    pfds[n].fd = srv->fd;
    pfds[n].events = POLLIN;
    owners[n++] = NULL;
    for (int i = 0; i < CTL_CLIENTS_MAX; i++) {
        if (srv->clients[i].fd < 0)
            continue;
        pfds[n].fd = srv->clients[i].fd;
        pfds[n].events = POLLIN;
        owners[n++] = &srv->clients[i];
    }
    r = poll(pfds, n, timeout_ms);
    if (r < 0)
        return errno == EINTR ? 0 : -1;
    for (nfds_t i = 1; i < n; i++)
        if (pfds[i].revents & (POLLIN | POLLHUP | POLLERR))
            ctl_client_read(db, owners[i]);
    if (pfds[0].revents & POLLIN)
        ctl_server_accept(srv);
    return 0;
}

/* Readers never see a half-written file: write a sibling, then rename. */
static int write_file_atomic(const char *path, const char *text, char *errstr, size_t errstr_size) {
    char tmp[PATH_MAX];
    size_t len = strlen(text), off = 0;
    int fd = -1, rc = -1;

    if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof(tmp)) {
        snprintf(errstr, errstr_size, "%s: path too long", path);
        return -1;
    }
    if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0)
        goto out;
    while (off < len) {
        ssize_t n = write(fd, text + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            goto out;
        off += (size_t)n;
    }
    if (fsync(fd) < 0 || close(fd) < 0) {
        fd = -1;
        goto out;
    }
    fd = -1;
    if (rename(tmp, path) < 0)
        goto out;
    rc = 0;
out:
    if (rc < 0) {
        snprintf(errstr, errstr_size, "%s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        unlink(tmp);
    }
    return rc;
}

/* Served from the main loop through log.queue, so never on librdkafka's threads. */
static void on_rdkafka_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
    enum eqm_log_level l = level <= 3   ? EQM_LOG_ERROR
                           : level == 4 ? EQM_LOG_WARN
                           : level <= 6 ? EQM_LOG_INFO
                                        : EQM_LOG_DEBUG;
    char qbuf[1024] = "";

    /* Our handle has no bootstrap.servers on purpose: it owns the cluster
     * and never connects anywhere, so that warning is noise. */
    if (strcmp(fac, "CONFWARN") == 0 && strstr(buf, "bootstrap.servers"))
        l = EQM_LOG_DEBUG;
    if (!eqm_log_enabled(l))
        return;
    eqm_log_quote(qbuf, sizeof(qbuf), buf);
    eqm_log(l, "librdkafka", "fac=%s detail=%s", fac, qbuf);
}

static void usage(FILE *f) {
    fprintf(f, "Usage: eqm-devbroker [OPTIONS]\n"
               "       eqm-devbroker ctl SOCKET COMMAND [ARGS...]\n"
               "\n"
               "A development Kafka broker: librdkafka's mock cluster listening on\n"
               "127.0.0.1 (random ports), speaking the real Kafka protocol. For tests\n"
               "and local development only: nothing is persisted, and each partition\n"
               "keeps only about the last 5 MB (or 100000 message sets) of its log;\n"
               "older data is silently dropped, so consumers far behind lose data.\n"
               "\n"
               "Options:\n"
               "  --brokers N            number of brokers, ids 1..N (default 1)\n"
               "  --partitions N         partitions per topic (default 16)\n"
               "  --topics a,b,c         topics to create (default " DEFAULT_TOPICS ")\n"
               "  --bootstrap-file PATH  write bootstrap.servers there once listening\n"
               "                         (atomically; removed on exit)\n"
               "  --control-socket PATH  Unix socket for control commands\n"
               "  -X name=value          librdkafka property for the handle owning the\n"
               "                         cluster (e.g. -X debug=mock)\n"
               "  --log-level LEVEL      error, warn, info (default), debug\n"
               "  --print-config         print the effective configuration and exit\n"
               "  --help                 this text\n"
               "\n"
               "Prints bootstrap.servers=HOST:PORT,... on stdout when ready; runs until\n"
               "SIGTERM/SIGINT (a second signal exits at once) or `shutdown`.\n"
               "\n"
               "Control commands (one per line; reply is one line `ok ...` or `error ...`):\n");
    for (size_t i = 0; i < ARRAY_LEN(commands); i++)
        fprintf(f, "  %s\n", commands[i].usage);
    fprintf(f, "API is a name (Produce, Fetch, ListOffsets, Metadata, OffsetCommit,\n"
               "OffsetFetch, FindCoordinator, JoinGroup, Heartbeat, LeaveGroup, SyncGroup,\n"
               "InitProducerId, ...) or a number. ERR is a librdkafka error name\n"
               "(NOT_LEADER_FOR_PARTITION, REQUEST_TIMED_OUT, NOT_COORDINATOR,\n"
               "COORDINATOR_NOT_AVAILABLE, LEADER_NOT_AVAILABLE, BROKER_NOT_AVAILABLE,\n"
               "UNKNOWN_MEMBER_ID, REBALANCE_IN_PROGRESS, _TRANSPORT to drop the\n"
               "connection, NO_ERROR, ...) or a number.\n"
               "push-errors fails the next COUNT requests of that API on any broker;\n"
               "broker-push-errors does it on one broker, optionally delayed.\n"
               "topic-error affects only Metadata (and AddPartitionsToTxn) responses\n"
               "and creates TOPIC if missing. broker-down closes connections and\n"
               "refuses new ones but does not move partition leaders (use set-leader).\n"
               "\n"
               "ctl exits 0 when the reply starts with `ok`, 1 otherwise.\n");
}

/* eqm-devbroker ctl SOCKET COMMAND...: one request, one reply line. */
static int ctl_main(int argc, char **argv) {
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    struct timeval tv = {.tv_sec = CTL_CLIENT_TIMEOUT_S};
    char line[CTL_LINE_MAX], reply[CTL_LINE_MAX];
    size_t o = 0, len = 0;
    int fd = -1, rc = 1;

    if (argc < 4) {
        fprintf(stderr, "usage: eqm-devbroker ctl SOCKET COMMAND [ARGS...]\n");
        return 1;
    }
    if (strlen(argv[2]) >= sizeof(addr.sun_path)) {
        fprintf(stderr, "error socket path too long: %s\n", argv[2]);
        return 1;
    }
    memcpy(addr.sun_path, argv[2], strlen(argv[2]) + 1);
    for (int i = 3; i < argc; i++) {
        int n = snprintf(line + o, sizeof(line) - o, "%s%s", i > 3 ? " " : "", argv[i]);
        if (n < 0 || (size_t)n >= sizeof(line) - o - 1) {
            fprintf(stderr, "error command too long\n");
            return 1;
        }
        o += (size_t)n;
    }
    line[o++] = '\n';

    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
        connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        fprintf(stderr, "error %s: %s\n", argv[2], strerror(errno));
        goto out;
    }
    if (send(fd, line, o, MSG_NOSIGNAL) != (ssize_t)o) {
        fprintf(stderr, "error send: %s\n", strerror(errno));
        goto out;
    }
    shutdown(fd, SHUT_WR);
    /* Bounded by SO_RCVTIMEO per read and by the reply buffer size. */
    while (len < sizeof(reply) - 1) {
        ssize_t n = recv(fd, reply + len, sizeof(reply) - 1 - len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fprintf(stderr, "error no reply: %s\n", strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        len += (size_t)n;
        if (memchr(reply, '\n', len))
            break;
    }
    reply[len] = '\0';
    reply[strcspn(reply, "\n")] = '\0';
    if (len == 0) {
        fprintf(stderr, "error empty reply\n");
        goto out;
    }
    printf("%s\n", reply);
    rc = (strcmp(reply, "ok") == 0 || strncmp(reply, "ok ", 3) == 0) ? 0 : 1;
out:
    if (fd >= 0)
        close(fd);
    return rc;
}

static int config_parse(struct devbroker_config *cfg, int argc, char **argv) {
    enum {
        OPT_BROKERS = 256,
        OPT_PARTITIONS,
        OPT_TOPICS,
        OPT_BOOTSTRAP,
        OPT_CONTROL,
        OPT_LOG_LEVEL,
        OPT_PRINT_CONFIG
    };
    static const struct option longopts[] = {
        {"brokers", required_argument, NULL, OPT_BROKERS},
        {"partitions", required_argument, NULL, OPT_PARTITIONS},
        {"topics", required_argument, NULL, OPT_TOPICS},
        {"bootstrap-file", required_argument, NULL, OPT_BOOTSTRAP},
        {"control-socket", required_argument, NULL, OPT_CONTROL},
        {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
        {"print-config", no_argument, NULL, OPT_PRINT_CONFIG},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    bool print = false;
    int c;

    while ((c = getopt_long(argc, argv, "hX:", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_BROKERS:
            if (parse_int(optarg, 1, 64, &cfg->brokers) < 0) {
                fprintf(stderr, "eqm-devbroker: --brokers: expected 1..64, got \"%s\"\n", optarg);
                return -1;
            }
            break;
        case OPT_PARTITIONS:
            if (parse_int(optarg, 1, 10000, &cfg->partitions) < 0) {
                fprintf(stderr, "eqm-devbroker: --partitions: expected 1..10000, got \"%s\"\n",
                        optarg);
                return -1;
            }
            break;
        case OPT_TOPICS:
            cfg->topics = optarg;
            break;
        case OPT_BOOTSTRAP:
            cfg->bootstrap_file = optarg;
            break;
        case OPT_CONTROL:
            cfg->control_socket = optarg;
            break;
        case OPT_LOG_LEVEL:
            if (eqm_log_level_parse(optarg, &cfg->log_level) < 0) {
                fprintf(stderr, "eqm-devbroker: --log-level: unknown level \"%s\"\n", optarg);
                return -1;
            }
            break;
        case OPT_PRINT_CONFIG:
            print = true;
            break;
        case 'X':
            if (!strchr(optarg, '=') || cfg->props_cnt == CONF_PROPS_MAX) {
                fprintf(stderr, "eqm-devbroker: -X: expected name=value (at most %d)\n",
                        CONF_PROPS_MAX);
                return -1;
            }
            cfg->props[cfg->props_cnt++] = optarg;
            break;
        case 'h':
            usage(stdout);
            return 1;
        default:
            usage(stderr);
            return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "eqm-devbroker: unexpected argument \"%s\"\n", argv[optind]);
        return -1;
    }
    if (print) {
        printf("brokers=%d\npartitions=%d\ntopics=%s\nbootstrap-file=%s\ncontrol-socket=%s\n",
               cfg->brokers, cfg->partitions, cfg->topics,
               cfg->bootstrap_file ? cfg->bootstrap_file : "",
               cfg->control_socket ? cfg->control_socket : "");
        for (int i = 0; i < cfg->props_cnt; i++)
            printf("X %s\n", cfg->props[i]);
        return 1;
    }
    return 0;
}

/* The handle that owns the cluster: a producer that never produces. */
static rd_kafka_t *handle_new(const struct devbroker_config *cfg, char *errstr,
                              size_t errstr_size) {
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_t *rk = NULL;
    char name[256];

    if (rd_kafka_conf_set(conf, "client.id", "eqm-devbroker", errstr, errstr_size) !=
            RD_KAFKA_CONF_OK ||
        rd_kafka_conf_set(conf, "log.queue", "true", errstr, errstr_size) != RD_KAFKA_CONF_OK)
        goto out;
    for (int i = 0; i < cfg->props_cnt; i++) {
        const char *eq = strchr(cfg->props[i], '=');
        size_t nlen = (size_t)(eq - cfg->props[i]);

        if (nlen >= sizeof(name)) {
            snprintf(errstr, errstr_size, "property name too long");
            goto out;
        }
        memcpy(name, cfg->props[i], nlen);
        name[nlen] = '\0';
        if (rd_kafka_conf_set(conf, name, eq + 1, errstr, errstr_size) != RD_KAFKA_CONF_OK)
            goto out;
    }
    rd_kafka_conf_set_log_cb(conf, on_rdkafka_log);

    if (!(rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, errstr_size)))
        goto out;
    conf = NULL; /* owned by rk now */
    /* NULL: forward logs to the main queue, which rd_kafka_poll() serves. */
    rd_kafka_set_log_queue(rk, NULL);
out:
    if (conf)
        rd_kafka_conf_destroy(conf);
    return rk;
}

static int topics_create(struct devbroker *db, const char *list, char *errstr, size_t errstr_size) {
    char *copy = strdup(list), *save = NULL, *name;
    rd_kafka_resp_err_t err;
    int rc = 0;

    if (!copy) {
        snprintf(errstr, errstr_size, "out of memory");
        return -1;
    }
    for (name = strtok_r(copy, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
        if (!*name)
            continue;
        if ((err = rd_kafka_mock_topic_create(db->mcluster, name, db->partitions, 1))) {
            snprintf(errstr, errstr_size, "topic %s: %s", name, rd_kafka_err2str(err));
            rc = -1;
            break;
        }
        eqm_log_info("topic created", "topic=%s partitions=%d", name, db->partitions);
    }
    free(copy);
    return rc;
}

static void log_failure(const char *msg, const char *reason) {
    char qreason[600] = "";

    eqm_log_quote(qreason, sizeof(qreason), reason);
    eqm_log_error(msg, "reason=%s", qreason);
}

int main(int argc, char **argv) {
    struct devbroker_config cfg = {
        .brokers = 1, .partitions = 16, .topics = DEFAULT_TOPICS, .log_level = EQM_LOG_INFO};
    struct devbroker db = {0};
    struct ctl_server srv = {.fd = -1};
    struct sigaction sa = {.sa_handler = on_signal};
    char errstr[512];
    const char *bootstraps;
    bool wrote_bootstrap = false;
    int rc = 1, r;

    if (argc > 1 && strcmp(argv[1], "ctl") == 0)
        return ctl_main(argc, argv);

    if ((r = config_parse(&cfg, argc, argv)) != 0)
        return r > 0 ? 0 : 2;
    eqm_log_init("devbroker", cfg.log_level);

    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (!(db.rk = handle_new(&cfg, errstr, sizeof(errstr)))) {
        log_failure("cannot create librdkafka handle", errstr);
        goto out;
    }
    if (!(db.mcluster = rd_kafka_mock_cluster_new(db.rk, cfg.brokers))) {
        eqm_log_error("cannot create mock cluster", "brokers=%d", cfg.brokers);
        goto out;
    }
    db.brokers = cfg.brokers;
    db.partitions = cfg.partitions;
    if (topics_create(&db, cfg.topics, errstr, sizeof(errstr)) < 0) {
        log_failure("cannot create topics", errstr);
        goto out;
    }
    if (cfg.control_socket &&
        ctl_server_open(&srv, cfg.control_socket, errstr, sizeof(errstr)) < 0) {
        log_failure("cannot open control socket", errstr);
        goto out;
    }

    /* Announce last: whoever waits for the bootstrap file may use the
     * control socket and topics as soon as it appears. */
    bootstraps = rd_kafka_mock_cluster_bootstraps(db.mcluster);
    if (cfg.bootstrap_file) {
        if (write_file_atomic(cfg.bootstrap_file, bootstraps, errstr, sizeof(errstr)) < 0) {
            log_failure("cannot write bootstrap file", errstr);
            goto out;
        }
        wrote_bootstrap = true;
    }
    printf("bootstrap.servers=%s\n", bootstraps);
    fflush(stdout);
    eqm_log_info("mock cluster ready", "bootstrap.servers=%s brokers=%d control_socket=%s",
                 bootstraps, cfg.brokers, cfg.control_socket ? cfg.control_socket : "none");

    while (run) {
        if (srv.fd >= 0) {
            if (ctl_server_poll(&db, &srv, LOOP_POLL_MS) < 0) {
                log_failure("control socket poll failed", strerror(errno));
                goto out;
            }
            rd_kafka_poll(db.rk, 0);
        } else {
            rd_kafka_poll(db.rk, LOOP_POLL_MS);
        }
    }
    eqm_log_info("shutting down", "reason=%s", shutdown_requested ? "command" : "signal");
    rc = 0;
out:
    ctl_server_close(&srv);
    if (wrote_bootstrap)
        unlink(cfg.bootstrap_file);
    if (db.mcluster)
        rd_kafka_mock_cluster_destroy(db.mcluster);
    if (db.rk) {
        rd_kafka_poll(db.rk, 0);
        rd_kafka_destroy(db.rk);
    }
    return rc;
}
