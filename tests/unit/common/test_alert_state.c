/*
 * test_state.c - the alert state machine, one evaluation at a time:
 * pending, firing, no flapping between the clearing level and the
 * threshold, severity up, reminders, resolved, and a resolved alert that a
 * late event (same window end) cannot re-open.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit.h"

#include <string.h>

#include "eqm/alert_state.h"

#define DAY_US (86400 * INT64_C(1000000))

static struct eqm_alert_rule rule_ge(void) {
    static char name[] = "r", measure[] = "stop_search.searches", dim[] = "ethnicity",
                sev[] = "warning", crit[] = "critical", aud[] = "a";
    struct eqm_alert_rule r;
    memset(&r, 0, sizeof(r));
    r.name = name;
    r.measure = measure;
    r.source = "stop-search";
    r.dimension = dim;
    r.window_days = 365;
    r.cmp = EQM_ALERT_GE;
    r.threshold = 2.0;
    r.clear = 1.8;
    r.min_count = 10;
    r.require_significant = 1;
    r.severity = sev;
    r.n_steps = 1;
    r.step_at[0] = 3.0;
    r.step_severity[0] = crit;
    r.audience = aud;
    r.pending = 1;
    r.repeat_after_days = 0;
    return r;
}

static struct eqm_alert_obs obs(double v, long long n, int sig, int32_t wend) {
    struct eqm_alert_obs o = {1, v, n, sig, wend};
    return o;
}

static enum eqm_alert_transition step(const struct eqm_alert_rule *r, struct eqm_alert_state *st,
                                      double v, int32_t wend, int64_t now) {
    struct eqm_alert_obs o = obs(v, 100, 1, wend);
    return eqm_alert_step(r, st, &o, now);
}

static void test_fires_once_and_resolves_once(void **state) {
    struct eqm_alert_rule r = rule_ge();
    struct eqm_alert_state st;
    int fired = 0, resolved = 0;
    /* rises, hovers between 1.8 and 2.2 for a long time, falls away */
    static const double series[] = {1.0,  1.5, 2.1, 2.2,  1.9,  2.05, 1.85, 1.95, 2.0,
                                    1.81, 2.1, 1.9, 1.82, 1.79, 1.5,  1.85, 1.95, 1.2};
    (void)state;
    eqm_alert_state_init(&st);
    for (size_t i = 0; i < sizeof(series) / sizeof(series[0]); i++) {
        enum eqm_alert_transition t = step(&r, &st, series[i], 100 + (int32_t)i, (int64_t)i);
        fired += t == EQM_ALERT_T_FIRING;
        resolved += t == EQM_ALERT_T_RESOLVED;
        if (i == 2)
            assert_int_equal(t, EQM_ALERT_T_FIRING);
        if (i == 13)
            assert_int_equal(t, EQM_ALERT_T_RESOLVED);
    }
    assert_int_equal(fired, 1);
    assert_int_equal(resolved, 1);
    assert_int_equal(st.status, EQM_ALERT_RESOLVED);
    assert_int_equal(st.resolved_window_end, 113);
}

static void test_a_million_breaching_evaluations_one_alert(void **state) {
    struct eqm_alert_rule r = rule_ge();
    struct eqm_alert_state st;
    int changes = 0;
    (void)state;
    eqm_alert_state_init(&st);
    for (int i = 0; i < 1000000; i++)
        changes += step(&r, &st, 2.5, 10, i) != EQM_ALERT_T_NONE;
    assert_int_equal(changes, 1);
}

static void test_pending(void **state) {
    struct eqm_alert_rule r = rule_ge();
    struct eqm_alert_state st;
    (void)state;
    r.pending = 3;
    eqm_alert_state_init(&st);
    assert_int_equal(step(&r, &st, 2.5, 1, 1000), EQM_ALERT_T_NONE);
    assert_int_equal(st.status, EQM_ALERT_PENDING);
    assert_int_equal(st.first_breached_us, 1000);
    assert_int_equal(step(&r, &st, 2.5, 2, 2000), EQM_ALERT_T_NONE);
    /* the breach does not hold: back to inactive, count starts again */
    assert_int_equal(step(&r, &st, 1.9, 3, 3000), EQM_ALERT_T_NONE);
    assert_int_equal(st.status, EQM_ALERT_INACTIVE);
    assert_int_equal(st.pending_count, 0);
    assert_int_equal(step(&r, &st, 2.5, 4, 4000), EQM_ALERT_T_NONE);
    assert_int_equal(step(&r, &st, 2.5, 5, 5000), EQM_ALERT_T_NONE);
    assert_int_equal(step(&r, &st, 2.5, 6, 6000), EQM_ALERT_T_FIRING);
    assert_int_equal(st.status, EQM_ALERT_FIRING);
    assert_int_equal(st.first_breached_us, 4000); /* first of this episode */
}

static void test_min_count_and_significance(void **state) {
    struct eqm_alert_rule r = rule_ge();
    struct eqm_alert_state st;
    struct eqm_alert_obs o;
    (void)state;
    eqm_alert_state_init(&st);
    o = obs(5.0, 9, 1, 1); /* below min_count 10 */
    assert_int_equal(eqm_alert_step(&r, &st, &o, 1), EQM_ALERT_T_NONE);
    o = obs(5.0, 50, 0, 2); /* CI includes 1 */
    assert_int_equal(eqm_alert_step(&r, &st, &o, 2), EQM_ALERT_T_NONE);
    o.has_value = 0; /* no figure */
    assert_int_equal(eqm_alert_step(&r, &st, &o, 3), EQM_ALERT_T_NONE);
    assert_int_equal(st.status, EQM_ALERT_INACTIVE);
    r.require_significant = 0;
    o = obs(5.0, 50, 0, 4);
    assert_int_equal(eqm_alert_step(&r, &st, &o, 4), EQM_ALERT_T_FIRING);
    /* A firing alert is not resolved by losing significance or counts:
     * only the value past the clearing level resolves it. */
    r.require_significant = 1;
    o = obs(2.5, 3, 0, 5);
    assert_int_equal(eqm_alert_step(&r, &st, &o, 5), EQM_ALERT_T_NONE);
    assert_int_equal(st.status, EQM_ALERT_FIRING);
}

static void test_severity_up_and_not_down(void **state) {
    struct eqm_alert_rule r = rule_ge();
    struct eqm_alert_state st;
    (void)state;
    eqm_alert_state_init(&st);
    assert_int_equal(step(&r, &st, 2.5, 1, 1), EQM_ALERT_T_FIRING);
    assert_int_equal(st.severity_level, 0);
    assert_string_equal(eqm_alert_severity_name(&r, st.severity_level), "warning");
    assert_int_equal(step(&r, &st, 3.2, 2, 2), EQM_ALERT_T_SEVERITY_UP);
    assert_string_equal(eqm_alert_severity_name(&r, st.severity_level), "critical");
    assert_int_equal(step(&r, &st, 3.5, 3, 3), EQM_ALERT_T_NONE);
    assert_int_equal(step(&r, &st, 2.5, 4, 4), EQM_ALERT_T_NONE); /* no "severity down" */
    assert_int_equal(step(&r, &st, 3.1, 5, 5), EQM_ALERT_T_NONE);
    /* firing straight at critical: one message, already critical */
    eqm_alert_state_init(&st);
    assert_int_equal(step(&r, &st, 4.0, 1, 1), EQM_ALERT_T_FIRING);
    assert_int_equal(st.severity_level, 1);
}

static void test_lower_is_worse(void **state) {
    struct eqm_alert_rule r = rule_ge();
    struct eqm_alert_state st;
    (void)state;
    r.cmp = EQM_ALERT_LT;
    r.threshold = 0.8;
    r.clear = 0.85;
    r.step_at[0] = 0.6;
    eqm_alert_state_init(&st);
    assert_int_equal(step(&r, &st, 0.9, 1, 1), EQM_ALERT_T_NONE);
    assert_int_equal(step(&r, &st, 0.79, 2, 2), EQM_ALERT_T_FIRING);
    assert_int_equal(step(&r, &st, 0.84, 3, 3), EQM_ALERT_T_NONE); /* hysteresis */
    assert_int_equal(step(&r, &st, 0.5, 4, 4), EQM_ALERT_T_SEVERITY_UP);
    assert_int_equal(step(&r, &st, 0.85, 5, 5), EQM_ALERT_T_RESOLVED);
}

static void test_reminder(void **state) {
    struct eqm_alert_rule r = rule_ge();
    struct eqm_alert_state st;
    (void)state;
    r.repeat_after_days = 28;
    eqm_alert_state_init(&st);
    assert_int_equal(step(&r, &st, 2.5, 1, 0), EQM_ALERT_T_FIRING);
    assert_int_equal(step(&r, &st, 2.5, 1, 27 * DAY_US), EQM_ALERT_T_NONE);
    assert_int_equal(step(&r, &st, 2.5, 1, 28 * DAY_US), EQM_ALERT_T_REMINDER);
    assert_int_equal(step(&r, &st, 2.5, 1, 29 * DAY_US), EQM_ALERT_T_NONE);
    assert_int_equal(step(&r, &st, 2.5, 1, 56 * DAY_US), EQM_ALERT_T_REMINDER);
    /* a severity change resets the reminder clock */
    assert_int_equal(step(&r, &st, 3.5, 1, 60 * DAY_US), EQM_ALERT_T_SEVERITY_UP);
    assert_int_equal(step(&r, &st, 3.5, 1, 85 * DAY_US), EQM_ALERT_T_NONE);
    assert_int_equal(step(&r, &st, 3.5, 1, 88 * DAY_US), EQM_ALERT_T_REMINDER);
}

static void test_late_event_cannot_reopen(void **state) {
    struct eqm_alert_rule r = rule_ge();
    struct eqm_alert_state st;
    (void)state;
    eqm_alert_state_init(&st);
    assert_int_equal(step(&r, &st, 2.5, 50, 1), EQM_ALERT_T_FIRING);
    assert_int_equal(step(&r, &st, 1.5, 60, 2), EQM_ALERT_T_RESOLVED);
    /* a late event lifts the ratio again, but the window end has not moved */
    assert_int_equal(step(&r, &st, 2.5, 60, 3), EQM_ALERT_T_NONE);
    assert_int_equal(st.status, EQM_ALERT_RESOLVED);
    /* newer events move the window: the breach counts again */
    assert_int_equal(step(&r, &st, 2.5, 61, 4), EQM_ALERT_T_FIRING);
    assert_int_equal(st.first_breached_us, 4);
}

EQM_UNIT_MAIN(test_fires_once_and_resolves_once, test_a_million_breaching_evaluations_one_alert,
              test_pending, test_min_count_and_significance, test_severity_up_and_not_down,
              test_lower_is_worse, test_reminder, test_late_event_cannot_reopen)
