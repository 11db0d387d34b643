/*
 * test_recruitment.c - the recruitment service's pure logic: events into
 * rows (handler), and counts into attrition and workforce figures, against
 * hand-computed vectors. Fisher's exact test and the adverse impact ratio
 * themselves are tested in tests/unit/common/test_stats.c (exact rational
 * enumeration, the 62.6% / 73.6% = 0.851 example); here the service must
 * feed them the right table.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "eqm/envelope.h"
#include "eqm/sink.h"
#include "eqm/timeutil.h"
#include "recruitment.h"

#define FORCE "force"

static void assert_close(double got, double want, double tol) {
    if (!(fabs(got - want) <= tol))
        fail_msg("got %.12g, want %.12g (tolerance %g)", got, want, tol);
}

static int setup(void **state) {
    char err[256];
    (void)state;
    return eqm_time_set_zone("Europe/London", err, sizeof(err));
}

/* Handles one JSON text; returns the handler's result. */
static int run(struct eqm_sink *sink, const char *text, struct eqm_reject *rej) {
    struct eqm_envelope env;
    json_t *ev = NULL;
    int rc;
    memset(rej, 0, sizeof(*rej));
    eqm_sink_collect_reset(sink);
    if (eqm_message_parse(text, strlen(text), 100000, eqm_time_now_us(), 86400, &ev, &env, rej))
        return -1;
    rc = eqm_recruitment_service.handle(&env, ev, FORCE, sink, rej);
    json_decref(ev);
    return rc;
}

/* Row i's key parts joined with '|', and its table. */
static int row(struct eqm_sink *sink, size_t i, char *out, size_t sz, const int64_t **counts) {
    const char *const *parts;
    int t = eqm_sink_collect_row(sink, i, &parts, counts);
    size_t len = 0;
    out[0] = '\0';
    for (int k = 0; k < eqm_recruitment_service.tables[t].n_key_columns && len < sz; k++)
        len += (size_t)snprintf(out + len, sz - len, "%s%s", k ? "|" : "", parts[k]);
    return t;
}

static struct eqm_sink *new_sink(void) {
    struct eqm_sink *s =
        eqm_sink_collect_new(eqm_recruitment_service.tables, eqm_recruitment_service.n_tables);
    assert_non_null(s);
    return s;
}

static void test_stage_event_rows(void **state) {
    struct eqm_sink *sink = new_sink();
    struct eqm_reject rej;
    const int64_t *c;
    char key[256];
    static const char *const want[] = {
        "police_officer|spring|interview|ethnicity|black",
        "police_officer|*|interview|ethnicity|black",
        "police_officer|spring|interview|sex|female",
        "police_officer|*|interview|sex|female",
        "police_officer|spring|interview|age_range|18-24",
        "police_officer|*|interview|age_range|18-24",
        "police_officer|spring|interview|disability|yes",
        "police_officer|*|interview|disability|yes",
        "police_officer|spring|interview|ethnicity_detailed|black_caribbean",
        "police_officer|*|interview|ethnicity_detailed|black_caribbean",
    };
    (void)state;

    assert_int_equal(
        run(sink,
            "{\"event_id\":\"a\",\"event_type\":\"application_stage\",\"occurred_at\":"
            "\"2025-06-20T10:00:00Z\",\"area\":\"E1\",\"role\":\" Police_Officer \","
            "\"campaign\":\" spring \",\"candidate_ref\":\"SECRET-REF\",\"stage\":\"interview\","
            "\"result\":\"failed\",\"ethnicity\":\"Black/African/Caribbean/Black British - "
            "Caribbean\",\"gender\":\"F\",\"age_range\":\" 18-24 \",\"disability\":true}",
            &rej),
        0);
    assert_int_equal(eqm_sink_collect_rows(sink), 10);
    for (size_t i = 0; i < 10; i++) {
        assert_int_equal(row(sink, i, key, sizeof(key), &c), REC_T_FUNNEL);
        assert_string_equal(key, want[i]);
        assert_null(strstr(key, "SECRET"));
        assert_int_equal(c[REC_ENTERED], 1);
        assert_int_equal(c[REC_PASSED], 0);
        assert_int_equal(c[REC_FAILED], 1);
        assert_int_equal(c[REC_WITHDRAWN], 0);
    }
    /* No campaign: not_stated, and still in '*'. */
    assert_int_equal(run(sink,
                         "{\"event_id\":\"b\",\"event_type\":\"application_stage\","
                         "\"occurred_at\":\"2025-06-20T10:00:00Z\",\"area\":\"E1\",\"role\":"
                         "\"pcso\",\"stage\":\"offer\",\"result\":\"withdrawn\"}",
                         &rej),
                     0);
    row(sink, 0, key, sizeof(key), &c);
    assert_string_equal(key, "pcso|not_stated|offer|ethnicity|not_stated");
    assert_int_equal(c[REC_WITHDRAWN], 1);
    row(sink, 1, key, sizeof(key), &c);
    assert_string_equal(key, "pcso|*|offer|ethnicity|not_stated");
    eqm_sink_collect_free(&sink);
}

static void test_refusals(void **state) {
    struct eqm_sink *sink = new_sink();
    struct eqm_reject rej;
    (void)state;
#define ENV "\"occurred_at\":\"2025-06-20T10:00:00+01:00\",\"area\":\"E1\""
    assert_int_equal(run(sink,
                         "{\"event_id\":\"x\",\"event_type\":\"left\"," ENV
                         ",\"role\":\"pcso\",\"service_start\":\"2025-06-21\"}",
                         &rej),
                     -1);
    assert_string_equal(rej.code, "bad_service_start");
    assert_int_equal(run(sink,
                         "{\"event_id\":\"x\",\"event_type\":\"headcount\"," ENV
                         ",\"role\":\"pcso\",\"dimension\":\"sex\",\"counts\":{\"m\":1,"
                         "\"f\":-1}}",
                         &rej),
                     -1);
    assert_string_equal(rej.code, "bad_counts");
    assert_int_equal(eqm_sink_collect_rows(sink), 0);
    assert_int_equal(run(sink,
                         "{\"event_id\":\"x\",\"event_type\":\"application_stage\"," ENV
                         ",\"role\":\"pcso\",\"stage\":\"interview\"}",
                         &rej),
                     -1);
    assert_string_equal(rej.code, "missing_result");
    assert_true(strstr(rej.reason, "result") != NULL);
    eqm_sink_collect_free(&sink);
}

static void test_leaver_service(void **state) {
    struct eqm_sink *sink = new_sink();
    struct eqm_reject rej;
    const int64_t *c;
    char key[256];
    (void)state;
    /* 2015-06-01 to 2025-06-01 is ten years with three 29 Februaries
     * (2016, 2020, 2024): 3653 days; to 2025-06-20 another 19: 3672. */
    assert_int_equal(run(sink,
                         "{\"event_id\":\"x\",\"event_type\":\"left\"," ENV
                         ",\"role\":\"police_staff\",\"service_start\":\"2015-06-01\","
                         "\"sex\":\"Male\"}",
                         &rej),
                     0);
    assert_int_equal(eqm_sink_collect_rows(sink), 10);
    assert_int_equal(row(sink, 2, key, sizeof(key), &c), REC_T_WORKFORCE);
    assert_string_equal(key, "police_staff|E1|sex|male");
    assert_int_equal(c[WF_LEAVERS], 1);
    assert_int_equal(c[WF_JOINERS], 0);
    assert_int_equal(c[WF_SERVICE_DAYS], 3672);
    assert_int_equal(c[WF_SERVICE_KNOWN], 1);
    row(sink, 3, key, sizeof(key), &c);
    assert_string_equal(key, "police_staff|force|sex|male");
    eqm_sink_collect_free(&sink);
}

static void test_headcount_rows(void **state) {
    struct eqm_sink *sink = new_sink();
    struct eqm_reject rej;
    const int64_t *c;
    char key[256];
    (void)state;
    /* Two white labels add up (900 + 20); "Not stated" is its own group;
     * a date-time as_of is taken as its local day (23:59 BST on 31 March). */
    assert_int_equal(
        run(sink,
            "{\"event_id\":\"x\",\"event_type\":\"headcount\"," ENV
            ",\"role\":\"police_officer\",\"dimension\":\"ethnicity\",\"as_of\":"
            "\"2025-03-31T23:59:00+01:00\",\"counts\":{\"White - Irish\":900,\"white\":20,"
            "\"Not stated\":3}}",
            &rej),
        0);
    assert_int_equal(eqm_sink_collect_rows(sink), 4);
    assert_int_equal(row(sink, 0, key, sizeof(key), &c), REC_T_HEADCOUNT);
    assert_string_equal(key, "2025-03-31|police_officer|E1|ethnicity|white");
    assert_int_equal(c[0], 920);
    row(sink, 1, key, sizeof(key), &c);
    assert_string_equal(key, "2025-03-31|police_officer|force|ethnicity|white");
    row(sink, 2, key, sizeof(key), &c);
    assert_string_equal(key, "2025-03-31|police_officer|E1|ethnicity|not_stated");
    assert_int_equal(c[0], 3);
    /* No as_of: the local day of occurred_at; "gender" is sex. */
    assert_int_equal(run(sink,
                         "{\"event_id\":\"x\",\"event_type\":\"headcount\","
                         "\"occurred_at\":\"2025-06-20T23:30:00Z\",\"area\":\"force\","
                         "\"role\":\"pcso\",\"dimension\":\"gender\",\"counts\":{\"Male\":7}}",
                         &rej),
                     0);
    assert_int_equal(eqm_sink_collect_rows(sink), 1);
    row(sink, 0, key, sizeof(key), &c);
    assert_string_equal(key, "2025-06-21|pcso|force|sex|male");
    /* Detailed groups: a label and the group's own name add up (5 + 2
     * White Irish); a bare "White" is white_unspecified. */
    assert_int_equal(run(sink,
                         "{\"event_id\":\"x\",\"event_type\":\"headcount\"," ENV
                         ",\"role\":\"pcso\",\"dimension\":\"ethnicity_detailed\",\"as_of\":"
                         "\"2025-03-31\",\"counts\":{\"White - Irish\":5,\" White_Irish \":2,"
                         "\"White\":1,\"Asian/Asian British - Indian\":3}}",
                         &rej),
                     0);
    assert_int_equal(eqm_sink_collect_rows(sink), 6);
    row(sink, 0, key, sizeof(key), &c);
    assert_string_equal(key, "2025-03-31|pcso|E1|ethnicity_detailed|white_irish");
    assert_int_equal(c[0], 7);
    row(sink, 2, key, sizeof(key), &c);
    assert_string_equal(key, "2025-03-31|pcso|E1|ethnicity_detailed|white_unspecified");
    assert_int_equal(c[0], 1);
    row(sink, 4, key, sizeof(key), &c);
    assert_string_equal(key, "2025-03-31|pcso|E1|ethnicity_detailed|asian_indian");
    assert_int_equal(c[0], 3);
    assert_int_equal(run(sink,
                         "{\"event_id\":\"x\",\"event_type\":\"headcount\"," ENV
                         ",\"role\":\"pcso\",\"dimension\":\"religion\",\"counts\":{}}",
                         &rej),
                     -1);
    assert_string_equal(rej.code, "bad_dimension");
    assert_non_null(strstr(rej.reason, "ethnicity_detailed"));
    eqm_sink_collect_free(&sink);
}

/* ---- attrition --------------------------------------------------------- */

static struct eqm_rec_group group(const char *name, int stage, int64_t passed, int64_t failed,
                                  int64_t withdrawn) {
    struct eqm_rec_group g;
    memset(&g, 0, sizeof(g));
    g.grp = name;
    g.stage[stage].passed = passed;
    g.stage[stage].failed = failed;
    g.stage[stage].withdrawn = withdrawn;
    g.stage[stage].entered = passed + failed + withdrawn;
    return g;
}

static void test_adverse_impact_vector(void **state) {
    /* The example: 62.6% against 73.6% is a ratio of 0.851 (the
     * same vector as test_stats.c, where its interval and Fisher p are
     * derived by hand and by exact enumeration). Withdrawals are outside
     * the pass rate's base: 30 black and 10 white withdrawals change
     * nothing but the withdrawal rate. */
    struct eqm_rec_group g[3] = {group("white", 3, 736, 264, 10), group("black", 3, 626, 374, 30),
                                 group("not_stated", 3, 9, 1, 0)};
    struct eqm_rec_figure f[3];
    (void)state;
    assert_int_equal(eqm_recruitment_stage_figures(g, 3, 3, "white", f), 3);
    assert_string_equal(f[1].comparison_grp, "white");
    assert_int_equal(f[1].base, 1000);
    assert_int_equal(f[1].cmp_base, 1000);
    assert_int_equal(f[1].cmp_passed, 736);
    assert_close(f[1].pass_rate.value, 0.626, 1e-12);
    assert_close(f[1].ratio.value, 0.851, 5e-4);
    assert_close(f[1].ratio.value, 0.8505434783, 1e-10);
    assert_close(f[1].ratio.low, 0.8005271808, 1e-9);
    assert_true(f[1].has_p);
    assert_close(f[1].p_value / 1.61813558369118e-07, 1.0, 1e-7);
    /* Withdrawal: 30/1030 against 10/1010, ratio (30/1030)/(10/1010). */
    assert_close(f[1].withdrawal_rate.value, 30.0 / 1030, 1e-12);
    assert_close(f[1].withdrawal_ratio.value, (30.0 / 1030) / (10.0 / 1010), 1e-12);
    /* The comparison group and not_stated get no ratio. */
    assert_false(f[0].ratio.has_value);
    assert_string_equal(f[0].note, "comparison group");
    assert_false(f[2].ratio.has_value);
    assert_false(f[2].has_p);
}

static void test_highest_comparison(void **state) {
    /* Pass rates 50/100, 80/100, 70/100, not_stated 10/10, bme 95/100:
     * the highest stated broad group is B (80%); A's ratio 0.5 / 0.8. */
    struct eqm_rec_group g[5] = {group("A", 2, 50, 50, 0), group("B", 2, 80, 20, 0),
                                 group("C", 2, 70, 30, 0), group("not_stated", 2, 10, 0, 0),
                                 group("bme", 2, 95, 5, 0)};
    struct eqm_rec_figure f[5];
    (void)state;
    assert_int_equal(eqm_recruitment_comparison(g, 5, 2, NULL), 1);
    eqm_recruitment_stage_figures(g, 5, 2, NULL, f);
    assert_string_equal(f[0].comparison_grp, "B");
    assert_close(f[0].ratio.value, 0.625, 1e-12);
    assert_close(f[2].ratio.value, 0.875, 1e-12);
    /* A tie on the rate goes to the larger base: 8/10 vs 80/100. */
    g[0] = group("A", 2, 8, 2, 0);
    g[2] = group("C", 2, 0, 0, 0);
    assert_int_equal(eqm_recruitment_comparison(g, 3, 2, NULL), 1);
    /* A reference group with no decisions: no comparison, no ratio. */
    assert_int_equal(eqm_recruitment_comparison(g, 3, 2, "C"), -1);
    eqm_recruitment_stage_figures(g, 3, 2, "C", f);
    assert_false(f[0].ratio.has_value);
    assert_non_null(f[0].note);
}

static void test_derived_stages(void **state) {
    /* 100 applied; 5 withdrew at application, 3 at interview; 60 appointed:
     * end_to_end 60 / 100 (failed 100 - 60 - 8 = 32); withdrawal: 92 stayed
     * of 100. */
    struct eqm_rec_group g;
    struct eqm_rec_cell c;
    int64_t base;
    (void)state;
    memset(&g, 0, sizeof(g));
    g.grp = "white";
    g.stage[0] = (struct eqm_rec_cell){100, 80, 15, 5};
    g.stage[3] = (struct eqm_rec_cell){70, 62, 5, 3};
    g.stage[8] = (struct eqm_rec_cell){60, 60, 0, 0};
    c = eqm_recruitment_cell(&g, REC_STAGE_END_TO_END, &base);
    assert_int_equal(c.entered, 100);
    assert_int_equal(c.passed, 60);
    assert_int_equal(c.withdrawn, 8);
    assert_int_equal(c.failed, 32);
    assert_int_equal(base, 100);
    c = eqm_recruitment_cell(&g, REC_STAGE_WITHDRAWAL, &base);
    assert_int_equal(c.passed, 92);
    assert_int_equal(c.withdrawn, 8);
    assert_int_equal(base, 100);
    c = eqm_recruitment_cell(&g, 3, &base);
    assert_int_equal(base, 67); /* passed + failed: withdrawals are not decisions */
    assert_string_equal(eqm_recruitment_stage_name(REC_STAGE_END_TO_END), "end_to_end");
    assert_int_equal(eqm_recruitment_stage_index("appointment"), 8);
}

static void test_bme_aggregate(void **state) {
    struct eqm_rec_group g[4] = {group("white", 0, 10, 0, 0), group("black", 0, 3, 1, 0),
                                 group("asian", 0, 2, 2, 1), group("not_stated", 0, 1, 0, 0)};
    int n = 4;
    (void)state;
    assert_int_equal(eqm_recruitment_add_bme(g, &n, 4), 0); /* no room */
    {
        struct eqm_rec_group h[5];
        memcpy(h, g, sizeof(g));
        assert_int_equal(eqm_recruitment_add_bme(h, &n, 5), 1);
        assert_int_equal(n, 5);
        assert_string_equal(h[4].grp, "bme");
        assert_int_equal(h[4].stage[0].passed, 5);
        assert_int_equal(h[4].stage[0].entered, 9);
    }
}

/* The detailed groups' aggregates: bme of every group under the four
 * headings (asian_unspecified too), white_minority of the four white
 * groups other than White British (not white_unspecified), all_minority
 * of both; an aggregate is never part of another, nor the "highest"
 * comparison group. */
static void test_detailed_aggregates(void **state) {
    struct eqm_rec_group g[9] = {
        group("white_british", 0, 40, 10, 0), group("white_irish", 0, 3, 1, 0),
        group("white_roma", 0, 1, 1, 1),      group("white_unspecified", 0, 5, 0, 0),
        group("asian_indian", 0, 4, 4, 0),    group("asian_unspecified", 0, 1, 1, 0),
        group("not_stated", 0, 2, 0, 0),
    };
    struct eqm_rec_figure f[10]; /* room for all_minority, added below */
    int n = 7;
    (void)state;
    for (int a = 0; a < EQM_AGG__COUNT; a++)
        assert_int_equal(eqm_recruitment_add_aggregate((enum eqm_aggregate)a, g, &n, 9),
                         a < 2 ? 1 : 0); /* no room for the third */
    assert_int_equal(n, 9);
    assert_string_equal(g[7].grp, "bme");
    assert_int_equal(g[7].stage[0].passed, 4 + 1);
    assert_int_equal(g[7].stage[0].entered, 8 + 2);
    assert_string_equal(g[8].grp, "white_minority");
    assert_int_equal(g[8].stage[0].passed, 3 + 1);
    assert_int_equal(g[8].stage[0].entered, 4 + 3);
    {
        struct eqm_rec_group h[10];
        int m = 9;
        memcpy(h, g, sizeof(g));
        assert_int_equal(eqm_recruitment_add_aggregate(EQM_AGG_ALL_MINORITY, h, &m, 10), 1);
        assert_string_equal(h[9].grp, "all_minority");
        assert_int_equal(h[9].stage[0].passed, 5 + 4);
        assert_int_equal(h[9].stage[0].entered, 10 + 7);
        /* white_unspecified passes 5 of 5, the highest rate of the
         * groups; the aggregates are never chosen. */
        assert_int_equal(eqm_recruitment_comparison(h, m, 0, NULL), 3);
        /* Against White British: white_minority 4/6 over 40/50. */
        eqm_recruitment_stage_figures(h, m, 0, "white_british", f);
        assert_close(f[8].ratio.value, (4.0 / 6) / (40.0 / 50), 1e-12);
    }
    assert_true(eqm_recruitment_is_aggregate("all_minority"));
    assert_false(eqm_recruitment_is_aggregate("white_other"));
}

/* ---- workforce --------------------------------------------------------- */

static void test_workforce_force_figures(void **state) {
    /* The force's figures: 46 BME officers of 1,000 (4.6%) against 9,700
     * of 100,000 residents (9.7%): 0.046 / 0.097 = 0.4742. BME joiners 7 of
     * 102 (6.86%). Leavers: white 95 of an average 954 - (95 - 95)/2 = 954,
     * black 3 of 12: ratio (3/12) / (95/954) = 2.5105. Service of the black
     * leavers 3 * 2265 days: 2265 / 365.25 = 6.2012 years. */
    struct eqm_wf_group g[7] = {
        {"white", true, 954, 0, 95, 95, 95 * 3652, 95, 90300},
        {"asian", true, 20, 0, 3, 3, 3 * 2265, 3, 4000},
        {"black", true, 12, 0, 3, 3, 3 * 2265, 3, 2500},
        {"mixed", true, 10, 0, 1, 1, 2265, 1, 2200},
        {"other", true, 4, 0, 0, 0, 0, 0, 1000},
        {"not_stated", true, 5, 0, 0, 0, 0, 0, -1},
    };
    struct eqm_wf_figure f[7];
    int n = 6;
    (void)state;
    assert_int_equal(eqm_workforce_add_bme(g, &n, 7), 1);
    eqm_workforce_figures(g, n, "white", f);
    assert_string_equal(f[6].grp, "bme");
    assert_int_equal(f[6].headcount, 46);
    assert_int_equal(f[6].headcount_total, 1000); /* not_stated left out */
    assert_int_equal(f[6].population, 9700);
    assert_int_equal(f[6].population_total, 100000);
    assert_close(f[6].share.value, 0.046, 1e-12);
    assert_close(f[6].population_share.value, 0.097, 1e-12);
    assert_close(f[6].representation.value, 0.046 / 0.097, 1e-12);
    assert_close(f[6].representation.value, 0.47, 0.005);
    assert_close(f[6].joiners_share.value, 7.0 / 102, 1e-12);
    assert_close(f[2].leaver_ratio.value, (3.0 / 12) / (95.0 / 954), 1e-12);
    assert_close(f[2].mean_service_years.value, 2265 / 365.25, 1e-12);
    assert_false(f[0].leaver_ratio.has_value); /* the reference itself */
    assert_false(f[5].representation.has_value);
    assert_non_null(f[5].note);
}

static void test_workforce_headcount_since_snapshot(void **state) {
    /* Snapshot 100, then +10 joiners -4 leavers after it: 106. In a window
     * with 10 joiners and 4 leavers the average headcount is
     * 106 - (10 - 4) / 2 = 103, leaver rate 4 / 103. */
    struct eqm_wf_group g[1] = {{"male", true, 100, 6, 10, 4, 0, 0, -1}};
    struct eqm_wf_figure f[1];
    (void)state;
    eqm_workforce_figures(g, 1, "male", f);
    assert_int_equal(f[0].headcount, 106);
    assert_close(f[0].avg_headcount, 103, 1e-12);
    assert_close(f[0].leaver_rate.value, 4.0 / 103, 1e-12);
    assert_false(f[0].mean_service_years.has_value);
    assert_false(f[0].population_share.has_value);
}

static void test_workforce_detailed(void **state) {
    /* Staff: 80 White British, 6 White Irish, 4 White Other, 2 Indian, 3
     * whose heading only is known (white_unspecified), 5 not stated, in an
     * area of 1,000 people: 850 White British, 20 Irish, 60 Other White,
     * 70 Indian. Headcount total 80 + 6 + 4 + 2 + 3 = 95 (not stated out);
     * population total 1,000 (white_unspecified has none and stops none).
     * white_minority: 10 of 95 staff against 80 of 1,000 people:
     * (10/95) / (80/1000) = 1.31579. bme: 2/95 against 70/1000. Leavers:
     * White Irish 2 of an average 6 - (0 - 2)/2 = 7, White British 4 of
     * 82: ratio (2/7) / (4/82). */
    struct eqm_wf_group g[9] = {
        {"white_british", true, 84, 0, 0, 4, 0, 0, 850},
        {"white_irish", true, 8, 0, 0, 2, 0, 0, 20},
        {"white_other", true, 4, 0, 0, 0, 0, 0, 60},
        {"asian_indian", true, 2, 0, 0, 0, 0, 0, 70},
        {"white_unspecified", true, 3, 0, 0, 0, 0, 0, -1},
        {"not_stated", true, 5, 0, 0, 0, 0, 0, -1},
    };
    struct eqm_wf_figure f[9];
    int n = 6;
    (void)state;
    g[0].net_since = -4; /* 84 at the snapshot, 4 left since: 80 */
    g[1].net_since = -2;
    for (int a = 0; a < EQM_AGG__COUNT; a++)
        assert_int_equal(eqm_workforce_add_aggregate((enum eqm_aggregate)a, g, &n, 9), 1);
    eqm_workforce_figures(g, n, "white_british", f);
    assert_int_equal(f[0].headcount, 80);
    assert_int_equal(f[1].headcount, 6);
    assert_int_equal(f[0].headcount_total, 95);
    assert_int_equal(f[0].population_total, 1000);
    assert_string_equal(f[7].grp, "white_minority");
    assert_int_equal(f[7].headcount, 10);
    assert_int_equal(f[7].population, 80);
    assert_close(f[7].representation.value, (10.0 / 95) / (80.0 / 1000), 1e-12);
    assert_close(f[7].representation.value, 1.31579, 1e-5);
    assert_string_equal(f[6].grp, "bme");
    assert_int_equal(f[6].population, 70);
    assert_close(f[6].representation.value, (2.0 / 95) / (70.0 / 1000), 1e-12);
    assert_string_equal(f[8].grp, "all_minority");
    assert_int_equal(f[8].headcount, 12);
    assert_int_equal(f[8].population, 150);
    assert_close(f[1].leaver_ratio.value, (2.0 / 7) / (4.0 / 82), 1e-12);
    assert_true(f[4].share.has_value);           /* in the headcount, */
    assert_false(f[4].representation.has_value); /* with no population */
    assert_non_null(strstr(f[4].note, "detail"));
    assert_false(f[5].share.has_value);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stage_event_rows),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_leaver_service),
        cmocka_unit_test(test_headcount_rows),
        cmocka_unit_test(test_adverse_impact_vector),
        cmocka_unit_test(test_highest_comparison),
        cmocka_unit_test(test_derived_stages),
        cmocka_unit_test(test_bme_aggregate),
        cmocka_unit_test(test_detailed_aggregates),
        cmocka_unit_test(test_workforce_detailed),
        cmocka_unit_test(test_workforce_force_figures),
        cmocka_unit_test(test_workforce_headcount_since_snapshot),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
