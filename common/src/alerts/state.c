/*
 * state.c - the alert state machine (eqm/alert_state.h): a pure function
 * of the rule, the stored state and one observation, so that the unit
 * tests drive it without a database.
 */
#include "eqm/alert_state.h"

#include <string.h>

static int cmp_holds(enum eqm_alert_cmp c, double v, double t) {
    switch (c) {
    case EQM_ALERT_GE:
        return v >= t;
    case EQM_ALERT_GT:
        return v > t;
    case EQM_ALERT_LE:
        return v <= t;
    case EQM_ALERT_LT:
        return v < t;
    }
    return 0;
}

void eqm_alert_state_init(struct eqm_alert_state *st) {
    memset(st, 0, sizeof(*st));
    st->status = EQM_ALERT_INACTIVE;
    st->resolved_window_end = INT32_MIN;
}

static int severity_level(const struct eqm_alert_rule *rule, double v) {
    int lvl = 0;
    for (int i = 0; i < rule->n_steps; i++)
        if (cmp_holds(rule->cmp, v, rule->step_at[i]))
            lvl = i + 1;
    return lvl;
}

const char *eqm_alert_severity_name(const struct eqm_alert_rule *rule, int level) {
    return level > 0 && level <= rule->n_steps ? rule->step_severity[level - 1] : rule->severity;
}

const char *eqm_alert_status_name(enum eqm_alert_status s) {
    static const char *const names[] = {"inactive", "pending", "firing", "resolved"};
    return (unsigned)s < 4 ? names[s] : "inactive";
}

const char *eqm_alert_transition_name(enum eqm_alert_transition t) {
    static const char *const names[] = {"none", "firing", "severity_up", "reminder", "resolved"};
    return (unsigned)t < 5 ? names[t] : "none";
}

enum eqm_alert_transition eqm_alert_step(const struct eqm_alert_rule *rule,
                                         struct eqm_alert_state *st,
                                         const struct eqm_alert_obs *obs, int64_t now_us) {
    int breach = obs->has_value && cmp_holds(rule->cmp, obs->value, rule->threshold) &&
                 obs->n >= rule->min_count && (!rule->require_significant || obs->significant);
    /* Still on the bad side of the clearing level: hysteresis. Loss of
     * significance or of counts alone does not clear a firing alert; the
     * value has to come back. */
    int holding = obs->has_value && cmp_holds(rule->cmp, obs->value, rule->clear);
    int64_t repeat_us = (int64_t)rule->repeat_after_days * 86400 * INT64_C(1000000);

    switch (st->status) {
    case EQM_ALERT_INACTIVE:
    case EQM_ALERT_RESOLVED:
    case EQM_ALERT_PENDING:
        /* Re-opening a resolved alert needs a breach seen at a newer window
         * end: a late event, which never moves window_end, cannot. */
        if (breach && (st->status != EQM_ALERT_RESOLVED || st->resolved_window_end == INT32_MIN ||
                       obs->window_end > st->resolved_window_end)) {
            if (st->status != EQM_ALERT_PENDING) {
                st->pending_count = 0;
                st->first_breached_us = now_us;
            }
            st->pending_count++;
            if (st->pending_count >= rule->pending) {
                st->status = EQM_ALERT_FIRING;
                st->severity_level = severity_level(rule, obs->value);
                st->last_notified_us = now_us;
                return EQM_ALERT_T_FIRING;
            }
            st->status = EQM_ALERT_PENDING;
            return EQM_ALERT_T_NONE;
        }
        if (st->status == EQM_ALERT_PENDING) {
            /* The breach did not hold for `pending` evaluations. */
            st->status =
                st->resolved_window_end == INT32_MIN ? EQM_ALERT_INACTIVE : EQM_ALERT_RESOLVED;
            st->pending_count = 0;
            st->first_breached_us = 0;
        }
        return EQM_ALERT_T_NONE;
    case EQM_ALERT_FIRING:
        if (!holding) {
            st->status = EQM_ALERT_RESOLVED;
            st->pending_count = 0;
            st->resolved_window_end = obs->window_end;
            st->last_notified_us = now_us;
            return EQM_ALERT_T_RESOLVED;
        }
        if (breach) {
            int lvl = severity_level(rule, obs->value);
            if (lvl > st->severity_level) {
                st->severity_level = lvl;
                st->last_notified_us = now_us;
                return EQM_ALERT_T_SEVERITY_UP;
            }
        }
        if (repeat_us > 0 && now_us - st->last_notified_us >= repeat_us) {
            st->last_notified_us = now_us;
            return EQM_ALERT_T_REMINDER;
        }
        return EQM_ALERT_T_NONE;
    }
    return EQM_ALERT_T_NONE;
}
