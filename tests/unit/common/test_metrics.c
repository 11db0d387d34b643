/*
 * test_metrics.c - eqm_metrics_figure(): one figure from window counts.
 *
 * Expected values come from the textbook formulas, worked by hand below
 * (and checked with a few lines of Python written from the same formulas,
 * not from this code), with z = 1.959963984540054:
 *
 *   Wilson:  centre = (p + z^2/2n) / (1 + z^2/n)
 *            half   = z / (1 + z^2/n) * sqrt(p(1-p)/n + z^2/4n^2)
 *   Katz:    r = (a/n1) / (b/n2)
 *            se = sqrt(1/a - 1/n1 + 1/b - 1/n2)
 *            CI = exp(ln r -/+ z se)
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "eqm/metrics.h"

/* Count columns of the rows below. */
enum { C_EVENTS = 0, C_HITS = 1 };

static const struct eqm_measure pop_measure = {"test.events", C_EVENTS, EQM_BASE_POPULATION};
static const struct eqm_measure share_measure = {"test.hit_rate", C_HITS, C_EVENTS};
static const struct eqm_dimension ethnicity = {"ethnicity", "white", true};
static const struct eqm_dimension gender = {"gender", "male", false};

static struct eqm_metrics_row row_of(const char *grp, int64_t events, int64_t hits) {
    struct eqm_metrics_row r;
    memset(&r, 0, sizeof(r));
    r.area = "E07000008";
    r.dimension = "ethnicity";
    r.grp = grp;
    r.window_days = 365;
    r.counts[C_EVENTS] = events;
    r.counts[C_HITS] = hits;
    return r;
}

#define assert_close(got, want)                                                                    \
    do {                                                                                           \
        double g_ = (got), w_ = (want);                                                            \
        if (!(fabs(g_ - w_) <= 1e-9 * fmax(1.0, fabs(w_))))                                        \
            fail_msg("%s = %.15g, expected %.15g", #got, g_, w_);                                  \
    } while (0)

static void assert_no_ratio(const struct eqm_figure *f) {
    assert_false(f->ratio.has_value);
    assert_false(f->ratio.has_ci);
    assert_non_null(f->note);
    assert_true(f->note[0] != '\0');
}

/* ---- population measure ------------------------------------------------- */

static void test_population_ratio(void **state) {
    (void)state;
    /* 30 Black people searched of 10,000; 100 White of 200,000. */
    struct eqm_metrics_row black = row_of("black", 30, 0), white = row_of("white", 100, 0);
    struct eqm_figure f;

    eqm_metrics_figure(&pop_measure, &ethnicity, &black, &white, 10000, 200000, &f);
    assert_string_equal(f.measure, "test.events");
    assert_string_equal(f.grp, "black");
    assert_string_equal(f.reference_grp, "white");
    assert_int_equal(f.n, 30);
    assert_int_equal(f.base, 10000);
    assert_int_equal(f.ref_n, 100);
    assert_int_equal(f.ref_base, 200000);
    assert_null(f.note);

    /* Rate: 30 / 10000 * 1000 = 3.0 per 1,000. Wilson for p = 0.003,
     * n = 10000: z^2/n = 0.000384146, centre = 0.0031921 / 1.000384 =
     * 0.0031909, half = 1.959211 * sqrt(2.991e-7 + 9.6e-9) = 0.0010886
     * -> [2.10229, 4.27941] per 1,000. */
    assert_true(f.rate.has_value && f.rate.has_ci);
    assert_close(f.rate.value, 3.0);
    assert_close(f.rate.low, 2.1022876940521);
    assert_close(f.rate.high, 4.279406686400436);
    /* Reference: 100 / 200000 * 1000 = 0.5; Wilson [0.411152, 0.608035]. */
    assert_true(f.ref_rate.has_value);
    assert_close(f.ref_rate.value, 0.5);
    assert_close(f.ref_rate.low, 0.41115249081134136);
    assert_close(f.ref_rate.high, 0.6080352274538778);

    /* Ratio 3.0 / 0.5 = 6.0. se^2 = 1/30 - 1/10000 + 1/100 - 1/200000
     * = 0.0333333 - 0.0001 + 0.01 - 0.000005 = 0.0432283; se = 0.2079142;
     * z se = 0.4075023; 6 exp(-0.4075023) = 3.991851,
     * 6 exp(0.4075023) = 9.018373. */
    assert_true(f.ratio.has_value && f.ratio.has_ci);
    assert_close(f.ratio.value, 6.0);
    assert_close(f.ratio.low, 3.991851015056634);
    assert_close(f.ratio.high, 9.018372645725922);
}

static void test_population_bme(void **state) {
    (void)state;
    /* The bme aggregate is a group like any other: 45 of 30,000 against
     * 100 of 200,000 -> 1.5 / 0.5 = 3.0; se^2 = 1/45 - 1/30000 + 1/100
     * - 1/200000 = 0.0321839; se = 0.1793987; CI 3 exp(-/+0.351614) =
     * [2.110653, 4.264083]. */
    struct eqm_metrics_row bme = row_of("bme", 45, 0), white = row_of("white", 100, 0);
    struct eqm_figure f;
    eqm_metrics_figure(&pop_measure, &ethnicity, &bme, &white, 30000, 200000, &f);
    assert_close(f.rate.value, 1.5);
    assert_close(f.ratio.value, 3.0);
    assert_close(f.ratio.low, 2.1106528839945016);
    assert_close(f.ratio.high, 4.26408343515354);
    assert_null(f.note);
}

static void test_population_missing(void **state) {
    (void)state;
    struct eqm_metrics_row black = row_of("black", 30, 0), white = row_of("white", 100, 0);
    struct eqm_figure f;

    /* No population for the group: no rate, no ratio, a note; -1 kept. */
    eqm_metrics_figure(&pop_measure, &ethnicity, &black, &white, -1, 200000, &f);
    assert_int_equal(f.n, 30);
    assert_int_equal(f.base, -1);
    assert_false(f.rate.has_value);
    assert_true(f.ref_rate.has_value);
    assert_close(f.ref_rate.value, 0.5);
    assert_no_ratio(&f);

    /* No population for the reference group: the group's rate stands. */
    eqm_metrics_figure(&pop_measure, &ethnicity, &black, &white, 10000, -1, &f);
    assert_int_equal(f.ref_base, -1);
    assert_true(f.rate.has_value);
    assert_close(f.rate.value, 3.0);
    assert_false(f.ref_rate.has_value);
    assert_no_ratio(&f);

    /* A dimension without Census figures (gender) is called with -1. */
    {
        struct eqm_metrics_row female = row_of("female", 20, 0), male = row_of("male", 180, 0);
        eqm_metrics_figure(&pop_measure, &gender, &female, &male, -1, -1, &f);
        assert_string_equal(f.reference_grp, "male");
        assert_int_equal(f.n, 20);
        assert_int_equal(f.ref_n, 180);
        assert_false(f.rate.has_value);
        assert_no_ratio(&f);
    }

    /* A population of 0 gives no rate either. */
    {
        struct eqm_metrics_row none = row_of("black", 0, 0);
        eqm_metrics_figure(&pop_measure, &ethnicity, &none, &white, 0, 200000, &f);
        assert_false(f.rate.has_value);
        assert_no_ratio(&f);
    }

    /* More events than people: the population is wrong, no rate or ratio. */
    eqm_metrics_figure(&pop_measure, &ethnicity, &black, &white, 29, 200000, &f);
    assert_false(f.rate.has_value);
    assert_no_ratio(&f);
}

static void test_population_zero_counts(void **state) {
    (void)state;
    struct eqm_metrics_row black = row_of("black", 0, 0), white = row_of("white", 100, 0);
    struct eqm_figure f;

    /* Nobody searched: the rate is 0 with a Wilson interval [0, z^2/(n +
     * z^2)] = [0, 3.8414588 / 10003.8414588] = [0, 0.383998] per 1,000;
     * the ratio is 0 and has no interval (ln 0), which the note says. */
    eqm_metrics_figure(&pop_measure, &ethnicity, &black, &white, 10000, 200000, &f);
    assert_true(f.rate.has_value && f.rate.has_ci);
    assert_close(f.rate.value, 0.0);
    assert_close(f.rate.low, 0.0);
    assert_close(f.rate.high, 0.38399837067659576);
    assert_true(f.ratio.has_value);
    assert_close(f.ratio.value, 0.0);
    assert_false(f.ratio.has_ci);
    assert_non_null(f.note);

    /* The reference group searched nobody: nothing to divide by. */
    black = row_of("black", 30, 0);
    white = row_of("white", 0, 0);
    eqm_metrics_figure(&pop_measure, &ethnicity, &black, &white, 10000, 200000, &f);
    assert_true(f.rate.has_value);
    assert_true(f.ref_rate.has_value);
    assert_close(f.ref_rate.value, 0.0);
    assert_no_ratio(&f);

    /* No reference row at all. */
    eqm_metrics_figure(&pop_measure, &ethnicity, &black, NULL, 10000, 200000, &f);
    assert_int_equal(f.ref_n, 0);
    assert_true(f.rate.has_value);
    assert_no_ratio(&f);
}

/* ---- share measure ------------------------------------------------------ */

static void test_share_ratio(void **state) {
    (void)state;
    /* 12 arrests in 40 searches of Black people; 20 in 200 of White. */
    struct eqm_metrics_row black = row_of("black", 40, 12), white = row_of("white", 200, 20);
    struct eqm_figure f;

    /* Population figures are not used by a share measure. */
    eqm_metrics_figure(&share_measure, &ethnicity, &black, &white, 5, -1, &f);
    assert_string_equal(f.measure, "test.hit_rate");
    assert_int_equal(f.n, 12);
    assert_int_equal(f.base, 40);
    assert_int_equal(f.ref_n, 20);
    assert_int_equal(f.ref_base, 200);
    assert_null(f.note);

    /* Share 12/40 = 0.3. Wilson: z^2/n = 0.0960365, centre = (0.3 +
     * 0.0480183) / 1.0960365 = 0.3175243, half = 1.7882 * sqrt(0.00525 +
     * 0.00060023) = 0.1367759 -> [0.1807485, 0.4543002]. */
    assert_true(f.rate.has_value && f.rate.has_ci);
    assert_close(f.rate.value, 0.3);
    assert_close(f.rate.low, 0.18074845229746528);
    assert_close(f.rate.high, 0.45430018818144935);
    /* Reference 20/200 = 0.1, Wilson [0.0656704, 0.1494058]. */
    assert_close(f.ref_rate.value, 0.1);
    assert_close(f.ref_rate.low, 0.06567044866909588);
    assert_close(f.ref_rate.high, 0.1494058124327174);

    /* Ratio 0.3 / 0.1 = 3. se^2 = 1/12 - 1/40 + 1/20 - 1/200 = 0.0833333
     * - 0.025 + 0.05 - 0.005 = 0.1033333; se = 0.3214550; z se =
     * 0.6300402; 3 exp(-0.6300402) = 1.597711, 3 exp(0.6300402) =
     * 5.633059. */
    assert_true(f.ratio.has_value && f.ratio.has_ci);
    assert_close(f.ratio.value, 3.0);
    assert_close(f.ratio.low, 1.5977110581179628);
    assert_close(f.ratio.high, 5.6330585898313945);
}

static void test_share_zero_counts(void **state) {
    (void)state;
    struct eqm_figure f;

    /* No arrests in 40: share 0, Wilson [0, z^2/(40 + z^2)] = [0,
     * 3.8414588/43.8414588] = [0, 0.0876216]; ratio 0, no interval. */
    {
        struct eqm_metrics_row black = row_of("black", 40, 0), white = row_of("white", 200, 20);
        eqm_metrics_figure(&share_measure, &ethnicity, &black, &white, -1, -1, &f);
        assert_close(f.rate.value, 0.0);
        assert_close(f.rate.low, 0.0);
        assert_close(f.rate.high, 0.08762160119728665);
        assert_true(f.ratio.has_value);
        assert_close(f.ratio.value, 0.0);
        assert_false(f.ratio.has_ci);
        assert_non_null(f.note);
    }
    /* No searches at all: no share, no ratio. */
    {
        struct eqm_metrics_row black = row_of("black", 0, 0), white = row_of("white", 200, 20);
        eqm_metrics_figure(&share_measure, &ethnicity, &black, &white, -1, -1, &f);
        assert_int_equal(f.base, 0);
        assert_false(f.rate.has_value);
        assert_no_ratio(&f);
    }
    /* The reference group had no arrests: no ratio (division by 0). */
    {
        struct eqm_metrics_row black = row_of("black", 40, 12), white = row_of("white", 200, 0);
        eqm_metrics_figure(&share_measure, &ethnicity, &black, &white, -1, -1, &f);
        assert_close(f.rate.value, 0.3);
        assert_true(f.ref_rate.has_value);
        assert_close(f.ref_rate.value, 0.0);
        assert_no_ratio(&f);
    }
    /* Every search of both groups ended in arrest: ratio 1, but the Katz
     * variance would be 1/40 - 1/40 + 1/20 - 1/20 = 0, an interval [1, 1]
     * that claims certainty: no interval, and a note that says why. */
    {
        struct eqm_metrics_row black = row_of("black", 40, 40), white = row_of("white", 20, 20);
        eqm_metrics_figure(&share_measure, &ethnicity, &black, &white, -1, -1, &f);
        assert_close(f.rate.value, 1.0);
        assert_close(f.rate.high, 1.0);
        assert_true(f.ratio.has_value);
        assert_close(f.ratio.value, 1.0);
        assert_false(f.ratio.has_ci);
        assert_non_null(strstr(f.note, "100%"));
    }
    /* Only the group is at 100% (10 of 10 against 54 of 64, the Asian find
     * rate of the July 2025 file): ratio (10/10)/(54/64) = 64/54 = 1.185185,
     * no interval. */
    {
        struct eqm_metrics_row asian = row_of("asian", 10, 10), white = row_of("white", 64, 54);
        eqm_metrics_figure(&share_measure, &ethnicity, &asian, &white, -1, -1, &f);
        assert_close(f.ratio.value, 64.0 / 54.0);
        assert_false(f.ratio.has_ci);
        assert_non_null(strstr(f.note, "100%"));
    }
}

/* ---- groups left out of ratios ------------------------------------------ */

static void test_reference_and_not_stated(void **state) {
    (void)state;
    struct eqm_metrics_row white = row_of("white", 200, 20), ns = row_of("not_stated", 46, 10);
    struct eqm_figure f;

    /* The reference group keeps its counts and share, but no ratio to itself. */
    eqm_metrics_figure(&share_measure, &ethnicity, &white, &white, -1, -1, &f);
    assert_int_equal(f.n, 20);
    assert_int_equal(f.base, 200);
    assert_close(f.rate.value, 0.1);
    assert_no_ratio(&f);
    assert_non_null(strstr(f.note, "reference"));

    /* 200 of 200,000 -> 1.0 per 1,000. */
    eqm_metrics_figure(&pop_measure, &ethnicity, &white, &white, 200000, 200000, &f);
    assert_close(f.rate.value, 1.0);
    assert_no_ratio(&f);

    /* not_stated: counts and share kept, left out of ratios. 10/46. */
    eqm_metrics_figure(&share_measure, &ethnicity, &ns, &white, -1, -1, &f);
    assert_int_equal(f.n, 10);
    assert_int_equal(f.base, 46);
    assert_close(f.rate.value, 10.0 / 46.0);
    assert_no_ratio(&f);
    assert_non_null(strstr(f.note, "not stated"));

    /* Also for a non-ethnic dimension, whose reference is "male". */
    {
        struct eqm_metrics_row male = row_of("male", 180, 30), female = row_of("female", 20, 5);
        eqm_metrics_figure(&share_measure, &gender, &male, &male, -1, -1, &f);
        assert_no_ratio(&f);
        eqm_metrics_figure(&share_measure, &gender, &female, &male, -1, -1, &f);
        /* 5/20 over 30/180 = 0.25 / 0.1666667 = 1.5 */
        assert_true(f.ratio.has_value);
        assert_close(f.ratio.value, 1.5);
    }
}

/* ---- never NaN ------------------------------------------------------------ */

static void check_estimate(const struct eqm_estimate *e, const char *what, int64_t a, int64_t b,
                           int64_t c, int64_t d) {
    if (e->has_value && !isfinite(e->value))
        fail_msg("%s value not finite for %lld %lld %lld %lld", what, (long long)a, (long long)b,
                 (long long)c, (long long)d);
    if (!e->has_value && e->has_ci)
        fail_msg("%s has an interval but no value", what);
    if (e->has_ci) {
        if (!isfinite(e->low) || !isfinite(e->high))
            fail_msg("%s interval not finite for %lld %lld %lld %lld", what, (long long)a,
                     (long long)b, (long long)c, (long long)d);
        if (!(e->low <= e->value && e->value <= e->high))
            fail_msg("%s: %g not in [%g, %g]", what, e->value, e->low, e->high);
    }
}

static void test_never_nan(void **state) {
    (void)state;
    static const char *const groups[] = {"black", "white", "not_stated", "bme"};
    static const int64_t vals[] = {-1, 0, 1, 2, 3, 1000000000000};
    const size_t nv = sizeof(vals) / sizeof(vals[0]);
    struct eqm_figure f;

    for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++)
        for (size_t i = 0; i < nv * nv * nv * nv; i++) {
            int64_t a = vals[i % nv], b = vals[i / nv % nv], c = vals[i / nv / nv % nv],
                    d = vals[i / nv / nv / nv];
            /* Counts are never negative; populations may be -1. */
            int64_t ca = a < 0 ? 0 : a, cc = c < 0 ? 0 : c;
            struct eqm_metrics_row row = row_of(groups[g], b < 0 ? 0 : b, ca);
            struct eqm_metrics_row ref = row_of("white", d < 0 ? 0 : d, cc);

            eqm_metrics_figure(&pop_measure, &ethnicity, &row, &ref, b, d, &f);
            check_estimate(&f.rate, "pop rate", a, b, c, d);
            check_estimate(&f.ref_rate, "pop ref_rate", a, b, c, d);
            check_estimate(&f.ratio, "pop ratio", a, b, c, d);
            if (f.ratio.has_value)
                assert_true(f.rate.has_value && f.ref_rate.has_value);

            eqm_metrics_figure(&share_measure, &ethnicity, &row, &ref, -1, -1, &f);
            check_estimate(&f.rate, "share rate", a, b, c, d);
            check_estimate(&f.ref_rate, "share ref_rate", a, b, c, d);
            check_estimate(&f.ratio, "share ratio", a, b, c, d);
            if (f.ratio.has_value)
                assert_true(f.rate.has_value && f.ref_rate.has_value);
            if (f.rate.has_value)
                assert_true(f.rate.value >= 0.0 && f.rate.value <= 1.0);
            /* A figure without a ratio always says why. */
            if (!f.ratio.has_value)
                assert_non_null(f.note);
        }
}

EQM_UNIT_MAIN(test_population_ratio, test_population_bme, test_population_missing,
              test_population_zero_counts, test_share_ratio, test_share_zero_counts,
              test_reference_and_not_stated, test_never_nan)
