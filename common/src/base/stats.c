/*
 * stats.c - rates, proportions and ratios with confidence intervals, and
 * Fisher's exact test.
 *
 * Every public function starts by clearing *out, so each early return
 * leaves a well-defined "no value" behind, and ends with settle(), which
 * drops any field that came out non-finite: the header promises no NaN or
 * infinity whatever the inputs, and an extreme z could otherwise overflow.
 */
#include "eqm/stats.h"

#include <float.h>
#include <math.h>
#include <stddef.h>

/* Well below 2^53, where doubles stop holding every integer; the bound
 * itself keeps the Fisher walk to a few million steps. */
#define MAX_TOTAL EQM_STATS_FISHER_MAX_TOTAL

/* R's fisher.test: tables within this relative distance of the observed
 * probability count as ties, so rounding cannot split a symmetric pair. */
#define FISHER_REL_TOL 1e-7

static void clear(struct eqm_estimate *out) {
    *out = (struct eqm_estimate){.has_value = false};
}

static void settle(struct eqm_estimate *out) {
    if (!out->has_value || !isfinite(out->value)) {
        clear(out);
        return;
    }
    if (!out->has_ci || !isfinite(out->low) || !isfinite(out->high)) {
        out->has_ci = false;
        out->low = 0.0;
        out->high = 0.0;
    }
}

static bool z_ok(double z) {
    return isfinite(z) && z >= 0.0;
}

int eqm_stats_wilson(int64_t k, int64_t n, double z, struct eqm_estimate *out) {
    if (!out)
        return -1;
    clear(out);
    if (k < 0 || n < 0 || k > n || !z_ok(z))
        return -1;
    if (n == 0)
        return 0;

    /*
     * The bounds as (2k + z^2 -/+ z sqrt(z^2 + 4k(n-k)/n)) / (2(n + z^2)):
     * the same interval as the textbook centre/half-width form, with n - k
     * taken in integers so k near n loses nothing to cancellation.
     */
    const double kd = (double)k, nd = (double)n, z2 = z * z;
    const double p = kd / nd;
    const double centre = 2.0 * kd + z2;
    const double spread = z * sqrt(z2 + 4.0 * kd * ((double)(n - k) / nd));
    const double denom = 2.0 * (nd + z2);
    const double low = (centre - spread) / denom, high = (centre + spread) / denom;

    out->value = p;
    out->has_value = true;
    if (isfinite(low) && isfinite(high)) {
        /* At k == 0 or k == n the bound is 0 or 1 exactly in theory, a
         * hair either side in floating point. */
        out->low = fmax(0.0, fmin(p, low));
        out->high = fmin(1.0, fmax(p, high));
        out->has_ci = true;
    }
    settle(out);
    return 0;
}

int eqm_stats_rate_per_1000(int64_t n, int64_t pop, struct eqm_estimate *out) {
    if (eqm_stats_wilson(n, pop, EQM_STATS_Z95, out) != 0)
        return -1;
    /* Scaling after clamping keeps low <= value <= high. */
    out->value *= 1000.0;
    out->low *= 1000.0;
    out->high *= 1000.0;
    return 0;
}

int eqm_stats_ratio_katz(int64_t a, int64_t n1, int64_t b, int64_t n2, double z,
                         struct eqm_estimate *out) {
    if (!out)
        return -1;
    clear(out);
    if (a < 0 || n1 < 0 || b < 0 || n2 < 0 || a > n1 || b > n2 || !z_ok(z))
        return -1;
    if (n1 == 0 || n2 == 0 || b == 0)
        return 0;

    out->value = ((double)a / (double)n1) / ((double)b / (double)n2);
    out->has_value = true;
    if (a == 0)
        return 0; /* ln(0): no interval, but 0 is a real ratio */

    /* Each difference is >= 0 even after rounding (a <= n1 and division is
     * monotonic), so sqrt never sees a negative. */
    const double var = (1.0 / (double)a - 1.0 / (double)n1) + (1.0 / (double)b - 1.0 / (double)n2);
    const double half = z * sqrt(var);
    /* value * exp(-half) rather than exp(ln(value) - half): with half == 0
     * (a == n1, b == n2) the interval is exactly the point. */
    out->low = out->value * exp(-half);
    out->high = out->value * exp(half);
    out->has_ci = true;
    settle(out);
    return 0;
}

/*
 * Fisher's exact test. With the margins fixed, a table is determined by
 * its top-left cell x, which is hypergeometric over [lo, hi]. The
 * distribution is log-concave: the ratio of neighbouring probabilities
 * falls steadily away from the mode. So the tables no more probable than
 * the observed one form two tails, and walking outward from the mode each
 * tail can be cut off once what is left of it is provably negligible,
 * instead of visiting every table.
 *
 * Log probabilities are accumulated step by step from the mode with the
 * exact neighbour ratio, a difference of log-factorials in closed form,
 * rather than as lgamma(n1) - lgamma(n2) + ...: each lgamma of a count
 * near 1e10 carries an absolute error near 1e-5, which would show in the
 * fifth figure of p, while a step adds under 1e-15 and the walk stays
 * within a few million steps at the largest total accepted.
 */
struct hyper {
    double r1, r2, c1; /* first row, second row and first column totals */
    int64_t lo, hi;    /* range of the top-left cell */
};

/* P(x + step) / P(x) for step +1 or -1; 0 stepping off either end. */
static double hyper_step_ratio(const struct hyper *h, int64_t x, int step) {
    const double xd = (double)x, d0 = h->r2 - h->c1;
    if (step > 0)
        return (h->r1 - xd) * (h->c1 - xd) / ((xd + 1.0) * (d0 + xd + 1.0));
    return xd * (d0 + xd) / ((h->r1 - xd + 1.0) * (h->c1 - xd + 1.0));
}

/*
 * Adds to *total the weight (probability relative to the mode's) of every
 * table from mode + step outward, and to *tail the weights of those whose
 * log weight is at most cut. Stops at the end of the range, when weights
 * underflow (everything further is smaller still), or inside the tail
 * once the rest, bounded by a geometric series because the neighbour
 * ratio q only shrinks from here on, is below the rounding of *tail.
 */
static void hyper_walk(const struct hyper *h, int64_t mode, int step, double cut, double *total,
                       double *tail) {
    double lw = 0.0;
    for (int64_t x = mode; x + step >= h->lo && x + step <= h->hi; x += step) {
        lw += log(hyper_step_ratio(h, x, step));
        const double w = exp(lw);
        if (w == 0.0)
            break;
        *total += w;
        if (lw <= cut) {
            *tail += w;
            const double q = hyper_step_ratio(h, x + step, step);
            if (q < 1.0 && w * q / (1.0 - q) <= DBL_EPSILON * *tail)
                break;
        }
    }
}

int eqm_stats_fisher_exact(int64_t a, int64_t b, int64_t c, int64_t d, double *p_two_sided) {
    if (!p_two_sided)
        return -1;
    if (a < 0 || b < 0 || c < 0 || d < 0)
        return -1;
    if (a > MAX_TOTAL || b > MAX_TOTAL - a || c > MAX_TOTAL - a - b || d > MAX_TOTAL - a - b - c)
        return -1;

    const int64_t r1 = a + b, r2 = c + d, c1 = a + c;
    const struct hyper h = {
        .r1 = (double)r1,
        .r2 = (double)r2,
        .c1 = (double)c1,
        .lo = c1 > r2 ? c1 - r2 : 0,
        .hi = r1 < c1 ? r1 : c1,
    };
    if (h.lo == h.hi) {
        *p_two_sided = 1.0;
        return 0;
    }

    /*
     * The mode is floor((r1 + 1)(c1 + 1) / (n + 2)); in doubles that can be
     * off by one for large margins, so nudge it with the neighbour ratio
     * until neither neighbour is more probable.
     */
    double guess = floor((h.r1 + 1.0) * (h.c1 + 1.0) / (h.r1 + h.r2 + 2.0));
    guess = fmin(fmax(guess, (double)h.lo), (double)h.hi);
    int64_t mode = (int64_t)guess;
    while (mode < h.hi && hyper_step_ratio(&h, mode, 1) > 1.0)
        mode++;
    while (mode > h.lo && hyper_step_ratio(&h, mode, -1) > 1.0)
        mode--;

    /* The observed table's log weight, by the same steps the walk takes,
     * so the walk meets the observed table at exactly this value. */
    const int dir = a > mode ? 1 : -1;
    double lw_obs = 0.0;
    for (int64_t x = mode; x != a; x += dir) {
        lw_obs += log(hyper_step_ratio(&h, x, dir));
        if (exp(lw_obs) == 0.0) {
            /* Every table counted is at most this likely: all underflow. */
            *p_two_sided = 0.0;
            return 0;
        }
    }

    const double cut = lw_obs + log1p(FISHER_REL_TOL);
    double total = 1.0, tail = 0.0 <= cut ? 1.0 : 0.0;
    hyper_walk(&h, mode, -1, cut, &total, &tail);
    hyper_walk(&h, mode, 1, cut, &total, &tail);

    const double p = tail / total;
    *p_two_sided = p < 1.0 ? p : 1.0;
    return 0;
}

int eqm_stats_adverse_impact(int64_t pass_g, int64_t n_g, int64_t pass_ref, int64_t n_ref,
                             struct eqm_estimate *ratio, double *p_value) {
    if (!ratio)
        return -1;
    clear(ratio);
    if (!p_value || pass_g < 0 || pass_ref < 0 || pass_g > n_g || pass_ref > n_ref ||
        n_g > MAX_TOTAL || n_ref > MAX_TOTAL - n_g)
        return -1;

    double p;
    if (eqm_stats_fisher_exact(pass_g, n_g - pass_g, pass_ref, n_ref - pass_ref, &p) != 0 ||
        eqm_stats_ratio_katz(pass_g, n_g, pass_ref, n_ref, EQM_STATS_Z95, ratio) != 0) {
        clear(ratio);
        return -1;
    }
    *p_value = p;
    return 0;
}
