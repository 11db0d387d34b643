/*
 * test_stop_search.c - the stop_search handler, from message bytes to the
 * rows of counts it adds, and the envelope checks in front of it.
 *
 * Every event goes the way the engine sends it: eqm_message_parse() on the
 * raw bytes, then eqm_stop_search_service.handle() into a collecting sink.
 * The expected rows are written out by hand from CONTRACT.md; the totals
 * over the real police.uk file were counted with Python from the CSV (the
 * commands are beside the numbers), not taken from this program.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eqm/envelope.h"
#include "eqm/ethnicity.h"
#include "eqm/sink.h"
#include "harness.h"
#include "eqm/tools/csv.h"
#include "eqm/tools/policeuk.h"
#include "eqm/timeutil.h"
#include "stop_search.h"

#define POLICE_CSV EQM_SHARED_DIR "/data/police-uk/2025-07-cambridgeshire-stop-and-search.csv"

#define AREA  "E07000008"
#define FORCE "force"

/* 2025-07-01 is day 20270 (55 * 365 + 14 leap days + 181); see test_timeutil.c. */
#define D_2025_07_01 20270

/* An event that names no legislation and no outcome: one search under
 * another power, with another outcome. */
#define NO_POWER_NO_OUTCOME [SS_OTHER_POWER] = 1, [SS_OTHER_OUTCOME] = 1

static const char *const dims[4] = {"ethnicity", "officer_defined_ethnicity", "gender",
                                    "age_range"};

/* Each test's state: the handler run as the engine runs it. */
HARNESS_FIXTURE(eqm_stop_search_service)

/* An event with the envelope filled in and the rest given as JSON members
 * (without braces). */
static const char *event_with(const char *members) {
    static char buf[4096];
    snprintf(buf, sizeof(buf),
             "{\"event_id\":\"ev-1\",\"event_type\":\"stop_search\","
             "\"occurred_at\":\"2025-07-01T03:40:00+00:00\",\"area\":\"" AREA "\"%s%s}",
             members[0] ? "," : "", members);
    return buf;
}

/*
 * Expects exactly the rows of one event: for each dimension d, one row
 * (area, dims[d], groups[d]) and, when area differs from force_area, the
 * same for force_area; every row carries counts. Order does not matter.
 */
static void expect_rows(const struct harness *f, const char *area, const char *force_area,
                        const char *const groups[4], const int64_t counts[SS__COUNT]) {
    bool same = strcmp(area, force_area) == 0;
    size_t n = eqm_sink_collect_rows(f->sink), n0 = 0;
    bool used[16] = {false};

    assert_true(n <= 16);
    for (size_t i = 0; i < n; i++) {
        const char *const *parts;
        const int64_t *c;
        int t = eqm_sink_collect_row(f->sink, i, &parts, &c);
        n0 += t == 0;
        used[i] = t != 0; /* the agreement table's row: not one of these */
    }
    /* Plus one row of ethnicity_detailed per area (test_detailed_rows). */
    assert_int_equal(n0, same ? 5 : 10);
    for (int d = 0; d < 4; d++) {
        for (int a = 0; a < (same ? 1 : 2); a++) {
            const char *want_area = a == 0 ? area : force_area;
            size_t hit = n;
            for (size_t i = 0; i < n; i++) {
                const char *const *parts;
                const int64_t *c;
                (void)eqm_sink_collect_row(f->sink, i, &parts, &c);
                if (!used[i] && !strcmp(parts[0], want_area) && !strcmp(parts[1], dims[d])) {
                    hit = i;
                    if (strcmp(parts[2], groups[d]) != 0)
                        fail_msg("%s %s: group \"%s\", expected \"%s\"", want_area, dims[d],
                                 parts[2], groups[d]);
                    for (int k = 0; k < SS__COUNT; k++)
                        if (c[k] != counts[k])
                            fail_msg("%s %s %s: count %d is %lld, expected %lld", want_area,
                                     dims[d], parts[2], k, (long long)c[k], (long long)counts[k]);
                    break;
                }
            }
            if (hit == n)
                fail_msg("no row for %s %s", want_area, dims[d]);
            used[hit] = true;
        }
    }
}

/* ---- the handler ------------------------------------------------------- */

static void test_full_policeuk_event(void **state) {
    struct harness *f = *state;
    const char *ev =
        event_with("\"type\":\"Person search\",\"gender\":\"Male\",\"age_range\":\"18-24\","
                   "\"self_defined_ethnicity\":\"Black/African/Caribbean/Black British - African\","
                   "\"officer_defined_ethnicity\":\"Black\","
                   "\"legislation\":\"Misuse of Drugs Act 1971 (section 23)\","
                   "\"object_of_search\":\"Controlled drugs\",\"outcome\":\"Arrest\","
                   "\"outcome_linked_to_object_of_search\":true,"
                   "\"removal_of_more_than_outer_clothing\":false,"
                   "\"operation\":false,\"operation_name\":null,"
                   "\"latitude\":52.662682,\"longitude\":0.161303");
    static const char *const groups[4] = {"black", "black", "male", "18-24"};
    static const int64_t counts[SS__COUNT] = {[SS_SEARCHES] = 1,
                                              [SS_LINKED] = 1,
                                              [SS_LINK_KNOWN] = 1,
                                              [SS_ARRESTS] = 1,
                                              [SS_MDA_S23] = 1};

    assert_int_equal(run(f, ev), 0);
    expect_rows(f, AREA, FORCE, groups, counts);
    /* The envelope the handler saw. */
    assert_string_equal(f->env.event_id, "ev-1");
    assert_string_equal(f->env.area, AREA);
    assert_int_equal(f->env.occurred_us, INT64_C(1751341200) * 1000000);
    assert_int_equal(f->env.day, D_2025_07_01);
}

static void test_booleans(void **state) {
    struct harness *f = *state;
    static const char *const groups[4] = {"white", "white", "female", "over 34"};
    static const char *const people = "\"gender\":\"Female\",\"age_range\":\"over 34\","
                                      "\"self_defined_ethnicity\":\"White - Irish\","
                                      "\"officer_defined_ethnicity\":\"White\"";
    char members[512];
    struct {
        const char *linked, *removal;
        int64_t counts[SS__COUNT];
    } cases[] = {
        /* JSON booleans */
        {"true", "true", {1, 1, 1, [SS_STRIP] = 1, NO_POWER_NO_OUTCOME}},
        {"false", "false", {1, 0, 1, NO_POWER_NO_OUTCOME}},
        /* the strings a CSV conversion leaves */
        {"\"True\"", "\"False\"", {1, 1, 1, NO_POWER_NO_OUTCOME}},
        {"\"False\"", "\"True\"", {1, 0, 1, [SS_STRIP] = 1, NO_POWER_NO_OUTCOME}},
        {"\"true\"", "\"false\"", {1, 1, 1, NO_POWER_NO_OUTCOME}},
        {"\"false\"", "\"true\"", {1, 0, 1, [SS_STRIP] = 1, NO_POWER_NO_OUTCOME}},
        /* unknown: null, blank, or a value that is no boolean */
        {"null", "null", {1, NO_POWER_NO_OUTCOME}},
        {"\"\"", "\"\"", {1, NO_POWER_NO_OUTCOME}},
        {"\"yes\"", "1", {1, NO_POWER_NO_OUTCOME}},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(members, sizeof(members),
                 "%s,\"outcome_linked_to_object_of_search\":%s,"
                 "\"removal_of_more_than_outer_clothing\":%s",
                 people, cases[i].linked, cases[i].removal);
        assert_int_equal(run(f, event_with(members)), 0);
        expect_rows(f, AREA, FORCE, groups, cases[i].counts);
    }
    /* Absent booleans are unknown too. */
    snprintf(members, sizeof(members), "%s", people);
    assert_int_equal(run(f, event_with(members)), 0);
    {
        static const int64_t counts[SS__COUNT] = {1, NO_POWER_NO_OUTCOME};
        expect_rows(f, AREA, FORCE, groups, counts);
    }
}

static void test_not_stated(void **state) {
    struct harness *f = *state;
    static const char *const groups[4] = {"not_stated", "not_stated", "not_stated", "not_stated"};
    static const int64_t counts[SS__COUNT] = {1, NO_POWER_NO_OUTCOME};
    static const char *const members[] = {
        /* nothing but the envelope */
        "",
        /* nulls everywhere */
        "\"type\":null,\"gender\":null,\"age_range\":null,\"self_defined_ethnicity\":null,"
        "\"officer_defined_ethnicity\":null,\"legislation\":null,\"object_of_search\":null,"
        "\"outcome\":null,\"outcome_linked_to_object_of_search\":null,"
        "\"removal_of_more_than_outer_clothing\":null",
        /* blanks */
        "\"gender\":\"\",\"age_range\":\"  \",\"self_defined_ethnicity\":\" \","
        "\"officer_defined_ethnicity\":\"\\t\"",
        /* stated as not stated */
        "\"gender\":\"Not stated\",\"age_range\":\"not stated\","
        "\"self_defined_ethnicity\":\"Other ethnic group - Not stated\","
        "\"officer_defined_ethnicity\":\"not_stated\"",
        /* values of the wrong JSON type are not a stated group */
        "\"gender\":1,\"age_range\":[\"18-24\"],\"self_defined_ethnicity\":{\"x\":1},"
        "\"officer_defined_ethnicity\":true",
    };
    for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
        if (run(f, event_with(members[i])) != 0)
            fail_msg("case %zu refused: %s", i, f->rej.reason);
        expect_rows(f, AREA, FORCE, groups, counts);
    }
}

static void test_groups(void **state) {
    struct harness *f = *state;
    struct {
        const char *members;
        const char *groups[4];
        int64_t children; /* an age band under 18 */
    } cases[] = {
        {"\"self_defined_ethnicity\":\"Asian/Asian British - Pakistani\","
         "\"officer_defined_ethnicity\":\"Asian\",\"gender\":\"Female\",\"age_range\":\"10-17\"",
         {"asian", "asian", "female", "10-17"},
         1},
        {"\"self_defined_ethnicity\":\"Mixed/Multiple ethnic groups - White and Asian\","
         "\"officer_defined_ethnicity\":\"Other\",\"gender\":\"Other\","
         "\"age_range\":\"under 10\"",
         {"mixed", "other", "other", "under 10"},
         1},
        {"\"self_defined_ethnicity\":\"Other ethnic group - Arab\","
         "\"officer_defined_ethnicity\":\"Mixed\",\"gender\":\"male\","
         "\"age_range\":\"25-34\"",
         {"other", "mixed", "male", "25-34"},
         0},
        /* officer-defined and self-defined disagree: each kept as given */
        {"\"self_defined_ethnicity\":\"White - English/Welsh/Scottish/Northern Irish/British\","
         "\"officer_defined_ethnicity\":\"Black\",\"gender\":\"Male\","
         "\"age_range\":\"over 34\"",
         {"white", "black", "male", "over 34"},
         0},
        /* the generic "ethnicity" and "sex" names when the police.uk ones are absent */
        {"\"ethnicity\":\"black\",\"sex\":\"Female\"",
         {"black", "not_stated", "female", "not_stated"},
         0},
        /* ... and the police.uk names win when both are there */
        {"\"self_defined_ethnicity\":\"Asian/Asian British - Indian\",\"ethnicity\":\"white\","
         "\"gender\":\"Male\",\"sex\":\"Female\"",
         {"asian", "not_stated", "male", "not_stated"},
         0},
        /* an age band police.uk does not use is not stated */
        {"\"age_range\":\"35-44\"", {"not_stated", "not_stated", "not_stated", "not_stated"}, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const int64_t counts[SS__COUNT] = {1,
                                           NO_POWER_NO_OUTCOME, [SS_CHILDREN] = cases[i].children};
        assert_int_equal(run(f, event_with(cases[i].members)), 0);
        expect_rows(f, AREA, FORCE, cases[i].groups, counts);
    }
}

/* ---- powers, outcomes, children ------------------------------------------ */

/* Legislation and outcome values, police.uk's (today's and older ones),
 * the same in other cases or with blanks around, and the column each
 * counts in: exactly one of the four powers, of the three outcomes. */
#define LEG true
#define OUT false
static const struct {
    bool legislation;  /* or the outcome */
    const char *value; /* NULL: the field absent */
    int column;
} values[] = {
    {LEG, "Police and Criminal Evidence Act 1984 (section 1)", SS_PACE_S1},
    {LEG, "police and criminal evidence act 1984 (SECTION 1)", SS_PACE_S1},
    {LEG, " Police and Criminal Evidence Act 1984 (section 1) ", SS_PACE_S1},
    {LEG, "Misuse of Drugs Act 1971 (section 23)", SS_MDA_S23},
    {LEG, "MISUSE OF DRUGS ACT 1971 (SECTION 23)", SS_MDA_S23},
    {LEG, "Criminal Justice and Public Order Act 1994 (section 60)", SS_SECTION_60},
    {LEG, "criminal justice and public order act 1994 (section 60)", SS_SECTION_60},
    /* 60AA is the power to remove face coverings, not a section 60 search */
    {LEG, "Criminal Justice and Public Order Act 1994 (section 60AA)", SS_OTHER_POWER},
    {LEG, "Firearms Act 1968 (section 47)", SS_OTHER_POWER},
    /* other sections of the same Acts are other powers */
    {LEG, "Police and Criminal Evidence Act 1984 (section 6)", SS_OTHER_POWER},
    {LEG, "Misuse of Drugs Act 1971 (section 2)", SS_OTHER_POWER},
    {LEG, "Terrorism Act 2000 (section 47A)", SS_OTHER_POWER},
    {LEG, "Psychoactive Substances Act 2016 (s36(2))", SS_OTHER_POWER},
    {LEG, "", SS_OTHER_POWER},
    {LEG, "   ", SS_OTHER_POWER},
    {LEG, NULL, SS_OTHER_POWER},
    {OUT, "A no further action disposal", SS_NFA},
    {OUT, "a No Further Action disposal", SS_NFA},
    {OUT, "Nothing found - no further action", SS_NFA},
    {OUT, "Arrest", SS_ARRESTS},
    {OUT, " arrest ", SS_ARRESTS},
    {OUT, "Suspect arrested", SS_ARRESTS},
    {OUT, "Offender arrested", SS_ARRESTS},
    {OUT, "Community resolution", SS_OTHER_OUTCOME},
    {OUT, "Caution (simple or conditional)", SS_OTHER_OUTCOME},
    {OUT, "Summons / charged by post", SS_OTHER_OUTCOME},
    {OUT, "Penalty Notice for Disorder", SS_OTHER_OUTCOME},
    {OUT, "Khat or Cannabis warning", SS_OTHER_OUTCOME},
    /* "Offender given ..." is an outcome, not no further action */
    {OUT, "Offender given drugs possession warning", SS_OTHER_OUTCOME},
    {OUT, "Offender given penalty notice", SS_OTHER_OUTCOME},
    {OUT, "Local resolution", SS_OTHER_OUTCOME},
    {OUT, "", SS_OTHER_OUTCOME},
    {OUT, NULL, SS_OTHER_OUTCOME},
};
#define N_VALUES (sizeof(values) / sizeof(values[0]))

static void expect_column(const char *value, int got, int want) {
    if (got != want)
        fail_msg("\"%s\": column %d, expected %d", value ? value : "(absent)", got, want);
}

static void test_power_and_outcome_columns(void **state) {
    (void)state;
    for (size_t i = 0; i < N_VALUES; i++)
        expect_column(values[i].value,
                      values[i].legislation ? eqm_stop_search_power(values[i].value)
                                            : eqm_stop_search_outcome(values[i].value),
                      values[i].column);
}

/* The bands of eqm_stop_search_age() under 18; not stated, or a band
 * police.uk does not use, is not counted as a child. */
static void test_children(void **state) {
    static const struct {
        const char *age_range;
        bool child;
    } ages[] = {
        {"under 10", true},    {"10-17", true},    {" Under 10", true}, {"18-24", false},
        {"25-34", false},      {"over 34", false}, {"", false},         {NULL, false},
        {"not stated", false}, {"12-15", false},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(ages) / sizeof(ages[0]); i++)
        expect_column(ages[i].age_range, eqm_stop_search_child(ages[i].age_range), ages[i].child);
}

/* Every legislation with every outcome, through the handler: each row has
 * the one search, exactly one power and exactly one outcome, in the
 * columns the table above gives. */
static void test_powers_and_outcomes_partition(void **state) {
    struct harness *f = *state;
    static const char *const groups[4] = {"not_stated", "not_stated", "not_stated", "not_stated"};
    char members[512];
    int n = 0;

    for (size_t p = 0; p < N_VALUES; p++)
        for (size_t o = 0; o < N_VALUES; o++) {
            int64_t counts[SS__COUNT] = {[SS_SEARCHES] = 1};
            int len = 0;
            if (!values[p].legislation || values[o].legislation)
                continue;
            counts[values[p].column] = 1;
            counts[values[o].column] = 1;
            members[0] = '\0';
            if (values[p].value)
                len = snprintf(members, sizeof(members), "\"legislation\":\"%s\"", values[p].value);
            if (values[o].value)
                snprintf(members + len, sizeof(members) - (size_t)len, "%s\"outcome\":\"%s\"",
                         len ? "," : "", values[o].value);
            assert_int_equal(run(f, event_with(members)), 0);
            expect_rows(f, AREA, FORCE, groups, counts);
            for (size_t i = 0; i < eqm_sink_collect_rows(f->sink); i++) {
                const char *const *parts;
                const int64_t *c;
                if (eqm_sink_collect_row(f->sink, i, &parts, &c) != 0)
                    continue; /* the agreement table's row */
                assert_int_equal(c[SS_PACE_S1] + c[SS_MDA_S23] + c[SS_SECTION_60] +
                                     c[SS_OTHER_POWER],
                                 c[SS_SEARCHES]);
                assert_int_equal(c[SS_NFA] + c[SS_ARRESTS] + c[SS_OTHER_OUTCOME], c[SS_SEARCHES]);
            }
            n++;
        }
    assert_int_equal(n, 16 * 17); /* legislation values x outcome values */
}

static void test_unknown_event_type(void **state) {
    struct harness *f = *state;
    const char *ev = "{\"event_id\":\"ev-2\",\"event_type\":\"arrest\","
                     "\"occurred_at\":\"2025-07-01T03:40:00Z\",\"area\":\"" AREA "\","
                     "\"outcome\":\"Arrest\"}";
    /* The envelope is fine; the handler refuses the type and adds nothing. */
    assert_int_equal(run(f, ev), -1);
    assert_non_null(f->rej.code);
    assert_string_equal(f->rej.code, "unknown_event_type");
    assert_non_null(strstr(f->rej.reason, "arrest"));
    assert_int_equal(eqm_sink_collect_rows(f->sink), 0);

    ev = "{\"event_id\":\"ev-3\",\"event_type\":\"Stop_Search\","
         "\"occurred_at\":\"2025-07-01T03:40:00Z\",\"area\":\"" AREA "\"}";
    assert_int_equal(run(f, ev), -1);
    assert_string_equal(f->rej.code, "unknown_event_type");
    assert_int_equal(eqm_sink_collect_rows(f->sink), 0);
}

/*
 * Expects exactly these rows of the agreement table (area, self-defined,
 * officer-defined, each with 1 search), in any order; n may be 0.
 */
static void expect_agreement(const struct harness *f, size_t n, const char *const want[][3]) {
    size_t got = 0;
    bool used[4] = {false};
    for (size_t i = 0; i < eqm_sink_collect_rows(f->sink); i++) {
        const char *const *parts;
        const int64_t *c;
        size_t hit = n;
        if (eqm_sink_collect_row(f->sink, i, &parts, &c) != SS_TABLE_AGREEMENT)
            continue;
        got++;
        for (size_t w = 0; w < n; w++)
            if (!used[w] && !strcmp(parts[0], want[w][0]) && !strcmp(parts[1], want[w][1]) &&
                !strcmp(parts[2], want[w][2]))
                hit = w;
        if (hit == n)
            fail_msg("unexpected agreement row %s %s %s", parts[0], parts[1], parts[2]);
        used[hit] = true;
        assert_int_equal(c[0], 1);
    }
    assert_int_equal(got, n);
}

/* Self-defined against officer-defined: a row for the area and one for the
 * force, for events that carry both fields (null or blank: not_stated);
 * none for an event that lacks either. */
static void test_agreement(void **state) {
    struct harness *f = *state;
    static const struct {
        const char *members;
        const char *self, *officer; /* NULL: no agreement rows */
    } cases[] = {
        {"\"self_defined_ethnicity\":\"Black/African/Caribbean/Black British - African\","
         "\"officer_defined_ethnicity\":\"Black\"",
         "black", "black"},
        {"\"self_defined_ethnicity\":\"White - Irish\",\"officer_defined_ethnicity\":\"Asian\"",
         "white", "asian"},
        {"\"self_defined_ethnicity\":\"Asian/Asian British - Chinese\","
         "\"officer_defined_ethnicity\":\"Other\"",
         "asian", "other"},
        {"\"self_defined_ethnicity\":null,\"officer_defined_ethnicity\":\"White\"", "not_stated",
         "white"},
        {"\"self_defined_ethnicity\":\"Other ethnic group - Not stated\","
         "\"officer_defined_ethnicity\":null",
         "not_stated", "not_stated"},
        {"\"self_defined_ethnicity\":\"Mixed/Multiple ethnic groups - White and Black Caribbean\","
         "\"officer_defined_ethnicity\":\" \"",
         "mixed", "not_stated"},
        /* ethnicity, accepted instead of self_defined_ethnicity */
        {"\"ethnicity\":\"Mixed\",\"officer_defined_ethnicity\":\"Mixed\"", "mixed", "mixed"},
        /* one side only: not counted here */
        {"\"self_defined_ethnicity\":\"White - Irish\"", NULL, NULL},
        {"\"officer_defined_ethnicity\":\"White\"", NULL, NULL},
        {"", NULL, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *const want[2][3] = {{AREA, cases[i].self, cases[i].officer},
                                        {FORCE, cases[i].self, cases[i].officer}};
        assert_int_equal(run(f, event_with(cases[i].members)), 0);
        expect_agreement(f, cases[i].self ? 2 : 0, want);
    }
    /* An event filed under the whole force: one row. */
    assert_int_equal(
        run_force(f,
                  "{\"event_id\":\"ev-5\",\"event_type\":\"stop_search\","
                  "\"occurred_at\":\"2025-07-01T03:40:00Z\",\"area\":\"cambridgeshire\","
                  "\"self_defined_ethnicity\":\"Black\",\"officer_defined_ethnicity\":\"White\"}",
                  "cambridgeshire"),
        0);
    {
        const char *const want[1][3] = {{"cambridgeshire", "black", "white"}};
        expect_agreement(f, 1, want);
    }
}

static void test_area_is_force(void **state) {
    struct harness *f = *state;
    static const char *const groups[4] = {"black", "not_stated", "male", "not_stated"};
    static const int64_t counts[SS__COUNT] = {
        [SS_SEARCHES] = 1, [SS_ARRESTS] = 1, [SS_OTHER_POWER] = 1};
    const char *ev = "{\"event_id\":\"ev-4\",\"event_type\":\"stop_search\","
                     "\"occurred_at\":\"2025-07-01T03:40:00Z\",\"area\":\"cambridgeshire\","
                     "\"self_defined_ethnicity\":\"black\",\"gender\":\"Male\","
                     "\"outcome\":\"Arrest\"}";
    /* An event already filed under the whole force gets no second copy. */
    assert_int_equal(run_force(f, ev, "cambridgeshire"), 0);
    expect_rows(f, "cambridgeshire", "cambridgeshire", groups, counts);
    /* Under another force name it gets both. */
    assert_int_equal(run_force(f, ev, "force"), 0);
    expect_rows(f, "cambridgeshire", "force", groups, counts);
}

static void test_unicode_area(void **state) {
    struct harness *f = *state;
    static const char *const groups[4] = {"not_stated", "not_stated", "not_stated", "not_stated"};
    static const int64_t counts[SS__COUNT] = {1, NO_POWER_NO_OUTCOME};
    const char *ev = "{\"event_id\":\"ev-5\",\"event_type\":\"stop_search\","
                     "\"occurred_at\":\"2025-07-01T03:40:00Z\","
                     "\"area\":\"Ynys M\\u00f4n \\u2013 Caergybi\"}";
    assert_int_equal(run(f, ev), 0);
    expect_rows(f, "Ynys M\xc3\xb4n \xe2\x80\x93 Caergybi", FORCE, groups, counts);
}

static void test_service_description(void **state) {
    (void)state;
    const struct eqm_service *s = &eqm_stop_search_service;
    static const char *const cols[SS__COUNT] = {
        "searches", "linked",  "link_known",  "arrests", "section_60",    "strip",
        "pace_s1",  "mda_s23", "other_power", "nfa",     "other_outcome", "children"};
    /* The measures as README's "Formulas" give them: n / base. */
    static const char *const formulas[] = {
        "stop_search.searches = searches / population",
        "stop_search.find_rate = linked / link_known",
        "stop_search.arrest_rate = arrests / searches",
        "stop_search.section_60_share = section_60 / searches",
        "stop_search.strip_share = strip / searches",
        "stop_search.pace_s1_share = pace_s1 / searches",
        "stop_search.mda_s23_share = mda_s23 / searches",
        "stop_search.other_power_share = other_power / searches",
        "stop_search.nfa_rate = nfa / searches",
        "stop_search.other_outcome_rate = other_outcome / searches",
        "stop_search.children_share = children / searches",
    };
    char formula[128];
    assert_string_equal(s->default_topic, "stop-search.events");
    assert_int_equal(s->n_tables, 2);
    assert_string_equal(s->tables[SS_TABLE_AGREEMENT].name,
                        "equality.stop_search_ethnicity_agreement");
    assert_int_equal(s->tables[SS_TABLE_AGREEMENT].n_key_columns, 3);
    assert_string_equal(s->tables[SS_TABLE_AGREEMENT].key_columns[0], "area");
    assert_string_equal(s->tables[SS_TABLE_AGREEMENT].key_columns[1], "self_defined");
    assert_string_equal(s->tables[SS_TABLE_AGREEMENT].key_columns[2], "officer_defined");
    assert_int_equal(s->tables[SS_TABLE_AGREEMENT].n_count_columns, 1);
    assert_string_equal(s->tables[SS_TABLE_AGREEMENT].count_columns[0], "searches");
    assert_string_equal(s->tables[0].name, "equality.stop_search_daily");
    assert_int_equal(s->tables[0].n_key_columns, 3);
    assert_string_equal(s->tables[0].key_columns[0], "area");
    assert_string_equal(s->tables[0].key_columns[1], "dimension");
    assert_string_equal(s->tables[0].key_columns[2], "grp");
    assert_int_equal(s->tables[0].n_count_columns, SS__COUNT);
    for (int i = 0; i < SS__COUNT; i++)
        assert_string_equal(s->tables[0].count_columns[i], cols[i]);
    assert_int_equal(s->n_measures, (int)(sizeof(formulas) / sizeof(formulas[0])));
    for (int i = 0; i < s->n_measures; i++) {
        const struct eqm_measure *m = &s->measures[i];
        snprintf(formula, sizeof(formula), "%s = %s / %s", m->name, cols[m->numerator],
                 m->base == EQM_BASE_POPULATION ? "population" : cols[m->base]);
        assert_string_equal(formula, formulas[i]);
    }
    assert_int_equal(s->n_dimensions, 5);
    for (int d = 0; d < 4; d++)
        assert_string_equal(s->dimensions[d].name, dims[d]);
    assert_string_equal(s->dimensions[4].name, "ethnicity_detailed");
    assert_string_equal(s->dimensions[4].reference, "white_british");
    assert_true(s->dimensions[4].ethnic);
    assert_string_equal(s->dimensions[0].reference, "white");
    assert_true(s->dimensions[0].ethnic);
}

/* ---- the envelope, where a fixture file cannot show it ------------------- */

static int parse_at(struct harness *f, const char *json, size_t len, long max_bytes, int64_t now_us,
                    long skew_s) {
    json_decref(f->event);
    f->event = NULL;
    memset(&f->rej, 0, sizeof(f->rej));
    return eqm_message_parse(json, len, max_bytes, now_us, skew_s, &f->event, &f->env, &f->rej);
}

static void test_envelope_time_bounds(void **state) {
    struct harness *f = *state;
    /* "now" is 2025-07-01T03:40:00Z; one day of skew is allowed. */
    const int64_t now = INT64_C(1751341200) * 1000000;
    char ev[256];
#define TMPL                                                                                       \
    "{\"event_id\":\"e\",\"event_type\":\"stop_search\",\"occurred_at\":\"%s\",\"area\":\"a\"}"

    snprintf(ev, sizeof(ev), TMPL, "2025-07-02T03:40:00Z"); /* exactly 86400 s ahead */
    assert_int_equal(parse_at(f, ev, strlen(ev), HARNESS_MAX_BYTES, now, HARNESS_SKEW_S), 0);
    assert_non_null(f->event);
    snprintf(ev, sizeof(ev), TMPL, "2025-07-02T03:40:00.000001Z"); /* 1 us more */
    assert_int_equal(parse_at(f, ev, strlen(ev), HARNESS_MAX_BYTES, now, HARNESS_SKEW_S), -1);
    assert_string_equal(f->rej.code, "occurred_at_in_future");
    assert_null(f->event);
    /* skew 0 turns the check off */
    snprintf(ev, sizeof(ev), TMPL, "2099-01-01T00:00:00Z");
    assert_int_equal(parse_at(f, ev, strlen(ev), HARNESS_MAX_BYTES, now, 0), 0);
    /* the past is the engine's business (dedup horizon), not the envelope's */
    snprintf(ev, sizeof(ev), TMPL, "1990-01-01T00:00:00+05:00");
    assert_int_equal(parse_at(f, ev, strlen(ev), HARNESS_MAX_BYTES, now, HARNESS_SKEW_S), 0);
#undef TMPL
}

static void test_envelope_sizes(void **state) {
    struct harness *f = *state;
    const char *ev = event_with("");
    size_t len = strlen(ev);

    assert_int_equal(parse_at(f, ev, len, (long)len, eqm_time_now_us(), HARNESS_SKEW_S), 0);
    assert_int_equal(parse_at(f, ev, len, (long)len - 1, eqm_time_now_us(), HARNESS_SKEW_S), -1);
    assert_string_equal(f->rej.code, "oversized");
    assert_true(f->rej.reason[0] != '\0');
    /* 0 means no limit */
    assert_int_equal(parse_at(f, ev, len, 0, eqm_time_now_us(), HARNESS_SKEW_S), 0);
    /* no value at all (a tombstone) */
    assert_int_equal(parse_at(f, NULL, 0, HARNESS_MAX_BYTES, eqm_time_now_us(), HARNESS_SKEW_S),
                     -1);
    assert_string_equal(f->rej.code, "empty");
    assert_int_equal(parse_at(f, "", 0, HARNESS_MAX_BYTES, eqm_time_now_us(), HARNESS_SKEW_S), -1);
    assert_string_equal(f->rej.code, "empty");
    /* only len bytes count: the same event with junk after its end */
    {
        char buf[1024];
        snprintf(buf, sizeof(buf), "%sGARBAGE", ev);
        assert_int_equal(
            parse_at(f, buf, len, HARNESS_MAX_BYTES, eqm_time_now_us(), HARNESS_SKEW_S), 0);
        assert_int_equal(
            parse_at(f, buf, strlen(buf), HARNESS_MAX_BYTES, eqm_time_now_us(), HARNESS_SKEW_S),
            -1);
        assert_string_equal(f->rej.code, "not_json");
    }
}

static void test_envelope_lengths_are_characters(void **state) {
    struct harness *f = *state;
    char ev[2048], id[600], area[600];
    /* 128 two-byte characters (256 bytes) is a valid id; 129 is not. */
    id[0] = '\0';
    for (int i = 0; i < 128; i++)
        strcat(id, "\xc3\xa9");
    /* 64 three-byte characters is a valid area. */
    area[0] = '\0';
    for (int i = 0; i < 64; i++)
        strcat(area, "\xe2\x80\x93");
    snprintf(ev, sizeof(ev),
             "{\"event_id\":\"%s\",\"event_type\":\"stop_search\","
             "\"occurred_at\":\"2025-07-01T03:40:00Z\",\"area\":\"%s\"}",
             id, area);
    assert_int_equal(
        parse_at(f, ev, strlen(ev), HARNESS_MAX_BYTES, eqm_time_now_us(), HARNESS_SKEW_S), 0);
    strcat(id, "x");
    snprintf(ev, sizeof(ev),
             "{\"event_id\":\"%s\",\"event_type\":\"stop_search\","
             "\"occurred_at\":\"2025-07-01T03:40:00Z\",\"area\":\"%s\"}",
             id, area);
    assert_int_equal(
        parse_at(f, ev, strlen(ev), HARNESS_MAX_BYTES, eqm_time_now_us(), HARNESS_SKEW_S), -1);
    assert_string_equal(f->rej.code, "bad_event_id");
    id[1] = '\0';
    strcat(area, "x");
    snprintf(ev, sizeof(ev),
             "{\"event_id\":\"%s\",\"event_type\":\"stop_search\","
             "\"occurred_at\":\"2025-07-01T03:40:00Z\",\"area\":\"%s\"}",
             "e", area);
    assert_int_equal(
        parse_at(f, ev, strlen(ev), HARNESS_MAX_BYTES, eqm_time_now_us(), HARNESS_SKEW_S), -1);
    assert_string_equal(f->rej.code, "bad_area");
}

/* ---- the real police.uk file -------------------------------------------- */

/*
 * Expected figures, counted from the CSV with Python (csv module, not this
 * code). Totals:
 *
 *   python3 -c 'import csv,sys; R=list(csv.DictReader(open(sys.argv[1],newline="",
 *     encoding="utf-8-sig"))); L="Outcome linked to object of search";
 *     print(len(R), sum(r[L]=="True" for r in R), sum(r[L] in ("True","False") for r in R),
 *     sum(r["Outcome"]=="Arrest" for r in R), sum("(section 60)" in r["Legislation"] for r in R),
 *     sum(r["Removal of more than just outer clothing"]=="True" for r in R))' FILE
 *   -> 218 92 105 43 0 1
 *
 * Self-defined ethnicity by the heading before " " or "/" (blank and
 * "Other ethnic group - Not stated" are not_stated):
 *
 *   python3 -c 'import csv,sys,collections as C; R=list(csv.DictReader(open(sys.argv[1],
 *     newline="",encoding="utf-8-sig"))); g=lambda s:"not_stated" if s in("",
 *     "Other ethnic group - Not stated") else s.split(" ")[0].split("/")[0].lower();
 *     c=C.Counter(); [c.update({(g(r["Self-defined ethnicity"]),k):v}) for r in R for k,v in
 *     (("n",1),("arrests",r["Outcome"]=="Arrest"),("linked",r["Outcome linked to object of
 *     search"]=="True"),("known",r["Outcome linked to object of search"]!=""),("strip",
 *     r["Removal of more than just outer clothing"]=="True"))]; print(sorted(c.items()))' FILE
 *
 * Officer-defined ethnicity, gender and age range by value (lower-cased,
 * blank = not_stated):
 *
 *   python3 -c 'import csv,sys,collections as C; R=list(csv.DictReader(open(sys.argv[1],
 *     newline="",encoding="utf-8-sig"))); [print(col, sorted(C.Counter((r[col].lower() or
 *     "not_stated") for r in R).items())) for col in ("Officer-defined ethnicity","Gender",
 *     "Age range")]' FILE
 *
 * The powers, outcomes and children of every group (pace_s1, mda_s23,
 * other_power, nfa, other_outcome, children), by police.uk's exact values
 * (the file has only these two powers, and no outcome but NFA, Arrest,
 * Community resolution, Caution and Summons):
 *
 *   python3 - FILE <<'EOF'
 *   import csv, sys, collections
 *   P = "Police and Criminal Evidence Act 1984 (section 1)"
 *   M = "Misuse of Drugs Act 1971 (section 23)"
 *   N = "A no further action disposal"
 *   eth = lambda s: ("not_stated" if s in ("", "Other ethnic group - Not stated")
 *                    else s.split(" ")[0].split("/")[0].lower())
 *   dims = {"ethnicity": lambda r: eth(r["Self-defined ethnicity"]),
 *           "officer": lambda r: r["Officer-defined ethnicity"].lower() or "not_stated",
 *           "gender": lambda r: r["Gender"].lower() or "not_stated",
 *           "age": lambda r: r["Age range"] or "not_stated"}
 *   c = collections.defaultdict(lambda: [0] * 6)
 *   for r in csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8-sig")):
 *       leg, out = r["Legislation"], r["Outcome"]
 *       new = (leg == P, leg == M, leg not in (P, M), out == N, out not in (N, "Arrest"),
 *              r["Age range"] in ("under 10", "10-17"))
 *       for d, grp in dims.items():
 *           c[d, grp(r)] = [a + b for a, b in zip(c[d, grp(r)], new)]
 *           c["total", d] = [a + b for a, b in zip(c["total", d], new)]
 *   for k in sorted(c):
 *       print(k, c[k])
 *   EOF
 *
 * Force-wide, the values of the file's columns (collections.Counter over
 * Legislation, Outcome and Age range) give the totals: Misuse of Drugs Act
 * 1971 (section 23) 153, PACE (section 1) 65; A no further action disposal
 * 140, Arrest 43, Community resolution 24, Caution 10, Summons 1; age
 * 10-17 29, under 10 1.
 */
struct expect_grp {
    const char *dim, *grp;
    /* searches, linked, link_known, arrests, s60, strip,
     * pace_s1, mda_s23, other_power, nfa, other_outcome, children */
    int64_t counts[SS__COUNT];
};

/* -1: not checked. */
#define NOT_CHECKED -1, -1, -1, -1, -1
static const struct expect_grp csv_expect[] = {
    {"ethnicity", "asian", {20, 10, 10, 4, 0, 0, 1, 19, 0, 12, 4, 3}},
    {"ethnicity", "black", {17, 6, 8, 4, 0, 0, 6, 11, 0, 11, 2, 4}},
    {"ethnicity", "mixed", {7, 3, 3, 0, 0, 0, 0, 7, 0, 7, 0, 2}},
    {"ethnicity", "other", {4, 2, 2, 1, 0, 0, 0, 4, 0, 3, 0, 0}},
    {"ethnicity", "white", {124, 54, 64, 24, 0, 1, 47, 77, 0, 77, 23, 19}},
    {"ethnicity", "not_stated", {46, 17, 18, 10, 0, 0, 11, 35, 0, 30, 6, 2}},
    {"officer_defined_ethnicity", "asian", {24, NOT_CHECKED, 1, 23, 0, 16, 5, 4}},
    {"officer_defined_ethnicity", "black", {27, NOT_CHECKED, 7, 20, 0, 19, 4, 5}},
    {"officer_defined_ethnicity", "other", {6, NOT_CHECKED, 0, 6, 0, 3, 1, 0}},
    {"officer_defined_ethnicity", "white", {143, NOT_CHECKED, 51, 92, 0, 94, 22, 18}},
    {"officer_defined_ethnicity", "not_stated", {18, NOT_CHECKED, 6, 12, 0, 8, 3, 3}},
    {"gender", "female", {21, NOT_CHECKED, 11, 10, 0, 15, 5, 8}},
    {"gender", "male", {182, NOT_CHECKED, 51, 131, 0, 119, 29, 22}},
    {"gender", "not_stated", {15, NOT_CHECKED, 3, 12, 0, 6, 1, 0}},
    {"age_range", "under 10", {1, NOT_CHECKED, 0, 1, 0, 1, 0, 1}},
    {"age_range", "10-17", {29, NOT_CHECKED, 16, 13, 0, 24, 5, 29}},
    {"age_range", "18-24", {61, NOT_CHECKED, 10, 51, 0, 36, 14, 0}},
    {"age_range", "25-34", {49, NOT_CHECKED, 11, 38, 0, 26, 9, 0}},
    {"age_range", "over 34", {55, NOT_CHECKED, 24, 31, 0, 38, 6, 0}},
    {"age_range", "not_stated", {23, NOT_CHECKED, 4, 19, 0, 15, 1, 0}},
};
#define N_EXPECT (sizeof(csv_expect) / sizeof(csv_expect[0]))
/* 35 other outcomes = 24 community resolutions + 10 cautions + 1 summons;
 * 30 children = 29 aged 10-17 + 1 under 10. */
static const int64_t csv_totals[SS__COUNT] = {218, 92, 105, 43, 0, 1, 65, 153, 0, 140, 35, 30};

static void test_policeuk_file(void **state) {
    struct harness *f = *state;
    FILE *fp = fopen(POLICE_CSV, "r");
    struct eqm_csv_reader *r = NULL;
    struct eqm_policeuk_columns cols;
    const char *const *fields;
    size_t nf;
    char err[256];
    int64_t got[N_EXPECT][SS__COUNT];
    int64_t totals[4][SS__COUNT], force_totals[4][SS__COUNT];
    char(*ids)[EQM_POLICEUK_EVENT_ID_SIZE] = calloc(1024, EQM_POLICEUK_EVENT_ID_SIZE);
    char **contents = calloc(1024, sizeof(char *));
    int rc, rows = 0, agreement_rows = 0;

    memset(got, 0, sizeof(got));
    memset(totals, 0, sizeof(totals));
    memset(force_totals, 0, sizeof(force_totals));
    assert_non_null(ids);
    assert_non_null(contents);
    assert_non_null(fp);
    assert_int_equal(eqm_csv_reader_new(&r, fp), 0);
    assert_int_equal(eqm_csv_reader_next(r, &fields, &nf), 1);
    if (eqm_policeuk_header_check(fields, nf, &cols, err, sizeof(err)) != 0)
        fail_msg("header: %s", err);

    while ((rc = eqm_csv_reader_next(r, &fields, &nf)) == 1) {
        char content[4096];
        size_t clen = eqm_policeuk_row_content(&cols, fields, nf, content, sizeof(content));
        unsigned occurrence = 1;
        json_t *ev;
        char *text;

        assert_true(rows < 1024);
        assert_true(clen < sizeof(content));
        /* The occurrence-th identical row gets its own id, as the replay
         * tool does it. */
        for (int i = 0; i < rows; i++)
            occurrence += !strcmp(contents[i], content);
        contents[rows] = strdup(content);
        assert_non_null(contents[rows]);
        eqm_policeuk_event_id("cambridgeshire", content, clen, occurrence, ids[rows]);
        for (int i = 0; i < rows; i++)
            if (!strcmp(ids[i], ids[rows]))
                fail_msg("rows %d and %d have the same event id %s", i + 2, rows + 2, ids[i]);

        ev = eqm_policeuk_row_to_event(&cols, fields, nf, "cambridgeshire", ids[rows], err,
                                       sizeof(err));
        if (!ev)
            fail_msg("line %lu: %s", eqm_csv_reader_line(r), err);
        text = json_dumps(ev, EQM_POLICEUK_JSON_FLAGS);
        json_decref(ev);
        assert_non_null(text);
        rc = run(f, text);
        if (rc != 0)
            fail_msg("line %lu refused (%s: %s): %s", eqm_csv_reader_line(r),
                     f->rej.code ? f->rej.code : "?", f->rej.reason, text);
        free(text);
        /* Every July 2025 event is a July local day (the last is at
         * 22:45Z on 31 July, 23:45 BST): 20270 .. 20270 + 30. */
        assert_true(f->env.day >= D_2025_07_01 && f->env.day <= D_2025_07_01 + 30);

        /* Every row of the file carries both ethnicity columns: its two
         * rows (area, force) of the agreement table as well. */
        assert_int_equal(eqm_sink_collect_rows(f->sink), 12);
        for (size_t i = 0; i < 12; i++) {
            const char *const *parts;
            const int64_t *c;
            int d = -1;
            bool force;
            if (eqm_sink_collect_row(f->sink, i, &parts, &c) == SS_TABLE_AGREEMENT) {
                assert_int_equal(c[0], 1);
                agreement_rows++;
                continue;
            }
            force = !strcmp(parts[0], FORCE);
            assert_true(force || !strcmp(parts[0], "cambridgeshire"));
            if (!strcmp(parts[1], "ethnicity_detailed")) {
                assert_true(eqm_ethnicity_detailed_broad(parts[2], NULL));
                continue;
            }
            for (int k = 0; k < 4; k++)
                if (!strcmp(parts[1], dims[k]))
                    d = k;
            assert_true(d >= 0);
            /* One power and one outcome per search, on every row. */
            assert_int_equal(c[SS_PACE_S1] + c[SS_MDA_S23] + c[SS_SECTION_60] + c[SS_OTHER_POWER],
                             1);
            assert_int_equal(c[SS_NFA] + c[SS_ARRESTS] + c[SS_OTHER_OUTCOME], 1);
            for (int k = 0; k < SS__COUNT; k++)
                (force ? force_totals : totals)[d][k] += c[k];
            if (force)
                continue;
            for (size_t e = 0; e < N_EXPECT; e++)
                if (!strcmp(csv_expect[e].dim, parts[1]) && !strcmp(csv_expect[e].grp, parts[2]))
                    for (int k = 0; k < SS__COUNT; k++)
                        got[e][k] += c[k];
        }
        rows++;
    }
    assert_int_equal(rc, 0);
    assert_int_equal(rows, 218);
    assert_int_equal(agreement_rows, 2 * 218);

    /* Each dimension, for the area and for the force, adds up to the file. */
    for (int d = 0; d < 4; d++)
        for (int k = 0; k < SS__COUNT; k++) {
            if (totals[d][k] != csv_totals[k] || force_totals[d][k] != csv_totals[k])
                fail_msg("%s count %d: area %lld, force %lld, expected %lld", dims[d], k,
                         (long long)totals[d][k], (long long)force_totals[d][k],
                         (long long)csv_totals[k]);
        }
    /* And each group has the counts Python found. */
    for (size_t e = 0; e < N_EXPECT; e++)
        for (int k = 0; k < SS__COUNT; k++)
            if (csv_expect[e].counts[k] >= 0 && got[e][k] != csv_expect[e].counts[k])
                fail_msg("%s %s count %d: %lld, expected %lld", csv_expect[e].dim,
                         csv_expect[e].grp, k, (long long)got[e][k],
                         (long long)csv_expect[e].counts[k]);

    for (int i = 0; i < rows; i++)
        free(contents[i]);
    free(contents);
    free(ids);
    eqm_csv_reader_free(&r);
    fclose(fp);
}

EQM_UNIT_MAIN_FIXTURE(test_full_policeuk_event, test_booleans, test_not_stated, test_groups,
                      test_power_and_outcome_columns, test_children,
                      test_powers_and_outcomes_partition, test_unknown_event_type, test_agreement,
                      test_area_is_force, test_unicode_area, test_service_description,
                      test_envelope_time_bounds, test_envelope_sizes,
                      test_envelope_lengths_are_characters, test_policeuk_file)
