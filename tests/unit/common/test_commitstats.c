/*
 * test_commitstats.c - the commit latency histogram (eqm/commitstats.h):
 * buckets by the "le" rule of Prometheus, and pending minus written.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "unit.h"

#include "eqm/commitstats.h"

static void test_bucket_is_the_first_bound_not_exceeded(void **state) {
    (void)state;
    assert_int_equal(eqm_commit_bucket(0), 0);
    assert_int_equal(eqm_commit_bucket(0.005), 0); /* le: the bound itself is in */
    assert_int_equal(eqm_commit_bucket(0.0051), 1);
    assert_int_equal(eqm_commit_bucket(0.3), 6); /* 0.25 < 0.3 <= 0.5 */
    assert_int_equal(eqm_commit_bucket(10), 10);
    assert_int_equal(eqm_commit_bucket(10.5), 11); /* beyond the last bound */
}

static void test_add_then_take_away_what_was_written(void **state) {
    struct eqm_commit_stats pending = {0}, sent;
    char text[EQM_COMMIT_BUCKETS * 21 + 2];
    (void)state;

    eqm_commit_stats_add(&pending, 0.002);
    eqm_commit_stats_add(&pending, 0.3);
    sent = pending;                     /* written with a batch */
    eqm_commit_stats_add(&pending, 12); /* measured while it was in flight */
    eqm_commit_stats_add(&pending, -1); /* a clock step back: 0 s */
    assert_int_equal(pending.count, 4);
    assert_true(pending.sum_s > 12.301 && pending.sum_s < 12.303);
    eqm_commit_stats_sub(&pending, &sent);
    assert_int_equal(pending.count, 2);
    assert_true(pending.sum_s > 11.999 && pending.sum_s < 12.001);
    assert_int_equal(eqm_commit_stats_buckets_text(&pending, text, sizeof(text)), 0);
    assert_string_equal(text, "{1,0,0,0,0,0,0,0,0,0,0,1}");
    eqm_commit_stats_sub(&pending, &pending);
    assert_int_equal(pending.count, 0);
    assert_true(pending.sum_s == 0);
}

static void test_buckets_text_refuses_a_short_buffer(void **state) {
    struct eqm_commit_stats st = {0};
    char text[EQM_COMMIT_BUCKETS * 21 + 2];
    (void)state;
    st.buckets[0] = INT64_MAX;
    assert_int_equal(eqm_commit_stats_buckets_text(&st, text, sizeof(text)), 0);
    assert_int_equal(text[0], '{');
    assert_int_equal(text[strlen(text) - 1], '}');
    assert_int_equal(eqm_commit_stats_buckets_text(&st, text, 10), -1);
    /* exactly "{0,0,...,0}": 12 digits, 11 commas, braces, NUL = 26 */
    memset(&st, 0, sizeof(st));
    assert_int_equal(eqm_commit_stats_buckets_text(&st, text, 26), 0);
    assert_int_equal(eqm_commit_stats_buckets_text(&st, text, 25), -1);
}

EQM_UNIT_MAIN(test_bucket_is_the_first_bound_not_exceeded, test_add_then_take_away_what_was_written,
              test_buckets_text_refuses_a_short_buffer)
