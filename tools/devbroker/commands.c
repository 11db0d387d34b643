/*
 * commands.c - eqm-devbroker's control commands (see devbroker.h): each
 * parses its words, calls the mock cluster's API and writes the text of
 * its reply. The mock's API is safe to call from the main thread.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "devbroker.h"
#include "eqm/log.h"
#include "eqm/signals.h"

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

int devbroker_parse_int(const char *s, int min, int max, int *out) {
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
    if (devbroker_parse_int(s, -1, db->brokers, &v) < 0 || v == 0)
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
    eqm_signals_stop();
    db->shutdown_requested = true;
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

    if (parse_broker(db, argv[1], &id) < 0 || devbroker_parse_int(argv[2], 0, 600000, &ms) < 0) {
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
    if (devbroker_parse_int(argv[3], 1, PUSH_ERRORS_MAX, &cnt) < 0) {
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
        parse_err(argv[3], &err) < 0 ||
        devbroker_parse_int(argv[4], 1, PUSH_ERRORS_MAX, &cnt) < 0 ||
        (argc > 5 && devbroker_parse_int(argv[5], 0, 600000, &rtt) < 0)) {
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

    if (devbroker_parse_int(argv[2], 1, 100000, &partitions) < 0 ||
        (argc > 3 && devbroker_parse_int(argv[3], 1, db->brokers, &replication) < 0)) {
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

    if (devbroker_parse_int(argv[2], 0, INT32_MAX, &partition) < 0 ||
        parse_broker(db, argv[3], &id) < 0) {
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
        devbroker_parse_int(argv[3], 0, INT32_MAX, &id) < 0) {
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

void devbroker_command_run(struct devbroker *db, char *line, char *out, size_t out_size) {
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

void devbroker_commands_usage(FILE *f) {
    for (size_t i = 0; i < ARRAY_LEN(commands); i++)
        fprintf(f, "  %s\n", commands[i].usage);
}
