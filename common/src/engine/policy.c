/* When a batch closes, when figures are due, when alerts are held (eqm/policy.h). */
#include "eqm/policy.h"

bool eqm_policy_flush(const struct eqm_policy_limits *lim, const struct eqm_policy_state *st,
                      int64_t now_ms) {
    if (st->messages >= (size_t)lim->max_messages || st->slots >= (size_t)lim->max_rows)
        return true;
    if (st->messages > 0 && !st->in_flight) {
        if (now_ms - st->started_ms >= lim->max_ms &&
            (st->polled_nothing || now_ms - st->read_ms >= lim->max_ms))
            return true;
        if (st->figures_next)
            return true;
    }
    return st->messages == 0 && !st->in_flight && st->figures_due && st->assigned;
}

bool eqm_policy_figures_due(const struct eqm_policy_figures *f, long interval_ms, double max_share,
                            int64_t now_ms, bool force) {
    double stretch;
    int64_t interval = interval_ms;

    if (!f->computes)
        return false;
    /* Nothing new: only the alert timer (reminders are due by the clock),
     * or an evaluation held while catching up that may go now. */
    if (!f->dirty && !f->alerts_owed)
        return f->has_rules && now_ms - f->last_ms >= EQM_POLICY_ALERTS_TIMER_MS;
    /* Figures are recomputed over whole windows, which costs more as the
     * count tables grow, and hold up the events behind them: under load,
     * spend at most max_share of the time on them (an idle or stopping
     * consumer still brings them up to date). */
    stretch = 1.0 / max_share - 1.0;
    if ((double)interval < stretch * (double)f->cost_ms)
        interval = (int64_t)(stretch * (double)f->cost_ms);
    return force || now_ms - f->last_ms >= interval;
}

bool eqm_policy_alerts_held(const struct eqm_policy_catchup *c) {
    if (c->hold_lag <= 0)
        return false;
    if (c->lag < 0 || c->lag > c->hold_lag)
        return true;
    /* A full batch says more was queued; an empty poll since says not. */
    return c->batch_full && !c->idle;
}
