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
 * Evaluates every rule of source against equality.metrics, inside the
 * caller's open transaction, updating alert state and writing outbox rows
 * for state changes. now_us is the evaluation time. Returns the number of
 * outbox rows written, or -1 with errstr (the caller rolls back).
 */
int eqm_alerts_evaluate(PGconn *conn, const struct eqm_alert_rules *rules, const char *source,
                        int64_t now_us, char *errstr, size_t errstr_size)
    __attribute__((warn_unused_result));

#endif /* EQM_ALERTS_H */
