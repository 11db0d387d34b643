/*
 * phases.c - eqm-bench's phases (see bench.h and main.c): what each one
 * starts, produces and checks, and what it measured.
 */
#define _GNU_SOURCE /* pipe2 */
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "eqm/envelope.h"
#include "eqm/sink.h"
#include "stop_search.h"

static void make_tag(struct bench *b, const char *phase, char *out, size_t size) {
    snprintf(out, size, "%s%s", b->tag, phase);
}

double bench_phase_parse(struct bench *b, uint64_t n) {
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
    for (uint64_t base = 0; base < n && !bench_stopping(); base += CHUNK) {
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
        bench_say("parse+map: %" PRIu64 " of %" PRIu64 " events accepted", ok, n);
        b->failures++;
    }
    return busy > 0 ? (double)n / busy : -1;
}

/*
 * Starts kcat reading n messages of topic from the beginning, one line
 * per message (its partition) on a pipe that d then reads (d->fd, d->pid,
 * d->consumed). *started_us is when it was started. Returns 0 or -1.
 */
static int kcat_start(struct bench *b, const char *topic, uint64_t n, struct bench_drain *d,
                      const char *log_path, int64_t *started_us) {
    char count[24];
    char *argv[] = {(char *)b->o.kcat,
                    "-C",
                    "-q",
                    "-b",
                    (char *)b->brokers,
                    "-t",
                    (char *)topic,
                    "-o",
                    "beginning",
                    "-c",
                    count,
                    "-f",
                    "%p\\n",
                    NULL};
    int fds[2];

    if (pipe2(fds, O_CLOEXEC) != 0)
        return -1;
    snprintf(count, sizeof(count), "%" PRIu64, n);
    *started_us = now_us();
    d->pid = bench_spawn(argv, log_path, fds[1]);
    close(fds[1]);
    if (d->pid < 0) {
        close(fds[0]);
        return -1;
    }
    /* Read what is there and go back to producing or polling. */
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    d->fd = fds[0];
    d->consumed = bench_consumed_kcat;
    return 0;
}

/* Lets kcat finish (-c makes it exit after n messages), for a minute at
 * most, reading its lines; reaps it. Returns its exit status. */
static int kcat_finish(struct bench *b, struct bench_drain *d, uint64_t n) {
    int status;

    for (int64_t deadline = now_us() + 60000000;
         d->consumed_total < (int64_t)n && !bench_stopping();) {
        struct pollfd pfd = {.fd = d->fd, .events = POLLIN};
        if (now_us() > deadline)
            break;
        poll(&pfd, 1, 100);
        bench_consumed_kcat(b, d);
        if (!bench_alive(d->pid) && poll(&pfd, 1, 0) <= 0)
            break;
    }
    bench_consumed_kcat(b, d);
    status = bench_reap(d->pid, 10);
    close(d->fd);
    d->fd = -1;
    return status;
}

/* What both kcat phases hold. */
struct kcat_run {
    struct bench_gen gen;
    struct bench_drain d;
    struct bench_produce_stats ps;
    char topic[64], log_path[PATH_MAX];
    int64_t started_us;
};

/* A kcat phase's result row, its fresh topic (bench.TAG.kcat + suffix)
 * and its events (tag suffix). 0 or -1. */
static int kcat_prepare(struct bench *b, uint64_t n, struct bench_result *r, const char *name,
                        const char *suffix, struct kcat_run *k) {
    char tag[48], phase[16];

    memset(r, 0, sizeof(*r));
    r->name = name;
    r->n = n;
    r->p50_ms = r->p99_ms = r->rss_kb = -1;
    memset(k, 0, sizeof(*k));
    b->delivered = b->failed = 0;
    snprintf(k->topic, sizeof(k->topic), "bench.%s.kcat%s", b->tag, suffix);
    snprintf(k->log_path, sizeof(k->log_path), "%s/kcat.log", b->o.work_dir);
    snprintf(phase, sizeof(phase), "k%s", suffix);
    make_tag(b, phase, tag, sizeof(tag));
    bench_gen_init(&k->gen, b->o.seed, n, b->o.areas, now_us(), b->o.shuffle, tag);
    return bench_topic_create(b, k->topic);
}

/* kcat alone: events/s from its first message to its last. */
int bench_phase_kcat(struct bench *b, uint64_t n, struct bench_result *r) {
    struct kcat_run k;
    struct bench_drain *d = &k.d;
    int status;

    if (kcat_prepare(b, n, r, "kcat while produced", "", &k) != 0 ||
        kcat_start(b, k.topic, n, d, k.log_path, &k.started_us) != 0)
        return -1;
    d->label = "kcat";
    bench_produce(b, &k.gen, k.topic, n, 0, d, &k.ps);
    status = kcat_finish(b, d, n);
    r->counts_ok = d->consumed_total == (int64_t)n && b->delivered == n;
    if (!r->counts_ok) {
        bench_say("kcat: %" PRId64 " of %" PRIu64 " messages read (delivered %" PRIu64
                  "); exit %d, see %s",
                  d->consumed_total, n, b->delivered, status, k.log_path);
        b->failures++;
    }
    if (d->last_us > d->first_us)
        r->rate = (double)d->consumed_total * 1e6 / (double)(d->last_us - d->first_us);
    bench_say("kcat: %" PRId64 " messages in %.2f s: %.0f/s (producer alone %.0f/s)",
              d->consumed_total, (double)(d->last_us - d->first_us) / 1e6, r->rate,
              (double)k.ps.produced * 1e6 / (double)(k.ps.end_us - k.ps.start_us));
    return 0;
}

/*
 * kcat draining a backlog that fits in the broker's retention (produced
 * first, then read): kcat's own speed, which the run above cannot show when
 * kcat keeps up with the producer. Events/s from starting kcat to its last
 * message (its start-up included: a lower bound; its first line shows up
 * only when its output buffer fills).
 */
int bench_phase_kcat_backlog(struct bench *b, uint64_t n, struct bench_result *r) {
    struct kcat_run k;
    struct bench_drain *d = &k.d;
    int status;

    if (kcat_prepare(b, n, r, "kcat, backlog, from start", "b", &k) != 0)
        return -1;
    /* No reader yet: the window alone bounds what each partition holds. */
    d->consumed = bench_consumed_kcat;
    d->fd = -1;
    d->label = "kcat backlog";
    if (bench_produce(b, &k.gen, k.topic, n, 0, d, &k.ps) != 0 || b->delivered != n) {
        bench_say("kcat backlog: %" PRIu64 " of %" PRIu64 " delivered", b->delivered, n);
        b->failures++;
        return -1;
    }
    if (kcat_start(b, k.topic, n, d, k.log_path, &k.started_us) != 0)
        return -1;
    status = kcat_finish(b, d, n);
    r->counts_ok = d->consumed_total == (int64_t)n;
    if (!r->counts_ok) {
        bench_say("kcat backlog: %" PRId64 " of %" PRIu64 " messages read; exit %d, see %s",
                  d->consumed_total, n, status, k.log_path);
        b->failures++;
    }
    if (d->last_us > k.started_us)
        r->rate = (double)d->consumed_total * 1e6 / (double)(d->last_us - k.started_us);
    bench_say("kcat backlog: %" PRId64 " messages in %.3f s from its start: %.0f/s",
              d->consumed_total, (double)(d->last_us - k.started_us) / 1e6, r->rate);
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
    double force = bench_pg_num(b,
                                "SELECT coalesce(sum(searches), 0) FROM equality.stop_search_daily "
                                "WHERE area = $1 AND dimension = 'ethnicity'",
                                1, params);
    double areas = bench_pg_num(b,
                                "SELECT coalesce(sum(searches), 0) FROM equality.stop_search_daily "
                                "WHERE area <> $1 AND dimension = 'age_range'",
                                1, params);
    double seen = bench_pg_num(b, "SELECT count(*) FROM equality.event_keys", 0, NULL);
    double dead = bench_pg_num(b, "SELECT count(*) FROM equality.dead_letters", 0, NULL);
    int64_t offsets = bench_pg_committed(b, group, topic, NULL);
    bool ok = force == (double)n && areas == (double)n && seen == (double)n && dead == 0 &&
              offsets == (int64_t)n && b->delivered == n;
    if (!ok)
        bench_say("COUNTS DIFFER: produced %" PRIu64 ", delivered %" PRIu64
                  ", counted %.0f (force) %.0f (areas), "
                  "event ids %.0f, dead letters %.0f, offsets %" PRId64,
                  n, b->delivered, force, areas, seen, dead, offsets);
    return ok;
}

int bench_phase_consumer(struct bench *b, const char *name, const char *phase, uint64_t n,
                         bool naive, double rate, struct bench_result *r) {
    struct bench_gen gen;
    struct bench_drain d;
    struct bench_produce_stats ps;
    struct bench_pg_snap s0, s1;
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
    if (bench_topic_create(b, topic) != 0 || bench_pg_clear(b) != 0)
        return -1;
    bench_pg_snapshot(b, &s0);
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
    d.pid = bench_spawn((char *const *)argv, log_path, -1);
    if (d.pid < 0)
        return -1;
    d.consumed = bench_consumed_pg;
    d.group = group;
    d.topic = topic;
    d.label = name;
    /* Assigned once its offset rows exist (it creates them on assignment). */
    {
        const char *params[2] = {group, topic};
        deadline = now_us() + 60000000;
        while (bench_pg_num(b,
                            "SELECT count(*) FROM equality.kafka_offsets "
                            "WHERE consumer_group = $1 AND topic = $2",
                            2, params) < b->o.partitions) {
            if (!bench_alive(d.pid) || now_us() > deadline || bench_stopping()) {
                bench_say("%s: consumer did not get its partitions; see %s", name, log_path);
                bench_reap(d.pid, 1);
                b->failures++;
                return -1;
            }
            usleep(50000);
        }
    }
    bench_say("%s: consumer assigned; producing %" PRIu64 " events%s", name, n,
              rate > 0 ? " at a steady rate" : "");
    make_tag(b, phase, tag, sizeof(tag));
    bench_gen_init(&gen, b->o.seed, n, b->o.areas, now_us(), b->o.shuffle, tag);
    bench_produce(b, &gen, topic, n, rate, &d, &ps);

    /* Everything committed, then the consumer exits on its own when idle. */
    deadline = now_us() + (naive ? 600000000LL : 120000000LL);
    while (bench_consumed_pg(b, &d) < (int64_t)ps.produced && bench_alive(d.pid) &&
           now_us() < deadline && !bench_stopping())
        usleep(20000);
    status = bench_reap(d.pid, 30);
    if (status != 0)
        bench_say("%s: consumer exit status %d; see %s", name, status, log_path);

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
    bench_pg_snapshot(b, &s1);
    r->rows_written = s1.rows - s0.rows;
    r->wal_bytes = s1.wal_lsn_bytes - s0.wal_lsn_bytes;
    r->rel_bytes = s1.rel_bytes - s0.rel_bytes;
    r->daily_rows = bench_pg_num(b, "SELECT count(*) FROM equality.stop_search_daily", 0, NULL);
    r->daily_bytes =
        bench_pg_num(b, "SELECT pg_total_relation_size('equality.stop_search_daily')", 0, NULL);
    r->seen_rows = bench_pg_num(b, "SELECT count(*) FROM equality.event_keys", 0, NULL);
    r->seen_bytes =
        bench_pg_num(b, "SELECT pg_total_relation_size('equality.event_keys')", 0, NULL);
    bench_say("%s: %.0f events/s, p50 %ld ms, p99 %ld ms, peak RSS %.1f MB, counts %s", name,
              r->rate, r->p50_ms, r->p99_ms, (double)r->rss_kb / 1024,
              r->counts_ok ? "exact" : "DIFFER");
    return 0;
}
