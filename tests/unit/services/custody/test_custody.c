/*
 * test_custody.c - the custody handler, from message bytes to the rows of
 * counts it adds, and what it refuses.
 *
 * Every event goes the way the engine sends it: eqm_message_parse() on the
 * raw bytes, then eqm_custody_service.handle() into a collecting sink. The
 * expected rows and counters are written out by hand from CONTRACT.md and
 * the issue, not taken from the code.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "custody.h"
#include "eqm/ethnicity.h"
#include "eqm/envelope.h"
#include "eqm/sink.h"
#include "harness.h"
#include "eqm/log.h"
#include "eqm/metrics.h"
#include "eqm/timeutil.h"

#define SQL_FILE EQM_SOURCE_DIR "/schemas/sql/003_custody.sql"
#define AREA     "E07000008"
#define FORCE    "force"

/* Each test's state: the handler run as the engine runs it. */
HARNESS_FIXTURE(eqm_custody_service)

/* An event of type and extra fields (a JSON fragment starting with ','). */
static char *event(const char *type, const char *extra) {
    static char buf[4096];
    snprintf(buf, sizeof(buf),
             "{\"event_id\":\"t-1\",\"event_type\":\"%s\",\"occurred_at\":"
             "\"2025-07-01T10:00:00+01:00\",\"area\":\"" AREA "\"%s}",
             type, extra);
    return buf;
}

/* Index of a count column by name. */
static int col(const char *name) {
    const struct eqm_counts_table *t = &eqm_custody_service.tables[0];
    for (int i = 0; i < t->n_count_columns; i++)
        if (!strcmp(t->count_columns[i], name))
            return i;
    fail_msg("no count column %s", name);
    return -1;
}

/*
 * Checks the sink holds exactly the rows of one event: for area and the
 * force (once when area is the force), one per dimension with the given
 * groups, each with the counters named in ones (NULL-terminated) at 1
 * and every other counter 0. od is the officer_defined_ethnicity group,
 * or NULL for an event that must have no row of that dimension; self is
 * the self_defined_ethnicity group, which every event has.
 */
static void expect_rows_self(const struct harness *f, const char *area, const char *force,
                             const char *eth, const char *od, const char *self, const char *gender,
                             const char *age, const char *const *ones) {
    /* ethnicity_detailed's group is any detailed group here (its mapping
     * is test_ethnicity_detailed's; test_detailed_group checks one). */
    const char *dims[6] = {"ethnicity",          "gender",
                           "age_range",          "self_defined_ethnicity",
                           "ethnicity_detailed", "officer_defined_ethnicity"};
    const char *grps[6] = {eth, gender, age, self, NULL, od};
    size_t n_dims = od ? 6 : 5;
    size_t want = strcmp(area, force) ? 2 * n_dims : n_dims;
    int64_t expected[CU__COUNT] = {0};
    bool seen[12] = {false};

    for (size_t i = 0; ones[i]; i++)
        expected[col(ones[i])] = 1;
    assert_int_equal(eqm_sink_collect_rows(f->sink), want);
    for (size_t r = 0; r < want; r++) {
        const char *const *parts;
        const int64_t *counts;
        size_t d;
        int slot;
        assert_int_equal(eqm_sink_collect_row(f->sink, r, &parts, &counts), 0);
        for (d = 0; d < n_dims && strcmp(parts[1], dims[d]); d++)
            ;
        if (d == n_dims)
            fail_msg("row %zu: unexpected dimension %s", r, parts[1]);
        if (d == 4 ? !eqm_ethnicity_detailed_broad(parts[2], NULL) : strcmp(parts[2], grps[d]))
            fail_msg("row %zu: %s group %s, expected %s", r, parts[1], parts[2], grps[d]);
        assert_true(!strcmp(parts[0], area) || !strcmp(parts[0], force));
        slot = (int)d * 2 + (strcmp(parts[0], area) ? 1 : 0);
        assert_false(seen[slot]);
        seen[slot] = true;
        for (int c = 0; c < CU__COUNT; c++)
            if (counts[c] != expected[c])
                fail_msg("row %zu (%s %s): %s = %lld, expected %lld", r, parts[0], parts[1],
                         eqm_custody_service.tables[0].count_columns[c], (long long)counts[c],
                         (long long)expected[c]);
    }
}

/* An event whose ethnicity row is its self-defined group (every event but
 * a use of force with a stated perceived group). */
static void expect_rows_od(const struct harness *f, const char *area, const char *force,
                           const char *eth, const char *od, const char *gender, const char *age,
                           const char *const *ones) {
    expect_rows_self(f, area, force, eth, od, eth, gender, age, ones);
}

static void expect_rows(const struct harness *f, const char *area, const char *force,
                        const char *eth, const char *gender, const char *age,
                        const char *const *ones) {
    expect_rows_od(f, area, force, eth, NULL, gender, age, ones);
}

/* ---- the description handed to the engine ---------------------------- */

static void test_table_matches_migration(void **state) {
    const struct eqm_counts_table *t = &eqm_custody_service.tables[0];
    FILE *fp = fopen(SQL_FILE, "r");
    char sql[16384];
    size_t n;
    int bigints = 0;
    (void)state;

    assert_non_null(fp);
    n = fread(sql, 1, sizeof(sql) - 1, fp);
    fclose(fp);
    sql[n] = '\0';
    assert_string_equal(t->name, "equality.custody_daily");
    assert_int_equal(eqm_custody_service.n_tables, 1);
    assert_int_equal(t->n_key_columns, 3);
    assert_string_equal(t->key_columns[0], "area");
    assert_string_equal(t->key_columns[1], "dimension");
    assert_string_equal(t->key_columns[2], "grp");
    /* Every count column is a bigint column of the table, and there are
     * no others. */
    for (const char *p = sql; (p = strstr(p, " bigint NOT NULL DEFAULT 0")); p++)
        bigints++;
    assert_int_equal(bigints, t->n_count_columns);
    assert_int_equal(t->n_count_columns, 23);
    for (int c = 0; c < t->n_count_columns; c++) {
        char want[80];
        snprintf(want, sizeof(want), "\n    %s ", t->count_columns[c]);
        if (!strstr(sql, want))
            fail_msg("column %s not in %s", t->count_columns[c], SQL_FILE);
    }
    assert_string_equal(eqm_custody_service.name, "custody");
    assert_string_equal(eqm_custody_service.default_topic, "custody.events");
}

static void test_measures(void **state) {
    /* The measures, written out: name, numerator, base. */
    static const struct {
        const char *name, *numerator, *base; /* base NULL = population */
    } want[] = {
        {"custody.arrests", "arrests", NULL},
        {"custody.detentions", "detentions", NULL},
        {"custody.strip_searches", "strip_searches", NULL},
        {"custody.use_of_force", "use_of_force", NULL},
        {"custody.use_of_force_by_tactic.handcuffing", "tactic_handcuffing", NULL},
        {"custody.use_of_force_by_tactic.restraint", "tactic_restraint", NULL},
        {"custody.use_of_force_by_tactic.limb_restraints", "tactic_limb_restraints", NULL},
        {"custody.use_of_force_by_tactic.unarmed_skills", "tactic_unarmed_skills", NULL},
        {"custody.use_of_force_by_tactic.spit_guard", "tactic_spit_guard", NULL},
        {"custody.use_of_force_by_tactic.taser_drawn", "tactic_taser_drawn", NULL},
        {"custody.use_of_force_by_tactic.taser_aimed", "tactic_taser_aimed", NULL},
        {"custody.use_of_force_by_tactic.taser_discharged", "tactic_taser_discharged", NULL},
        {"custody.use_of_force_by_tactic.baton", "tactic_baton", NULL},
        {"custody.use_of_force_by_tactic.irritant_spray", "tactic_irritant_spray", NULL},
        {"custody.use_of_force_by_tactic.dog", "tactic_dog", NULL},
        {"custody.use_of_force_by_tactic.firearm", "tactic_firearm", NULL},
        {"custody.use_of_force_by_tactic.other", "tactic_other", NULL},
        {"custody.strip_search_share", "strip_searches", "detentions"},
        {"custody.out_of_court_share", "out_of_court", "disposals"},
        {"custody.charge_share", "charged", "disposals"},
    };
    const struct eqm_service *s = &eqm_custody_service;
    (void)state;

    assert_int_equal(s->n_measures, sizeof(want) / sizeof(want[0]));
    for (int i = 0; i < s->n_measures; i++) {
        const struct eqm_measure *m = &s->measures[i];
        assert_string_equal(m->name, want[i].name);
        assert_int_equal(m->numerator, col(want[i].numerator));
        if (want[i].base)
            assert_int_equal(m->base, col(want[i].base));
        else
            assert_int_equal(m->base, EQM_BASE_POPULATION);
    }
    /* Dimensions and their reference groups. */
    assert_int_equal(s->n_dimensions, 6);
    assert_string_equal(s->dimensions[0].name, "ethnicity");
    assert_string_equal(s->dimensions[0].reference, "white");
    assert_true(s->dimensions[0].ethnic);
    assert_string_equal(s->dimensions[1].name, "gender");
    assert_string_equal(s->dimensions[1].reference, "male");
    assert_false(s->dimensions[1].ethnic);
    assert_string_equal(s->dimensions[2].name, "age_range");
    assert_string_equal(s->dimensions[2].reference, "over 34");
    assert_false(s->dimensions[2].ethnic);
    assert_string_equal(s->dimensions[3].name, "self_defined_ethnicity");
    assert_string_equal(s->dimensions[3].reference, "white");
    assert_true(s->dimensions[3].ethnic);
    assert_string_equal(s->dimensions[4].name, "ethnicity_detailed");
    assert_string_equal(s->dimensions[4].reference, "white_british");
    assert_true(s->dimensions[4].ethnic);
    assert_string_equal(s->dimensions[5].name, "officer_defined_ethnicity");
    assert_string_equal(s->dimensions[5].reference, "white");
    assert_true(s->dimensions[5].ethnic);
}

/* Strip searches and detentions are separate events, so a window can hold
 * more strip searches than detentions for a group: no share, no ratio, and a
 * note that says why (not one blaming the population). */
static void test_share_above_100_percent(void **state) {
    const struct eqm_service *s = &eqm_custody_service;
    const struct eqm_measure *share = NULL, *rate = NULL;
    struct eqm_metrics_row row = {"force", "ethnicity", "black", 28, {0}};
    struct eqm_metrics_row ref = {"force", "ethnicity", "white", 28, {0}};
    struct eqm_figure f;
    (void)state;

    for (int i = 0; i < s->n_measures; i++) {
        if (!strcmp(s->measures[i].name, "custody.strip_search_share"))
            share = &s->measures[i];
        if (!strcmp(s->measures[i].name, "custody.strip_searches"))
            rate = &s->measures[i];
    }
    assert_non_null(share);
    assert_non_null(rate);
    row.counts[col("strip_searches")] = 3;
    row.counts[col("detentions")] = 2;
    ref.counts[col("strip_searches")] = 10;
    ref.counts[col("detentions")] = 100;

    eqm_metrics_figure(share, &s->dimensions[0], &row, &ref, -1, -1, &f);
    assert_int_equal(f.n, 3);
    assert_int_equal(f.base, 2);
    assert_false(f.rate.has_value);
    assert_false(f.ratio.has_value);
    assert_string_equal(f.note, "more events than their base (a share above 100%): no ratio");

    /* The same counts against the population are an ordinary rate ratio:
     * (3 / 1000) / (10 / 100000) = 30. */
    eqm_metrics_figure(rate, &s->dimensions[0], &row, &ref, 1000, 100000, &f);
    assert_true(f.ratio.has_value);
    assert_true(f.ratio.has_ci);
    assert_true(fabs(f.ratio.value - 30.0) < 1e-12);
    assert_null(f.note);
}

/* ---- one event of each type ------------------------------------------- */

static void test_arrest(void **state) {
    struct harness *f = *state;
    static const char *const ones[] = {"arrests", NULL};

    assert_int_equal(run(f, event("arrest", ",\"ethnicity\":\"Black/African/Caribbean/Black "
                                            "British - Caribbean\",\"gender\":\"Male\","
                                            "\"age_range\":\"18-24\"")),
                     0);
    expect_rows(f, AREA, FORCE, "black", "male", "18-24", ones);
    /* The force's own events are kept once. */
    assert_int_equal(run_force(f, event("arrest", ""), AREA), 0);
    expect_rows(f, AREA, AREA, "not_stated", "not_stated", "not_stated", ones);
}

static void test_detention_and_strip_search(void **state) {
    struct harness *f = *state;
    static const char *const det[] = {"detentions", NULL};
    static const char *const strip[] = {"strip_searches", NULL};

    assert_int_equal(run(f, event("detention", ",\"ethnicity\":\"white\",\"sex\":\"F\","
                                               "\"age_range\":\"over 34\"")),
                     0);
    expect_rows(f, AREA, FORCE, "white", "female", "over 34", det);
    assert_int_equal(run(f, event("strip_search", ",\"self_defined_ethnicity\":\"Asian/Asian "
                                                  "British - Pakistani\",\"age\":16")),
                     0);
    expect_rows(f, AREA, FORCE, "asian", "not_stated", "10-17", strip);
}

static void test_use_of_force_tactics(void **state) {
    struct harness *f = *state;
    static const char *const ones[] = {"use_of_force",
                                       "tactic_handcuffing",
                                       "tactic_taser_discharged",
                                       "tactic_restraint",
                                       "tactic_other",
                                       "uof_custody",
                                       NULL};

    /* Aliases, case and separators; a repeat and a blank count nothing
     * extra; "shield" is not a known tactic: other. */
    assert_int_equal(
        run(f, event("use_of_force",
                     ",\"ethnicity\":\"Mixed/Multiple ethnic groups - White and Asian\","
                     "\"gender\":\"female\",\"age_range\":\"25-34\",\"setting\":\"custody\","
                     "\"tactics\":[\"Handcuffing\",\"taser_fired\",\"Ground restraint\","
                     "\"shield\",\"handcuffing\",\"\",\"  \"]")),
        0);
    expect_rows(f, AREA, FORCE, "mixed", "female", "25-34", ones);
}

static void test_use_of_force_without_tactics(void **state) {
    struct harness *f = *state;
    static const char *const community[] = {"use_of_force", "tactic_not_recorded", "uof_community",
                                            NULL};
    static const char *const unknown_setting[] = {"use_of_force", "tactic_not_recorded", NULL};
    static const char *const forms[] = {"", ",\"tactics\":null", ",\"tactics\":[]",
                                        ",\"tactics\":[\"\",\" \"]"};

    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        char extra[128];
        snprintf(extra, sizeof(extra), ",\"setting\":\" Community \"%s", forms[i]);
        if (run(f, event("use_of_force", extra)) != 0)
            fail_msg("%s refused: %s", extra, f->rej.reason);
        expect_rows(f, AREA, FORCE, "not_stated", "not_stated", "not_stated", community);
    }
    /* A setting outside the contract's two is kept as unknown: the use of
     * force still counts. */
    assert_int_equal(run(f, event("use_of_force", ",\"setting\":\"street\"")), 0);
    expect_rows(f, AREA, FORCE, "not_stated", "not_stated", "not_stated", unknown_setting);
    assert_int_equal(run(f, event("use_of_force", ",\"setting\":7")), 0);
    expect_rows(f, AREA, FORCE, "not_stated", "not_stated", "not_stated", unknown_setting);
}

static void test_every_tactic_counts_its_column(void **state) {
    struct harness *f = *state;
    static const char *const names[] = {
        "handcuffing",
        "restraint",
        "limb_restraints",
        "unarmed_skills",
        "spit_guard",
        "taser_drawn",
        "taser_aimed",
        "taser_discharged",
        "baton",
        "irritant_spray",
        "dog",
        "firearm",
        "other",
    };

    assert_int_equal(EQM_CUSTODY_N_TACTICS, 13);
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char extra[128], column[64];
        const char *ones[4];
        snprintf(extra, sizeof(extra), ",\"tactics\":[\"%s\"]", names[i]);
        snprintf(column, sizeof(column), "tactic_%s", names[i]);
        ones[0] = "use_of_force";
        ones[1] = column;
        ones[2] = NULL;
        assert_int_equal(run(f, event("use_of_force", extra)), 0);
        expect_rows(f, AREA, FORCE, "not_stated", "not_stated", "not_stated", ones);
        assert_string_equal(eqm_custody_tactics[i], names[i]);
    }
}

static void test_tactic_names(void **state) {
    static const struct {
        const char *in;
        const char *tactic; /* NULL: names no tactic */
        bool known;
    } cases[] = {
        {"handcuffing", "handcuffing", true},
        {"  HANDCUFFING\t", "handcuffing", true},
        {"handcuffs", "handcuffing", true},
        {"Non-compliant handcuffing", "handcuffing", true},
        {"compliant handcuffing", "handcuffing", true},
        {"restraint", "restraint", true},
        {"ground_restraint", "restraint", true},
        {"Ground  restraint", "restraint", true},
        {"limb/body restraints", "limb_restraints", true},
        {"limb restraint", "limb_restraints", true},
        {"limb and body restraints", "limb_restraints", true},
        {"unarmed skills", "unarmed_skills", true},
        {"unarmed skill", "unarmed_skills", true},
        {"spit guard", "spit_guard", true},
        {"Spit and bite guard", "spit_guard", true},
        {"spit/bite guard", "spit_guard", true},
        {"spit hood", "spit_guard", true},
        {"taser drawn", "taser_drawn", true},
        {"CED drawn", "taser_drawn", true},
        {"taser-aimed", "taser_aimed", true},
        {"CED aimed", "taser_aimed", true},
        {"Taser red-dotted", "taser_aimed", true},
        {"taser red dot", "taser_aimed", true},
        {"taser_discharged", "taser_discharged", true},
        {"taser_fired", "taser_discharged", true},
        {"Taser fired", "taser_discharged", true},
        {"CED fired", "taser_discharged", true},
        {"CED discharged", "taser_discharged", true},
        {"baton", "baton", true},
        {"baton drawn", "baton", true},
        {"Baton used", "baton", true},
        {"irritant spray", "irritant_spray", true},
        {"PAVA", "irritant_spray", true},
        {"PAVA spray", "irritant_spray", true},
        {"CS spray", "irritant_spray", true},
        {"dog", "dog", true},
        {"police dog", "dog", true},
        {"dog deployed", "dog", true},
        {"dog bite", "dog", true},
        {"firearm", "firearm", true},
        {"firearms", "firearm", true},
        {"firearm aimed", "firearm", true},
        {"firearm fired", "firearm", true},
        {"other", "other", true},
        {"Other", "other", true},
        {"shield", "other", false},
        {"taser", "other", false}, /* drawn, aimed or fired: cannot tell */
        {"AEP", "other", false},
        {"handcuffing!", "other", false},
        {"x1234567890123456789012345678901234567890123456789012345678901234567890", "other", false},
        {"", NULL, false},
        {"   ", NULL, false},
        {" - / ", NULL, false},
    };
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bool known = !cases[i].known;
        int t = eqm_custody_tactic(cases[i].in, &known);
        if (!cases[i].tactic) {
            if (t != -1)
                fail_msg("\"%s\": tactic %d, expected none", cases[i].in, t);
            continue;
        }
        if (t < 0 || strcmp(eqm_custody_tactics[t], cases[i].tactic))
            fail_msg("\"%s\": %s, expected %s", cases[i].in,
                     t < 0 ? "none" : eqm_custody_tactics[t], cases[i].tactic);
        if (known != cases[i].known)
            fail_msg("\"%s\": known %d, expected %d", cases[i].in, known, cases[i].known);
    }
    assert_int_equal(eqm_custody_tactic("dog", NULL), 10);
}

/* Unknown tactics are logged, once per spelling. stderr goes to a file for
 * the duration. */
static void test_unknown_tactic_logged(void **state) {
    struct harness *f = *state;
    char path[] = "/tmp/eqm-custody-log-XXXXXX", text[4096];
    int fd = mkstemp(path), saved = dup(2);
    FILE *fp;
    size_t n;
    const char *first, *second;

    assert_true(fd >= 0 && saved >= 0);
    fflush(stderr);
    assert_true(dup2(fd, 2) >= 0);
    assert_int_equal(run(f, event("use_of_force", ",\"tactics\":[\"bean bag round\"]")), 0);
    assert_int_equal(run(f, event("use_of_force", ",\"tactics\":[\"bean bag round\"]")), 0);
    assert_int_equal(run(f, event("use_of_force", ",\"tactics\":[\"handcuffing\"]")), 0);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    fp = fdopen(fd, "r");
    assert_non_null(fp);
    rewind(fp);
    n = fread(text, 1, sizeof(text) - 1, fp);
    text[n] = '\0';
    fclose(fp);
    unlink(path);
    first = strstr(text, "unknown use-of-force tactic counted as other");
    if (!first || !strstr(text, "tactic=\"bean bag round\"") || !strstr(text, "event_id=\"t-1\""))
        fail_msg("no warning naming the tactic and the event in: %s", text);
    second = strstr(first + 1, "unknown use-of-force tactic");
    if (second)
        fail_msg("the same spelling was logged twice: %s", text);
    assert_null(strstr(text, "handcuffing"));
}

static void test_disposals(void **state) {
    struct harness *f = *state;
    static const struct {
        const char *outcome;
        bool out_of_court, charged;
    } cases[] = {
        {"charged", false, true},
        {"caution", true, false},
        {"community_resolution", true, false},
        {"penalty_notice", true, false},
        {"cannabis_warning", true, false},
        {"no_further_action", false, false},
        {"released_under_investigation", false, false},
        {"bail", false, false},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char extra[128];
        const char *ones[4];
        int k = 0;
        snprintf(extra, sizeof(extra), ",\"outcome\":\"%s\",\"gender\":\"Other\"",
                 cases[i].outcome);
        ones[k++] = "disposals";
        if (cases[i].out_of_court)
            ones[k++] = "out_of_court";
        if (cases[i].charged)
            ones[k++] = "charged";
        ones[k] = NULL;
        if (run(f, event("disposal", extra)) != 0)
            fail_msg("%s refused: %s", cases[i].outcome, f->rej.reason);
        expect_rows(f, AREA, FORCE, "not_stated", "other", "not_stated", ones);
    }
}

/* Fields of other types are not this event's business. */
static void test_fields_of_other_types_ignored(void **state) {
    struct harness *f = *state;
    static const char *const arrests[] = {"arrests", NULL};

    assert_int_equal(run(f, event("arrest", ",\"tactics\":5,\"outcome\":\"convicted\","
                                            "\"setting\":\"custody\"")),
                     0);
    expect_rows(f, AREA, FORCE, "not_stated", "not_stated", "not_stated", arrests);
}

/* ---- refused events ---------------------------------------------------- */

static void test_rejects(void **state) {
    struct harness *f = *state;
    static const struct {
        const char *type, *extra, *code, *words;
    } cases[] = {
        {"stop_search", "", "unknown_event_type", "expected arrest, detention, strip_search"},
        {"Arrest", "", "unknown_event_type", "\"Arrest\" is not one this topic carries"},
        {"arrests", "", "unknown_event_type", "not one this topic carries"},
        {"disposal", "", "missing_outcome", "a disposal needs an outcome: one of charged"},
        {"disposal", ",\"outcome\":null", "missing_outcome", "needs an outcome"},
        {"disposal", ",\"outcome\":\" \"", "missing_outcome", "needs an outcome"},
        {"disposal", ",\"outcome\":\"convicted\"", "bad_outcome",
         "outcome \"convicted\" is not one of charged"},
        {"disposal", ",\"outcome\":\"Charged\"", "bad_outcome", "\"Charged\" is not one of"},
        {"disposal", ",\"outcome\":\"charged \"", "bad_outcome", "is not one of"},
        {"disposal", ",\"outcome\":3", "bad_outcome", "outcome is a number; it must be a string"},
        {"disposal", ",\"outcome\":[\"charged\"]", "bad_outcome", "outcome is a list"},
        {"use_of_force", ",\"tactics\":\"handcuffing\"", "bad_tactics",
         "tactics must be a list of strings, e.g. [\"handcuffing\", \"restraint\"], not a string"},
        {"use_of_force", ",\"tactics\":{\"handcuffing\":true}", "bad_tactics", "not an object"},
        {"use_of_force", ",\"tactics\":true", "bad_tactics", "not a boolean"},
        {"use_of_force", ",\"tactics\":[\"handcuffing\",3]", "bad_tactics",
         "tactics[1] is a number; every tactic must be a string"},
        {"use_of_force", ",\"tactics\":[\"handcuffing\",null]", "bad_tactics",
         "tactics[1] is null"},
        {"use_of_force", ",\"tactics\":[[\"handcuffing\"]]", "bad_tactics", "tactics[0] is a list"},
        {"use_of_force", ",\"officer_defined_ethnicity\":3", "bad_officer_defined_ethnicity",
         "officer_defined_ethnicity is a number; it must be a string such as \"White\""},
        {"arrest", ",\"officer_defined_ethnicity\":[\"Black\"]", "bad_officer_defined_ethnicity",
         "officer_defined_ethnicity is a list"},
        {"disposal", ",\"outcome\":\"charged\",\"officer_defined_ethnicity\":{}",
         "bad_officer_defined_ethnicity", "is an object"},
        {"detention", ",\"officer_defined_ethnicity\":false", "bad_officer_defined_ethnicity",
         "is a boolean"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int rc = run(f, event(cases[i].type, cases[i].extra));
        if (rc != -1)
            fail_msg("case %zu (%s%s): rc %d, expected -1", i, cases[i].type, cases[i].extra, rc);
        if (!f->rej.code || strcmp(f->rej.code, cases[i].code))
            fail_msg("case %zu: code %s, expected %s", i, f->rej.code ? f->rej.code : "(none)",
                     cases[i].code);
        if (!strstr(f->rej.reason, cases[i].words))
            fail_msg("case %zu: reason \"%s\" lacks \"%s\"", i, f->rej.reason, cases[i].words);
        /* A refused event adds nothing. */
        assert_int_equal(eqm_sink_collect_rows(f->sink), 0);
    }
}

/* ---- characteristics --------------------------------------------------- */

static void test_characteristics(void **state) {
    struct harness *f = *state;
    static const char *const arrests[] = {"arrests", NULL};
    static const struct {
        const char *extra, *eth, *gender, *age;
    } cases[] = {
        {"", "not_stated", "not_stated", "not_stated"},
        {",\"ethnicity\":null,\"gender\":null,\"age_range\":null", "not_stated", "not_stated",
         "not_stated"},
        {",\"ethnicity\":\"\",\"gender\":\" \",\"age_range\":\"\"", "not_stated", "not_stated",
         "not_stated"},
        {",\"ethnicity\":5,\"gender\":true,\"age_range\":[1]", "not_stated", "not_stated",
         "not_stated"},
        {",\"ethnicity\":\"Other ethnic group - Not stated\",\"gender\":\"Not stated\"",
         "not_stated", "not_stated", "not_stated"},
        {",\"ethnicity\":\"Martian\",\"gender\":\"unknown\",\"age_range\":\"35+\"", "not_stated",
         "not_stated", "not_stated"},
        {",\"ethnicity\":\"White - Polish\",\"gender\":\"m\",\"age_range\":\" Over 34 \"", "white",
         "male", "over 34"},
        {",\"ethnicity\":\"Other ethnic group: Kurdish\",\"sex\":\"Female\"", "other", "female",
         "not_stated"},
        {",\"ethnicity\":\"ASIAN\",\"gender\":\"Non-binary\",\"age_range\":\"under 10\"", "asian",
         "other", "under 10"},
        /* ethnicity wins over self_defined_ethnicity; gender over sex. */
        {",\"ethnicity\":\"black\",\"self_defined_ethnicity\":\"white\",\"gender\":\"F\","
         "\"sex\":\"M\"",
         "black", "female", "not_stated"},
        {",\"ethnicity\":null,\"self_defined_ethnicity\":\"Mixed/Multiple ethnic groups - White "
         "and Black Caribbean\"",
         "mixed", "not_stated", "not_stated"},
        /* An age in years when there is no usable band; a band wins. */
        {",\"age\":9", "not_stated", "not_stated", "under 10"},
        {",\"age\":10", "not_stated", "not_stated", "10-17"},
        {",\"age\":17", "not_stated", "not_stated", "10-17"},
        {",\"age\":18", "not_stated", "not_stated", "18-24"},
        {",\"age\":24", "not_stated", "not_stated", "18-24"},
        {",\"age\":25", "not_stated", "not_stated", "25-34"},
        {",\"age\":34", "not_stated", "not_stated", "25-34"},
        {",\"age\":35", "not_stated", "not_stated", "over 34"},
        {",\"age\":130", "not_stated", "not_stated", "over 34"},
        {",\"age\":131", "not_stated", "not_stated", "not_stated"},
        {",\"age\":-1", "not_stated", "not_stated", "not_stated"},
        {",\"age\":\"30\"", "not_stated", "not_stated", "not_stated"},
        {",\"age\":30.5", "not_stated", "not_stated", "not_stated"},
        {",\"age\":40,\"age_range\":\"18-24\"", "not_stated", "not_stated", "18-24"},
        {",\"age\":40,\"age_range\":\"unknown\"", "not_stated", "not_stated", "over 34"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (run(f, event("arrest", cases[i].extra)) != 0)
            fail_msg("case %zu refused: %s", i, f->rej.reason);
        expect_rows(f, AREA, FORCE, cases[i].eth, cases[i].gender, cases[i].age, arrests);
    }
}

/* ---- officer-perceived ethnicity (issue 17) ---------------------------- */

/* Without the field: no officer_defined_ethnicity row, and a use of force
 * in the self-defined group, as before. */
static void test_without_officer_defined(void **state) {
    struct harness *f = *state;
    static const char *const uof[] = {"use_of_force", "tactic_handcuffing", NULL};
    static const char *const arrests[] = {"arrests", NULL};

    assert_int_equal(run(f, event("use_of_force", ",\"ethnicity\":\"black\","
                                                  "\"tactics\":[\"handcuffing\"]")),
                     0);
    expect_rows_od(f, AREA, FORCE, "black", NULL, "not_stated", "not_stated", uof);
    /* null is absent. */
    assert_int_equal(run(f, event("arrest", ",\"ethnicity\":\"asian\","
                                            "\"officer_defined_ethnicity\":null")),
                     0);
    expect_rows_od(f, AREA, FORCE, "asian", NULL, "not_stated", "not_stated", arrests);
}

/* A use of force counts in the officer-perceived group; the perceived
 * group is also its own dimension, and the self-defined one keeps its own.
 * Self-defined Black (police.uk's label), perceived White: ethnicity white,
 * officer_defined_ethnicity white, self_defined_ethnicity black. */
static void test_use_of_force_by_perceived_group(void **state) {
    struct harness *f = *state;
    static const char *const ones[] = {"use_of_force", "tactic_taser_discharged",
                                       "tactic_restraint", "uof_community", NULL};

    assert_int_equal(
        run(f, event("use_of_force",
                     ",\"ethnicity\":\"Black/African/Caribbean/Black British - African\","
                     "\"officer_defined_ethnicity\":\"White\",\"gender\":\"Male\","
                     "\"age_range\":\"18-24\",\"setting\":\"community\","
                     "\"tactics\":[\"taser_discharged\",\"restraint\"]")),
        0);
    expect_rows_self(f, AREA, FORCE, "white", "white", "black", "male", "18-24", ones);
    /* The force's own event: one row per dimension. */
    assert_int_equal(run_force(f,
                               event("use_of_force", ",\"ethnicity\":\"white\","
                                                     "\"officer_defined_ethnicity\":\"Asian\""),
                               AREA),
                     0);
    static const char *const bare[] = {"use_of_force", "tactic_not_recorded", NULL};
    expect_rows_self(f, AREA, AREA, "asian", "asian", "white", "not_stated", "not_stated", bare);
    /* Perceived and no self-defined ethnicity: the perceived group, and
     * the self-defined dimension's not_stated. */
    assert_int_equal(run(f, event("use_of_force", ",\"officer_defined_ethnicity\":\" black \"")),
                     0);
    expect_rows_self(f, AREA, FORCE, "black", "black", "not_stated", "not_stated", "not_stated",
                     bare);
}

/* A perceived group that is not stated (blank, "Not stated", a label we
 * do not know) is its own dimension's not_stated, and the use of force
 * falls back to the self-defined group. */
static void test_use_of_force_falls_back_to_self_defined(void **state) {
    struct harness *f = *state;
    static const char *const bare[] = {"use_of_force", "tactic_not_recorded", NULL};
    static const char *const forms[] = {"\"\"", "\"Not stated\"", "\"Martian\""};

    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        char extra[160];
        snprintf(extra, sizeof(extra),
                 ",\"self_defined_ethnicity\":\"Mixed/Multiple ethnic groups - White and "
                 "Black Caribbean\",\"officer_defined_ethnicity\":%s",
                 forms[i]);
        if (run(f, event("use_of_force", extra)) != 0)
            fail_msg("%s refused: %s", extra, f->rej.reason);
        expect_rows_od(f, AREA, FORCE, "mixed", "not_stated", "not_stated", "not_stated", bare);
    }
}

/* Every other measure stays on self-defined ethnicity: an arrest of a
 * person who defines themself as Black, perceived as White, is a Black
 * arrest, and a White one only in the officer_defined_ethnicity dimension. */
static void test_other_events_stay_self_defined(void **state) {
    struct harness *f = *state;
    static const char *const arrests[] = {"arrests", NULL};
    static const char *const det[] = {"detentions", NULL};
    static const char *const strip[] = {"strip_searches", NULL};
    static const char *const charged[] = {"disposals", "charged", NULL};

    assert_int_equal(run(f, event("arrest", ",\"ethnicity\":\"black\","
                                            "\"officer_defined_ethnicity\":\"White\","
                                            "\"gender\":\"F\",\"age\":30")),
                     0);
    expect_rows_od(f, AREA, FORCE, "black", "white", "female", "25-34", arrests);
    assert_int_equal(run(f, event("detention", ",\"ethnicity\":\"asian\","
                                               "\"officer_defined_ethnicity\":\"Other\"")),
                     0);
    expect_rows_od(f, AREA, FORCE, "asian", "other", "not_stated", "not_stated", det);
    assert_int_equal(run(f, event("strip_search", ",\"ethnicity\":\"white\","
                                                  "\"officer_defined_ethnicity\":\"Mixed\"")),
                     0);
    expect_rows_od(f, AREA, FORCE, "white", "mixed", "not_stated", "not_stated", strip);
    assert_int_equal(run(f, event("disposal", ",\"outcome\":\"charged\","
                                              "\"officer_defined_ethnicity\":\"Black\"")),
                     0);
    expect_rows_od(f, AREA, FORCE, "not_stated", "black", "not_stated", "not_stated", charged);
}

static void test_mapping_functions(void **state) {
    (void)state;
    assert_string_equal(eqm_custody_gender(NULL), "not_stated");
    assert_string_equal(eqm_custody_gender("  MALE "), "male");
    assert_string_equal(eqm_custody_gender("f"), "female");
    assert_string_equal(eqm_custody_gender("not_stated"), "not_stated");
    assert_string_equal(eqm_custody_gender("Other"), "other");
    assert_string_equal(eqm_custody_age_band(NULL), "not_stated");
    assert_string_equal(eqm_custody_age_band("10-17"), "10-17");
    assert_string_equal(eqm_custody_age_band("10 - 17"), "not_stated");
    assert_string_equal(eqm_custody_age_band_of_years(0), "under 10");
    assert_string_equal(eqm_custody_age_band_of_years(-5), "not_stated");
    assert_string_equal(eqm_custody_age_band_of_years(1000000000000LL), "not_stated");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_matches_migration),
        cmocka_unit_test(test_measures),
        cmocka_unit_test(test_share_above_100_percent),
        cmocka_unit_test_setup_teardown(test_arrest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_detention_and_strip_search, setup, teardown),
        cmocka_unit_test_setup_teardown(test_use_of_force_tactics, setup, teardown),
        cmocka_unit_test_setup_teardown(test_use_of_force_without_tactics, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_tactic_counts_its_column, setup, teardown),
        cmocka_unit_test(test_tactic_names),
        cmocka_unit_test_setup_teardown(test_unknown_tactic_logged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_disposals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fields_of_other_types_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rejects, setup, teardown),
        cmocka_unit_test_setup_teardown(test_characteristics, setup, teardown),
        cmocka_unit_test_setup_teardown(test_without_officer_defined, setup, teardown),
        cmocka_unit_test_setup_teardown(test_use_of_force_by_perceived_group, setup, teardown),
        cmocka_unit_test_setup_teardown(test_use_of_force_falls_back_to_self_defined, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_other_events_stay_self_defined, setup, teardown),
        cmocka_unit_test(test_mapping_functions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
