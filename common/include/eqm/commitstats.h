/*
 * commitstats.h - how long a consumer's commits take, as a histogram that
 * eqm-web's /metrics shows (equality.consumer_stats, migration 017).
 *
 * A commit's latency is known only once PostgreSQL has acknowledged it, so
 * the store keeps what it has measured but not yet written ("pending"),
 * writes that with the next batch (or alone when idle), and takes away
 * what it wrote once that transaction commits. Pure: no I/O.
 */
#ifndef EQM_COMMITSTATS_H
#define EQM_COMMITSTATS_H

#include <stddef.h>
#include <stdint.h>

/* Upper bounds of the buckets in seconds, as equality.consumer_commit_bounds
 * (Prometheus's default buckets); one bucket more holds longer commits. */
#define EQM_COMMIT_BOUNDS  11
#define EQM_COMMIT_BUCKETS (EQM_COMMIT_BOUNDS + 1)
extern const double eqm_commit_bounds[EQM_COMMIT_BOUNDS];

struct eqm_commit_stats {
    double sum_s;
    int64_t count;
    int64_t buckets[EQM_COMMIT_BUCKETS]; /* per bucket, not cumulative */
};

/* The bucket of a latency: the first bound it does not exceed ("le"). */
int eqm_commit_bucket(double seconds);

/* Adds one commit of the given latency (negative counts as 0). */
void eqm_commit_stats_add(struct eqm_commit_stats *st, double seconds);

/* Takes away what was written (done), which st held when it was copied. */
void eqm_commit_stats_sub(struct eqm_commit_stats *st, const struct eqm_commit_stats *done);

/*
 * The buckets as a PostgreSQL array literal ("{0,1,...}") in out.
 * Returns 0, or -1 if out is too small.
 */
int eqm_commit_stats_buckets_text(const struct eqm_commit_stats *st, char *out, size_t size)
    __attribute__((warn_unused_result));

#endif /* EQM_COMMITSTATS_H */
