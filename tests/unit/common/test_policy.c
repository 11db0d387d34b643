/*
 * test_policy.c - when a batch goes and when figures are due
 * (eqm/policy.h), case by case against the rules the header states.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit.h"

#include "eqm/policy.h"

static const struct eqm_policy_limits lim = {100, 50, 200};

/* A batch of 10 messages begun at t=1000, nothing else going on. */
static struct eqm_policy_state batch(void) {
    struct eqm_policy_state st = {10, 5, 1000, 1000, false, false, false, false, true};
    return st;
}

static void test_full(void **state) {
    struct eqm_policy_state st = batch();
    (void)state;
    assert_false(eqm_policy_flush(&lim, &st, 1001));
    st.messages = 100; /* batch.max.messages */
    assert_true(eqm_policy_flush(&lim, &st, 1001));
    st.messages = 10;
    st.slots = 50; /* batch.max.rows */
    assert_true(eqm_policy_flush(&lim, &st, 1001));
    st.in_flight = true; /* full goes even with a batch in flight */
    assert_true(eqm_policy_flush(&lim, &st, 1001));
}

static void test_age(void **state) {
    struct eqm_policy_state st = batch();
    (void)state;
    /* 199 ms old: not yet, even when the queue is empty. */
    st.polled_nothing = true;
    assert_false(eqm_policy_flush(&lim, &st, 1199));
    /* 200 ms old and the queue empty: goes. */
    assert_true(eqm_policy_flush(&lim, &st, 1200));
    /* 200 ms old, messages still coming: goes once read for 200 ms too. */
    st.polled_nothing = false;
    assert_true(eqm_policy_flush(&lim, &st, 1200));
    /* A catch-up batch: as old as a batch may be (its age counts from the
     * stall at 700), read for 10 ms, more queued: keeps reading... */
    st.started_ms = 700;
    st.read_ms = 1190;
    assert_false(eqm_policy_flush(&lim, &st, 1200));
    /* ... until the queue is empty, or it has been read for 200 ms. */
    st.polled_nothing = true;
    assert_true(eqm_policy_flush(&lim, &st, 1200));
    st.polled_nothing = false;
    assert_true(eqm_policy_flush(&lim, &st, 1390));
    /* While one is in flight the next keeps growing past its age. */
    st.in_flight = true;
    st.polled_nothing = true;
    assert_false(eqm_policy_flush(&lim, &st, 5000));
}

static void test_figures(void **state) {
    struct eqm_policy_state st = batch();
    (void)state;
    /* Figures held back from a full batch go with the next one... */
    st.figures_next = true;
    assert_true(eqm_policy_flush(&lim, &st, 1001));
    /* ... once the one before has committed. */
    st.in_flight = true;
    assert_false(eqm_policy_flush(&lim, &st, 1001));
    /* An empty batch goes for the figures alone, once assigned, with
     * nothing in flight. */
    st = batch();
    st.messages = 0;
    assert_false(eqm_policy_flush(&lim, &st, 1001));
    st.figures_due = true;
    assert_true(eqm_policy_flush(&lim, &st, 1001));
    st.assigned = false;
    assert_false(eqm_policy_flush(&lim, &st, 1001));
    st.assigned = true;
    st.in_flight = true;
    assert_false(eqm_policy_flush(&lim, &st, 1001));
}

static void test_figures_due(void **state) {
    struct eqm_policy_figures f = {true, false, true, 10000, 0, false};
    (void)state;
    /* Interval 1,000 ms, share 0.02: with a cheap recomputation, due after
     * the interval. */
    assert_false(eqm_policy_figures_due(&f, 1000, 0.02, 10999, false));
    assert_true(eqm_policy_figures_due(&f, 1000, 0.02, 11000, false));
    /* Forced (idle, stopping): at once. */
    assert_true(eqm_policy_figures_due(&f, 1000, 0.02, 10001, true));
    /* A 300 ms recomputation at most 2% of the time: (1/0.02 - 1) x 300 =
     * 14,700 ms between them. */
    f.cost_ms = 300;
    assert_false(eqm_policy_figures_due(&f, 1000, 0.02, 10000 + 14699, false));
    assert_true(eqm_policy_figures_due(&f, 1000, 0.02, 10000 + 14700, false));
    /* Nothing new: only the alerts' timer, and only with rules. */
    f.dirty = false;
    assert_false(eqm_policy_figures_due(&f, 1000, 0.02, 10000 + 1000000, true));
    f.has_rules = true;
    assert_false(
        eqm_policy_figures_due(&f, 1000, 0.02, 10000 + EQM_POLICY_ALERTS_TIMER_MS - 1, false));
    assert_true(eqm_policy_figures_due(&f, 1000, 0.02, 10000 + EQM_POLICY_ALERTS_TIMER_MS, false));
    /* An alert evaluation held while catching up, now free to go: due like
     * new counts, at the interval (not at once), forced when stopping. */
    f.alerts_owed = true;
    assert_false(eqm_policy_figures_due(&f, 1000, 0.02, 10000 + 14699, false));
    assert_true(eqm_policy_figures_due(&f, 1000, 0.02, 10000 + 14700, false));
    assert_true(eqm_policy_figures_due(&f, 1000, 0.02, 10001, true));
    f.cost_ms = 0;
    assert_true(eqm_policy_figures_due(&f, 0, 1, 10000, false));
    f.alerts_owed = false;
    assert_false(eqm_policy_figures_due(&f, 0, 1, 10001, false));
    /* A service without figures: never. */
    f.computes = false;
    f.dirty = true;
    assert_false(eqm_policy_figures_due(&f, 1000, 0.02, 10000000, true));
}

/* Caught up: within alerts.hold.lag of the log ends, last batches not
 * full. */
static void test_alerts_held_lag(void **state) {
    struct eqm_policy_catchup c = {10000, 0, false, false};
    (void)state;
    assert_false(eqm_policy_alerts_held(&c));
    c.lag = 10000; /* at the threshold: caught up */
    assert_false(eqm_policy_alerts_held(&c));
    c.lag = 10001; /* above: behind */
    assert_true(eqm_policy_alerts_held(&c));
    /* An empty poll does not make a consumer that far behind caught up
     * (fetches failing, or a queue drained faster than it fills). */
    c.idle = true;
    assert_true(eqm_policy_alerts_held(&c));
    c.lag = 2500000000LL; /* more than a 32-bit count */
    assert_true(eqm_policy_alerts_held(&c));
    /* Not known (no watermark yet): held, idle or not. */
    c.lag = -1;
    assert_true(eqm_policy_alerts_held(&c));
    c.idle = false;
    assert_true(eqm_policy_alerts_held(&c));
}

static void test_alerts_held_full(void **state) {
    struct eqm_policy_catchup c = {10000, 5, true, false};
    (void)state;
    /* A full batch: more was waiting, whatever the watermarks said. */
    assert_true(eqm_policy_alerts_held(&c));
    /* ... until a poll finds the queue empty. */
    c.idle = true;
    assert_false(eqm_policy_alerts_held(&c));
    /* Idle does not excuse a lag above the threshold. */
    c.lag = 10001;
    assert_true(eqm_policy_alerts_held(&c));
    c.batch_full = false;
    c.idle = false;
    c.lag = 0;
    assert_false(eqm_policy_alerts_held(&c));
}

/* alerts.hold.lag = 0: never held, whatever the lag. */
static void test_alerts_held_off(void **state) {
    struct eqm_policy_catchup c = {0, -1, true, false};
    (void)state;
    assert_false(eqm_policy_alerts_held(&c));
    c.lag = 1000000;
    assert_false(eqm_policy_alerts_held(&c));
    c.hold_lag = 1; /* the smallest hold: one message behind is caught up */
    c.batch_full = false;
    c.lag = 1;
    assert_false(eqm_policy_alerts_held(&c));
    c.lag = 2;
    assert_true(eqm_policy_alerts_held(&c));
}

EQM_UNIT_MAIN(test_full, test_age, test_figures, test_figures_due, test_alerts_held_lag,
              test_alerts_held_full, test_alerts_held_off)
