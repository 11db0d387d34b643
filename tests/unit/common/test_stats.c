/*
 * test_stats.c - Wilson, Katz, rates per 1,000, Fisher's exact test and the
 * adverse impact ratio.
 *
 * Every expected figure is either published (source next to it) or worked
 * out by hand from the formula with the arithmetic shown; none is taken
 * from this code's output. z = 1.959963984540054, z^2 = 3.8414588206941.
 *
 * cmocka 1.1.5's assert_float_equal casts both sides and the tolerance to
 * float (about 7 digits; 1e-300 becomes 0), which can neither hold a
 * 1e-9 tolerance nor a tiny p-value, so the comparisons here go through
 * assert_close / assert_rel_close, which compare doubles.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit.h"

#include <math.h>

#include "eqm/stats.h"

static void check_close(double got, double want, double tol, const char *expr, const char *file,
                        int line) {
    /* Written so that NaN fails. */
    if (!(fabs(got - want) <= tol)) {
        print_error("%s = %.17g, want %.17g +/- %g\n", expr, got, want, tol);
        _fail(file, line);
    }
}

static void check_rel_close(double got, double want, double rel, const char *expr, const char *file,
                            int line) {
    check_close(got, want, fabs(want) * rel, expr, file, line);
}

#define assert_close(got, want, tol) check_close((got), (want), (tol), #got, __FILE__, __LINE__)
#define assert_rel_close(got, want, rel)                                                           \
    check_rel_close((got), (want), (rel), #got, __FILE__, __LINE__)

static void assert_finite(const struct eqm_estimate *e) {
    assert_true(isfinite(e->value));
    assert_true(isfinite(e->low));
    assert_true(isfinite(e->high));
}

/* No value: both flags down and every field a finite 0. */
static void assert_no_value(const struct eqm_estimate *e) {
    assert_false(e->has_value);
    assert_false(e->has_ci);
    assert_finite(e);
    assert_true(e->value == 0.0 && e->low == 0.0 && e->high == 0.0);
}

/* A struct full of garbage, so a function that forgets a field shows. */
static struct eqm_estimate dirty(void) {
    return (struct eqm_estimate){
        .value = NAN, .low = INFINITY, .high = -INFINITY, .has_value = true, .has_ci = true};
}

/* ---- Wilson ---------------------------------------------------------- */

static void test_wilson_published(void **state) {
    (void)state;
    struct eqm_estimate e = dirty();

    /*
     * 7/50: 0.06951 to 0.26186, the figures given with the task. By hand:
     * p = 0.14, z^2/n = 0.0768292, centre = (0.14 + 0.0384146) / 1.0768292
     * = 0.1656855; half = z / 1.0768292 * sqrt(0.14 * 0.86 / 50 +
     * 3.8414588 / 10000) = 1.8201 * sqrt(0.0027921459) = 0.0961766;
     * 0.1656855 -/+ 0.0961766 = 0.0695089, 0.2618621.
     */
    assert_int_equal(eqm_stats_wilson(7, 50, EQM_STATS_Z95, &e), 0);
    assert_true(e.has_value && e.has_ci);
    assert_close(e.value, 0.14, 1e-15);
    assert_close(e.low, 0.06951, 5e-6);
    assert_close(e.high, 0.26186, 5e-6);

    /*
     * Newcombe RG (1998), "Two-sided confidence intervals for the single
     * proportion: comparison of seven methods", Stat Med 17:857-872,
     * Table II, method 3 (Wilson score, no continuity correction), printed
     * to 4 decimals.
     */
    static const struct {
        int64_t k, n;
        double low, high;
    } newcombe[] = {
        {81, 263, 0.2553, 0.3662},
        {15, 148, 0.0624, 0.1605},
        {0, 20, 0.0000, 0.1611},
        {1, 29, 0.0061, 0.1718},
    };
    for (size_t i = 0; i < sizeof newcombe / sizeof newcombe[0]; i++) {
        e = dirty();
        assert_int_equal(eqm_stats_wilson(newcombe[i].k, newcombe[i].n, EQM_STATS_Z95, &e), 0);
        assert_true(e.has_value && e.has_ci);
        assert_close(e.value, (double)newcombe[i].k / (double)newcombe[i].n, 1e-15);
        assert_close(e.low, newcombe[i].low, 5e-5);
        assert_close(e.high, newcombe[i].high, 5e-5);
    }
}

static void test_wilson_edges(void **state) {
    (void)state;
    struct eqm_estimate e = dirty();

    /*
     * k = 0: the lower bound is (z^2 - z * sqrt(z^2)) / ... = 0 exactly and
     * the upper z^2 / (n + z^2) = 3.8414588207 / 1003.8414588207
     * = 0.0038267584856.
     */
    assert_int_equal(eqm_stats_wilson(0, 1000, EQM_STATS_Z95, &e), 0);
    assert_true(e.has_value && e.has_ci);
    assert_true(e.value == 0.0 && e.low == 0.0);
    assert_close(e.high, 0.0038267584856, 1e-12);

    /*
     * k = n mirrors k = 0: 20/20 is 1 - (0/20's interval). For 0/20 the
     * upper bound is 3.8414588207 / 23.8414588207 = 0.1611251581, so
     * 20/20 runs from 0.8388748419 to exactly 1.
     */
    e = dirty();
    assert_int_equal(eqm_stats_wilson(20, 20, EQM_STATS_Z95, &e), 0);
    assert_true(e.value == 1.0 && e.high == 1.0);
    assert_close(e.low, 0.8388748419, 1e-9);

    /* z = 0: the interval shrinks to the point 3/8. */
    e = dirty();
    assert_int_equal(eqm_stats_wilson(3, 8, 0.0, &e), 0);
    assert_true(e.has_ci);
    assert_close(e.low, 0.375, 1e-15);
    assert_close(e.high, 0.375, 1e-15);

    /* n = 0: nothing to report, and no NaN left behind. */
    e = dirty();
    assert_int_equal(eqm_stats_wilson(0, 0, EQM_STATS_Z95, &e), 0);
    assert_no_value(&e);

    /* A z so large that z^2 overflows: the proportion stands, the interval
     * cannot be computed, nothing is infinite. */
    e = dirty();
    assert_int_equal(eqm_stats_wilson(3, 8, 1e200, &e), 0);
    assert_true(e.has_value);
    assert_false(e.has_ci);
    assert_finite(&e);
    assert_close(e.value, 0.375, 1e-15);
}

static void test_wilson_invalid(void **state) {
    (void)state;
    struct eqm_estimate e;
    const struct {
        int64_t k, n;
        double z;
    } bad[] = {
        {-1, 10, EQM_STATS_Z95}, {1, -10, EQM_STATS_Z95},
        {11, 10, EQM_STATS_Z95}, {1, 0, EQM_STATS_Z95},
        {1, 10, -1.0},           {1, 10, NAN},
        {1, 10, INFINITY},       {INT64_MIN, 0, EQM_STATS_Z95},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        e = dirty();
        assert_int_equal(eqm_stats_wilson(bad[i].k, bad[i].n, bad[i].z, &e), -1);
        assert_no_value(&e);
    }
    assert_int_equal(eqm_stats_wilson(1, 10, EQM_STATS_Z95, NULL), -1);
}

/* ---- rate per 1,000 -------------------------------------------------- */

static void test_rate_per_1000(void **state) {
    (void)state;
    struct eqm_estimate e = dirty();

    /*
     * 57 searches in a population of 18,496: 57 / 18496 * 1000
     * = 3.0817474048. Wilson as (2k + z^2 -/+ z sqrt(z^2 + 4k(n-k)/n)) /
     * (2(n + z^2)): 4 * 57 * 18439 / 18496 = 227.2973616; sqrt(3.8414588 +
     * 227.2973616) = 15.2032503, times z = 29.7978231; 2k + z^2 =
     * 117.8414588; 2(n + z^2) = 36999.6829176. So (117.8414588 -/+
     * 29.7978231) / 36999.6829176 * 1000 = 2.3795781, 3.9902851.
     */
    assert_int_equal(eqm_stats_rate_per_1000(57, 18496, &e), 0);
    assert_true(e.has_value && e.has_ci);
    assert_close(e.value, 3.0817474048, 1e-9);
    assert_close(e.low, 2.3795781, 1e-6);
    assert_close(e.high, 3.9902851, 1e-6);

    /* Nobody searched: rate 0, upper bound 1000 z^2 / (n + z^2) = 1000 *
     * 3.8414588207 / 1003.8414588207 = 3.8267584856. */
    e = dirty();
    assert_int_equal(eqm_stats_rate_per_1000(0, 1000, &e), 0);
    assert_true(e.has_value && e.has_ci);
    assert_true(e.value == 0.0 && e.low == 0.0);
    assert_close(e.high, 3.8267584856, 1e-9);

    /* No population: no rate. */
    e = dirty();
    assert_int_equal(eqm_stats_rate_per_1000(0, 0, &e), 0);
    assert_no_value(&e);

    /* More searches than people, negative counts. */
    const int64_t bad[][2] = {{1, 0}, {101, 100}, {-1, 100}, {0, -1}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        e = dirty();
        assert_int_equal(eqm_stats_rate_per_1000(bad[i][0], bad[i][1], &e), -1);
        assert_no_value(&e);
    }
    assert_int_equal(eqm_stats_rate_per_1000(1, 10, NULL), -1);
}

/* ---- Katz ratio ------------------------------------------------------ */

static void test_katz_published(void **state) {
    (void)state;
    struct eqm_estimate e = dirty();

    /*
     * 10/75 against 12/225: ratio 2.5, 95% CI 1.1261564 to 5.5498508 (the
     * figures given with the task). By hand: (10/75) / (12/225) = 0.13333 /
     * 0.05333 = 2.5; var = 1/10 - 1/75 + 1/12 - 1/225 = 0.1655556, se =
     * 0.4068852, z * se = 0.7974818; 2.5 * exp(-/+0.7974818) = 1.1261564,
     * 5.5498508.
     */
    assert_int_equal(eqm_stats_ratio_katz(10, 75, 12, 225, EQM_STATS_Z95, &e), 0);
    assert_true(e.has_value && e.has_ci);
    assert_close(e.value, 2.5, 1e-12);
    assert_close(e.low, 1.1261564, 5e-8);
    assert_close(e.high, 5.5498508, 5e-8);
}

static void test_katz_hand(void **state) {
    (void)state;
    struct eqm_estimate e = dirty();

    /*
     * 20/100 against 10/100: ratio 2; var = 1/20 - 1/100 + 1/10 - 1/100 =
     * 0.13, se = sqrt(0.13) = 0.3605551275, z * se = 0.7066750644;
     * exp(-0.7066750644) = 0.4932816034, exp(0.7066750644) = 2.0272395994;
     * CI 0.9865632067 to 4.0544791988.
     */
    assert_int_equal(eqm_stats_ratio_katz(20, 100, 10, 100, EQM_STATS_Z95, &e), 0);
    assert_true(e.has_value && e.has_ci);
    assert_close(e.value, 2.0, 1e-15);
    assert_close(e.low, 0.9865632067, 1e-9);
    assert_close(e.high, 4.0544791988, 1e-9);

    /*
     * A population rate ratio: 57 of 18,496 against 300 of 400,000.
     * (57 * 400000) / (18496 * 300) = 22800000 / 5548800 = 4.1089965398;
     * var = 1/57 - 1/18496 + 1/300 - 1/400000 = 0.0175438596 - 0.0000540657
     * + 0.0033333333 - 0.0000025 = 0.0208206272, se = 0.1442935454, z * se
     * = 0.2828101521; exp(-/+) = 0.7536628556, 1.3268532377; CI
     * 3.0967980656 to 5.4520353624.
     */
    e = dirty();
    assert_int_equal(eqm_stats_ratio_katz(57, 18496, 300, 400000, EQM_STATS_Z95, &e), 0);
    assert_close(e.value, 4.1089965398, 1e-9);
    assert_close(e.low, 3.0967980656, 1e-9);
    assert_close(e.high, 5.4520353624, 1e-9);

    /* Everyone in both groups: 5/5 against 3/3, var = 1/5 - 1/5 + 1/3 - 1/3
     * = 0, so the interval is the point 1. */
    e = dirty();
    assert_int_equal(eqm_stats_ratio_katz(5, 5, 3, 3, EQM_STATS_Z95, &e), 0);
    assert_true(e.has_ci);
    assert_true(e.value == 1.0 && e.low == 1.0 && e.high == 1.0);

    /* Swapping the groups inverts the ratio and its interval:
     * 1/2.5 = 0.4, 1/5.5498508 = 0.1801850, 1/1.1261564 = 0.8879761. */
    e = dirty();
    assert_int_equal(eqm_stats_ratio_katz(12, 225, 10, 75, EQM_STATS_Z95, &e), 0);
    assert_close(e.value, 0.4, 1e-12);
    assert_close(e.low, 0.1801850, 5e-7);
    assert_close(e.high, 0.8879761, 5e-7);
}

static void test_katz_zero_counts(void **state) {
    (void)state;
    struct eqm_estimate e = dirty();

    /* a = 0: the ratio is a real 0; ln 0 leaves no interval. */
    assert_int_equal(eqm_stats_ratio_katz(0, 75, 12, 225, EQM_STATS_Z95, &e), 0);
    assert_true(e.has_value);
    assert_false(e.has_ci);
    assert_finite(&e);
    assert_true(e.value == 0.0 && e.low == 0.0 && e.high == 0.0);

    /* b = 0, n1 = 0, n2 = 0, and a = b = 0: nothing to divide by. */
    const int64_t none[][4] = {{10, 75, 0, 225}, {0, 0, 12, 225}, {10, 75, 0, 0}, {0, 75, 0, 225}};
    for (size_t i = 0; i < sizeof none / sizeof none[0]; i++) {
        e = dirty();
        assert_int_equal(
            eqm_stats_ratio_katz(none[i][0], none[i][1], none[i][2], none[i][3], EQM_STATS_Z95, &e),
            0);
        assert_no_value(&e);
    }

    /* An interval too wide for a double: ratio kept, interval dropped. */
    e = dirty();
    assert_int_equal(eqm_stats_ratio_katz(1, 2, 1, 2, 1e300, &e), 0);
    assert_true(e.has_value);
    assert_false(e.has_ci);
    assert_finite(&e);
    assert_close(e.value, 1.0, 1e-15);
}

static void test_katz_invalid(void **state) {
    (void)state;
    struct eqm_estimate e;
    const int64_t bad[][4] = {
        {-1, 75, 12, 225}, {10, -75, 12, 225}, {10, 75, -12, 225}, {10, 75, 12, -225},
        {76, 75, 12, 225}, {10, 75, 226, 225}, {1, 0, 1, 1},       {1, 1, 1, 0},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        e = dirty();
        assert_int_equal(
            eqm_stats_ratio_katz(bad[i][0], bad[i][1], bad[i][2], bad[i][3], EQM_STATS_Z95, &e),
            -1);
        assert_no_value(&e);
    }
    e = dirty();
    assert_int_equal(eqm_stats_ratio_katz(10, 75, 12, 225, -1.0, &e), -1);
    assert_no_value(&e);
    e = dirty();
    assert_int_equal(eqm_stats_ratio_katz(10, 75, 12, 225, NAN, &e), -1);
    assert_no_value(&e);
    assert_int_equal(eqm_stats_ratio_katz(10, 75, 12, 225, EQM_STATS_Z95, NULL), -1);
}

/* ---- Fisher's exact test --------------------------------------------- */

static double fisher(int64_t a, int64_t b, int64_t c, int64_t d) {
    double p = -1.0;
    assert_int_equal(eqm_stats_fisher_exact(a, b, c, d, &p), 0);
    assert_true(p >= 0.0 && p <= 1.0);
    return p;
}

static void test_fisher_published(void **state) {
    (void)state;

    /*
     * Lady tasting tea, [[3,1],[1,3]]: R's fisher.test(TeaTasting) gives
     * two-sided p = 0.4857. By hand, every margin is 4 of 8, C(8,4) = 70,
     * and the top-left cell x = 0..4 has C(4,x) C(4,4-x) = 1, 16, 36, 16,
     * 1 tables; those at most 16 sum to 34, so p = 34/70 = 0.48571428571.
     */
    assert_close(fisher(3, 1, 1, 3), 34.0 / 70.0, 1e-12);
    assert_close(fisher(3, 1, 1, 3), 0.4857143, 5e-8);

    /*
     * [[1,9],[11,3]] (Wikipedia, "Fisher's exact test"; R gives p =
     * 0.002759): rows 10 and 14, first column 12, C(24,12) = 2704156.
     * C(10,x) C(14,12-x) for x = 0..10: 91, 3640, 45045, 240240, 630630,
     * 864864, 630630, 240240, 45045, 3640, 91. Observed x = 1 (3640); its
     * mirror x = 9 ties it exactly and counts: p = (91 + 3640 + 3640 + 91)
     * / 2704156 = 7462 / 2704156 = 0.0027594561852. Without the tie it
     * would be 0.0014134.
     */
    assert_close(fisher(1, 9, 11, 3), 7462.0 / 2704156.0, 1e-14);
    assert_close(fisher(1, 9, 11, 3), 0.002759456, 5e-10);

    /*
     * A tie that is not a mirror image, so the two probabilities are
     * reached by different arithmetic and only the 1e-7 tolerance makes
     * them equal: [[0,5],[8,13]], rows 5 and 21, first column 8, C(26,8) =
     * 1562275. C(5,x) C(21,8-x) for x = 0..5: 203490, 581400, 542640,
     * 203490, 29925, 1330. Observed x = 0 ties x = 3: p = (203490 + 203490
     * + 29925 + 1330) / 1562275 = 438235 / 1562275 = 0.2805107936; without
     * the tie 234745 / 1562275 = 0.1502584.
     */
    assert_close(fisher(0, 5, 8, 13), 438235.0 / 1562275.0, 1e-14);

    /*
     * Fisher's (1935) like-sex twins, R's Convictions, [[2,10],[15,3]]: R's
     * documentation gives the one-sided ("less") p = 0.0004652. Rows 12 and
     * 18, first column 17, C(30,17) = 119759850; C(12,x) C(18,17-x) for
     * x = 0..12: 18, 1836, 53856, 673200, 4241160, 14702688, 29405376,
     * 34656336, 24066900, 9626760, 2100384, 222768, 8568. One-sided: (18 +
     * 1836 + 53856) / 119759850 = 0.00046518. Two-sided adds x = 12 (8568):
     * 64278 / 119759850 = 0.00053672412.
     */
    assert_close(fisher(2, 10, 15, 3), 64278.0 / 119759850.0, 1e-15);
    assert_close((18.0 + 1836.0 + 53856.0) / 119759850.0, 0.0004652, 5e-8);
}

static void test_fisher_large(void **state) {
    (void)state;

    /*
     * One row of total 1 ([[1,0],[999,999000]]): only two tables have these
     * margins, x = 1 with probability c1/n = 1000/1000000 and x = 0 with
     * 0.999, so p = 0.001 exactly. (Summing lgamma values of counts this
     * large would already cost several digits.)
     */
    assert_rel_close(fisher(1, 0, 999, 999000), 0.001, 1e-12);
    /* The other table of those margins is the likelier one: p = 1. */
    assert_close(fisher(0, 1, 1000, 998999), 1.0, 1e-12);

    /*
     * The diagonal [[500,0],[0,500]]: x runs 0..500 with probability
     * C(500,x)^2 / C(1000,500), least at x = 0 and x = 500, so p =
     * 2 / C(1000,500) = 2 / 2.7028824094544e299 = 7.399507995628e-300. It
     * lies 500 steps and some 690 nats from the mode, near underflow.
     */
    assert_rel_close(fisher(500, 0, 0, 500), 7.399507995628e-300, 1e-9);

    /*
     * [[N,N],[N,N]] with N = 1e6 and 1e9: every margin is 2N, the
     * distribution of x is symmetric about its unique mode N, the observed
     * table; every other table is less probable, so p = 1. With N = 1e9
     * this also shows large counts do not walk the whole range.
     */
    assert_close(fisher(1000000, 1000000, 1000000, 1000000), 1.0, 1e-12);
    assert_close(fisher(1000000000, 1000000000, 1000000000, 1000000000), 1.0, 1e-12);

    /*
     * At the largest total accepted, 1e10: [[1,0],[2999999999,7000000000]]
     * is again a single-draw row, p = c1/n = 3e9 / 1e10 = 0.3, the other
     * table having 0.7. Differences of lgamma values this large are off
     * by about 1e-5; this asks for 1e-10.
     */
    assert_rel_close(fisher(1, 0, 2999999999, 7000000000), 0.3, 1e-10);

    /* [[1e9,0],[0,1e9]]: p = 2 / C(2e9,1e9), far below any double. */
    assert_true(fisher(1000000000, 0, 0, 1000000000) < 1e-300);

    /*
     * [[626,374],[736,264]] (the adverse impact example below). No
     * published value: computed by exact rational enumeration of all 1001
     * tables with Python's fractions.Fraction and math.comb, outside this
     * code: 1.61813558369118e-07. Sanity check by hand: pooled pass rate
     * 0.681, se of the difference sqrt(0.681 * 0.319 * 2 / 1000) = 0.020844,
     * z = 0.11 / 0.020844 = 5.28, normal two-sided p = 1.3e-7.
     */
    assert_rel_close(fisher(626, 374, 736, 264), 1.61813558369118e-07, 1e-7);
}

/*
 * Relabelling a table (swapping rows, swapping columns, transposing) maps
 * the tables with its margins one-to-one onto those of the relabelled
 * table with the same probabilities, so p cannot change. A walk that
 * favoured one direction, or mixed up rows and columns, would break this.
 */
static void test_fisher_symmetry(void **state) {
    (void)state;
    static const int64_t tables[][4] = {
        {3, 1, 1, 3},    {1, 9, 11, 3},        {2, 10, 15, 3},           {0, 5, 7, 2},
        {40, 3, 17, 60}, {626, 374, 736, 264}, {5000, 4000, 4500, 5200}, {12, 20000, 30, 19000},
    };
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        const int64_t a = tables[i][0], b = tables[i][1], c = tables[i][2], d = tables[i][3];
        const double p = fisher(a, b, c, d);
        assert_rel_close(fisher(c, d, a, b), p, 1e-9);
        assert_rel_close(fisher(b, a, d, c), p, 1e-9);
        assert_rel_close(fisher(a, c, b, d), p, 1e-9);
        assert_rel_close(fisher(d, c, b, a), p, 1e-9);
    }
}

/*
 * Reference: the definition taken literally, every table of the margins
 * from long double log-factorials (lgammal), no cut-offs. The code under
 * test instead steps between neighbouring tables from the mode and stops
 * early, so this checks both the arithmetic and the stopping rules over
 * many shapes of table.
 */
static double fisher_reference(int64_t a, int64_t b, int64_t c, int64_t d) {
    const long double r1 = (long double)(a + b), r2 = (long double)(c + d);
    const long double c1 = (long double)(a + c);
    const int64_t lo = a + c > c + d ? (a + c) - (c + d) : 0;
    const int64_t hi = a + b < a + c ? a + b : a + c;
    long double lmax = -INFINITY, lobs = 0.0L;
    for (int64_t x = lo; x <= hi; x++) {
        const long double xl = (long double)x;
        const long double l = -(lgammal(xl + 1) + lgammal(r1 - xl + 1) + lgammal(c1 - xl + 1) +
                                lgammal(r2 - c1 + xl + 1));
        if (l > lmax)
            lmax = l;
        if (x == a)
            lobs = l;
    }
    long double total = 0.0L, tail = 0.0L;
    for (int64_t x = lo; x <= hi; x++) {
        const long double xl = (long double)x;
        const long double l = -(lgammal(xl + 1) + lgammal(r1 - xl + 1) + lgammal(c1 - xl + 1) +
                                lgammal(r2 - c1 + xl + 1));
        const long double w = expl(l - lmax);
        total += w;
        if (l <= lobs + log1pl(1e-7L))
            tail += w;
    }
    return (double)(tail / total);
}

static void test_fisher_against_reference(void **state) {
    (void)state;
    static const int64_t v[] = {0, 1, 2, 5, 17, 40};
    const size_t nv = sizeof v / sizeof v[0];
    for (size_t i = 0; i < nv; i++)
        for (size_t j = 0; j < nv; j++)
            for (size_t k = 0; k < nv; k++)
                for (size_t l = 0; l < nv; l++) {
                    const double want = fisher_reference(v[i], v[j], v[k], v[l]);
                    assert_rel_close(fisher(v[i], v[j], v[k], v[l]), want, 1e-9);
                }

    static const int64_t big[][4] = {
        {300, 700, 650, 350}, {5000, 4000, 4500, 5200}, {12, 20000, 30, 19000},
        {0, 3000, 40, 2960},  {2500, 2500, 2440, 2560}, {1, 50000, 9, 49990},
        {999, 1, 980, 20},    {60, 140, 90, 110},
    };
    for (size_t i = 0; i < sizeof big / sizeof big[0]; i++) {
        const double want = fisher_reference(big[i][0], big[i][1], big[i][2], big[i][3]);
        assert_rel_close(fisher(big[i][0], big[i][1], big[i][2], big[i][3]), want, 1e-9);
    }
}

static void test_fisher_degenerate_and_invalid(void **state) {
    (void)state;

    /* Margins that allow only the observed table. */
    assert_true(fisher(0, 0, 0, 0) == 1.0);
    assert_true(fisher(5, 0, 0, 0) == 1.0);
    assert_true(fisher(0, 0, 3, 4) == 1.0);
    assert_true(fisher(3, 0, 4, 0) == 1.0);

    double p = 0.25;
    const int64_t max = EQM_STATS_FISHER_MAX_TOTAL;
    const int64_t bad[][4] = {
        {-1, 1, 1, 1},        {1, -1, 1, 1},        {1, 1, -1, 1},  {1, 1, 1, -1},
        {INT64_MAX, 1, 1, 1}, {1, 1, 1, INT64_MAX}, {max, 0, 0, 1}, {max / 2, max / 2, 1, 0},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(eqm_stats_fisher_exact(bad[i][0], bad[i][1], bad[i][2], bad[i][3], &p),
                         -1);
        assert_true(p == 0.25); /* untouched */
    }
    assert_int_equal(eqm_stats_fisher_exact(1, 2, 3, 4, NULL), -1);
}

/* ---- adverse impact -------------------------------------------------- */

static void test_adverse_impact(void **state) {
    (void)state;
    struct eqm_estimate r = dirty();
    double p = -1.0;

    /*
     * 62.6% of 1000 against 73.6% of 1000 pass: 0.626 / 0.736 =
     * 0.8505434783 (below 1, above the four-fifths line). var = 1/626 -
     * 1/1000 + 1/736 - 1/1000 = 0.0015974441 + 0.0013586957 - 0.002 =
     * 0.0009561397, se = 0.0309215094, z * se = 0.0606050447; exp(-/+) =
     * 0.9411948963, 1.0624791995; CI 0.8005271808 to 0.9036847539. p is
     * the Fisher value of [[626,374],[736,264]] above.
     */
    assert_int_equal(eqm_stats_adverse_impact(626, 1000, 736, 1000, &r, &p), 0);
    assert_true(r.has_value && r.has_ci);
    assert_close(r.value, 0.851, 5e-4);
    assert_close(r.value, 0.8505434783, 1e-10);
    assert_close(r.low, 0.8005271808, 1e-9);
    assert_close(r.high, 0.9036847539, 1e-9);
    assert_rel_close(p, 1.61813558369118e-07, 1e-7);

    /*
     * Nobody in the group passes, 0/10 against 10/10: ratio 0, no
     * interval. The table [[0,10],[10,0]] is the diagonal case: p =
     * 2 / C(20,10) = 2 / 184756 = 1.0825142e-5.
     */
    r = dirty();
    p = -1.0;
    assert_int_equal(eqm_stats_adverse_impact(0, 10, 10, 10, &r, &p), 0);
    assert_true(r.has_value);
    assert_false(r.has_ci);
    assert_finite(&r);
    assert_true(r.value == 0.0);
    assert_rel_close(p, 2.0 / 184756.0, 1e-9);

    /* An empty group: no ratio, and nothing for Fisher to test (p = 1). */
    r = dirty();
    p = -1.0;
    assert_int_equal(eqm_stats_adverse_impact(0, 0, 736, 1000, &r, &p), 0);
    assert_no_value(&r);
    assert_true(p == 1.0);

    /* The reference group all failed: no ratio, but a real test. 5/10
     * against 0/10 is [[5,5],[0,10]]: column totals 5 and 15, C(20,5) =
     * 15504; the observed x = 5 has C(10,5) C(10,0) = 252 tables, as does
     * x = 0, the rest more, so p = 504 / 15504 = 0.0325077. */
    r = dirty();
    assert_int_equal(eqm_stats_adverse_impact(5, 10, 0, 10, &r, &p), 0);
    assert_no_value(&r);
    assert_rel_close(p, 504.0 / 15504.0, 1e-9);
}

static void test_adverse_impact_invalid(void **state) {
    (void)state;
    struct eqm_estimate r;
    double p = 0.25;
    const int64_t bad[][4] = {
        {11, 10, 5, 10},
        {5, 10, 11, 10},
        {-1, 10, 5, 10},
        {5, 10, -1, 10},
        {0, -1, 5, 10},
        {5, 10, 0, -1},
        {1, EQM_STATS_FISHER_MAX_TOTAL, 1, 1},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = dirty();
        assert_int_equal(
            eqm_stats_adverse_impact(bad[i][0], bad[i][1], bad[i][2], bad[i][3], &r, &p), -1);
        assert_no_value(&r);
        assert_true(p == 0.25);
    }
    assert_int_equal(eqm_stats_adverse_impact(1, 2, 1, 2, NULL, &p), -1);
    r = dirty();
    assert_int_equal(eqm_stats_adverse_impact(1, 2, 1, 2, &r, NULL), -1);
    assert_no_value(&r);
}

EQM_UNIT_MAIN(test_wilson_published, test_wilson_edges, test_wilson_invalid, test_rate_per_1000,
              test_katz_published, test_katz_hand, test_katz_zero_counts, test_katz_invalid,
              test_fisher_published, test_fisher_large, test_fisher_symmetry,
              test_fisher_against_reference, test_fisher_degenerate_and_invalid,
              test_adverse_impact, test_adverse_impact_invalid)
