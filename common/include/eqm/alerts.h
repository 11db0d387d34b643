/*
 * alerts.h - alert rules, their evaluation and the outbox.
 *
 * Rules are data: a JSON file (schemas/alert-rules.json ships the
 * defaults, compiled in; alerts.rules names another file). Each consumer
 * evaluates them in the same transaction as the figures they judge, and a
 * state change (firing, resolved, severity up, reminder) writes one row to
 * the outbox table; eqm-alert-relay publishes the outbox to Kafka.
 */
#ifndef EQM_ALERTS_H
#define EQM_ALERTS_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

struct eqm_alert_rules;

/* A consumer with rules evaluates at least this often, new events or not,
 * so that reminders (repeat_after_days, by the wall clock) are sent. */
#define EQM_ALERTS_TIMER_MS 60000

/*
 * Loads and validates rules from path, or the built-in defaults when path
 * is NULL or empty. Errors read `file:rule N: message`. Returns 0 and
 * *out, or -1 with errstr and *out untouched.
 */
int eqm_alert_rules_load(struct eqm_alert_rules **out, const char *path, char *errstr,
                         size_t errstr_size) __attribute__((warn_unused_result));

/* Number of rules that apply to measures of this source ("stop-search"...). */
int eqm_alert_rules_count(const struct eqm_alert_rules *rules, const char *source);

void eqm_alert_rules_free(struct eqm_alert_rules **rules);

/*
 * A rule of source whose window_days is not among the n windows the
 * service computes would never see a figure, and so never fire: returns
 * -1 with errstr naming the first such rule (`file:rule N ("name"): ...`,
 * file as given, "(built-in defaults)" when empty), 0 when every rule of
 * source has its window.
 */
int eqm_alert_rules_check_windows(const struct eqm_alert_rules *rules, const char *file,
                                  const char *source, const int *windows, int n, char *errstr,
                                  size_t errstr_size) __attribute__((warn_unused_result));

/*
 * Evaluates every rule of source against equality.metrics, inside the
 * caller's open transaction, updating alert state and writing outbox rows
 * for state changes. now_us is the evaluation time. Returns the number of
 * outbox rows written, or -1 with errstr (the caller rolls back).
 */
int eqm_alerts_evaluate(PGconn *conn, const struct eqm_alert_rules *rules, const char *source,
                        int64_t now_us, char *errstr, size_t errstr_size)
    __attribute__((warn_unused_result));

/* ---- Pure parts, exposed for the unit tests and eqm-admin. ---- */

enum eqm_alert_cmp { EQM_ALERT_GE = 0, EQM_ALERT_GT, EQM_ALERT_LE, EQM_ALERT_LT };

#define EQM_ALERT_MAX_STEPS 4

/* One validated rule (see README "Alerts" for the file format). */
struct eqm_alert_rule {
    char *name;
    char *measure;      /* exact, or a prefix when it ends in ".*" */
    const char *source; /* "stop-search", "custody" or "recruitment" */
    char *dimension;
    char **groups; /* NULL: all groups */
    size_t n_groups;
    int window_days;
    enum eqm_alert_cmp cmp;
    double threshold;
    double clear;        /* hysteresis: a firing alert resolves past this */
    long long min_count; /* no alert while n is below this */
    int require_significant;
    char *severity; /* base severity */
    int n_steps;
    double step_at[EQM_ALERT_MAX_STEPS];
    char *step_severity[EQM_ALERT_MAX_STEPS];
    char *audience;
    int pending;           /* consecutive breaching evaluations before firing */
    int repeat_after_days; /* 0: no reminders */
};

/*
 * Parses rules from JSON text; name is used in error messages
 * (`name:rule N: message`, `name:line L: message` for bad JSON). Same
 * ownership as eqm_alert_rules_load().
 */
int eqm_alert_rules_parse(struct eqm_alert_rules **out, const char *text, const char *name,
                          char *errstr, size_t errstr_size) __attribute__((warn_unused_result));

/* Rule i (0-based) or NULL; the rules keep ownership. */
const struct eqm_alert_rule *eqm_alert_rules_get(const struct eqm_alert_rules *rules, int i);
int eqm_alert_rules_total(const struct eqm_alert_rules *rules);

/* The defaults compiled in from schemas/alert-rules.json. */
extern const char eqm_alert_rules_default_json[];

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

/* Severity name for a level of rule. */
const char *eqm_alert_severity_name(const struct eqm_alert_rule *rule, int level);
const char *eqm_alert_status_name(enum eqm_alert_status s);
const char *eqm_alert_transition_name(enum eqm_alert_transition t);
const char *eqm_alert_cmp_name(enum eqm_alert_cmp c);

/* The figure behind an alert, for the summary sentence. NULL strings and
 * has_* = 0 mean "not known". */
struct eqm_alert_figure {
    const char *measure;
    const char *area_name;
    const char *role;
    const char *stage;
    const char *dimension;
    const char *grp;
    const char *reference_grp;
    int window_days;
    const char *window_end; /* YYYY-MM-DD */
    int has_value;
    double value;
    int has_ci;
    double ci_low, ci_high;
    long long n, base; /* base < 0: unknown */
};

/*
 * Writes the plain-English sentence for an alert into buf (always NUL
 * terminated, truncated to size). resolved prefixes "Resolved:" and
 * names the clearing level. Returns the length it wanted, as snprintf.
 */
int eqm_alert_summary(char *buf, size_t size, const struct eqm_alert_figure *f, int resolved,
                      double clear_threshold);

#endif /* EQM_ALERTS_H */
