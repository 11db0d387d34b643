/*
 * alert_state.h - the alert state machine, one fingerprint and one
 * evaluation at a time.
 *
 * Pure: a function of the rule, the state kept in equality.alert_state
 * and what one evaluation sees of the figure, so that the unit tests drive
 * it without a database (eqm/alert_eval.h reads and writes the state).
 * Nothing here allocates or fails.
 */
#ifndef EQM_ALERT_STATE_H
#define EQM_ALERT_STATE_H

#include <stdint.h>

#include "eqm/alert_rules.h"

enum eqm_alert_status {
    EQM_ALERT_INACTIVE = 0, /* never breached, or pending that fell back */
    EQM_ALERT_PENDING,      /* breaching, fewer than rule->pending times */
    EQM_ALERT_FIRING,
    EQM_ALERT_RESOLVED
};

enum eqm_alert_transition {
    EQM_ALERT_T_NONE = 0,
    EQM_ALERT_T_FIRING,
    EQM_ALERT_T_SEVERITY_UP,
    EQM_ALERT_T_REMINDER,
    EQM_ALERT_T_RESOLVED
};

/* Per fingerprint, as kept in equality.alert_state. */
struct eqm_alert_state {
    enum eqm_alert_status status;
    int pending_count;
    int severity_level;          /* 0: rule severity; k: step k-1 */
    int64_t first_breached_us;   /* 0: none */
    int64_t last_notified_us;    /* 0: never */
    int32_t resolved_window_end; /* day number; INT32_MIN: never resolved */
};

/* What one evaluation sees of a figure. */
struct eqm_alert_obs {
    int has_value;
    double value;
    long long n;
    int significant;
    int32_t window_end; /* day number */
};

/* A fresh (inactive) state. */
void eqm_alert_state_init(struct eqm_alert_state *st);

/*
 * The state machine: advances *st by one evaluation of obs at now_us and
 * returns the transition that must be announced (EQM_ALERT_T_NONE: none).
 * Breach: value compares with the threshold, n >= min_count, and the
 * figure is significant when the rule requires it. A firing alert
 * resolves only when the value is past the clearing level (or gone); a
 * resolved alert re-fires only for a breach seen at a later window_end
 * than the one it resolved at (late events cannot re-open it).
 */
enum eqm_alert_transition eqm_alert_step(const struct eqm_alert_rule *rule,
                                         struct eqm_alert_state *st,
                                         const struct eqm_alert_obs *obs, int64_t now_us);

/* Names, as the outbox and the state table keep them; static strings (the
 * severity's is the rule's). */
const char *eqm_alert_severity_name(const struct eqm_alert_rule *rule, int level);
const char *eqm_alert_status_name(enum eqm_alert_status s);
const char *eqm_alert_transition_name(enum eqm_alert_transition t);

#endif /* EQM_ALERT_STATE_H */
