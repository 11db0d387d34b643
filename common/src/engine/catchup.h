/*
 * catchup.h - alert evaluation held while a consumer catches up
 * (alerts.hold.lag; internal to common/src/engine/). The decision itself
 * is eqm_policy_alerts_held() (eqm/policy.h); this is its state across
 * batches: whether the figures last committed were judged, whether an
 * evaluation is owed, and the log lines an operator reads.
 */
#ifndef EQM_ENGINE_CATCHUP_H
#define EQM_ENGINE_CATCHUP_H

#include <stdbool.h>
#include <stdint.h>

#include "consumer.h"

struct eqm_catchup {
    bool enabled;            /* alert rules loaded and alerts.hold.lag > 0 */
    long hold_lag;           /* alerts.hold.lag */
    bool held;               /* the last decision (eqm_policy_alerts_held()) */
    bool owed;               /* an evaluation was held, or none was made yet this
                              * run: due as soon as the hold lifts */
    bool holding;            /* the figures last committed were not judged */
    bool last_full;          /* the last batch sent closed at batch.max.messages */
    bool full;               /* at the last decision: that batch, or the one read */
    bool idle;               /* this turn's poll found the queue empty */
    int64_t lag;             /* at the last decision; -1 = not known */
    int64_t since_ms;        /* holding since */
    unsigned long held_runs; /* figures recomputed without judging, while holding */
    int64_t last_query_ms;
};

/* At start: the last run may have stopped while holding, so an
 * evaluation is owed once caught up. has_rules: alert rules are loaded. */
void eqm_catchup_init(struct eqm_catchup *cu, bool has_rules, long hold_lag);

/*
 * Decides whether alert evaluation is held now, with the batch being read
 * counted as read and batch_full saying whether it, or the batch before
 * it, closed full; the lag is the consumer's (a partition without a known
 * log end is asked of the broker, at most every 2 s, for at most 500 ms).
 * Kept in cu->held for the figures that follow; returned too.
 */
bool eqm_catchup_decide(struct eqm_catchup *cu, struct eqm_consumer *consumer, bool batch_full);

/* After figures committed: judged, or held (logged once per hold).
 * Returns true when holding started or ended (worth a stats write). */
bool eqm_catchup_done(struct eqm_catchup *cu);

/* At stop: a warning if an evaluation is still owed (not caught up). */
void eqm_catchup_log_stopping(const struct eqm_catchup *cu);

#endif /* EQM_ENGINE_CATCHUP_H */
