/*
 * test_summary.c - the plain-English sentence of an alert: group, measure,
 * area, window, figures with the interval, counts; resolved says so. The
 * measures' words are their families' (the catalogue's): every family
 * reads, with no placeholder left over.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit.h"

#include <stdio.h>
#include <string.h>

#include "eqm/alert_rules.h"
#include "eqm/alert_summary.h"
#include "catalog.h"

/* Sets the figure's measure, and the family the catalogue gives it (how
 * the measure reads). */
static void measure(struct eqm_alert_figure *f, const char *m) {
    f->measure = m;
    f->family = eqm_alert_catalog_find(&eqm_alert_catalog, m, NULL);
    assert_non_null(f->family);
}

static struct eqm_alert_figure stop_search(void) {
    struct eqm_alert_figure f;
    memset(&f, 0, sizeof(f));
    measure(&f, "stop_search.searches");
    f.area_name = "Cambridge";
    f.dimension = "ethnicity";
    f.grp = "black";
    f.reference_grp = "white";
    f.window_days = 365;
    f.window_end = "2026-03-14";
    f.has_value = 1;
    f.value = 3.4;
    f.has_ci = 1;
    f.ci_low = 2.1;
    f.ci_high = 5.5;
    f.n = 57;
    f.base = 12000;
    return f;
}

static void test_contract_example(void **state) {
    struct eqm_alert_figure f = stop_search();
    char buf[512];
    (void)state;
    eqm_alert_summary(buf, sizeof(buf), &f, 0, 1.8);
    assert_string_equal(buf, "Black people in Cambridge were stopped and searched at 3.4 times the "
                             "rate of White people in the 365 days to 14 March 2026 (95% CI 2.1 "
                             "to 5.5; 57 searches).");
}

static void test_resolved(void **state) {
    struct eqm_alert_figure f = stop_search();
    char buf[512];
    (void)state;
    f.value = 1.7;
    f.ci_low = 1.1;
    f.ci_high = 2.6;
    f.n = 40;
    eqm_alert_summary(buf, sizeof(buf), &f, 1, 1.8);
    assert_string_equal(buf, "Resolved: Black people in Cambridge were stopped and searched at 1.7 "
                             "times the rate of White people in the 365 days to 14 March 2026 "
                             "(95% CI 1.1 to 2.6; 40 searches), below the clearing level of 1.8.");
}

static void test_no_interval_and_other_groups(void **state) {
    struct eqm_alert_figure f = stop_search();
    char buf[512];
    (void)state;
    f.has_ci = 0;
    f.grp = "mixed";
    f.n = 1;
    f.window_end = "2025-07-01";
    eqm_alert_summary(buf, sizeof(buf), &f, 0, 1.8);
    assert_string_equal(buf, "People of mixed ethnicity in Cambridge were stopped and searched at "
                             "3.4 times the rate of White people in the 365 days to 1 July 2025 "
                             "(no confidence interval; 1 search).");
}

static void test_share_measure(void **state) {
    struct eqm_alert_figure f = stop_search();
    char buf[512];
    (void)state;
    measure(&f, "stop_search.find_rate");
    f.value = 0.62;
    f.ci_low = 0.45;
    f.ci_high = 0.85;
    f.n = 20;
    f.base = 80;
    f.area_name = "force";
    eqm_alert_summary(buf, sizeof(buf), &f, 0, 0.9);
    assert_string_equal(buf, "Searches of Black people in force found what was searched for at "
                             "0.62 times the rate for White people in the 365 days to 14 March "
                             "2026 (95% CI 0.45 to 0.85; 20 finds in 80 searches).");
}

static void test_custody_and_gender(void **state) {
    struct eqm_alert_figure f = stop_search();
    char buf[512];
    (void)state;
    measure(&f, "custody.use_of_force_by_tactic.limb_restraints");
    f.dimension = "gender";
    f.grp = "male";
    f.reference_grp = "female";
    f.value = 12.3;
    f.ci_low = 4.0;
    f.ci_high = 30.0;
    f.n = 25;
    eqm_alert_summary(buf, sizeof(buf), &f, 0, 1.8);
    assert_string_equal(buf, "Men in Cambridge had limb restraints used on them at 12 times the "
                             "rate of women in the 365 days to 14 March 2026 (95% CI 4.0 to 30; "
                             "25 uses).");
}

static void test_recruitment(void **state) {
    struct eqm_alert_figure f;
    char buf[512];
    (void)state;
    memset(&f, 0, sizeof(f));
    measure(&f, "recruitment.adverse_impact_ratio");
    f.role = "police_officer";
    f.stage = "assessment_centre";
    f.dimension = "ethnicity";
    f.grp = "asian";
    f.reference_grp = "white";
    f.window_days = 91;
    f.window_end = "2026-01-31";
    f.has_value = 1;
    f.value = 0.55;
    f.has_ci = 1;
    f.ci_low = 0.38;
    f.ci_high = 0.79;
    f.n = 11;
    f.base = 40;
    eqm_alert_summary(buf, sizeof(buf), &f, 0, 0.85);
    assert_string_equal(buf, "Asian applicants for police officer posts passed the assessment "
                             "centre stage at 0.55 times the pass rate of White applicants in the "
                             "91 days to 31 January 2026 (95% CI 0.38 to 0.79; 11 of 40 passed).");
    eqm_alert_summary(buf, sizeof(buf), &f, 1, 0.85);
    assert_non_null(strstr(buf, "Resolved: Asian applicants"));
    assert_non_null(strstr(buf, ", below the clearing level of 0.85."));
}

static void test_truncates_safely(void **state) {
    struct eqm_alert_figure f = stop_search();
    char buf[16];
    int want;
    (void)state;
    want = eqm_alert_summary(buf, sizeof(buf), &f, 0, 1.8);
    assert_true(want > 100);
    assert_int_equal(strlen(buf), sizeof(buf) - 1);
    assert_string_equal(buf, "Black people in");
}

/* A template with a placeholder that is not one would reach a reader as
 * it stands: the check names it. */
static void test_template_check(void **state) {
    struct eqm_alert_family ok = {.measure = "x.y",
                                  .says = "{group}{area} at {value} times {reference}, {role}, "
                                          "{stage}, {rest}",
                                  .counts = "{n} of {base}, {n|search|searches}"};
    struct eqm_alert_family bad = ok, open = ok;
    char err[256] = "";
    (void)state;
    assert_int_equal(eqm_alert_summary_check(&ok, err, sizeof(err)), 0);
    bad.counts = "{n} {things}";
    assert_int_equal(eqm_alert_summary_check(&bad, err, sizeof(err)), -1);
    assert_string_equal(err, "x.y: counts: unknown placeholder \"{things}\"");
    open.says = "{group at";
    assert_int_equal(eqm_alert_summary_check(&open, err, sizeof(err)), -1);
    assert_string_equal(err, "x.y: says: a \"{\" is not closed");
}

/* Every family's sentence: known placeholders only, and none left over
 * in what a reader gets, whatever the stage. */
static void test_every_family_reads(void **state) {
    static const char *const stages[] = {NULL, "end_to_end", "withdrawal", "interview"};
    (void)state;
    for (int s = 0; s < eqm_alert_catalog.n_sources; s++) {
        const struct eqm_alert_source *src = eqm_alert_catalog.sources[s];
        for (int i = 0; i < src->n_families; i++) {
            const struct eqm_alert_family *fam = &src->families[i];
            char err[256] = "", m[128], buf[1024];
            if (eqm_alert_summary_check(fam, err, sizeof(err)) != 0)
                fail_msg("%s", err);
            assert_non_null(fam->says);
            snprintf(m, sizeof(m), "%s%s", fam->measure, fam->prefix ? "some_kind" : "");
            for (size_t k = 0; k < sizeof(stages) / sizeof(stages[0]); k++) {
                struct eqm_alert_figure f = {.family = fam,
                                             .measure = m,
                                             .area_name = "Cambridge",
                                             .role = "police_officer",
                                             .stage = stages[k],
                                             .dimension = "ethnicity",
                                             .grp = "black",
                                             .reference_grp = "white",
                                             .window_days = 365,
                                             .window_end = "2026-03-14",
                                             .has_value = 1,
                                             .value = 2.5,
                                             .n = 20,
                                             .base = 100};
                eqm_alert_summary(buf, sizeof(buf), &f, 0, 1.8);
                if (strpbrk(buf, "{}") || !strstr(buf, "2.5 times") || !strstr(buf, "20"))
                    fail_msg("%s: \"%s\"", m, buf);
            }
        }
    }
}

EQM_UNIT_MAIN(test_contract_example, test_resolved, test_no_interval_and_other_groups,
              test_share_measure, test_custody_and_gender, test_recruitment, test_truncates_safely,
              test_template_check, test_every_family_reads)
