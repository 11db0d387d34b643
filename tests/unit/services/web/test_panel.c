/*
 * test_panel.c - the request helpers every panel shares (panel.h) that
 * need no database: which counted groups a group is made of, and the
 * measure= argument checked against a panel's measures (a 400 with the
 * ones it has).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "unit.h"

#include "panel.h"

/* Each case: a group, a counted group, and whether the first holds it. A
 * name is matched whole, not as a prefix or a part; a group that is not
 * known has no members. */
static const struct {
    const char *group, *grp;
    bool has;
} members[] = {
    {"bme", "asian", true},    {"bme", "black", true},       {"bme", "other", true},
    {"bme", "white", false},   {"bme", "not_stated", false}, {"black", "black", true},
    {"black", "asian", false}, {"bme", "blac", false},       {"bme", "asian,black", false},
    {"bme", "", false},        {"purple", "black", false},   {"white", "white", false}};

static void test_group_has(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
        if (eqm_web_group_has(members[i].group, members[i].grp) != members[i].has)
            fail_msg("case %zu: %s has %s: expected %d", i, members[i].group, members[i].grp,
                     members[i].has);
    }
}

static const char *const two[] = {"use_of_force", "arrests", NULL};
static const struct eqm_web_panel with = {.path = "custody", .title = "Custody", .measures = two};
static const struct eqm_web_panel without = {.path = "alerts", .title = "Alerts"};

static void test_measure_checked(void **state) {
    char err[256] = "";
    struct eqm_web_args a = {0};
    (void)state;
    /* No measure: the panel's default, anywhere. */
    assert_int_equal(eqm_web_args_check_panel(&with, &a, err, sizeof(err)), 0);
    assert_int_equal(eqm_web_args_check_panel(&without, &a, err, sizeof(err)), 0);
    a.measure = "arrests";
    assert_int_equal(eqm_web_args_check_panel(&with, &a, err, sizeof(err)), 0);
    a.measure = "searches";
    assert_int_equal(eqm_web_args_check_panel(&with, &a, err, sizeof(err)), -1);
    assert_string_equal(err, "measure must be one of: use_of_force arrests");
    a.measure = "arrests";
    assert_int_equal(eqm_web_args_check_panel(&without, &a, err, sizeof(err)), -1);
    assert_string_equal(err, "/alerts takes no measure");
    /* A short buffer holds the start of the reason, terminated. */
    a.measure = "x";
    assert_int_equal(eqm_web_args_check_panel(&with, &a, err, 30), -1);
    assert_int_equal(strlen(err), 29);
}

static void test_measure_length(void **state) {
    char err[128] = "", big[80];
    struct eqm_web_args a = {0};
    (void)state;
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    a.measure = big;
    assert_int_equal(eqm_web_args_check(&a, err, sizeof(err)), -1);
    assert_string_equal(err, "measure must be at most 64 bytes");
    big[64] = '\0';
    assert_int_equal(eqm_web_args_check(&a, err, sizeof(err)), 0);
}

EQM_UNIT_MAIN(test_group_has, test_measure_checked, test_measure_length)
