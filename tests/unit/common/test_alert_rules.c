/*
 * test_rules.c - alert rules as data: the built-in defaults load and cover
 * every measure family; each kind of mistake in a rules file is refused
 * with `file:rule N: message` naming the problem.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eqm/alert_rules.h"
#include "catalog.h"

#define OK_RULE                                                                                    \
    "{\"name\":\"r\",\"measure\":\"stop_search.searches\",\"dimension\":\"ethnicity\","            \
    "\"window_days\":365,\"comparison\":\">=\",\"threshold\":2,\"clear\":1.8,"                     \
    "\"audience\":\"stop-search-scrutiny-group\"}"

static void test_defaults_load(void **state) {
    struct eqm_alert_rules *rules = NULL;
    char err[512] = "";
    static const char *const families[] = {"stop_search.searches",
                                           "stop_search.find_rate",
                                           "stop_search.arrest_rate",
                                           "stop_search.section_60_share",
                                           "stop_search.strip_share",
                                           "custody.arrests",
                                           "custody.detentions",
                                           "custody.use_of_force",
                                           "custody.strip_searches",
                                           "custody.use_of_force_by_tactic.*",
                                           "custody.strip_search_share",
                                           "custody.out_of_court_share",
                                           "custody.charge_share",
                                           "recruitment.adverse_impact_ratio",
                                           "recruitment.withdrawal_rate_ratio",
                                           "workforce.representation_ratio",
                                           "workforce.leaver_rate_ratio"};
    (void)state;
    assert_int_equal(eqm_alert_rules_load(&rules, &eqm_alert_catalog, NULL, err, sizeof(err)), 0);
    assert_non_null(rules);
    assert_true(eqm_alert_rules_count(rules, "stop-search") >= 5);
    assert_true(eqm_alert_rules_count(rules, "custody") >= 8);
    assert_true(eqm_alert_rules_count(rules, "recruitment") >= 4);
    assert_int_equal(eqm_alert_rules_count(rules, "nothing"), 0);
    for (size_t f = 0; f < sizeof(families) / sizeof(families[0]); f++) {
        int found = 0;
        for (int i = 0; i < eqm_alert_rules_total(rules); i++)
            found |= strcmp(eqm_alert_rules_get(rules, i)->measure, families[f]) == 0;
        if (!found)
            fail_msg("no default rule for %s", families[f]);
    }
    {
        const struct eqm_alert_rule *r = eqm_alert_rules_get(rules, 0);
        assert_string_equal(r->name, "stop-search-rate-ethnicity");
        assert_int_equal(r->cmp, EQM_ALERT_GE);
        assert_true(r->threshold == 2.0 && r->clear == 1.8);
        assert_int_equal(r->n_steps, 1);
        assert_string_equal(r->step_severity[0], "critical");
        assert_int_equal((int)r->n_groups, 5);
        assert_int_equal(r->pending, 1);
    }
    eqm_alert_rules_free(&rules);
    assert_null(rules);
    eqm_alert_rules_free(&rules); /* NULL-safe */
}

/* A family's measure as a rule names it: a prefix family as "x.y.*". */
static void rule_measure(char *out, size_t size, const struct eqm_alert_family *fam) {
    snprintf(out, size, "%s%s", fam->measure, fam->prefix ? "*" : "");
}

/* Every family of every service in the catalogue has a rule in the
 * defaults (schemas/alert-rules.json, compiled in) that loads against it,
 * and is found by its own name under its own service's. */
static void test_every_family_loads_from_the_defaults(void **state) {
    struct eqm_alert_rules *rules = NULL;
    char err[512] = "", m[128];
    (void)state;
    assert_int_equal(eqm_alert_rules_load(&rules, &eqm_alert_catalog, NULL, err, sizeof(err)), 0);
    for (int s = 0; s < eqm_alert_catalog.n_sources; s++) {
        const struct eqm_alert_source *src = eqm_alert_catalog.sources[s];
        assert_true(src->n_families > 0);
        for (int i = 0; i < src->n_families; i++) {
            const struct eqm_alert_family *fam = &src->families[i];
            const char *source = NULL;
            int found = 0;
            rule_measure(m, sizeof(m), fam);
            assert_ptr_equal(eqm_alert_catalog_find(&eqm_alert_catalog, m, &source), fam);
            assert_string_equal(source, src->name);
            assert_non_null(fam->sql);
            assert_non_null(fam->value_field);
            for (int r = 0; r < eqm_alert_rules_total(rules); r++) {
                const struct eqm_alert_rule *rule = eqm_alert_rules_get(rules, r);
                if (rule->family == fam) {
                    assert_string_equal(rule->source, src->name);
                    found = 1;
                }
            }
            if (!found)
                fail_msg("no default rule for %s (%s)", m, src->name);
        }
    }
    eqm_alert_rules_free(&rules);
}

static void test_ok_and_defaults_of_optional_fields(void **state) {
    struct eqm_alert_rules *rules = NULL;
    char err[512] = "";
    const struct eqm_alert_rule *r;
    (void)state;
    assert_int_equal(eqm_alert_rules_parse(&rules, &eqm_alert_catalog, "{\"rules\":[" OK_RULE "]}",
                                           "t.json", err, sizeof(err)),
                     0);
    r = eqm_alert_rules_get(rules, 0);
    assert_string_equal(r->source, "stop-search");
    assert_null(r->groups);
    assert_int_equal(r->pending, 1);
    assert_int_equal(r->repeat_after_days, 0);
    assert_int_equal((int)r->min_count, 0);
    assert_false(r->require_significant);
    assert_string_equal(r->severity, "warning");
    assert_null(eqm_alert_rules_get(rules, 1));
    eqm_alert_rules_free(&rules);
}

/* Each case: rules JSON, and a fragment the error must contain. */
static const struct {
    const char *json, *expect;
} bad[] = {
    {"{\"rules\":[", "t.json:line 1:"},
    {"[]", "t.json: expected an object"},
    {"{\"rules\":[], \"rulez\":1}", "unknown top-level field \"rulez\""},
    {"{\"rules\":[" OK_RULE ", 3]}", "t.json:rule 2: a rule must be a JSON object"},
    {"{\"rules\":[{\"measure\":\"stop_search.searches\"}]}", "t.json:rule 1: \"name\" is required"},
    {"{\"rules\":[" OK_RULE "," OK_RULE "]}",
     "t.json:rule 2: name \"r\" is already used by rule 1"},
    {"{\"rules\":[{\"name\":\"x\",\"measure\":\"stop_search.nope\"}]}",
     "t.json:rule 1: unknown measure \"stop_search.nope\""},
    {"{\"rules\":[{\"name\":\"x\",\"measure\":\"custody.arrests\",\"dimension\":\"ethnicity\","
     "\"window_days\":0}]}",
     "t.json:rule 1: \"window_days\" is required"},
    {"{\"rules\":[{\"name\":\"x\",\"measure\":\"custody.arrests\",\"dimension\":\"ethnicity\","
     "\"window_days\":28,\"comparison\":\"=>\"}]}",
     "\"comparison\" must be one of"},
    {"{\"rules\":[{\"name\":\"x\",\"measure\":\"custody.arrests\",\"dimension\":\"ethnicity\","
     "\"window_days\":28,\"comparison\":\">=\",\"threshold\":2,\"clear\":2.5}]}",
     "t.json:rule 1: \"clear\" (2.5) must be on the safe side of \"threshold\" (2): at most"},
    {"{\"rules\":[{\"name\":\"x\",\"measure\":\"recruitment.adverse_impact_ratio\",\"dimension\":"
     "\"ethnicity\",\"window_days\":28,\"comparison\":\"<\",\"threshold\":0.8,\"clear\":0.7}]}",
     "at least it for \"<\""},
    {"{\"rules\":[{\"name\":\"x\",\"measure\":\"custody.arrests\",\"dimension\":\"ethnicity\","
     "\"window_days\":28,\"comparison\":\">=\",\"threshold\":2,\"audience\":\"a\","
     "\"severity_steps\":[{\"at\":1.5,\"severity\":\"critical\"}]}]}",
     "\"severity_steps\" item 1: \"at\" 1.5 must be higher"},
    {"{\"rules\":[{\"name\":\"x\",\"measure\":\"custody.arrests\",\"dimension\":\"ethnicity\","
     "\"window_days\":28,\"comparison\":\">=\",\"threshold\":2}]}",
     "t.json:rule 1: \"audience\" is required"},
    {"{\"rules\":[{\"name\":\"x\",\"measure\":\"custody.arrests\",\"dimension\":\"ethnicity\","
     "\"window_days\":28,\"comparison\":\">=\",\"threshold\":2,\"audience\":\"a\","
     "\"pending\":0}]}",
     "\"pending\" must be an integer from 1"},
    {"{\"rules\":[{\"name\":\"x\",\"measure\":\"custody.arrests\",\"dimension\":\"ethnicity\","
     "\"window_days\":28,\"comparison\":\">=\",\"threshold\":2,\"audience\":\"a\","
     "\"min_count\":-1}]}",
     "\"min_count\" must be a non-negative integer"},
    {"{\"rules\":[{\"name\":\"x\",\"measure\":\"custody.arrests\",\"dimension\":\"ethnicity\","
     "\"window_days\":28,\"comparison\":\">=\",\"threshold\":2,\"audience\":\"a\","
     "\"groups\":[]}]}",
     "\"groups\" must be \"all\" or a non-empty array"},
    {"{\"rules\":[{\"name\":\"x\",\"measure\":\"custody.arrests\",\"dimension\":\"ethnicity\","
     "\"window_days\":28,\"comparison\":\">=\",\"threshold\":2,\"audience\":\"a\","
     "\"treshold\":3}]}",
     "t.json:rule 1: unknown field \"treshold\""},
    {"{\"rules\":[{\"name\":\"x\",\"measure\":\"custody.arrests\",\"dimension\":\"ethnicity\","
     "\"window_days\":28,\"comparison\":\">=\",\"threshold\":2,\"audience\":\"a\","
     "\"require_significant\":\"yes\"}]}",
     "\"require_significant\" must be true or false"},
};

static void test_errors(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct eqm_alert_rules *rules = (struct eqm_alert_rules *)&bad; /* must stay untouched */
        char err[512] = "";
        if (eqm_alert_rules_parse(&rules, &eqm_alert_catalog, bad[i].json, "t.json", err,
                                  sizeof(err)) != -1)
            fail_msg("case %zu accepted: %s", i, bad[i].json);
        assert_ptr_equal(rules, (struct eqm_alert_rules *)&bad);
        if (!strstr(err, bad[i].expect))
            fail_msg("case %zu: error \"%s\" lacks \"%s\"", i, err, bad[i].expect);
    }
}

static void test_file_errors_name_the_file(void **state) {
    char path[] = "/tmp/eqm-rules-XXXXXX";
    int fd = mkstemp(path);
    struct eqm_alert_rules *rules = NULL;
    char err[512] = "", want[128];
    const char *text = "{\"rules\":[" OK_RULE ",{\"name\":\"y\"}]}";
    (void)state;
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (int)strlen(text));
    close(fd);
    assert_int_equal(eqm_alert_rules_load(&rules, &eqm_alert_catalog, path, err, sizeof(err)), -1);
    snprintf(want, sizeof(want), "%s:rule 2: \"measure\" is required: a string", path);
    assert_string_equal(err, want);
    unlink(path);
    assert_int_equal(eqm_alert_rules_load(&rules, &eqm_alert_catalog, path, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "cannot open"));
    assert_null(rules);
}

/* A rule on a window the service does not compute is refused by name;
 * other services' rules are not its business. */
static void test_rule_windows_checked(void **state) {
    struct eqm_alert_rules *rules = NULL;
    char err[512] = "";
    const int all[] = {28, 91, 365}, short_only[] = {28, 91};
    const char *text = "{\"rules\":[" OK_RULE ",{\"name\":\"c\",\"measure\":\"custody.arrests\","
                       "\"dimension\":\"ethnicity\",\"window_days\":91,\"comparison\":\">=\","
                       "\"threshold\":2,\"audience\":\"a\"}]}";
    (void)state;
    assert_int_equal(
        eqm_alert_rules_parse(&rules, &eqm_alert_catalog, text, "t.json", err, sizeof(err)), 0);
    assert_int_equal(
        eqm_alert_rules_check_windows(rules, "t.json", "stop-search", all, 3, err, sizeof(err)), 0);
    assert_int_equal(eqm_alert_rules_check_windows(rules, "t.json", "stop-search", short_only, 2,
                                                   err, sizeof(err)),
                     -1);
    assert_string_equal(err, "t.json:rule 1 (\"r\"): \"window_days\": 365 is not one of the "
                             "windows stop-search computes (windows = 28,91), so the rule would "
                             "never fire; add 365 to windows, or change the rule");
    /* The custody rule's 91 days are there; the stop-search rule is not custody's. */
    assert_int_equal(
        eqm_alert_rules_check_windows(rules, "", "custody", short_only, 2, err, sizeof(err)), 0);
    assert_int_equal(eqm_alert_rules_check_windows(rules, "", "custody", all, 1, err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "(built-in defaults):rule 2 (\"c\"): \"window_days\": 91"));
    eqm_alert_rules_free(&rules);
    /* The defaults fit the default windows, for every service. */
    assert_int_equal(eqm_alert_rules_load(&rules, &eqm_alert_catalog, NULL, err, sizeof(err)), 0);
    assert_int_equal(
        eqm_alert_rules_check_windows(rules, "", "stop-search", all, 3, err, sizeof(err)), 0);
    assert_int_equal(eqm_alert_rules_check_windows(rules, "", "custody", all, 3, err, sizeof(err)),
                     0);
    assert_int_equal(
        eqm_alert_rules_check_windows(rules, "", "recruitment", all, 3, err, sizeof(err)), 0);
    eqm_alert_rules_free(&rules);
}

/* The catalogue decides what a rule may name and whose it is: a small
 * one of its own shows how (families in order, a prefix family by "x.*"
 * or in full, the list an unknown measure is told). */
static void test_catalog_names_the_source(void **state) {
    static const struct eqm_alert_family a_fams[] = {{.measure = "a.one"}, {.measure = "a.two"}};
    static const struct eqm_alert_family b_fams[] = {{.measure = "b.one"},
                                                     {.measure = "c.each.", .prefix = true}};
    static const struct eqm_alert_source a = {"svc-a", a_fams, 2}, b = {"svc-b", b_fams, 2};
    static const struct eqm_alert_source *const sources[] = {&a, &b};
    static const struct eqm_alert_catalog cat = {sources, 2};
    const char *source = NULL;
    struct eqm_alert_rules *rules = NULL;
    char err[512] = "";
    (void)state;
    assert_ptr_equal(eqm_alert_catalog_find(&cat, "a.two", &source), &a_fams[1]);
    assert_string_equal(source, "svc-a");
    assert_ptr_equal(eqm_alert_catalog_find(&cat, "c.each.*", &source), &b_fams[1]);
    assert_string_equal(source, "svc-b");
    assert_ptr_equal(eqm_alert_catalog_find(&cat, "c.each.some_thing", NULL), &b_fams[1]);
    assert_null(eqm_alert_catalog_find(&cat, "c.each.", NULL));
    assert_null(eqm_alert_catalog_find(&cat, "c.each.Upper", NULL));
    assert_null(eqm_alert_catalog_find(&cat, "a.three", NULL));
    assert_null(eqm_alert_catalog_find(NULL, "a.one", NULL));
    assert_int_equal(eqm_alert_rules_parse(&rules, &cat,
                                           "{\"rules\":[{\"name\":\"x\",\"measure\":"
                                           "\"a.three\"}]}",
                                           "t.json", err, sizeof(err)),
                     -1);
    assert_string_equal(err, "t.json:rule 1: unknown measure \"a.three\" (a.*, b.one, c.each.*)");
    assert_null(rules);
    assert_int_equal(eqm_alert_rules_parse(&rules, &cat,
                                           "{\"rules\":[{\"name\":\"x\",\"measure\":\"c.each.*\","
                                           "\"dimension\":\"d\",\"window_days\":28,"
                                           "\"comparison\":\">=\",\"threshold\":2,"
                                           "\"audience\":\"a\"}]}",
                                           "t.json", err, sizeof(err)),
                     0);
    assert_ptr_equal(eqm_alert_rules_get(rules, 0)->family, &b_fams[1]);
    assert_string_equal(eqm_alert_rules_get(rules, 0)->source, "svc-b");
    assert_int_equal(eqm_alert_rules_count(rules, "svc-b"), 1);
    eqm_alert_rules_free(&rules);
}

EQM_UNIT_MAIN(test_defaults_load, test_every_family_loads_from_the_defaults,
              test_ok_and_defaults_of_optional_fields, test_errors, test_file_errors_name_the_file,
              test_rule_windows_checked, test_catalog_names_the_source)
