/*
 * runstats.h - what a consumer run did, for benchmarks and capacity checks.
 *
 * Off by default: the engine keeps these only when `stats.file` is set, and
 * then rewrites that file (atomically: a temporary file renamed over it) at
 * most once a second and when it stops. The file is `name=value` lines:
 *
 *   messages, events, batches         totals since start (events = counted
 *                                     for the first time, after de-duplication)
 *   first_message_us, last_commit_us  wall clock, microseconds since the epoch:
 *                                     first message polled, last batch with
 *                                     messages committed in PostgreSQL
 *   latency_samples, latency_p50_ms, latency_p99_ms, latency_max_ms
 *                                     produce-to-commit latency of every
 *                                     message: COMMIT time minus the Kafka
 *                                     message timestamp (CreateTime, set by
 *                                     the producer)
 *   peak_rss_kb                       VmHWM of the process
 *   alerts_held, alerts_lag           1 while alert evaluation is held
 *                                     catching up (alerts.hold.lag), else 0;
 *                                     the lag at the last decision (-1 = not
 *                                     known)
 */
#ifndef EQM_RUNSTATS_H
#define EQM_RUNSTATS_H

#include <stddef.h>
#include <stdint.h>

/* 1 ms buckets up to this many ms; later ones share the last bucket. */
#define EQM_RUNSTATS_MAX_MS 60000

struct eqm_runstats {
    uint64_t messages, events, batches;
    int64_t first_message_us, last_commit_us; /* 0 = none yet */
    uint64_t samples;
    int64_t max_ms;
    uint64_t hist[EQM_RUNSTATS_MAX_MS + 1];
    int alerts_held;    /* set by the engine before each write */
    int64_t alerts_lag; /* -1 = not known */
};

/* Zeroes *rs. */
void eqm_runstats_init(struct eqm_runstats *rs);

/*
 * Records one committed batch: its messages' timestamps (ms since the
 * epoch; entries <= 0 are skipped), the number of new events, and the
 * COMMIT time.
 */
void eqm_runstats_batch(struct eqm_runstats *rs, const int64_t *timestamps_ms, size_t n_messages,
                        uint64_t new_events, int64_t commit_us);

/* The q-quantile (0..1) of the latencies in ms, or -1 without samples. */
int64_t eqm_runstats_quantile(const struct eqm_runstats *rs, double q);

/*
 * Writes the file described above to path (via path.tmp and rename).
 * Returns 0, or -1 with errno set.
 */
int eqm_runstats_write(const struct eqm_runstats *rs, const char *path)
    __attribute__((warn_unused_result));

#endif /* EQM_RUNSTATS_H */
