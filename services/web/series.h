/*
 * series.h - the series eqm-web's charts draw, as pure functions over
 * counts the caller has read (no I/O, no allocation).
 *
 * A trend is a rate ratio by month: the group's events per head of its
 * population against the reference group's, over one month alone or over
 * the months up to it (a rolling 12 months), with the Katz log interval
 * (eqm_stats_ratio_katz). A funnel gives the control limits a ratio
 * should stay within at a given number of events if the area were like
 * the force.
 */
#ifndef EQM_WEB_SERIES_H
#define EQM_WEB_SERIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "eqm/stats.h"

/* z for a two-sided 99.8% interval (the funnel's outer limits). */
#define EQM_SERIES_Z998 3.090232306167813

/* One calendar month's events: a of the group, b of the reference. */
struct eqm_month_counts {
    int year, month; /* month 1..12 */
    int64_t a, b;
};

/* One point of a trend: the span of months ending at (year, month). */
struct eqm_trend_point {
    int year, month;
    int64_t a, b;              /* events over the span */
    int months;                /* months the span covers (less than asked at the start) */
    bool too_few;              /* a or b below the minimum: no ratio is shown */
    struct eqm_estimate ratio; /* Katz 95%; has_value false when too_few */
};

/*
 * The trend over n consecutive months m[0..n-1] (each the month after the
 * one before; -1 if not), each point over `span` months (1: the month
 * alone; 12: a rolling year), against populations pop_a and pop_b (the
 * ratio's denominators: the span's length cancels). A point whose a or b
 * is below min_events is too few to compare. Fills out[0..n-1]; returns 0,
 * or -1 on bad arguments (span < 1, negative counts, a count above its
 * population).
 */
int eqm_series_trend(const struct eqm_month_counts *m, size_t n, int span, int64_t pop_a,
                     int64_t pop_b, int64_t min_events, struct eqm_trend_point *out)
    __attribute__((warn_unused_result));

/*
 * Funnel plot limits around a target ratio theta (the force's) at n events
 * of the group and the reference together, where p (0 < p < 1) is the
 * group's share of those events force-wide:
 *     theta * exp(+/- z * sqrt(1 / (n p) + 1 / (n (1 - p))))
 * (the Katz interval with the populations' terms left out, which are
 * negligible beside the events'). Returns 0, or -1 if theta <= 0, n <= 0,
 * p outside (0, 1) or z < 0.
 */
int eqm_series_funnel_limits(double theta, double p, double n, double z, double *low, double *high)
    __attribute__((warn_unused_result));

#endif
