/*
 * eqm-bench - how fast the stop-search consumer counts, against what.
 *
 * Against the development broker and a throwaway PostgreSQL (tools/bench.sh
 * starts both), in one run:
 *
 *   parse+map   the service's own parse-and-map step (eqm_message_parse and
 *               the stop-search handler) over the same events, in memory;
 *   kcat        kcat alone draining the same events while they are produced;
 *   end-to-end  eqm-stop-search draining them while they are produced, from
 *               its first poll to its last COMMIT (its stats.file);
 *   naive       the same service with --naive (one transaction per event),
 *               on fewer events.
 *
 * The development broker keeps only about 5 MB per partition, so nothing
 * relies on a backlog: the producer runs while the consumer does and stays
 * at most a few MB per partition ahead of what the consumer has read (kcat)
 * or committed (PostgreSQL offsets). Every phase then checks that the final
 * counts equal what was produced; any difference makes the exit status 1.
 *
 * --sustain R[,R...] instead produces at a steady R events/s for --duration
 * seconds per rate and reports whether the consumer kept up.
 */
#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <librdkafka/rdkafka.h>

#include "stop_search.h"
#include "eqm/envelope.h"
#include "eqm/sink.h"
#include "eqm/migrate.h"
#include "eqm/pg.h"
#include "eqm/timeutil.h"
#include "gen.h"

extern char **environ;

/* Stay this far (bytes) behind the broker's 5 MB per partition. */
#define WINDOW_BYTES   (3 * 1024 * 1024)
#define MAX_PARTITIONS 256

struct opts {
    uint64_t events, naive_events;
    int areas, partitions;
    uint64_t seed;
    bool shuffle, skip_kcat, skip_naive, skip_parse;
    const char *bin_dir, *work_dir, *kcat;
    const char *sustain; /* comma-separated rates, or NULL */
    double duration;
    const char *force_area;
    const char **consumer_args; /* extra arguments for eqm-stop-search */
    int n_consumer_args;
};

struct bench {
    struct opts o;
    PGconn *conn;
    const char *brokers, *control;
    char tag[24];
    rd_kafka_t *rk;
    uint64_t delivered, failed;
    int failures; /* count mismatches and errors: the exit status */
};

/* What one consumer phase measured. */
struct result {
    const char *name;
    uint64_t n;
    double rate; /* events/s */
    long p50_ms, p99_ms, max_ms;
    long rss_kb;
    bool counts_ok;
    /* PostgreSQL, deltas over the phase */
    double rows_written, wal_bytes, rel_bytes;
    double daily_rows, daily_bytes, seen_rows, seen_bytes;
    /* sustained mode */
    double produced_rate, max_lag_s, end_delay_ms;
    bool kept_up;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig) {
    (void)sig;
    stop = 1;
}

static int64_t now_us(void) {
    return eqm_time_now_us();
}

static double load1(void) {
    double l = -1;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf", &l) != 1)
            l = -1;
        fclose(f);
    }
    return l;
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...) {
    va_list ap;
    time_t t = time(NULL);
    struct tm tm;
    char ts[16];
    gmtime_r(&t, &tm);
    strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
    fprintf(stderr, "[bench %s] ", ts);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* ---- PostgreSQL -------------------------------------------------------- */

/* One value of a one-row query, as a double (NaN on error or NULL). */
static double pg_num(struct bench *b, const char *sql, int n, const char *const *params) {
    PGresult *res = PQexecParams(b->conn, sql, n, NULL, params, NULL, NULL, 0);
    double v = 0.0 / 0.0;
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 && !PQgetisnull(res, 0, 0))
        v = strtod(PQgetvalue(res, 0, 0), NULL);
    else if (PQresultStatus(res) != PGRES_TUPLES_OK)
        say("query failed: %s", PQerrorMessage(b->conn));
    PQclear(res);
    return v;
}

static int pg_run(struct bench *b, const char *sql) {
    PGresult *res = PQexec(b->conn, sql);
    int ok = PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK;
    if (!ok)
        say("%s: %s", sql, PQerrorMessage(b->conn));
    PQclear(res);
    return ok ? 0 : -1;
}

/* Counts start from nothing in every phase: the tables are shared. */
static int pg_clear(struct bench *b) {
    return pg_run(b, "TRUNCATE equality.stop_search_daily, equality.event_keys, "
                     "equality.watermarks, equality.figures, equality.dead_letters, "
                     "equality.alert_outbox, equality.alert_state");
}

struct pg_snap {
    double rows, wal_lsn_bytes, rel_bytes;
};

static void pg_snapshot(struct bench *b, struct pg_snap *s) {
    pg_run(b, "SELECT pg_stat_clear_snapshot()");
    s->rows = pg_num(b,
                     "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) "
                     "FROM pg_stat_user_tables WHERE schemaname = 'equality'",
                     0, NULL);
    s->wal_lsn_bytes = pg_num(b, "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')", 0, NULL);
    s->rel_bytes = pg_num(b,
                          "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
                          "JOIN pg_namespace n ON n.oid = c.relnamespace "
                          "WHERE n.nspname = 'equality' AND c.relkind IN ('r', 'm')",
                          0, NULL);
}

/* Sum of the offsets the consumer group has committed in PostgreSQL, and
 * per partition into committed[] (if not NULL). */
static int64_t pg_committed(struct bench *b, const char *group, const char *topic,
                            int64_t *committed) {
    const char *params[2] = {group, topic};
    PGresult *res = PQexecParams(b->conn,
                                 "SELECT partition, coalesce(next_offset, 0) FROM "
                                 "equality.kafka_offsets WHERE consumer_group = $1 AND topic = $2",
                                 2, NULL, params, NULL, NULL, 0);
    int64_t total = 0;
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        say("reading offsets: %s", PQerrorMessage(b->conn));
        PQclear(res);
        return -1;
    }
    for (int i = 0; i < PQntuples(res); i++) {
        int p = atoi(PQgetvalue(res, i, 0));
        int64_t off = strtoll(PQgetvalue(res, i, 1), NULL, 10);
        if (committed && p >= 0 && p < MAX_PARTITIONS)
            committed[p] = off;
        total += off;
    }
    PQclear(res);
    return total;
}

/* ---- Kafka ------------------------------------------------------------- */

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque) {
    struct bench *b = opaque;
    (void)rk;
    if (rkm->err) {
        if (b->failed++ < 5)
            say("delivery failed: %s", rd_kafka_err2str(rkm->err));
    } else {
        b->delivered++;
    }
}

static int producer_new(struct bench *b) {
    char err[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    const char *props[][2] = {
        {"bootstrap.servers", b->brokers},
        {"client.id", "eqm-bench"},
        {"enable.idempotence", "true"},
        {"linger.ms", "5"},
        {"batch.size", "1000000"},
        {"queue.buffering.max.messages", "1000000"},
        {"queue.buffering.max.kbytes", "1048576"},
    };
    for (size_t i = 0; i < sizeof(props) / sizeof(props[0]); i++) {
        if (rd_kafka_conf_set(conf, props[i][0], props[i][1], err, sizeof(err)) !=
            RD_KAFKA_CONF_OK) {
            say("producer %s: %s", props[i][0], err);
            rd_kafka_conf_destroy(conf);
            return -1;
        }
    }
    rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
    rd_kafka_conf_set_opaque(conf, b);
    b->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    if (!b->rk) {
        rd_kafka_conf_destroy(conf);
        say("cannot create producer: %s", err);
        return -1;
    }
    return 0;
}

/* A fresh topic per phase: the broker keeps whatever earlier phases left. */
static int topic_create(struct bench *b, const char *topic) {
    char parts[16];
    char *argv[] = {NULL, "ctl", (char *)b->control, "create-topic", (char *)topic, parts, NULL};
    char path[PATH_MAX];
    pid_t pid;
    int st;

    snprintf(parts, sizeof(parts), "%d", b->o.partitions);
    snprintf(path, sizeof(path), "%s/eqm-devbroker", b->o.bin_dir);
    argv[0] = path;
    if (posix_spawn(&pid, path, NULL, NULL, argv, environ) != 0) {
        say("cannot run %s: %s", path, strerror(errno));
        return -1;
    }
    if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        say("cannot create topic %s", topic);
        return -1;
    }
    return 0;
}

/* ---- child processes --------------------------------------------------- */

/* Starts argv with stdout to out_fd (or the log) and stderr to the log. */
static pid_t spawn(char *const argv[], const char *log_path, int out_fd) {
    posix_spawn_file_actions_t fa;
    pid_t pid;
    int rc;

    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 2, log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (out_fd >= 0)
        posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
    else
        posix_spawn_file_actions_adddup2(&fa, 2, 1);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        say("cannot run %s: %s", argv[0], strerror(rc));
        return -1;
    }
    return pid;
}

/* Waits up to timeout_s for pid; then SIGTERM, then SIGKILL. Returns the
 * exit status, or -1 if it had to be killed. */
static int reap(pid_t pid, double timeout_s) {
    int64_t deadline = now_us() + (int64_t)(timeout_s * 1e6);
    int st;
    for (;;) {
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid)
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        if (r < 0)
            return -1;
        if (now_us() > deadline)
            break;
        usleep(20000);
    }
    say("pid %d still running after %.0f s: stopping it", (int)pid, timeout_s);
    kill(pid, SIGTERM);
    deadline = now_us() + 10000000;
    while (waitpid(pid, &st, WNOHANG) == 0) {
        if (now_us() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            break;
        }
        usleep(20000);
    }
    return -1;
}

static bool alive(pid_t pid) {
    int st;
    return waitpid(pid, &st, WNOHANG) == 0;
}

/* ---- the producer ------------------------------------------------------ */

/*
 * What the producer must not outrun. consumed() refreshes consumed[] (per
 * partition, messages) and returns the total, or -1 on error.
 */
struct drain {
    int64_t (*consumed)(struct bench *b, struct drain *d);
    int64_t consumed_total;
    int64_t committed[MAX_PARTITIONS];
    /* PostgreSQL offsets of a consumer group */
    const char *group, *topic;
    /* kcat: its stdout, "%p\n" per message */
    int fd;
    char line[64];
    size_t line_len;
    int64_t first_us, last_us;
    pid_t pid;
    const char *label;
};

static int64_t consumed_pg(struct bench *b, struct drain *d) {
    int64_t t = pg_committed(b, d->group, d->topic, d->committed);
    if (t >= 0)
        d->consumed_total = t;
    return t;
}

static int64_t consumed_kcat(struct bench *b, struct drain *d) {
    char buf[65536];
    (void)b;
    for (;;) {
        ssize_t n = read(d->fd, buf, sizeof(buf));
        if (n <= 0)
            break;
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] != '\n') {
                if (d->line_len < sizeof(d->line) - 1)
                    d->line[d->line_len++] = buf[i];
                continue;
            }
            d->line[d->line_len] = '\0';
            d->line_len = 0;
            int p = atoi(d->line);
            if (p >= 0 && p < MAX_PARTITIONS)
                d->committed[p]++;
            if (d->consumed_total++ == 0)
                d->first_us = now_us();
            d->last_us = now_us();
        }
    }
    return d->consumed_total;
}

struct produce_stats {
    int64_t start_us, end_us;
    uint64_t produced;
    double max_lag_s;
    bool broke; /* stopped early: consumer died, error, signal */
};

/*
 * Produces events [0, n) of gen to topic: as fast as the drain allows
 * (rate <= 0) or paced at rate events/s. Every message stays within
 * WINDOW_BYTES per partition of what the drain has consumed.
 */
static int produce(struct bench *b, const struct bench_gen *gen, const char *topic, uint64_t n,
                   double rate, struct drain *d, struct produce_stats *ps) {
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(b->rk, topic, NULL);
    int64_t produced_p[MAX_PARTITIONS] = {0};
    int64_t window = WINDOW_BYTES / BENCH_GEN_MAX_BYTES * 2; /* messages, events ~500 B */
    int64_t last_poll = 0, last_progress, last_lag = 0;
    char buf[BENCH_GEN_MAX_BYTES];

    memset(ps, 0, sizeof(*ps));
    ps->start_us = last_progress = now_us();
    for (uint64_t i = 0; i < n && !stop; i++) {
        int area;
        size_t len = bench_gen_event(gen, i, buf, &area);
        int32_t part = area % b->o.partitions;
        const char *key = bench_gen_area(area);
        int64_t t;

        if (rate > 0) {
            /* Paced: event i leaves at start + i / rate. */
            int64_t due = ps->start_us + (int64_t)((double)i * 1e6 / rate);
            while ((t = now_us()) < due) {
                rd_kafka_poll(b->rk, 0);
                if (due - t > 200)
                    usleep((useconds_t)(due - t > 1000 ? 1000 : due - t));
            }
        }
        /* Flow control: never more than the window ahead, per partition. */
        while (produced_p[part] - d->committed[part] >= window) {
            if (d->fd < 0 && !d->group) {
                say("%s: partition %d would hold more than the broker keeps", d->label, part);
                ps->broke = true;
                goto out;
            }
            t = now_us();
            if (t - last_poll >= 10000) {
                last_poll = t;
                if (d->consumed(b, d) < 0 || (d->pid > 0 && !alive(d->pid)) || stop) {
                    say("%s: consumer gone or unreadable; stopping the producer", d->label);
                    ps->broke = true;
                    goto out;
                }
            } else {
                rd_kafka_poll(b->rk, 1);
            }
        }
        for (;;) {
            rd_kafka_resp_err_t err =
                rd_kafka_producev(b->rk, RD_KAFKA_V_RKT(rkt), RD_KAFKA_V_PARTITION(part),
                                  RD_KAFKA_V_KEY(key, strlen(key)), RD_KAFKA_V_VALUE(buf, len),
                                  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
            if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
                break;
            if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                say("produce: %s", rd_kafka_err2str(err));
                ps->broke = true;
                goto out;
            }
            rd_kafka_poll(b->rk, 10);
        }
        produced_p[part]++;
        ps->produced++;
        if ((i & 1023) == 0)
            rd_kafka_poll(b->rk, 0);
        t = now_us();
        if (t - last_poll >= 100000) {
            last_poll = t;
            if (d->consumed(b, d) < 0) {
                ps->broke = true;
                goto out;
            }
        }
        if (rate > 0 && t - last_lag >= 1000000) {
            /* Lag in seconds of production, sampled each second. */
            double lag = (double)((int64_t)ps->produced - d->consumed_total) / rate;
            last_lag = t;
            if (lag > ps->max_lag_s)
                ps->max_lag_s = lag;
        }
        if (t - last_progress >= 5000000) {
            last_progress = t;
            say("%s: produced %" PRIu64 "/%" PRIu64 ", consumed %" PRId64 " (%.0f/s), load %.2f",
                d->label, ps->produced, n, d->consumed_total,
                (double)d->consumed_total * 1e6 / (double)(t - ps->start_us), load1());
        }
    }
out:
    rd_kafka_flush(b->rk, 30000);
    ps->end_us = now_us();
    rd_kafka_topic_destroy(rkt);
    return ps->broke || stop ? -1 : 0;
}

/* ---- phases ------------------------------------------------------------ */

static void make_tag(struct bench *b, const char *phase, char *out, size_t size) {
    snprintf(out, size, "%s%s", b->tag, phase);
}

/* parse+map in memory: events/s of eqm_message_parse + the handler. */
static double phase_parse(struct bench *b, uint64_t n) {
    struct bench_gen gen;
    struct eqm_sink *sink =
        eqm_sink_collect_new(eqm_stop_search_service.tables, eqm_stop_search_service.n_tables);
    enum { CHUNK = 4096 };
    char *bufs = malloc((size_t)CHUNK * BENCH_GEN_MAX_BYTES);
    size_t lens[CHUNK];
    char tag[32];
    double busy = 0;
    uint64_t ok = 0;

    if (!sink || !bufs) {
        free(bufs);
        eqm_sink_collect_free(&sink);
        return -1;
    }
    make_tag(b, "p", tag, sizeof(tag));
    bench_gen_init(&gen, b->o.seed, n, b->o.areas, now_us(), b->o.shuffle, tag);
    for (uint64_t base = 0; base < n && !stop; base += CHUNK) {
        size_t m = n - base < CHUNK ? (size_t)(n - base) : CHUNK;
        int64_t t0, wall;
        struct timespec c0, c1;
        for (size_t k = 0; k < m; k++) {
            int area;
            lens[k] = bench_gen_event(&gen, base + k, bufs + k * BENCH_GEN_MAX_BYTES, &area);
        }
        wall = now_us();
        clock_gettime(CLOCK_MONOTONIC, &c0);
        for (size_t k = 0; k < m; k++) {
            json_t *event = NULL;
            struct eqm_envelope env;
            struct eqm_reject rej;
            if (eqm_message_parse(bufs + k * BENCH_GEN_MAX_BYTES, lens[k], 1000000, wall, 86400,
                                  &event, &env, &rej) == 0) {
                eqm_sink_collect_reset(sink);
                if (eqm_stop_search_service.handle(&env, event, b->o.force_area, sink, &rej) == 0)
                    ok++;
            }
            json_decref(event);
        }
        clock_gettime(CLOCK_MONOTONIC, &c1);
        t0 = (c1.tv_sec - c0.tv_sec) * 1000000000LL + (c1.tv_nsec - c0.tv_nsec);
        busy += (double)t0 / 1e9;
    }
    free(bufs);
    eqm_sink_collect_free(&sink);
    if (ok != n) {
        say("parse+map: %" PRIu64 " of %" PRIu64 " events accepted", ok, n);
        b->failures++;
    }
    return busy > 0 ? (double)n / busy : -1;
}

/* kcat alone: events/s from its first message to its last. */
static int phase_kcat(struct bench *b, uint64_t n, struct result *r) {
    struct bench_gen gen;
    struct drain d;
    struct produce_stats ps;
    char topic[64], tag[32], count[24], log_path[PATH_MAX];
    int fds[2];
    int status;

    memset(r, 0, sizeof(*r));
    b->delivered = b->failed = 0;
    r->name = "kcat while produced";
    r->n = n;
    snprintf(topic, sizeof(topic), "bench.%s.kcat", b->tag);
    if (topic_create(b, topic) != 0)
        return -1;
    if (pipe2(fds, O_CLOEXEC) != 0)
        return -1;
    snprintf(count, sizeof(count), "%" PRIu64, n);
    snprintf(log_path, sizeof(log_path), "%s/kcat.log", b->o.work_dir);
    {
        char *argv[] = {(char *)b->o.kcat,
                        "-C",
                        "-q",
                        "-b",
                        (char *)b->brokers,
                        "-t",
                        topic,
                        "-o",
                        "beginning",
                        "-c",
                        count,
                        "-f",
                        "%p\\n",
                        NULL};
        memset(&d, 0, sizeof(d));
        d.pid = spawn(argv, log_path, fds[1]);
    }
    close(fds[1]);
    if (d.pid < 0) {
        close(fds[0]);
        return -1;
    }
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    d.fd = fds[0];
    d.consumed = consumed_kcat;
    d.label = "kcat";
    make_tag(b, "k", tag, sizeof(tag));
    bench_gen_init(&gen, b->o.seed, n, b->o.areas, now_us(), b->o.shuffle, tag);
    produce(b, &gen, topic, n, 0, &d, &ps);
    /* Let kcat finish: -c makes it exit after n messages. */
    for (int64_t deadline = now_us() + 60000000; d.consumed_total < (int64_t)n && !stop;) {
        struct pollfd pfd = {.fd = d.fd, .events = POLLIN};
        if (now_us() > deadline)
            break;
        poll(&pfd, 1, 100);
        consumed_kcat(b, &d);
        if (!alive(d.pid) && poll(&pfd, 1, 0) <= 0)
            break;
    }
    consumed_kcat(b, &d);
    status = reap(d.pid, 10);
    close(d.fd);
    r->counts_ok = d.consumed_total == (int64_t)n && b->delivered == n;
    if (!r->counts_ok) {
        say("kcat: %" PRId64 " of %" PRIu64 " messages read (delivered %" PRIu64
            "); exit %d, see %s",
            d.consumed_total, n, b->delivered, status, log_path);
        b->failures++;
    }
    if (d.last_us > d.first_us)
        r->rate = (double)d.consumed_total * 1e6 / (double)(d.last_us - d.first_us);
    r->p50_ms = r->p99_ms = r->rss_kb = -1;
    say("kcat: %" PRId64 " messages in %.2f s: %.0f/s (producer alone %.0f/s)", d.consumed_total,
        (double)(d.last_us - d.first_us) / 1e6, r->rate,
        (double)ps.produced * 1e6 / (double)(ps.end_us - ps.start_us));
    return 0;
}

/*
 * kcat draining a backlog that fits in the broker's retention (produced
 * first, then read): kcat's own speed, which the run above cannot show when
 * kcat keeps up with the producer. Events/s from starting kcat to its last
 * message (its start-up included: a lower bound; its first line shows up
 * only when its output buffer fills).
 */
static int phase_kcat_backlog(struct bench *b, uint64_t n, struct result *r) {
    struct bench_gen gen;
    struct drain d;
    struct produce_stats ps;
    char topic[64], tag[32], count[24], log_path[PATH_MAX];
    int fds[2];
    int status;
    int64_t started_us;

    memset(r, 0, sizeof(*r));
    memset(&d, 0, sizeof(d));
    b->delivered = b->failed = 0;
    r->name = "kcat, backlog, from start";
    r->n = n;
    r->p50_ms = r->p99_ms = r->rss_kb = -1;
    snprintf(topic, sizeof(topic), "bench.%s.kcatb", b->tag);
    if (topic_create(b, topic) != 0)
        return -1;
    /* No reader yet: the window alone bounds what each partition holds. */
    d.consumed = consumed_kcat;
    d.fd = -1;
    d.label = "kcat backlog";
    make_tag(b, "kb", tag, sizeof(tag));
    bench_gen_init(&gen, b->o.seed, n, b->o.areas, now_us(), b->o.shuffle, tag);
    if (produce(b, &gen, topic, n, 0, &d, &ps) != 0 || b->delivered != n) {
        say("kcat backlog: %" PRIu64 " of %" PRIu64 " delivered", b->delivered, n);
        b->failures++;
        return -1;
    }
    if (pipe2(fds, O_CLOEXEC) != 0)
        return -1;
    snprintf(count, sizeof(count), "%" PRIu64, n);
    snprintf(log_path, sizeof(log_path), "%s/kcat.log", b->o.work_dir);
    {
        char *argv[] = {(char *)b->o.kcat,
                        "-C",
                        "-q",
                        "-b",
                        (char *)b->brokers,
                        "-t",
                        topic,
                        "-o",
                        "beginning",
                        "-c",
                        count,
                        "-f",
                        "%p\\n",
                        NULL};
        started_us = now_us();
        d.pid = spawn(argv, log_path, fds[1]);
    }
    close(fds[1]);
    if (d.pid < 0) {
        close(fds[0]);
        return -1;
    }
    d.fd = fds[0];
    for (int64_t deadline = now_us() + 60000000; d.consumed_total < (int64_t)n && !stop;) {
        struct pollfd pfd = {.fd = d.fd, .events = POLLIN};
        if (now_us() > deadline)
            break;
        poll(&pfd, 1, 100);
        consumed_kcat(b, &d);
        if (!alive(d.pid) && poll(&pfd, 1, 0) <= 0)
            break;
    }
    consumed_kcat(b, &d);
    status = reap(d.pid, 10);
    close(d.fd);
    r->counts_ok = d.consumed_total == (int64_t)n;
    if (!r->counts_ok) {
        say("kcat backlog: %" PRId64 " of %" PRIu64 " messages read; exit %d, see %s",
            d.consumed_total, n, status, log_path);
        b->failures++;
    }
    if (d.last_us > started_us)
        r->rate = (double)d.consumed_total * 1e6 / (double)(d.last_us - started_us);
    say("kcat backlog: %" PRId64 " messages in %.3f s from its start: %.0f/s", d.consumed_total,
        (double)(d.last_us - started_us) / 1e6, r->rate);
    return 0;
}

/* Reads name=value from the engine's stats file. */
static double stat_get(const char *path, const char *name) {
    char line[256];
    size_t nl = strlen(name);
    double v = -1;
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (!strncmp(line, name, nl) && line[nl] == '=')
            v = strtod(line + nl + 1, NULL);
    fclose(f);
    return v;
}

/* Checks the counts in PostgreSQL against what was produced. */
static bool counts_match(struct bench *b, const char *group, const char *topic, uint64_t n) {
    const char *params[1] = {b->o.force_area};
    double force = pg_num(b,
                          "SELECT coalesce(sum(searches), 0) FROM equality.stop_search_daily "
                          "WHERE area = $1 AND dimension = 'ethnicity'",
                          1, params);
    double areas = pg_num(b,
                          "SELECT coalesce(sum(searches), 0) FROM equality.stop_search_daily "
                          "WHERE area <> $1 AND dimension = 'age_range'",
                          1, params);
    double seen = pg_num(b, "SELECT count(*) FROM equality.event_keys", 0, NULL);
    double dead = pg_num(b, "SELECT count(*) FROM equality.dead_letters", 0, NULL);
    int64_t offsets = pg_committed(b, group, topic, NULL);
    bool ok = force == (double)n && areas == (double)n && seen == (double)n && dead == 0 &&
              offsets == (int64_t)n && b->delivered == n;
    if (!ok)
        say("COUNTS DIFFER: produced %" PRIu64 ", delivered %" PRIu64
            ", counted %.0f (force) %.0f (areas), "
            "event ids %.0f, dead letters %.0f, offsets %" PRId64,
            n, b->delivered, force, areas, seen, dead, offsets);
    return ok;
}

/*
 * eqm-stop-search while the events are produced: as fast as it drains
 * them (rate <= 0) or at a steady rate.
 */
static int phase_consumer(struct bench *b, const char *name, const char *phase, uint64_t n,
                          bool naive, double rate, struct result *r) {
    struct bench_gen gen;
    struct drain d;
    struct produce_stats ps;
    struct pg_snap s0, s1;
    char topic[64], group[64], tag[32], log_path[PATH_MAX], stats_path[PATH_MAX], path[PATH_MAX];
    const char *argv[64];
    int argc = 0, status;
    int64_t deadline;

    memset(r, 0, sizeof(*r));
    r->name = name;
    r->n = n;
    snprintf(topic, sizeof(topic), "bench.%s.%s", b->tag, phase);
    snprintf(group, sizeof(group), "eqm-bench-%s-%s", b->tag, phase);
    snprintf(log_path, sizeof(log_path), "%s/%s.log", b->o.work_dir, phase);
    snprintf(stats_path, sizeof(stats_path), "%s/%s.stats", b->o.work_dir, phase);
    snprintf(path, sizeof(path), "%s/eqm-stop-search", b->o.bin_dir);
    unlink(stats_path);
    if (topic_create(b, topic) != 0 || pg_clear(b) != 0)
        return -1;
    pg_snapshot(b, &s0);
    b->delivered = b->failed = 0;

    argv[argc++] = path;
    argv[argc++] = "--topic";
    argv[argc++] = topic;
    argv[argc++] = "--group-id";
    argv[argc++] = group;
    argv[argc++] = "--force-area";
    argv[argc++] = b->o.force_area;
    argv[argc++] = "--stats-file";
    argv[argc++] = stats_path;
    argv[argc++] = "--exit-when-idle";
    argv[argc++] = "3";
    argv[argc++] = "--log-level";
    argv[argc++] = "warn";
    argv[argc++] = "-X";
    argv[argc++] = "session.timeout.ms=6000";
    /* The development broker (librdkafka's mock) holds a fetch that found
     * no data for the whole fetch.wait.max.ms (500 ms by default) even when
     * data arrives meanwhile; a real broker answers at once. 50 ms keeps
     * that artefact out of the latency figures. */
    argv[argc++] = "-X";
    argv[argc++] = "fetch.wait.max.ms=50";
    if (naive)
        argv[argc++] = "--naive";
    for (int i = 0; i < b->o.n_consumer_args && argc < 63; i++)
        argv[argc++] = b->o.consumer_args[i];
    argv[argc] = NULL;

    memset(&d, 0, sizeof(d));
    d.pid = spawn((char *const *)argv, log_path, -1);
    if (d.pid < 0)
        return -1;
    d.consumed = consumed_pg;
    d.group = group;
    d.topic = topic;
    d.label = name;
    /* Assigned once its offset rows exist (it creates them on assignment). */
    {
        const char *params[2] = {group, topic};
        deadline = now_us() + 60000000;
        while (pg_num(b,
                      "SELECT count(*) FROM equality.kafka_offsets "
                      "WHERE consumer_group = $1 AND topic = $2",
                      2, params) < b->o.partitions) {
            if (!alive(d.pid) || now_us() > deadline || stop) {
                say("%s: consumer did not get its partitions; see %s", name, log_path);
                reap(d.pid, 1);
                b->failures++;
                return -1;
            }
            usleep(50000);
        }
    }
    say("%s: consumer assigned; producing %" PRIu64 " events%s", name, n,
        rate > 0 ? " at a steady rate" : "");
    make_tag(b, phase, tag, sizeof(tag));
    bench_gen_init(&gen, b->o.seed, n, b->o.areas, now_us(), b->o.shuffle, tag);
    produce(b, &gen, topic, n, rate, &d, &ps);

    /* Everything committed, then the consumer exits on its own when idle. */
    deadline = now_us() + (naive ? 600000000LL : 120000000LL);
    while (consumed_pg(b, &d) < (int64_t)ps.produced && alive(d.pid) && now_us() < deadline &&
           !stop)
        usleep(20000);
    status = reap(d.pid, 30);
    if (status != 0)
        say("%s: consumer exit status %d; see %s", name, status, log_path);

    {
        double first = stat_get(stats_path, "first_message_us");
        double last = stat_get(stats_path, "last_commit_us");
        double msgs = stat_get(stats_path, "messages");
        r->rate = last > first && first > 0 ? msgs * 1e6 / (last - first) : -1;
        r->p50_ms = (long)stat_get(stats_path, "latency_p50_ms");
        r->p99_ms = (long)stat_get(stats_path, "latency_p99_ms");
        r->max_ms = (long)stat_get(stats_path, "latency_max_ms");
        r->rss_kb = (long)stat_get(stats_path, "peak_rss_kb");
        r->end_delay_ms = (last - (double)ps.end_us) / 1000.0;
    }
    r->produced_rate = (double)ps.produced * 1e6 / (double)(ps.end_us - ps.start_us);
    r->max_lag_s = ps.max_lag_s;
    r->counts_ok = status == 0 && counts_match(b, group, topic, n);
    if (!r->counts_ok)
        b->failures++;

    /* The consumer's statistics reach pg_stat when its backend exits. */
    usleep(600000);
    pg_snapshot(b, &s1);
    r->rows_written = s1.rows - s0.rows;
    r->wal_bytes = s1.wal_lsn_bytes - s0.wal_lsn_bytes;
    r->rel_bytes = s1.rel_bytes - s0.rel_bytes;
    r->daily_rows = pg_num(b, "SELECT count(*) FROM equality.stop_search_daily", 0, NULL);
    r->daily_bytes =
        pg_num(b, "SELECT pg_total_relation_size('equality.stop_search_daily')", 0, NULL);
    r->seen_rows = pg_num(b, "SELECT count(*) FROM equality.event_keys", 0, NULL);
    r->seen_bytes = pg_num(b, "SELECT pg_total_relation_size('equality.event_keys')", 0, NULL);
    say("%s: %.0f events/s, p50 %ld ms, p99 %ld ms, peak RSS %.1f MB, counts %s", name, r->rate,
        r->p50_ms, r->p99_ms, (double)r->rss_kb / 1024, r->counts_ok ? "exact" : "DIFFER");
    return 0;
}

/* ---- report ------------------------------------------------------------ */

static void fmt_rate(char *out, size_t size, double v) {
    if (v < 0)
        snprintf(out, size, "-");
    else
        snprintf(out, size, "%.0f", v);
}

static void print_row(const struct result *r) {
    char rate[32], p50[24] = "-", p99[24] = "-", rss[32] = "-";
    fmt_rate(rate, sizeof(rate), r->rate);
    if (r->p50_ms >= 0)
        snprintf(p50, sizeof(p50), "%ld", r->p50_ms);
    if (r->p99_ms >= 0)
        snprintf(p99, sizeof(p99), "%ld", r->p99_ms);
    if (r->rss_kb > 0)
        snprintf(rss, sizeof(rss), "%.1f", (double)r->rss_kb / 1024);
    printf("| %-30s | %9" PRIu64 " | %9s | %6s | %6s | %7s | %-6s |\n", r->name, r->n, rate, p50,
           p99, rss, r->counts_ok ? "exact" : "DIFFER");
}

static void print_pg(const struct result *r) {
    double k = (double)r->n / 1000.0;
    if (r->n == 0)
        return;
    printf("| %-30s | %10.0f | %12.0f | %12.0f | %9.0f | %9.1f | %9.0f | %9.1f |\n", r->name,
           r->rows_written / k, r->wal_bytes / k, r->rel_bytes / k, r->daily_rows,
           r->daily_bytes / 1048576.0, r->seen_rows, r->seen_bytes / 1048576.0);
}

/* A backlog the broker keeps whole: half the producer's window per
 * partition on average (the busiest borough's partition gets 1.7 times the
 * average). */
static uint64_t kcat_backlog_max(const struct bench *b) {
    return (uint64_t)b->o.partitions * (WINDOW_BYTES / BENCH_GEN_MAX_BYTES * 2) / 2;
}

static int run_full(struct bench *b) {
    struct result parse = {0}, kcat = {0}, kcatb = {0}, e2e = {0}, naive = {0};
    double load_start = load1(), ceiling;

    parse.name = "parse+map in memory (ceiling)";
    parse.n = b->o.events;
    parse.p50_ms = parse.p99_ms = parse.rss_kb = -1;
    parse.counts_ok = true;
    if (!b->o.skip_parse) {
        say("parse+map: %" PRIu64 " events in memory", b->o.events);
        parse.rate = phase_parse(b, b->o.events);
        say("parse+map: %.0f events/s", parse.rate);
    } else {
        parse.rate = -1;
    }
    if (!b->o.skip_kcat && !stop) {
        say("kcat: draining %" PRIu64 " events as they are produced", b->o.events);
        if (phase_kcat(b, b->o.events, &kcat) != 0)
            b->failures++;
        /* As much as the partitions hold without dropping anything. */
        if (!stop && phase_kcat_backlog(
                         b, kcat_backlog_max(b) < b->o.events ? kcat_backlog_max(b) : b->o.events,
                         &kcatb) != 0)
            b->failures++;
    }
    if (!stop &&
        phase_consumer(b, "eqm-stop-search end to end", "e2e", b->o.events, false, 0, &e2e) != 0)
        b->failures++;
    if (!b->o.skip_naive && !stop &&
        phase_consumer(b, "naive: 1 transaction per event", "naive", b->o.naive_events, true, 0,
                       &naive) != 0)
        b->failures++;

    ceiling = -1;
    if (parse.rate > 0)
        ceiling = parse.rate;
    if (kcatb.rate > 0 && (ceiling < 0 || kcatb.rate < ceiling))
        ceiling = kcatb.rate;

    printf("\neqm-bench: %" PRIu64 " events (naive: %" PRIu64 "), %d areas, %d partitions, %s; "
           "load average %.2f at start, %.2f at end; %ld CPUs\n\n",
           b->o.events, b->o.naive_events, b->o.areas, b->o.partitions,
           b->o.shuffle ? "event times shuffled over the year" : "event times in arrival order",
           load_start, load1(), sysconf(_SC_NPROCESSORS_ONLN));
    printf("| %-30s | %9s | %9s | %6s | %6s | %7s | %-6s |\n", "what", "events", "events/s",
           "p50 ms", "p99 ms", "RSS MB", "counts");
    printf("|%s|%s|%s|%s|%s|%s|%s|\n", "--------------------------------", "-----------",
           "-----------", "--------", "--------", "---------", "--------");
    if (!b->o.skip_parse)
        print_row(&parse);
    if (!b->o.skip_kcat) {
        print_row(&kcat);
        print_row(&kcatb);
    }
    print_row(&e2e);
    if (!b->o.skip_naive)
        print_row(&naive);
    printf("\n");
    if (ceiling > 0 && e2e.rate > 0)
        printf("end to end / ceiling (lower of parse+map and kcat backlog): %.2f\n",
               e2e.rate / ceiling);
    if (kcat.rate > 0 && e2e.rate > 0)
        printf("end to end / kcat draining while produced:            %.2f\n",
               e2e.rate / kcat.rate);
    if (kcatb.rate > 0 && e2e.rate > 0)
        printf("end to end / kcat draining a backlog:                 %.2f\n",
               e2e.rate / kcatb.rate);
    if (parse.rate > 0 && e2e.rate > 0)
        printf("end to end / parse+map:                               %.2f\n",
               e2e.rate / parse.rate);
    if (naive.rate > 0 && e2e.rate > 0)
        printf("end to end / naive:                                   %.1f\n",
               e2e.rate / naive.rate);
    printf("\nPostgreSQL, per 1,000 events (all tables of schema equality), and what is stored "
           "at the end:\n\n");
    printf("| %-30s | %10s | %12s | %12s | %9s | %9s | %9s | %9s |\n", "what", "rows writ.",
           "WAL bytes", "table bytes", "daily rows", "daily MB", "event ids", "ids MB");
    printf("|%s|%s|%s|%s|%s|%s|%s|%s|\n", "--------------------------------", "------------",
           "--------------", "--------------", "-----------", "-----------", "-----------",
           "-----------");
    print_pg(&e2e);
    if (!b->o.skip_naive)
        print_pg(&naive);
    printf("\nlatency = COMMIT time minus the Kafka message timestamp (CreateTime); with the "
           "producer flow-controlled to the broker's retention, it measures the queue, not the "
           "service: see --sustain.\n");
    return b->failures ? 1 : 0;
}

static int run_sustain(struct bench *b) {
    struct result rs[32];
    int n = 0;
    double best = 0;
    char *list = strdup(b->o.sustain), *save = NULL;

    for (char *tok = strtok_r(list, ",", &save); tok && n < 32 && !stop;
         tok = strtok_r(NULL, ",", &save)) {
        double rate = strtod(tok, NULL);
        char name[64], phase[32];
        uint64_t events = (uint64_t)(rate * b->o.duration);
        struct result *r = &rs[n];
        if (rate <= 0)
            continue;
        snprintf(name, sizeof(name), "steady %.0f/s", rate);
        snprintf(phase, sizeof(phase), "r%.0f", rate);
        say("sustained: %.0f events/s for %.0f s", rate, b->o.duration);
        if (phase_consumer(b, strdup(name), phase, events, false, rate, r) != 0) {
            b->failures++;
            continue;
        }
        /* Kept up: the rate was held, the lag stayed bounded, the last
         * event was committed soon after the producer's end, counts exact. */
        r->kept_up = r->counts_ok && r->produced_rate >= 0.98 * rate && r->max_lag_s <= 2.0 &&
                     r->end_delay_ms <= 2000;
        if (r->kept_up && rate > best)
            best = rate;
        n++;
    }
    free(list);
    printf("\neqm-bench --sustain: %.0f s per rate, %d areas, %d partitions; load average %.2f; "
           "%ld CPUs\n\n",
           b->o.duration, b->o.areas, b->o.partitions, load1(), sysconf(_SC_NPROCESSORS_ONLN));
    printf("| %-18s | %9s | %10s | %9s | %12s | %6s | %6s | %7s | %-6s | %-8s |\n", "target",
           "events", "produced/s", "max lag s", "end delay ms", "p50 ms", "p99 ms", "RSS MB",
           "counts", "kept up");
    printf("|--------------------|-----------|------------|-----------|--------------|--------|"
           "--------|---------|--------|----------|\n");
    for (int i = 0; i < n; i++)
        printf("| %-18s | %9" PRIu64 " | %10.0f | %9.2f | %12.0f | %6ld | %6ld | %7.1f | %-6s | "
               "%-8s |\n",
               rs[i].name, rs[i].n, rs[i].produced_rate, rs[i].max_lag_s, rs[i].end_delay_ms,
               rs[i].p50_ms, rs[i].p99_ms, (double)rs[i].rss_kb / 1024,
               rs[i].counts_ok ? "exact" : "DIFFER", rs[i].kept_up ? "yes" : "NO");
    printf("\nhighest rate sustained: %.0f events/s\n", best);
    return b->failures ? 1 : 0;
}

static void usage(FILE *f) {
    fprintf(f,
            "Usage: eqm-bench [OPTIONS] [-- EQM-STOP-SEARCH-ARGS...]\n"
            "\n"
            "Benchmarks eqm-stop-search against the development broker and PostgreSQL\n"
            "(EQM_KAFKA_BROKERS, EQM_BROKER_CONTROL, EQM_PG_URL; tools/bench.sh sets them).\n"
            "It TRUNCATEs the count tables of that database: use a throwaway one.\n"
            "\n"
            "  -n, --events N        events per phase (default 1000000)\n"
            "      --naive-events N  events for the naive baseline (default 20000)\n"
            "      --areas N         areas, 1..33 (default 32)\n"
            "      --partitions N    partitions of each bench topic (default 32)\n"
            "      --shuffle         event times uniform over the year, not in arrival order\n"
            "      --seed S          generator seed (default 1)\n"
            "      --skip-kcat, --skip-naive, --skip-parse\n"
            "      --sustain R,R...  sustained mode: steady R events/s, per rate\n"
            "      --duration S      seconds per sustained rate (default 20)\n"
            "      --bin DIR         where eqm-stop-search and eqm-devbroker are (default: beside\n"
            "                        this program)\n"
            "      --work-dir DIR    logs and stats files (default /tmp)\n"
            "      --kcat PATH       kcat program (default kcat)\n"
            "\n"
            "Exit status 1 if any phase's final counts differ from what was produced.\n");
}

int main(int argc, char **argv) {
    static struct bench b;
    char errstr[512], self[PATH_MAX];
    ssize_t sl;
    int rc;
    enum {
        O_NAIVE = 256,
        O_AREAS,
        O_PARTS,
        O_SHUFFLE,
        O_SEED,
        O_SK,
        O_SN,
        O_SP,
        O_SUSTAIN,
        O_DUR,
        O_BIN,
        O_WORK,
        O_KCAT
    };
    static const struct option longopts[] = {
        {"events", required_argument, NULL, 'n'},
        {"naive-events", required_argument, NULL, O_NAIVE},
        {"areas", required_argument, NULL, O_AREAS},
        {"partitions", required_argument, NULL, O_PARTS},
        {"shuffle", no_argument, NULL, O_SHUFFLE},
        {"seed", required_argument, NULL, O_SEED},
        {"skip-kcat", no_argument, NULL, O_SK},
        {"skip-naive", no_argument, NULL, O_SN},
        {"skip-parse", no_argument, NULL, O_SP},
        {"sustain", required_argument, NULL, O_SUSTAIN},
        {"duration", required_argument, NULL, O_DUR},
        {"bin", required_argument, NULL, O_BIN},
        {"work-dir", required_argument, NULL, O_WORK},
        {"kcat", required_argument, NULL, O_KCAT},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;

    b.o = (struct opts){.events = 1000000,
                        .naive_events = 20000,
                        .areas = 32,
                        .partitions = 32,
                        .seed = 1,
                        .duration = 20,
                        .work_dir = "/tmp",
                        .kcat = "kcat",
                        .force_area = "force"};
    while ((c = getopt_long(argc, argv, "n:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'n':
            b.o.events = strtoull(optarg, NULL, 10);
            break;
        case O_NAIVE:
            b.o.naive_events = strtoull(optarg, NULL, 10);
            break;
        case O_AREAS:
            b.o.areas = atoi(optarg);
            break;
        case O_PARTS:
            b.o.partitions = atoi(optarg);
            break;
        case O_SHUFFLE:
            b.o.shuffle = true;
            break;
        case O_SEED:
            b.o.seed = strtoull(optarg, NULL, 10);
            break;
        case O_SK:
            b.o.skip_kcat = true;
            break;
        case O_SN:
            b.o.skip_naive = true;
            break;
        case O_SP:
            b.o.skip_parse = true;
            break;
        case O_SUSTAIN:
            b.o.sustain = optarg;
            break;
        case O_DUR:
            b.o.duration = strtod(optarg, NULL);
            break;
        case O_BIN:
            b.o.bin_dir = optarg;
            break;
        case O_WORK:
            b.o.work_dir = optarg;
            break;
        case O_KCAT:
            b.o.kcat = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    b.o.consumer_args = (const char **)argv + optind;
    b.o.n_consumer_args = argc - optind;
    if (b.o.events == 0 || b.o.areas < 1 || b.o.areas > BENCH_GEN_MAX_AREAS || b.o.partitions < 1 ||
        b.o.partitions > MAX_PARTITIONS || b.o.duration <= 0) {
        usage(stderr);
        return 2;
    }
    if (!b.o.bin_dir) {
        sl = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (sl <= 0) {
            fprintf(stderr, "eqm-bench: cannot find my own directory; use --bin\n");
            return 2;
        }
        self[sl] = '\0';
        *strrchr(self, '/') = '\0';
        b.o.bin_dir = self;
    }
    b.brokers = getenv("EQM_KAFKA_BROKERS");
    b.control = getenv("EQM_BROKER_CONTROL");
    if (!b.brokers || !b.control || !getenv("EQM_PG_URL")) {
        fprintf(stderr, "eqm-bench: set EQM_KAFKA_BROKERS, EQM_BROKER_CONTROL and EQM_PG_URL "
                        "(tools/bench.sh does)\n");
        return 2;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IOLBF, 0);
    snprintf(b.tag, sizeof(b.tag), "%x", (unsigned)(time(NULL) & 0xffffff));
    if (eqm_time_set_zone("Europe/London", errstr, sizeof(errstr)) != 0) {
        fprintf(stderr, "eqm-bench: %s\n", errstr);
        return 2;
    }
    b.conn = eqm_pg_connect(getenv("EQM_PG_URL"), "eqm-bench", errstr, sizeof(errstr));
    if (!b.conn) {
        fprintf(stderr, "eqm-bench: %s\n", errstr);
        return 2;
    }
    if (eqm_migrate_run(b.conn, errstr, sizeof(errstr)) < 0) {
        fprintf(stderr, "eqm-bench: %s\n", errstr);
        PQfinish(b.conn);
        return 2;
    }
    if (producer_new(&b) != 0) {
        PQfinish(b.conn);
        return 2;
    }
    rc = b.o.sustain ? run_sustain(&b) : run_full(&b);
    if (stop)
        rc = 130;
    rd_kafka_flush(b.rk, 10000);
    rd_kafka_destroy(b.rk);
    PQfinish(b.conn);
    return rc;
}
