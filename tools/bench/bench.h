/*
 * bench.h - the parts of eqm-bench and what they share (see main.c for
 * what a run does).
 *
 *   main.c     options and set-up
 *   proc.c     the log line, child processes (kcat, eqm-stop-search, ctl)
 *   pg.c       PostgreSQL: counts, offsets, statistics snapshots
 *   produce.c  the producer, fresh topics, and the flow-controlled loop
 *              that keeps it within what a drain (kcat or the consumer's
 *              stored offsets) has read
 *   phases.c   one function per phase: parse+map, kcat, kcat backlog,
 *              the consumer (end to end, naive, sustained)
 *   report.c   a full run and a sustained run, and their tables
 *   gen.c      the events (gen.h)
 */
#ifndef EQM_BENCH_H
#define EQM_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <libpq-fe.h>
#include <librdkafka/rdkafka.h>

#include "eqm/signals.h"
#include "eqm/timeutil.h"
#include "gen.h"

/* Stay this far (bytes) behind the broker's 5 MB per partition. */
#define WINDOW_BYTES   (3 * 1024 * 1024)
#define MAX_PARTITIONS 256

struct bench_opts {
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
    struct bench_opts o;
    PGconn *conn;
    const char *brokers, *control;
    char tag[24];
    rd_kafka_t *rk;
    uint64_t delivered, failed;
    int failures; /* count mismatches and errors: the exit status */
};

/* What one consumer phase measured. */
struct bench_result {
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

/* True once SIGINT or SIGTERM asked to stop (eqm/signals.h): every loop
 * ends, children are reaped, and the exit status is 130. */
static inline bool bench_stopping(void) {
    return !eqm_signals_running();
}

static inline int64_t now_us(void) {
    return eqm_time_now_us();
}

/* ---- proc.c ------------------------------------------------------------ */

/* One progress line on stderr, "[bench HH:MM:SS] ...". */
void bench_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The 1-minute load average, or -1. */
double bench_load1(void);
/* Starts argv with stdout to out_fd (or the log) and stderr appended to
 * log_path. Returns the pid, or -1 (said). */
pid_t bench_spawn(char *const argv[], const char *log_path, int out_fd);
/* Waits up to timeout_s for pid; then SIGTERM, then SIGKILL. Returns the
 * exit status, or -1 if it had to be killed. */
int bench_reap(pid_t pid, double timeout_s);
bool bench_alive(pid_t pid);

/* ---- pg.c -------------------------------------------------------------- */

/* One value of a one-row query, as a double (NaN on error or NULL). */
double bench_pg_num(struct bench *b, const char *sql, int n, const char *const *params);
/* Empties the count tables: every phase starts from nothing. 0 or -1. */
int bench_pg_clear(struct bench *b) __attribute__((warn_unused_result));

struct bench_pg_snap {
    double rows, wal_lsn_bytes, rel_bytes;
};
void bench_pg_snapshot(struct bench *b, struct bench_pg_snap *s);

/* Sum of the offsets the consumer group has committed in PostgreSQL, and
 * per partition into committed[] (if not NULL); -1 on error. */
int64_t bench_pg_committed(struct bench *b, const char *group, const char *topic,
                           int64_t *committed);

/* ---- produce.c --------------------------------------------------------- */

/* The producer (eqm_kafka_new()) into b->rk. 0, or -1 (said). */
int bench_producer_new(struct bench *b) __attribute__((warn_unused_result));

/* A fresh topic per phase, through the development broker's control
 * socket: the broker keeps whatever earlier phases left. 0 or -1. */
int bench_topic_create(struct bench *b, const char *topic) __attribute__((warn_unused_result));

/*
 * What the producer must not outrun. consumed() refreshes committed[] (per
 * partition, messages) and returns the total, or -1 on error.
 */
struct bench_drain {
    int64_t (*consumed)(struct bench *b, struct bench_drain *d);
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

/* The drains: a consumer group's stored offsets, or kcat's lines. */
int64_t bench_consumed_pg(struct bench *b, struct bench_drain *d);
int64_t bench_consumed_kcat(struct bench *b, struct bench_drain *d);

struct bench_produce_stats {
    int64_t start_us, end_us;
    uint64_t produced;
    double max_lag_s;
    bool broke; /* stopped early: consumer died, error, signal */
};

/*
 * Produces events [0, n) of gen to topic: as fast as the drain allows
 * (rate <= 0) or paced at rate events/s. Every message stays within
 * WINDOW_BYTES per partition of what the drain has consumed. Returns 0,
 * or -1 if it stopped early (ps->broke, or a signal).
 */
int bench_produce(struct bench *b, const struct bench_gen *gen, const char *topic, uint64_t n,
                  double rate, struct bench_drain *d, struct bench_produce_stats *ps);

/* ---- phases.c ---------------------------------------------------------- */

/* parse+map in memory: events/s of eqm_message_parse + the handler. */
double bench_phase_parse(struct bench *b, uint64_t n);
/* kcat alone while the events are produced, and on a backlog. 0 or -1. */
int bench_phase_kcat(struct bench *b, uint64_t n, struct bench_result *r);
int bench_phase_kcat_backlog(struct bench *b, uint64_t n, struct bench_result *r);
/* eqm-stop-search (naive: --naive) while the events are produced, as
 * fast as it drains them (rate <= 0) or at a steady rate. 0 or -1. */
int bench_phase_consumer(struct bench *b, const char *name, const char *phase, uint64_t n,
                         bool naive, double rate, struct bench_result *r);

/* ---- report.c ---------------------------------------------------------- */

/* The runs: every phase and its tables, or --sustain. The exit status. */
int bench_run_full(struct bench *b);
int bench_run_sustain(struct bench *b);

#endif /* EQM_BENCH_H */
