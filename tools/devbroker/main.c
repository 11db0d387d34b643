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
 * librdkafka, and its public API is safe to call from ours. devbroker.h
 * says which file holds what.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devbroker.h"
#include "eqm/config.h"
#include "eqm/kafka.h"
#include "eqm/log.h"
#include "eqm/signals.h"

#define DEFAULT_TOPICS                                                                             \
    "stop-search.events,custody.events,recruitment.events,equality.alerts,"                        \
    "equality.dead-letter"

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
    devbroker_commands_usage(f);
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
            if (devbroker_parse_int(optarg, 1, 64, &cfg->brokers) < 0) {
                fprintf(stderr, "eqm-devbroker: --brokers: expected 1..64, got \"%s\"\n", optarg);
                return -1;
            }
            break;
        case OPT_PARTITIONS:
            if (devbroker_parse_int(optarg, 1, 10000, &cfg->partitions) < 0) {
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
        for (int i = 0; i < cfg->props_cnt; i++) {
            /* A secret's value is never shown (eqm/config.h). */
            if (eqm_config_secret_prop(cfg->props[i]))
                printf("X %.*s=[redacted]\n", (int)strcspn(cfg->props[i], "="), cfg->props[i]);
            else
                printf("X %s\n", cfg->props[i]);
        }
        return 1;
    }
    return 0;
}

/* Served from the main loop through log.queue, so never on librdkafka's
 * threads; eqm_kafka_log_cb() writes the line. */
static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
    /* Our handle has no bootstrap.servers on purpose: it owns the cluster
     * and never connects anywhere, so that warning is noise (debug). */
    if (strcmp(fac, "CONFWARN") == 0 && strstr(buf, "bootstrap.servers"))
        level = 7;
    eqm_kafka_log_cb(rk, level, fac, buf);
}

/* eqm_kafka_new()'s hook: the logs through our own callback, which
 * route_logs would not let us filter. */
static int conf_hook(rd_kafka_conf_t *conf, void *arg, char *errstr, size_t errstr_size) {
    if (eqm_kafka_conf_set(conf, "log.queue", "true", errstr, errstr_size) != 0)
        return -1;
    rd_kafka_conf_set_log_cb(conf, log_cb);
    return 0;
}

/*
 * The handle that owns the cluster: a producer that never produces, made
 * by eqm_kafka_new() (client.id, then our log settings, then -X). Its
 * -X names and values are split into names[] and values[], which the
 * caller frees.
 */
static rd_kafka_t *handle_new(const struct devbroker_config *cfg, char **names, char **values,
                              char *errstr, size_t errstr_size) {
    struct eqm_kafka_spec spec = {
        .type = RD_KAFKA_PRODUCER,
        .client_id = "eqm-devbroker",
        .conf_hook = conf_hook,
        .user_names = names,
        .user_values = values,
        .n_user = cfg->props_cnt,
    };
    rd_kafka_t *rk;

    for (int i = 0; i < cfg->props_cnt; i++) {
        const char *eq = strchr(cfg->props[i], '=');

        names[i] = strndup(cfg->props[i], (size_t)(eq - cfg->props[i]));
        values[i] = strdup(eq + 1);
        if (!names[i] || !values[i]) {
            snprintf(errstr, errstr_size, "out of memory");
            return NULL;
        }
    }
    rk = eqm_kafka_new(&spec, errstr, errstr_size);
    /* NULL: forward logs to the main queue, which rd_kafka_poll() serves. */
    if (rk)
        rd_kafka_set_log_queue(rk, NULL);
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
    char *prop_names[CONF_PROPS_MAX] = {NULL}, *prop_values[CONF_PROPS_MAX] = {NULL};
    char errstr[512];
    const char *bootstraps;
    bool wrote_bootstrap = false;
    int rc = 1, r;

    if (argc > 1 && strcmp(argv[1], "ctl") == 0)
        return ctl_main(argc, argv);

    if ((r = config_parse(&cfg, argc, argv)) != 0)
        return r > 0 ? 0 : 2;
    eqm_log_init("devbroker", cfg.log_level);

    /* The first signal (or `shutdown`) stops the loop; a second one ends
     * the process at once. SIGPIPE ignored: a client gone is an error. */
    eqm_signals_install();

    if (!(db.rk = handle_new(&cfg, prop_names, prop_values, errstr, sizeof(errstr)))) {
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

    while (eqm_signals_running()) {
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
    eqm_log_info("shutting down", "reason=%s", db.shutdown_requested ? "command" : "signal");
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
    for (int i = 0; i < CONF_PROPS_MAX; i++) {
        free(prop_names[i]);
        free(prop_values[i]);
    }
    return rc;
}
