/*
 * policy.h - when the engine closes a batch, when figures are due, and
 * when alert evaluation waits for the consumer to catch up.
 * Pure functions of what the loop knows, so that the decisions the
 * latency and throughput figures rest on are unit-tested, not only timed.
 */
#ifndef EQM_POLICY_H
#define EQM_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A consumer with alert rules evaluates at least this often, new events
 * or not, so that reminders (repeat_after_days, by the wall clock) go. */
#define EQM_POLICY_ALERTS_TIMER_MS 60000

/* The batch settings (eqm/engine.h). */
struct eqm_policy_limits {
    long max_messages; /* batch.max.messages (1 in the naive mode) */
    long max_rows;     /* batch.max.rows */
    long max_ms;       /* batch.max.ms */
};

/* What the loop knows at one turn (times are monotonic milliseconds). */
struct eqm_policy_state {
    size_t messages;     /* in the batch being read */
    size_t slots;        /* count rows it would upsert */
    int64_t started_ms;  /* the batch's age counts from here (a catch-up
                          * batch, begun after a stall: from the stall) */
    int64_t read_ms;     /* when its first message was read */
    bool polled_nothing; /* this turn's poll found the queue empty */
    bool in_flight;      /* a pipelined batch is not committed yet */
    bool figures_next;   /* figures were held back from a full batch */
    bool figures_due;    /* eqm_policy_figures_due() */
    bool assigned;       /* partitions were assigned at least once */
};

/*
 * True when the batch being read goes now:
 *  - it is full (messages or count rows);
 *  - it is batch.max.ms old, nothing is in flight, and either the queue
 *    is empty or it has been read for batch.max.ms (a catch-up batch takes
 *    what was queued, up to an empty poll or batch.max.ms of reading);
 *  - figures were held back from the batch before (they go with this
 *    one, as soon as that one has committed);
 *  - it is empty, nothing is in flight and figures are due (once
 *    assigned).
 * While a batch is in flight the next keeps growing past batch.max.ms
 * (up to full): batches grow to what PostgreSQL can take.
 */
bool eqm_policy_flush(const struct eqm_policy_limits *lim, const struct eqm_policy_state *st,
                      int64_t now_ms);

/* When the figures were last brought up to date. */
struct eqm_policy_figures {
    bool computes;  /* the service has figures at all */
    bool has_rules; /* alert rules are loaded (their timer) */
    bool dirty;     /* events were counted since the last recomputation */
    int64_t last_ms;
    int64_t cost_ms;  /* how long the last recomputation took */
    bool alerts_owed; /* an alert evaluation was held and may go now
                       * (eqm_policy_alerts_held() false): due like new
                       * counts */
};

/*
 * True when figures are due: with nothing new (and no alert evaluation
 * owed), only by the alerts' timer; otherwise at metrics.interval.ms, stretched under load so that
 * figures take at most max_share of the time (to (1 / share - 1) times
 * the last recomputation's cost), or at once when forced (idle, stopping).
 */
bool eqm_policy_figures_due(const struct eqm_policy_figures *f, long interval_ms, double max_share,
                            int64_t now_ms, bool force);

/* What the loop knows about catching up, when figures are about to run. */
struct eqm_policy_catchup {
    long hold_lag;   /* alerts.hold.lag: 0 = never hold */
    int64_t lag;     /* messages between the positions (after the batch
                      * about to commit) and the ends of the logs, summed
                      * over the partitions held; -1 = not known */
    bool batch_full; /* the batch about to commit, or the one before it,
                      * closed at batch.max.messages */
    bool idle;       /* this turn's poll found the queue empty */
};

/*
 * True when alert evaluation is held: the consumer is catching up, so its
 * figures are those of a partial backlog and judging them could fire
 * alerts that the rest of the backlog resolves. Held when hold_lag > 0
 * and any of:
 *  - the lag is not known (no watermark yet for a partition held): being
 *    caught up cannot be shown;
 *  - the lag is above hold_lag;
 *  - a batch closed full and the queue was not found empty since (more
 *    was waiting than a batch takes, whatever the watermarks said).
 * Not held otherwise: within hold_lag of the ends and the last batches
 * not full, or idle with no more than hold_lag to read. The figures are
 * recomputed either way; only the judging waits.
 */
bool eqm_policy_alerts_held(const struct eqm_policy_catchup *c);

#endif /* EQM_POLICY_H */
