/*
 * catchup.c - alert evaluation held while catching up (catchup.h).
 *
 * Nothing here is needed for correctness of the counts: a hold only
 * delays eqm_alerts_evaluate(), whose state lives in PostgreSQL, so a
 * crash while holding loses nothing; the next start owes an evaluation.
 */
#include "catchup.h"

#include <stdio.h>

#include "eqm/log.h"
#include "eqm/policy.h"
#include "eqm/timeutil.h"

/* A partition without a known log end is asked of the broker at most this
 * often, waiting at most WATERMARK_QUERY_TIMEOUT_MS. */
#define WATERMARK_QUERY_INTERVAL_MS 2000
#define WATERMARK_QUERY_TIMEOUT_MS  500

void eqm_catchup_init(struct eqm_catchup *cu, bool has_rules, long hold_lag) {
    *cu = (struct eqm_catchup){0};
    cu->enabled = has_rules && hold_lag > 0;
    cu->hold_lag = hold_lag;
    cu->owed = cu->enabled;
    cu->lag = -1;
}

bool eqm_catchup_decide(struct eqm_catchup *cu, struct eqm_consumer *consumer, bool batch_full) {
    struct eqm_policy_catchup pc = {cu->hold_lag, 0, batch_full, cu->idle};
    int64_t now = eqm_time_mono_ms();
    int timeout = 0;

    if (!cu->enabled) {
        cu->held = false;
        return false;
    }
    if (now - cu->last_query_ms >= WATERMARK_QUERY_INTERVAL_MS)
        timeout = WATERMARK_QUERY_TIMEOUT_MS;
    if (eqm_consumer_lag(consumer, timeout, &pc.lag) > 0) {
        pc.lag = -1;
        if (timeout > 0)
            cu->last_query_ms = now;
    }
    cu->lag = pc.lag;
    cu->full = batch_full;
    cu->held = eqm_policy_alerts_held(&pc);
    return cu->held;
}

static void log_lag(char *out, size_t sz, int64_t lag) {
    if (lag < 0)
        snprintf(out, sz, "unknown");
    else
        snprintf(out, sz, "%lld", (long long)lag);
}

bool eqm_catchup_done(struct eqm_catchup *cu) {
    char lag[24];

    if (!cu->enabled)
        return false;
    log_lag(lag, sizeof(lag), cu->lag);
    if (cu->held) {
        cu->owed = true;
        cu->held_runs++;
        if (cu->holding)
            return false;
        cu->holding = true;
        cu->since_ms = eqm_time_mono_ms();
        eqm_log_info("alert evaluation held while catching up",
                     "lag=%s alerts.hold.lag=%ld batch_full=%s", lag, cu->hold_lag,
                     cu->full ? "yes" : "no");
        return true;
    }
    cu->owed = false;
    if (!cu->holding)
        return false;
    eqm_log_info("caught up: alert rules evaluated", "lag=%s held_s=%.1f held_recomputations=%lu",
                 lag, (double)(eqm_time_mono_ms() - cu->since_ms) / 1000.0, cu->held_runs);
    cu->holding = false;
    cu->held_runs = 0;
    return true;
}

void eqm_catchup_log_stopping(const struct eqm_catchup *cu) {
    char lag[24];

    if (!cu->owed)
        return;
    log_lag(lag, sizeof(lag), cu->lag);
    /* Nothing is lost: the alert state is in PostgreSQL, and the next
     * start judges the figures once caught up. */
    eqm_log_warn("stopping with alert evaluation held: not caught up",
                 "lag=%s alerts.hold.lag=%ld batch_full=%s idle=%s", lag, cu->hold_lag,
                 cu->full ? "yes" : "no", cu->idle ? "yes" : "no");
}
