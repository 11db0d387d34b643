#include "eqm/runstats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void eqm_runstats_init(struct eqm_runstats *rs) {
    memset(rs, 0, sizeof(*rs));
}

void eqm_runstats_batch(struct eqm_runstats *rs, const int64_t *timestamps_ms, size_t n_messages,
                        uint64_t new_events, int64_t commit_us) {
    int64_t commit_ms = commit_us / 1000;

    for (size_t i = 0; i < n_messages; i++) {
        int64_t ms;
        if (timestamps_ms[i] <= 0)
            continue;
        /* Clocks of one machine: a negative value is rounding, not news. */
        ms = commit_ms - timestamps_ms[i];
        if (ms < 0)
            ms = 0;
        if (ms > rs->max_ms)
            rs->max_ms = ms;
        rs->hist[ms > EQM_RUNSTATS_MAX_MS ? EQM_RUNSTATS_MAX_MS : ms]++;
        rs->samples++;
    }
    rs->messages += n_messages;
    rs->events += new_events;
    rs->batches++;
    rs->last_commit_us = commit_us;
}

int64_t eqm_runstats_quantile(const struct eqm_runstats *rs, double q) {
    uint64_t want, seen = 0;

    if (rs->samples == 0)
        return -1;
    /* The smallest value with at least q of the samples at or below it. */
    want = (uint64_t)(q * (double)rs->samples + 0.999999);
    if (want < 1)
        want = 1;
    for (int ms = 0; ms <= EQM_RUNSTATS_MAX_MS; ms++) {
        seen += rs->hist[ms];
        if (seen >= want)
            return ms;
    }
    return rs->max_ms;
}

static long peak_rss_kb(void) {
    char line[256];
    long kb = -1;
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (!strncmp(line, "VmHWM:", 6))
            kb = strtol(line + 6, NULL, 10);
    fclose(f);
    return kb;
}

int eqm_runstats_write(const struct eqm_runstats *rs, const char *path) {
    char tmp[4096];
    FILE *f;
    int bad;

    if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
        return -1;
    f = fopen(tmp, "w");
    if (!f)
        return -1;
    fprintf(f,
            "messages=%llu\nevents=%llu\nbatches=%llu\nfirst_message_us=%lld\n"
            "last_commit_us=%lld\nlatency_samples=%llu\nlatency_p50_ms=%lld\n"
            "latency_p99_ms=%lld\nlatency_max_ms=%lld\npeak_rss_kb=%ld\nalerts_held=%d\n"
            "alerts_lag=%lld\n",
            (unsigned long long)rs->messages, (unsigned long long)rs->events,
            (unsigned long long)rs->batches, (long long)rs->first_message_us,
            (long long)rs->last_commit_us, (unsigned long long)rs->samples,
            (long long)eqm_runstats_quantile(rs, 0.50), (long long)eqm_runstats_quantile(rs, 0.99),
            (long long)rs->max_ms, peak_rss_kb(), rs->alerts_held, (long long)rs->alerts_lag);
    bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        remove(tmp);
        return -1;
    }
    return rename(tmp, path);
}
