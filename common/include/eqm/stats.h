/*
 * stats.h - rates, proportions and ratios with confidence intervals, and
 * Fisher's exact test for 2x2 tables.
 *
 * Pure functions, no allocation, safe to call from any thread. Every
 * function fills *out completely, also when it fails: a figure that cannot
 * be computed (zero denominator, or a failed call) has has_value false, and
 * a figure whose interval is undefined (a zero count) has has_ci false;
 * fields that are not meaningful are 0. No function ever stores NaN or
 * infinity in *out.
 *
 * z must be finite and >= 0 (EQM_STATS_Z95 for a 95% interval); a negative,
 * NaN or infinite z fails with -1. out must not be NULL.
 */
#ifndef EQM_STATS_H
#define EQM_STATS_H

#include <stdbool.h>
#include <stdint.h>

/* z for a two-sided 95% interval. */
#define EQM_STATS_Z95 1.959963984540054

/* Largest table total eqm_stats_fisher_exact accepts: it bounds the work
 * (about 0.1 s at worst) and is far above any population counted here. */
#define EQM_STATS_FISHER_MAX_TOTAL INT64_C(10000000000)

struct eqm_estimate {
    double value; /* meaningful only when has_value */
    double low;   /* meaningful only when has_ci */
    double high;
    bool has_value;
    bool has_ci;
};

/*
 * Rate per 1,000 population: n / pop * 1000, with a 95% interval from the
 * Wilson score interval of n / pop scaled by 1000. pop == 0 (and so n == 0)
 * gives no value. Returns 0, or -1 on negative counts or n > pop.
 */
int eqm_stats_rate_per_1000(int64_t n, int64_t pop, struct eqm_estimate *out);

/*
 * Proportion k / n with the Wilson score interval for z (use
 * EQM_STATS_Z95), clamped to [0, 1]. The interval exists for k == 0 and
 * k == n too (it then touches 0 or 1). n == 0 gives no value. Returns 0,
 * or -1 if k < 0, n < 0 or k > n.
 */
int eqm_stats_wilson(int64_t k, int64_t n, double z, struct eqm_estimate *out);

/*
 * Ratio of two proportions or rates, (a / n1) / (b / n2), with the Katz
 * log interval: exp(ln(r) +/- z * sqrt(1/a - 1/n1 + 1/b - 1/n2)).
 * Used both for population rate ratios (n = population) and for outcome
 * share ratios (n = base count).
 *   n1 == 0 or n2 == 0 or b == 0: no value.
 *   a == 0: value 0, no interval.
 * Returns 0, or -1 on negative counts or a > n1 or b > n2.
 */
int eqm_stats_ratio_katz(int64_t a, int64_t n1, int64_t b, int64_t n2, double z,
                         struct eqm_estimate *out);

/*
 * Two-sided p-value of Fisher's exact test for the 2x2 table
 *     | a  b |
 *     | c  d |
 * the sum of the hypergeometric probabilities of every table with the same
 * row and column totals that is no more probable than the observed one,
 * ties judged with a relative tolerance of 1e-7 (as R's fisher.test does,
 * so that rounding cannot split a table from its mirror image). A table
 * whose margins allow only itself (a zero row or column, including the
 * all-zero table) gives 1.
 *
 * Probabilities are handled as logs relative to the most probable table
 * and built up from the exact ratio of neighbouring tables' probabilities
 * (a difference of log-factorials in closed form), so large counts neither
 * overflow nor lose precision: p is good to about 1e-10 relative up to
 * EQM_STATS_FISHER_MAX_TOTAL. Only tables carrying a representable share
 * of the probability are visited, a span of at most about 80 standard
 * deviations around the mode (a few million tables at the largest total),
 * so the time does not grow with the counts themselves. A p-value below about 1e-300
 * loses precision (subnormal doubles) and may come out as 0.
 *
 * Returns 0 and *p_two_sided in [0, 1], or -1 (and *p_two_sided untouched)
 * if a count is negative, a + b + c + d exceeds EQM_STATS_FISHER_MAX_TOTAL
 * or p_two_sided is NULL.
 */
int eqm_stats_fisher_exact(int64_t a, int64_t b, int64_t c, int64_t d, double *p_two_sided)
    __attribute__((warn_unused_result));

/*
 * Adverse impact of a selection stage on group g against a reference
 * group: ratio = (pass_g / n_g) / (pass_ref / n_ref), the "four-fifths
 * rule" impact ratio, with the Katz interval for z = EQM_STATS_Z95 (as
 * eqm_stats_ratio_katz(pass_g, n_g, pass_ref, n_ref, ...), so the same
 * no-value and no-interval cases apply), and *p_value the two-sided Fisher
 * exact p-value of the table
 *     | pass_g    n_g - pass_g     |
 *     | pass_ref  n_ref - pass_ref |
 * (1 when either group is empty, as no table with those margins differs).
 * Returns 0, or -1 on negative counts, a pass count above its group size,
 * n_g + n_ref above EQM_STATS_FISHER_MAX_TOTAL, or a NULL pointer; on
 * failure *ratio has no value and *p_value is untouched.
 */
int eqm_stats_adverse_impact(int64_t pass_g, int64_t n_g, int64_t pass_ref, int64_t n_ref,
                             struct eqm_estimate *ratio, double *p_value)
    __attribute__((warn_unused_result));

#endif /* EQM_STATS_H */
