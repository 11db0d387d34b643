/*
 * series.h - the series eqm-web's charts draw, as pure functions over
 * counts the caller has read (no I/O, no allocation).
 *
 * A trend is a rate ratio by month: the group's events per head of its
 * population against the reference group's, over one month alone or over
 * the months up to it (a rolling 12 months), with the Katz log interval
 * (eqm_stats_ratio_katz), each point on the population of its last
 * month's base. A funnel gives the control limits a ratio
 * should stay within at a given number of events if the area were like
 * the force. A headcount series is a group's share of the stated
 * headcount at each snapshot date (Wilson interval), with the share not
 * stated beside it.
 */
#ifndef EQM_WEB_SERIES_H
#define EQM_WEB_SERIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "eqm/stats.h"

/* z for a two-sided 99.8% interval (the funnel's outer limits). */
#define EQM_SERIES_Z998 3.090232306167813

/* One calendar month's events, a of the group and b of the reference, and
 * the two groups' populations on the base the month's last day is given
 * (0: the base has none for the area). */
struct eqm_month_counts {
    int year, month; /* month 1..12 */
    int64_t a, b;
    int64_t pop_a, pop_b;
};

/* One point of a trend: the span of months ending at (year, month). */
struct eqm_trend_point {
    int year, month;
    int64_t a, b;              /* events over the span */
    int months;                /* months the span covers (less than asked at the start) */
    int64_t pop_a, pop_b;      /* the populations divided by: the last month's */
    bool too_few;              /* a or b below the minimum: no ratio is shown */
    bool no_population;        /* pop_a or pop_b is 0: no ratio either */
    struct eqm_estimate ratio; /* Katz 95%; has_value false when too_few */
};

/*
 * The trend over n consecutive months m[0..n-1] (each the month after the
 * one before; -1 if not), each point over `span` months (1: the month
 * alone; 12: a rolling year), against the populations of the span's last
 * month (the ratio's denominators: the span's length cancels), as a
 * rolling figure divides by the base of its window's last day. A point
 * whose a or b is below min_events is too few to compare; one whose last
 * month has no population has no ratio. Fills out[0..n-1]; returns 0, or
 * -1 on bad arguments (span < 1, negative counts or populations, a count
 * above its population).
 */
int eqm_series_trend(const struct eqm_month_counts *m, size_t n, int span, int64_t min_events,
                     struct eqm_trend_point *out) __attribute__((warn_unused_result));

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

/* One group's count in one headcount snapshot (equality.headcount_snapshots,
 * summed per date): grp a broad group (asian, black, mixed, white, other)
 * or not_stated; any other name (an aggregate) is not counted. */
struct eqm_headcount_row {
    const char *as_of; /* YYYY-MM-DD */
    const char *grp;
    int64_t headcount;
};

/* One snapshot date of a headcount series. */
struct eqm_share_point {
    const char *as_of;         /* the rows' string */
    int64_t group;             /* headcount of the group's parts */
    int64_t stated;            /* headcount of the five broad groups */
    int64_t not_stated;        /* headcount not stated */
    bool too_few;              /* group or the rest of the stated below the minimum */
    struct eqm_estimate share; /* group / stated, Wilson 95%; has_value false when too_few */
    bool has_not_stated_share; /* all > 0 */
    double not_stated_share;   /* not_stated / (stated + not_stated) */
};

/*
 * The series of rows[0..n-1] (sorted by as_of; rows of one date together)
 * for the group made of parts (a text[] literal as eqm_web_group_array
 * gives, "{asian,black,mixed,other}"): one point per date into out (room
 * for n). A point whose group headcount or whose other stated headcount is
 * below min_events is too few to compare. Returns the number of points, or
 * -1 on bad arguments (a negative count, dates out of order, parts not a
 * literal).
 */
int eqm_series_headcount(const struct eqm_headcount_row *rows, size_t n, const char *parts,
                         int64_t min_events, struct eqm_share_point *out)
    __attribute__((warn_unused_result));

/* The groups of the self-defined against officer-defined table, in its
 * order (rows and columns): the five broad groups, then not_stated. */
#define EQM_SERIES_N_AGREEMENT 6
extern const char *const eqm_series_agreement_groups[EQM_SERIES_N_AGREEMENT];

/* One row of equality.stop_search_ethnicity_agreement, summed over days. */
struct eqm_agreement_row {
    const char *self_defined;    /* one of eqm_series_agreement_groups */
    const char *officer_defined; /* likewise */
    int64_t searches;
};

/* The table of searches by self-defined (row) and officer-defined (column)
 * group, both indexed as eqm_series_agreement_groups. */
struct eqm_agreement {
    int64_t cell[EQM_SERIES_N_AGREEMENT][EQM_SERIES_N_AGREEMENT]; /* [self][officer] */
    int64_t self_total[EQM_SERIES_N_AGREEMENT];                   /* a row's sum */
    int64_t officer_total[EQM_SERIES_N_AGREEMENT];                /* a column's sum */
    int64_t total;         /* every search with both (not stated included) */
    int64_t agreed;        /* the diagonal: the same group on both sides */
    bool has_share;        /* total > 0 */
    double share;          /* agreed / total */
    int64_t stated;        /* searches with a broad group stated on both sides */
    int64_t stated_agreed; /* of which the same group */
    bool has_stated_share; /* stated > 0 */
    double stated_share;   /* stated_agreed / stated */
    bool has_row_share[EQM_SERIES_N_AGREEMENT];
    double row_share[EQM_SERIES_N_AGREEMENT]; /* cell[g][g] / self_total[g] */
};

/*
 * The table of rows[0..n-1] (a pair may come more than once: they add up)
 * into *out. Returns 0, or -1 on bad arguments (a negative count, a group
 * not in eqm_series_agreement_groups); *out is then not to be used.
 */
int eqm_series_agreement(const struct eqm_agreement_row *rows, size_t n, struct eqm_agreement *out)
    __attribute__((warn_unused_result));

/* Whether grp is one of the names of the text[] literal parts, "{a,b,c}". */
bool eqm_series_in_literal(const char *parts, const char *grp);

#endif
