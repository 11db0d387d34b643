/*
 * test_series.c - the series eqm-web's charts draw (series.h): the trend
 * of a rate ratio by month, alone and over a rolling span, each point on
 * its last month's population, small numbers withheld, and the funnel
 * plot's limits.
 *
 * Expected values are worked out by hand from the formulas:
 *   ratio = (a / pop_a) / (b / pop_b);
 *   Katz: ratio * exp(+/- 1.959964 * sqrt(1/a - 1/pop_a + 1/b - 1/pop_b));
 *   funnel: theta * exp(+/- z * sqrt(1/(n p) + 1/(n (1 - p)))), chosen so
 *   that the square root is 0.25 (n = 100, p = 0.2);
 *   headcount share: k / n with the Wilson interval
 *   (p + z^2/2n -/+ z sqrt(p (1 - p) / n + z^2 / 4n^2)) / (1 + z^2 / n);
 *   agreement: the diagonal of self-defined x officer-defined over all the
 *   searches in the table, counted by hand from eleven searches below.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit.h"

#include "series.h"

#define POP_A 10000
#define POP_B 100000

/* January to March 2025: a = 10, 20, 30; b = 50, 50, 100. */
static const struct eqm_month_counts q1[] = {{2025, 1, 10, 50, POP_A, POP_B},
                                             {2025, 2, 20, 50, POP_A, POP_B},
                                             {2025, 3, 30, 100, POP_A, POP_B}};

static void test_month_alone(void **state) {
    struct eqm_trend_point p[3];
    (void)state;
    assert_int_equal(eqm_series_trend(q1, 3, 1, 0, p), 0);
    /* (10/10000)/(50/100000) = 2; (20/10000)/(50/100000) = 4;
     * (30/10000)/(100/100000) = 3. */
    assert_true(p[0].ratio.has_value);
    assert_float_equal(p[0].ratio.value, 2.0, 1e-12);
    assert_float_equal(p[1].ratio.value, 4.0, 1e-12);
    assert_float_equal(p[2].ratio.value, 3.0, 1e-12);
    assert_int_equal(p[2].a, 30);
    assert_int_equal(p[2].b, 100);
    assert_int_equal(p[2].months, 1);
    assert_int_equal(p[2].year, 2025);
    assert_int_equal(p[2].month, 3);
}

static void test_rolling_span(void **state) {
    struct eqm_trend_point p[3];
    (void)state;
    assert_int_equal(eqm_series_trend(q1, 3, 2, 0, p), 0);
    /* January alone (the span is not yet full), then Jan+Feb (30, 100): 3,
     * then Feb+Mar (50, 150): 0.005 / 0.0015 = 3.3333. */
    assert_int_equal(p[0].months, 1);
    assert_float_equal(p[0].ratio.value, 2.0, 1e-12);
    assert_int_equal(p[1].months, 2);
    assert_int_equal(p[1].a, 30);
    assert_int_equal(p[1].b, 100);
    assert_float_equal(p[1].ratio.value, 3.0, 1e-12);
    assert_int_equal(p[2].a, 50);
    assert_int_equal(p[2].b, 150);
    assert_float_equal(p[2].ratio.value, 10.0 / 3.0, 1e-12);
    /* sqrt(1/50 - 1/10000 + 1/150 - 1/100000) = 0.16296...:
     * 3.3333 * exp(-/+ 1.959964 * 0.16296) = 2.421950, 4.587672. */
    assert_true(p[2].ratio.has_ci);
    assert_float_equal(p[2].ratio.low, 2.421950, 1e-6);
    assert_float_equal(p[2].ratio.high, 4.587672, 1e-6);
}

static void test_too_few_to_compare(void **state) {
    struct eqm_trend_point p[3];
    (void)state;
    /* At least 20 of each: January's 10 is too few, February's 20 is not. */
    assert_int_equal(eqm_series_trend(q1, 3, 1, 20, p), 0);
    assert_true(p[0].too_few);
    assert_false(p[0].ratio.has_value);
    assert_int_equal(p[0].a, 10);
    assert_false(p[1].too_few);
    assert_float_equal(p[1].ratio.value, 4.0, 1e-12);
    /* The reference's count counts too: b = 50 below 60. */
    assert_int_equal(eqm_series_trend(q1, 3, 1, 60, p), 0);
    assert_true(p[1].too_few);
}

static void test_months_must_follow_each_other(void **state) {
    struct eqm_trend_point p[2];
    const struct eqm_month_counts wrap[] = {{2024, 12, 5, 5, POP_A, POP_B},
                                            {2025, 1, 5, 5, POP_A, POP_B}};
    const struct eqm_month_counts gap[] = {{2025, 1, 5, 5, POP_A, POP_B},
                                           {2025, 3, 5, 5, POP_A, POP_B}};
    const struct eqm_month_counts over[] = {{2025, 1, POP_A + 1, 5, POP_A, POP_B}};
    const struct eqm_month_counts negative[] = {{2025, 1, 5, 5, -1, POP_B}};
    (void)state;
    assert_int_equal(eqm_series_trend(wrap, 2, 12, 0, p), 0);
    assert_int_equal(p[1].months, 2);
    assert_int_equal(eqm_series_trend(gap, 2, 1, 0, p), -1);
    assert_int_equal(eqm_series_trend(q1, 3, 0, 0, p), -1);
    assert_int_equal(eqm_series_trend(over, 1, 1, 0, p), -1);
    assert_int_equal(eqm_series_trend(negative, 1, 1, 0, p), -1);
}

/* The base changes in February (populations 20000 and 50000 from then):
 * each point divides by its last month's populations, the span's earlier
 * months included, as a rolling figure divides by its window's last day's
 * base. */
static void test_population_of_the_last_month(void **state) {
    const struct eqm_month_counts m[] = {{2025, 1, 10, 50, POP_A, POP_B},
                                         {2025, 2, 20, 50, 20000, 50000},
                                         {2025, 3, 30, 100, 20000, 50000}};
    struct eqm_trend_point p[3];
    (void)state;
    assert_int_equal(eqm_series_trend(m, 3, 2, 0, p), 0);
    /* January on the old base: (10/10000)/(50/100000) = 2. */
    assert_float_equal(p[0].ratio.value, 2.0, 1e-12);
    assert_int_equal(p[0].pop_a, POP_A);
    /* January and February on February's base: (30/20000)/(100/50000)
     * = 0.0015/0.002 = 0.75; February and March: (50/20000)/(150/50000)
     * = 0.0025/0.003 = 0.8333. */
    assert_int_equal(p[1].pop_a, 20000);
    assert_int_equal(p[1].pop_b, 50000);
    assert_float_equal(p[1].ratio.value, 0.75, 1e-12);
    assert_float_equal(p[2].ratio.value, 2.5 / 3.0, 1e-12);
}

/* A month whose base has no population for the area: no ratio, not an
 * error, and the counts still there; a count above 0 population is no
 * error either (there is nothing to compare it with). */
static void test_no_population(void **state) {
    const struct eqm_month_counts m[] = {{2025, 1, 10, 50, 0, POP_B},
                                         {2025, 2, 20, 50, POP_A, POP_B}};
    struct eqm_trend_point p[2];
    (void)state;
    assert_int_equal(eqm_series_trend(m, 2, 1, 0, p), 0);
    assert_true(p[0].no_population);
    assert_false(p[0].too_few);
    assert_false(p[0].ratio.has_value);
    assert_int_equal(p[0].a, 10);
    assert_false(p[1].no_population);
    assert_float_equal(p[1].ratio.value, 4.0, 1e-12);
}

static void test_no_reference_events(void **state) {
    const struct eqm_month_counts m[] = {{2025, 1, 4, 0, POP_A, POP_B}};
    struct eqm_trend_point p[1];
    (void)state;
    assert_int_equal(eqm_series_trend(m, 1, 1, 0, p), 0);
    assert_false(p[0].ratio.has_value);
}

static void test_funnel_limits(void **state) {
    double lo, hi;
    (void)state;
    /* sqrt(1/20 + 1/80) = 0.25: 2 * exp(-/+ 1.959964 * 0.25) = 1.225264, 3.264603;
     * 2 * exp(-/+ 3.090232 * 0.25) = 0.923660, 4.330596. */
    assert_int_equal(eqm_series_funnel_limits(2.0, 0.2, 100, EQM_STATS_Z95, &lo, &hi), 0);
    assert_float_equal(lo, 1.225264, 1e-6);
    assert_float_equal(hi, 3.264603, 1e-6);
    assert_int_equal(eqm_series_funnel_limits(2.0, 0.2, 100, EQM_SERIES_Z998, &lo, &hi), 0);
    assert_float_equal(lo, 0.923660, 1e-6);
    assert_float_equal(hi, 4.330596, 1e-6);
    /* Narrower with more events: at n = 400 the root halves (0.125). */
    assert_int_equal(eqm_series_funnel_limits(2.0, 0.2, 400, EQM_STATS_Z95, &lo, &hi), 0);
    assert_float_equal(hi, 2.0 * 1.277616, 1e-5);
    assert_int_equal(eqm_series_funnel_limits(0, 0.2, 100, EQM_STATS_Z95, &lo, &hi), -1);
    assert_int_equal(eqm_series_funnel_limits(2, 1.0, 100, EQM_STATS_Z95, &lo, &hi), -1);
    assert_int_equal(eqm_series_funnel_limits(2, 0.2, 0, EQM_STATS_Z95, &lo, &hi), -1);
}

#define BME "{asian,black,mixed,other}"

/* Two snapshot dates: 2025-03-01 with 80 white, 12 asian, 8 black and 5
 * not stated; 2025-06-01 with 954 white, 20 asian, 12 black, 10 mixed, 4
 * other, 30 not stated and a "bme" row that is not counted again. */
static const struct eqm_headcount_row snaps[] = {
    {"2025-03-01", "asian", 12}, {"2025-03-01", "black", 8},  {"2025-03-01", "not_stated", 5},
    {"2025-03-01", "white", 80}, {"2025-06-01", "asian", 20}, {"2025-06-01", "bme", 46},
    {"2025-06-01", "black", 12}, {"2025-06-01", "mixed", 10}, {"2025-06-01", "not_stated", 30},
    {"2025-06-01", "other", 4},  {"2025-06-01", "white", 954}};

static void test_headcount_shares(void **state) {
    struct eqm_share_point p[11];
    (void)state;
    assert_int_equal(eqm_series_headcount(snaps, 11, BME, 10, p), 2);
    /* 2025-03-01: 20 of 100 stated: 0.2, Wilson 0.133367, 0.288829;
     * 5 not stated of 105. */
    assert_string_equal(p[0].as_of, "2025-03-01");
    assert_int_equal(p[0].group, 20);
    assert_int_equal(p[0].stated, 100);
    assert_int_equal(p[0].not_stated, 5);
    assert_false(p[0].too_few);
    assert_float_equal(p[0].share.value, 0.2, 1e-12);
    assert_float_equal(p[0].share.low, 0.133367, 1e-6);
    assert_float_equal(p[0].share.high, 0.288829, 1e-6);
    assert_true(p[0].has_not_stated_share);
    assert_float_equal(p[0].not_stated_share, 5.0 / 105.0, 1e-12);
    /* 2025-06-01: 46 of 1000 (the "bme" row left out): 0.046, Wilson
     * 0.034662, 0.060812; 30 of 1030 not stated. */
    assert_int_equal(p[1].group, 46);
    assert_int_equal(p[1].stated, 1000);
    assert_float_equal(p[1].share.value, 0.046, 1e-12);
    assert_float_equal(p[1].share.low, 0.034662, 1e-6);
    assert_float_equal(p[1].share.high, 0.060812, 1e-6);
    assert_float_equal(p[1].not_stated_share, 30.0 / 1030.0, 1e-12);
}

static void test_headcount_one_group_too_few(void **state) {
    struct eqm_share_point p[11];
    (void)state;
    /* Black alone: 8 on 2025-03-01 is below 10; 12 on 2025-06-01 is not. */
    assert_int_equal(eqm_series_headcount(snaps, 11, "{black}", 10, p), 2);
    assert_true(p[0].too_few);
    assert_false(p[0].share.has_value);
    assert_int_equal(p[0].group, 8);
    assert_false(p[1].too_few);
    assert_float_equal(p[1].share.value, 0.012, 1e-12);
    /* The rest of the stated counts too: 92 others below 100. */
    assert_int_equal(eqm_series_headcount(snaps, 4, "{black}", 100, p), 1);
    assert_true(p[0].too_few);
    /* Nothing stated: no share, but the not stated share is 1. */
    {
        const struct eqm_headcount_row ns[] = {{"2025-01-01", "not_stated", 7}};
        assert_int_equal(eqm_series_headcount(ns, 1, BME, 0, p), 1);
        assert_false(p[0].share.has_value);
        assert_float_equal(p[0].not_stated_share, 1.0, 1e-12);
    }
}

static void test_headcount_bad_input(void **state) {
    struct eqm_share_point p[2];
    const struct eqm_headcount_row back[] = {{"2025-06-01", "white", 1},
                                             {"2025-03-01", "white", 1}};
    const struct eqm_headcount_row neg[] = {{"2025-06-01", "white", -1}};
    (void)state;
    assert_int_equal(eqm_series_headcount(back, 2, BME, 0, p), -1);
    assert_int_equal(eqm_series_headcount(neg, 1, BME, 0, p), -1);
    assert_int_equal(eqm_series_headcount(snaps, 1, "asian", 0, p), -1);
    assert_int_equal(eqm_series_headcount(snaps, 0, BME, 0, p), 0);
}

/* Eleven searches (self-defined, officer-defined): white/white three times
 * (two rows: pairs add up), white/asian, black/black, black/white,
 * black/not_stated, asian/asian, not_stated/white, not_stated/not_stated,
 * mixed/black. */
static const struct eqm_agreement_row eleven[] = {
    {"white", "white", 2},      {"white", "asian", 1},           {"black", "black", 1},
    {"black", "white", 1},      {"black", "not_stated", 1},      {"asian", "asian", 1},
    {"not_stated", "white", 1}, {"not_stated", "not_stated", 1}, {"mixed", "black", 1},
    {"white", "white", 1},
};

enum { W, B, A, M, O, NS }; /* eqm_series_agreement_groups' order */

static void test_agreement(void **state) {
    struct eqm_agreement t;
    static const int64_t self_total[6] = {[W] = 4, [B] = 3, [A] = 1, [M] = 1, [O] = 0, [NS] = 2};
    static const int64_t officer_total[6] = {[W] = 5, [B] = 2, [A] = 2, [M] = 0, [O] = 0, [NS] = 2};
    (void)state;
    assert_string_equal(eqm_series_agreement_groups[W], "white");
    assert_string_equal(eqm_series_agreement_groups[NS], "not_stated");
    assert_int_equal(eqm_series_agreement(eleven, sizeof(eleven) / sizeof(eleven[0]), &t), 0);
    assert_int_equal(t.cell[W][W], 3);
    assert_int_equal(t.cell[W][A], 1);
    assert_int_equal(t.cell[B][NS], 1);
    assert_int_equal(t.cell[NS][W], 1);
    assert_int_equal(t.cell[M][B], 1);
    assert_int_equal(t.cell[A][W], 0);
    for (int g = 0; g < 6; g++) {
        assert_int_equal(t.self_total[g], self_total[g]);
        assert_int_equal(t.officer_total[g], officer_total[g]);
    }
    assert_int_equal(t.total, 11);
    /* The diagonal: white 3, black 1, asian 1, not stated 1. */
    assert_int_equal(t.agreed, 6);
    assert_true(t.has_share);
    assert_float_equal(t.share, 6.0 / 11.0, 1e-12);
    /* Stated on both sides: all but black/not_stated, not_stated/white and
     * not_stated/not_stated, 8; of which the same group 5. */
    assert_int_equal(t.stated, 8);
    assert_int_equal(t.stated_agreed, 5);
    assert_float_equal(t.stated_share, 0.625, 1e-12);
    /* Each self-defined group's share the officer saw the same: 3/4, 1/3,
     * 1/1, 0/1, none (no searches), 1/2. */
    assert_float_equal(t.row_share[W], 0.75, 1e-12);
    assert_float_equal(t.row_share[B], 1.0 / 3.0, 1e-12);
    assert_float_equal(t.row_share[A], 1.0, 1e-12);
    assert_true(t.has_row_share[M]);
    assert_float_equal(t.row_share[M], 0.0, 1e-12);
    assert_false(t.has_row_share[O]);
    assert_float_equal(t.row_share[NS], 0.5, 1e-12);
}

static void test_agreement_empty_and_bad(void **state) {
    struct eqm_agreement t;
    static const struct eqm_agreement_row bme[] = {{"bme", "white", 1}};
    static const struct eqm_agreement_row negative[] = {{"white", "white", -1}};
    static const struct eqm_agreement_row none[] = {{NULL, "white", 1}};
    (void)state;
    assert_int_equal(eqm_series_agreement(NULL, 0, &t), 0);
    assert_int_equal(t.total, 0);
    assert_false(t.has_share);
    assert_false(t.has_stated_share);
    assert_int_equal(eqm_series_agreement(bme, 1, &t), -1);
    assert_int_equal(eqm_series_agreement(negative, 1, &t), -1);
    assert_int_equal(eqm_series_agreement(none, 1, &t), -1);
}

EQM_UNIT_MAIN(test_month_alone, test_rolling_span, test_too_few_to_compare,
              test_months_must_follow_each_other, test_no_reference_events,
              test_population_of_the_last_month, test_no_population, test_funnel_limits,
              test_headcount_shares, test_headcount_one_group_too_few, test_headcount_bad_input,
              test_agreement, test_agreement_empty_and_bad)
