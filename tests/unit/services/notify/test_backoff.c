/*
 * test_backoff.c - eqm-notify's retry delay (backoff.h): full jitter under
 * min(cap, base * 2^(n-1)), the server's Retry-After as a floor up to an
 * hour, a replayable random state, and no overflow however many attempts.
 *
 * The bounds are written out by hand from the formula in backoff.h (base
 * 1 s, cap 60 s: 1, 2, 4, 8, 16, 32 s, then 60 s), not taken from the code.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit.h"

#include <limits.h>

#include "backoff.h"

#define SAMPLES 20000

struct stats {
    int64_t min, max;
    double mean;
};

static struct stats sample(int attempts, int64_t base, int64_t cap, int64_t retry_after,
                           uint64_t seed) {
    struct stats s = {INT64_MAX, INT64_MIN, 0.0};
    uint64_t rnd = seed;

    for (int i = 0; i < SAMPLES; i++) {
        int64_t d = eqm_backoff_ms(attempts, base, cap, retry_after, &rnd);

        s.min = d < s.min ? d : s.min;
        s.max = d > s.max ? d : s.max;
        s.mean += (double)d / SAMPLES;
    }
    return s;
}

static void bounds_double_then_cap(void **state) {
    static const struct {
        int attempts;
        int64_t ceiling;
    } cases[] = {{1, 1000},  {2, 2000},  {3, 4000},  {4, 8000},     {5, 16000},
                 {6, 32000}, {7, 60000}, {8, 60000}, {1000, 60000}, {INT_MAX, 60000}};
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct stats s = sample(cases[i].attempts, 1000, 60000, -1, 42 + i);
        double c = (double)cases[i].ceiling;

        /* Every value within [0, ceiling]; full jitter spreads them over
         * all of it, so the mean is about half and both ends are reached. */
        assert_true(s.min >= 0);
        assert_true(s.max <= cases[i].ceiling);
        assert_true(s.mean > 0.47 * c && s.mean < 0.53 * c);
        assert_true((double)s.min < 0.01 * c);
        assert_true((double)s.max > 0.99 * c);
    }
}

static void fewer_than_one_attempt_counts_as_one(void **state) {
    (void)state;
    assert_int_equal(eqm_backoff_ms(0, 1000, 60000, -1, NULL), 1000);
    assert_int_equal(eqm_backoff_ms(-7, 1000, 60000, -1, NULL), 1000);
    assert_true(sample(0, 1000, 60000, -1, 9).max <= 1000);
}

static void without_state_the_upper_bound(void **state) {
    (void)state;
    assert_int_equal(eqm_backoff_ms(1, 500, 30000, -1, NULL), 500);
    assert_int_equal(eqm_backoff_ms(4, 500, 30000, -1, NULL), 4000);
    assert_int_equal(eqm_backoff_ms(6, 500, 30000, -1, NULL), 16000);
    assert_int_equal(eqm_backoff_ms(7, 500, 30000, -1, NULL), 30000);
    /* A cap below the base wins; zero and negative settings give 0. */
    assert_int_equal(eqm_backoff_ms(1, 5000, 3000, -1, NULL), 3000);
    assert_int_equal(eqm_backoff_ms(9, 0, 3000, -1, NULL), 0);
    assert_int_equal(eqm_backoff_ms(9, -5, 3000, -1, NULL), 0);
    assert_int_equal(eqm_backoff_ms(9, 1000, -1, -1, NULL), 0);
}

static void same_seed_same_delays(void **state) {
    uint64_t a = 12345, b = 12345, c = 54321, zero = 0;
    int differ = 0;
    (void)state;

    for (int i = 0; i < 100; i++) {
        int64_t x = eqm_backoff_ms(10, 1000, 1000000, -1, &a);

        assert_int_equal(x, eqm_backoff_ms(10, 1000, 1000000, -1, &b));
        differ += x != eqm_backoff_ms(10, 1000, 1000000, -1, &c);
    }
    assert_true(differ > 90);
    /* A zero state is not stuck at zero (xorshift would be). */
    assert_true(eqm_backoff_ms(10, 1000, 1000000, -1, &zero) >= 0);
    assert_int_not_equal(zero, 0);
}

static void retry_after_is_a_floor(void **state) {
    struct stats s;
    uint64_t rnd = 7;
    int at_floor = 0;
    (void)state;

    /* 5 s asked, the jitter at most 1 s: always exactly 5 s. */
    s = sample(1, 1000, 60000, 5000, 3);
    assert_int_equal(s.min, 5000);
    assert_int_equal(s.max, 5000);
    /* 30 s asked, jitter up to 60 s: never less, about half exactly 30 s. */
    for (int i = 0; i < SAMPLES; i++) {
        int64_t d = eqm_backoff_ms(7, 1000, 60000, 30000, &rnd);

        assert_true(d >= 30000 && d <= 60000);
        at_floor += d == 30000;
    }
    assert_true(at_floor > SAMPLES * 45 / 100 && at_floor < SAMPLES * 55 / 100);
    /* Above the cap: the server is believed, up to an hour. */
    assert_int_equal(eqm_backoff_ms(1, 1000, 60000, 120000, &rnd), 120000);
    assert_int_equal(eqm_backoff_ms(1, 1000, 60000, 3600000, &rnd), 3600000);
    assert_int_equal(eqm_backoff_ms(1, 1000, 60000, 36000000, &rnd), 3600000);
    assert_int_equal(eqm_backoff_ms(1, 1000, 60000, INT64_MAX, &rnd), 3600000);
    assert_int_equal(EQM_BACKOFF_RETRY_AFTER_MAX_MS, 3600000);
    /* 0 = "now": only the jitter; negative = not said. */
    s = sample(3, 1000, 60000, 0, 5);
    assert_true(s.min >= 0 && s.max <= 4000 && s.mean > 1880 && s.mean < 2120);
    assert_int_equal(eqm_backoff_ms(1, 1000, 60000, -1, NULL), 1000);
}

static void no_overflow(void **state) {
    uint64_t rnd = 99;
    (void)state;

    /* base 1: 2^(n-1) until it passes half of INT64_MAX. 2^62 is
     * 4611686018427387904 (n = 63); one more doubling passes INT64_MAX, so
     * n = 64 and beyond give the cap. */
    assert_int_equal(eqm_backoff_ms(63, 1, INT64_MAX, -1, NULL), INT64_C(4611686018427387904));
    assert_int_equal(eqm_backoff_ms(64, 1, INT64_MAX, -1, NULL), INT64_MAX);
    assert_int_equal(eqm_backoff_ms(1000, 1, INT64_MAX, -1, NULL), INT64_MAX);
    assert_int_equal(eqm_backoff_ms(INT_MAX, INT64_MAX, INT64_MAX, -1, NULL), INT64_MAX);
    for (int n = 1; n <= 1000; n++) {
        int64_t d = eqm_backoff_ms(n, INT64_MAX / 3, INT64_MAX, -1, &rnd);

        assert_true(d >= 0);
        d = eqm_backoff_ms(n, 1000, 3600000, INT64_MAX, &rnd);
        assert_int_equal(d, 3600000);
    }
}

EQM_UNIT_MAIN(bounds_double_then_cap, fewer_than_one_attempt_counts_as_one,
              without_state_the_upper_bound, same_seed_same_delays, retry_after_is_a_floor,
              no_overflow)
