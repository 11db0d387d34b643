/*
 * commitstats.c - the commit latency histogram (eqm/commitstats.h).
 */
#include "eqm/commitstats.h"

#include <stdio.h>

const double eqm_commit_bounds[EQM_COMMIT_BOUNDS] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                     0.5,   1,    2.5,   5,    10};

int eqm_commit_bucket(double seconds) {
    for (int b = 0; b < EQM_COMMIT_BOUNDS; b++)
        if (seconds <= eqm_commit_bounds[b])
            return b;
    return EQM_COMMIT_BOUNDS;
}

void eqm_commit_stats_add(struct eqm_commit_stats *st, double seconds) {
    if (!(seconds > 0))
        seconds = 0;
    st->sum_s += seconds;
    st->count++;
    st->buckets[eqm_commit_bucket(seconds)]++;
}

void eqm_commit_stats_sub(struct eqm_commit_stats *st, const struct eqm_commit_stats *done) {
    st->sum_s -= done->sum_s;
    st->count -= done->count;
    for (int b = 0; b < EQM_COMMIT_BUCKETS; b++)
        st->buckets[b] -= done->buckets[b];
    /* Rounding may leave a trace of a sum whose commits are all gone. */
    if (st->count == 0)
        st->sum_s = 0;
}

int eqm_commit_stats_buckets_text(const struct eqm_commit_stats *st, char *out, size_t size) {
    size_t len = 0;
    for (int b = 0; b < EQM_COMMIT_BUCKETS; b++) {
        int n = snprintf(out + len, size - len, "%c%lld", b ? ',' : '{', (long long)st->buckets[b]);
        if (n < 0 || (size_t)n >= size - len)
            return -1;
        len += (size_t)n;
    }
    if (len + 2 > size)
        return -1;
    out[len] = '}';
    out[len + 1] = '\0';
    return 0;
}
