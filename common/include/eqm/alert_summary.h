/*
 * alert_summary.h - the plain-English sentence an alert carries for lay
 * readers, e.g. "Black people in Cambridge were stopped and searched at
 * 3.4 times the rate of White people in the 365 days to 14 March 2026
 * (95% CI 2.1 to 5.5; 57 searches)."
 *
 * The frame (groups in words, area, window, interval, resolved and the
 * clearing level) is built here; what a measure says comes from its
 * family (struct eqm_alert_family in eqm/service.h), whose says and
 * counts are templates with these placeholders:
 *
 *   {group}      the group as people: "Black people", "men",
 *                "applicants aged 18-24" (the family's people noun)
 *   {reference}  the reference group, the same way
 *   {area}       " in <area name>", or nothing when there is none
 *   {value}      the value as people read it: 3.4, 0.62, 12
 *   {role}, {stage}  in words: "police officer", "assessment centre"
 *   {rest}       for a prefix family, what follows the prefix, in words
 *                (of "x.by_kind.some_kind" under "x.by_kind.": "some kind")
 *   {n}, {base}  the counts
 *   {n|one|many} n, a space, then one when n is 1 and many otherwise
 *
 * Pure: no allocation, no failure.
 */
#ifndef EQM_ALERT_SUMMARY_H
#define EQM_ALERT_SUMMARY_H

#include <stddef.h>

#include "eqm/service.h"

/* The figure behind an alert, for the summary sentence. NULL strings and
 * has_* = 0 mean "not known". */
struct eqm_alert_figure {
    const struct eqm_alert_family *family; /* how its measure reads; NULL: generic */
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
    /* A restatement (eqm/alert_eval.h): the population bases in words
     * ("Census 2021"), the new and the one before; NULL: not one. */
    const char *restated_on;
    const char *restated_from;
};

/*
 * Writes the plain-English sentence for an alert into buf (always NUL
 * terminated, truncated to size). resolved prefixes "Resolved:" and
 * names the clearing level. A restatement prefixes "Restated:" instead
 * and ends by naming both bases: "..., restated on the Census 2021
 * population instead of Census 2011: the same events divided by a
 * different population, not a change in policing." Returns the length it wanted, as snprintf.
 */
int eqm_alert_summary(char *buf, size_t size, const struct eqm_alert_figure *f, int resolved,
                      double clear_threshold);

/*
 * 0 when every placeholder of the family's templates is one of the above
 * and every brace is closed; -1 with errstr naming the first that is not
 * (`measure: says: unknown placeholder "{x}"`). For the catalogue's tests:
 * an unknown placeholder would reach a reader as it stands.
 */
int eqm_alert_summary_check(const struct eqm_alert_family *family, char *errstr, size_t errstr_size)
    __attribute__((warn_unused_result));

#endif /* EQM_ALERT_SUMMARY_H */
