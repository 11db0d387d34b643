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
    size_t n = eqm_sink_collect_rows(f->sink);
    bool used[16] = {false};

    assert_int_equal(n, same ? 4 : 8);
    for (int d = 0; d < 4; d++) {
        for (int a = 0; a < (same ? 1 : 2); a++) {
            const char *want_area = a == 0 ? area : force_area;
            size_t hit = n;
            for (size_t i = 0; i < n; i++) {
                const char *const *parts;
                const int64_t *c;
                assert_int_equal(eqm_sink_collect_row(f->sink, i, &parts, &c), 0);
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
    /* searches, linked, link_known, arrests, section_60, strip */
    static const int64_t counts[SS__COUNT] = {1, 1, 1, 1, 0, 0};

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
        {"true", "true", {1, 1, 1, 0, 0, 1}},
        {"false", "false", {1, 0, 1, 0, 0, 0}},
        /* the strings a CSV conversion leaves */
        {"\"True\"", "\"False\"", {1, 1, 1, 0, 0, 0}},
        {"\"False\"", "\"True\"", {1, 0, 1, 0, 0, 1}},
        {"\"true\"", "\"false\"", {1, 1, 1, 0, 0, 0}},
        {"\"false\"", "\"true\"", {1, 0, 1, 0, 0, 1}},
        /* unknown: null, blank, or a value that is no boolean */
        {"null", "null", {1, 0, 0, 0, 0, 0}},
        {"\"\"", "\"\"", {1, 0, 0, 0, 0, 0}},
        {"\"yes\"", "1", {1, 0, 0, 0, 0, 0}},
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
        static const int64_t counts[SS__COUNT] = {1, 0, 0, 0, 0, 0};
        expect_rows(f, AREA, FORCE, groups, counts);
    }
}

static void test_not_stated(void **state) {
    struct harness *f = *state;
    static const char *const groups[4] = {"not_stated", "not_stated", "not_stated", "not_stated"};
    static const int64_t counts[SS__COUNT] = {1, 0, 0, 0, 0, 0};
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
    static const int64_t counts[SS__COUNT] = {1, 0, 0, 0, 0, 0};
    struct {
        const char *members;
        const char *groups[4];
    } cases[] = {
        {"\"self_defined_ethnicity\":\"Asian/Asian British - Pakistani\","
         "\"officer_defined_ethnicity\":\"Asian\",\"gender\":\"Female\",\"age_range\":\"10-17\"",
         {"asian", "asian", "female", "10-17"}},
        {"\"self_defined_ethnicity\":\"Mixed/Multiple ethnic groups - White and Asian\","
         "\"officer_defined_ethnicity\":\"Other\",\"gender\":\"Other\","
         "\"age_range\":\"under 10\"",
         {"mixed", "other", "other", "under 10"}},
        {"\"self_defined_ethnicity\":\"Other ethnic group - Arab\","
         "\"officer_defined_ethnicity\":\"Mixed\",\"gender\":\"male\","
         "\"age_range\":\"25-34\"",
         {"other", "mixed", "male", "25-34"}},
        /* officer-defined and self-defined disagree: each kept as given */
        {"\"self_defined_ethnicity\":\"White - English/Welsh/Scottish/Northern Irish/British\","
         "\"officer_defined_ethnicity\":\"Black\",\"gender\":\"Male\","
         "\"age_range\":\"over 34\"",
         {"white", "black", "male", "over 34"}},
        /* the generic "ethnicity" and "sex" names when the police.uk ones are absent */
        {"\"ethnicity\":\"black\",\"sex\":\"Female\"",
         {"black", "not_stated", "female", "not_stated"}},
        /* ... and the police.uk names win when both are there */
        {"\"self_defined_ethnicity\":\"Asian/Asian British - Indian\",\"ethnicity\":\"white\","
         "\"gender\":\"Male\",\"sex\":\"Female\"",
         {"asian", "not_stated", "male", "not_stated"}},
        /* an age band police.uk does not use is not stated */
        {"\"age_range\":\"35-44\"", {"not_stated", "not_stated", "not_stated", "not_stated"}},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(run(f, event_with(cases[i].members)), 0);
        expect_rows(f, AREA, FORCE, cases[i].groups, counts);
    }
}

static void test_section_60(void **state) {
    struct harness *f = *state;
    static const char *const groups[4] = {"not_stated", "not_stated", "not_stated", "not_stated"};
    struct {
        const char *legislation;
        int64_t s60;
    } cases[] = {
        {"Criminal Justice and Public Order Act 1994 (section 60)", 1},
        /* 60AA is the power to remove face coverings, not a section 60 search */
        {"Criminal Justice and Public Order Act 1994 (section 60AA)", 0},
        {"Misuse of Drugs Act 1971 (section 23)", 0},
        {"Police and Criminal Evidence Act 1984 (section 1)", 0},
        {"Firearms Act 1968 (section 47)", 0},
    };
    char members[256];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t counts[SS__COUNT] = {1, 0, 0, 0, cases[i].s60, 0};
        snprintf(members, sizeof(members), "\"legislation\":\"%s\"", cases[i].legislation);
        assert_int_equal(run(f, event_with(members)), 0);
        expect_rows(f, AREA, FORCE, groups, counts);
    }
}

static void test_arrests(void **state) {
    struct harness *f = *state;
    static const char *const groups[4] = {"not_stated", "not_stated", "not_stated", "not_stated"};
    struct {
        const char *outcome;
        int64_t arrest;
    } cases[] = {
        {"Arrest", 1},
        /* older police.uk outcome lists */
        {"Suspect arrested", 1},
        {"Offender arrested", 1},
        {"A no further action disposal", 0},
        {"Community resolution", 0},
        {"Caution (simple or conditional)", 0},
        {"Summons / charged by post", 0},
        {"Penalty Notice for Disorder", 0},
        {"Khat or Cannabis warning", 0},
    };
    char members[256];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t counts[SS__COUNT] = {1, 0, 0, cases[i].arrest, 0, 0};
        snprintf(members, sizeof(members), "\"outcome\":\"%s\"", cases[i].outcome);
        assert_int_equal(run(f, event_with(members)), 0);
        expect_rows(f, AREA, FORCE, groups, counts);
    }
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

static void test_area_is_force(void **state) {
    struct harness *f = *state;
    static const char *const groups[4] = {"black", "not_stated", "male", "not_stated"};
    static const int64_t counts[SS__COUNT] = {1, 0, 0, 1, 0, 0};
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
    static const int64_t counts[SS__COUNT] = {1, 0, 0, 0, 0, 0};
    const char *ev = "{\"event_id\":\"ev-5\",\"event_type\":\"stop_search\","
                     "\"occurred_at\":\"2025-07-01T03:40:00Z\","
                     "\"area\":\"Ynys M\\u00f4n \\u2013 Caergybi\"}";
    assert_int_equal(run(f, ev), 0);
    expect_rows(f, "Ynys M\xc3\xb4n \xe2\x80\x93 Caergybi", FORCE, groups, counts);
}

static void test_service_description(void **state) {
    (void)state;
    const struct eqm_service *s = &eqm_stop_search_service;
    static const char *const cols[SS__COUNT] = {"searches", "linked",     "link_known",
                                                "arrests",  "section_60", "strip"};
    assert_string_equal(s->default_topic, "stop-search.events");
    assert_int_equal(s->n_tables, 1);
    assert_string_equal(s->tables[0].name, "equality.stop_search_daily");
    assert_int_equal(s->tables[0].n_key_columns, 3);
    assert_string_equal(s->tables[0].key_columns[0], "area");
    assert_string_equal(s->tables[0].key_columns[1], "dimension");
    assert_string_equal(s->tables[0].key_columns[2], "grp");
    assert_int_equal(s->tables[0].n_count_columns, SS__COUNT);
    for (int i = 0; i < SS__COUNT; i++)
        assert_string_equal(s->tables[0].count_columns[i], cols[i]);
    assert_int_equal(s->n_dimensions, 4);
    for (int d = 0; d < 4; d++)
        assert_string_equal(s->dimensions[d].name, dims[d]);
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
 */
struct expect_grp {
    const char *dim, *grp;
    int64_t counts[SS__COUNT]; /* searches, linked, link_known, arrests, s60, strip */
};

static const struct expect_grp csv_expect[] = {
    {"ethnicity", "asian", {20, 10, 10, 4, 0, 0}},
    {"ethnicity", "black", {17, 6, 8, 4, 0, 0}},
    {"ethnicity", "mixed", {7, 3, 3, 0, 0, 0}},
    {"ethnicity", "other", {4, 2, 2, 1, 0, 0}},
    {"ethnicity", "white", {124, 54, 64, 24, 0, 1}},
    {"ethnicity", "not_stated", {46, 17, 18, 10, 0, 0}},
    {"officer_defined_ethnicity", "asian", {24, -1, -1, -1, -1, -1}},
    {"officer_defined_ethnicity", "black", {27, -1, -1, -1, -1, -1}},
    {"officer_defined_ethnicity", "other", {6, -1, -1, -1, -1, -1}},
    {"officer_defined_ethnicity", "white", {143, -1, -1, -1, -1, -1}},
    {"officer_defined_ethnicity", "not_stated", {18, -1, -1, -1, -1, -1}},
    {"gender", "female", {21, -1, -1, -1, -1, -1}},
    {"gender", "male", {182, -1, -1, -1, -1, -1}},
    {"gender", "not_stated", {15, -1, -1, -1, -1, -1}},
    {"age_range", "under 10", {1, -1, -1, -1, -1, -1}},
    {"age_range", "10-17", {29, -1, -1, -1, -1, -1}},
    {"age_range", "18-24", {61, -1, -1, -1, -1, -1}},
    {"age_range", "25-34", {49, -1, -1, -1, -1, -1}},
    {"age_range", "over 34", {55, -1, -1, -1, -1, -1}},
    {"age_range", "not_stated", {23, -1, -1, -1, -1, -1}},
};
#define N_EXPECT (sizeof(csv_expect) / sizeof(csv_expect[0]))
static const int64_t csv_totals[SS__COUNT] = {218, 92, 105, 43, 0, 1};

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
    int rc, rows = 0;

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

        assert_int_equal(eqm_sink_collect_rows(f->sink), 8);
        for (size_t i = 0; i < 8; i++) {
            const char *const *parts;
            const int64_t *c;
            int d = -1;
            bool force;
            assert_int_equal(eqm_sink_collect_row(f->sink, i, &parts, &c), 0);
            force = !strcmp(parts[0], FORCE);
            assert_true(force || !strcmp(parts[0], "cambridgeshire"));
            for (int k = 0; k < 4; k++)
                if (!strcmp(parts[1], dims[k]))
                    d = k;
            assert_true(d >= 0);
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
                      test_section_60, test_arrests, test_unknown_event_type, test_area_is_force,
                      test_unicode_area, test_service_description, test_envelope_time_bounds,
                      test_envelope_sizes, test_envelope_lengths_are_characters, test_policeuk_file)
