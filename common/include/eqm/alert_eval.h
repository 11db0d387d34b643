/*
 * alert_eval.h - judging a service's figures against its alert rules,
 * inside the consumer's batch transaction, and the outbox.
 *
 * For each rule of the service, one statement reads the figures of the
 * rule's family (its sql) that breach, or whose fingerprint is pending
 * or firing; the state machine (eqm/alert_state.h) advances each, and a
 * state change (firing, resolved, severity up, reminder) writes one row
 * to equality.alert_outbox with the message; eqm-alert-relay publishes
 * the outbox to Kafka.
 *
 * A family's sql is a SELECT over the rule's parameters, the CTE p
 * (source, measure, prefix, dimension, window_days: the rule's, measure
 * without its ".*"), giving these columns in this order:
 *
 *   measure, area, role, stage, dimension, grp, ref_grp, window_days,
 *   window_end, value, ci_low, ci_high, p_value, n, base, ref_n, ref_base,
 *   counts (jsonb: n, base, ref_n, ref_base and the family's own),
 *   scope (part of the fingerprint), mc (the count min_count applies to),
 *   population_base (the base the value divides by, or NULL),
 *   prev_value (the value of the same counts on the source's previous
 *     population base, equality.figure_bases, while there is one; NULL
 *     when there is none, or when that base had no population for them)
 *
 * With a p_value the figure is significant when p < 0.05; otherwise when
 * the interval excludes 1.
 *
 * A restatement: when the figure's base is not the source's previous base
 * and a state change (firing, severity up, resolved) would not have
 * happened had the value been prev_value (the same counts on the base
 * before, the same significance; no value at all when that base had no
 * population for the area, e.g. a district a force-area table leaves
 * out), the change is the denominator's alone:
 * the message says transition "restated", names both bases and says so in
 * its sentence, instead of reading as a change in policing. The previous
 * base is forgotten once every rule of the source has been judged.
 */
#ifndef EQM_ALERT_EVAL_H
#define EQM_ALERT_EVAL_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "eqm/alert_rules.h"

/* A consumer with rules evaluates at least every EQM_POLICY_ALERTS_TIMER_MS
 * (eqm/policy.h), new events or not, so that reminders are sent. */

/* The family sql of measures kept in the engine's generic figures
 * (equality.metrics, eqm/metrics.h): a service whose measures are there
 * lists their names with this sql and EQM_ALERT_FAMILY_FIGURES_VALUE. */
#define EQM_ALERT_FAMILY_FIGURES_SQL                                                               \
    "SELECT m.measure, m.area, NULL::text AS role, NULL::text AS stage, m.dimension, "             \
    "m.grp, m.reference_grp AS ref_grp, m.window_days, m.window_end, m.ratio AS value, "           \
    "m.ci_low, m.ci_high, NULL::float8 AS p_value, m.n, m.base::float8 AS base, "                  \
    "m.ref_n::float8 AS ref_n, m.ref_base::float8 AS ref_base, "                                   \
    "jsonb_build_object('n', m.n, 'base', m.base, 'ref_n', m.ref_n, 'ref_base', "                  \
    "m.ref_base, 'rate', m.rate, 'ref_rate', m.ref_rate) AS counts, m.area AS scope, "             \
    "m.n AS mc, m.population_base, "                                                               \
    "CASE WHEN b.previous_base IS NOT NULL AND m.population_base IS NOT NULL "                     \
    "     THEN equality.rate_ratio_on_base(b.previous_base, m.area, "                              \
    "     m.grp, m.n, m.reference_grp, m.ref_n) END AS prev_value "                                \
    "FROM p, equality.figures m LEFT JOIN equality.figure_bases b ON b.source = m.source "         \
    "WHERE m.source = p.source "                                                                   \
    "AND (m.measure = p.measure OR (p.prefix AND starts_with(m.measure, p.measure))) "             \
    "AND m.dimension = p.dimension AND m.window_days = p.window_days"
#define EQM_ALERT_FAMILY_FIGURES_VALUE "ratio"

/*
 * Evaluates every rule of source against its family's figures, inside
 * the caller's open transaction on conn, updating alert state and writing
 * outbox rows for state changes. now_us is the evaluation time. Returns
 * the number of outbox rows written, or -1 with errstr (a PostgreSQL
 * error or out of memory; the caller rolls back).
 */
int eqm_alerts_evaluate(PGconn *conn, const struct eqm_alert_rules *rules, const char *source,
                        int64_t now_us, char *errstr, size_t errstr_size)
    __attribute__((warn_unused_result));

#endif /* EQM_ALERT_EVAL_H */
