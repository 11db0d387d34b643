/*
 * test_fixtures.c - every file under tests/fixtures/{valid,invalid}/custody
 * goes through the consumer's own path: eqm_message_parse() on the file's
 * bytes, then the custody handler (the walk and the invalid/ checks are
 * tests/unit/support/fixture_walk.c).
 *
 *   valid/    must be accepted and add one row per dimension for the area
 *             and one for the whole force (none twice when area = force).
 *             Each file says, in fields the consumer ignores, what it must
 *             count: "x_expect" lists the counters that must be 1 (all
 *             others 0) and "x_groups" the group of each dimension (its
 *             self_defined_ethnicity group is its ethnicity group: none
 *             of the files carries an officer-perceived group);
 *   invalid/  must be refused with a reason code and words. A file named
 *             "<code>__<what>.<ext>" must be refused with exactly that code.
 *
 * tests/integration/test_custody_schema_fixtures.sh checks the same files
 * against schemas/events/custody.schema.json, so the schema and the C code
 * are held to one split (schemas/events/README.md, "custody.events").
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "custody.h"
#include "eqm/ethnicity.h"
#include "fixture_walk.h"

/* Index of a count column by name, or -1. */
static int column(const char *name) {
    const struct eqm_counts_table *t = &eqm_custody_service.tables[0];
    for (int c = 0; c < t->n_count_columns; c++)
        if (!strcmp(t->count_columns[c], name))
            return c;
    return -1;
}

/* The file's own expectations ("x_expect", "x_groups") against the rows. */
static void check_expectations(const char *name, const char *bytes, size_t len,
                               const struct eqm_sink *sink, const char *area, size_t want) {
    json_error_t jerr;
    json_t *doc = json_loadb(bytes, len, 0, &jerr);
    const json_t *ones, *groups, *v;
    int64_t expected[CU__COUNT] = {0};
    size_t k;

    if (!doc)
        fail_msg("valid/%s: %s", name, jerr.text);
    if (json_object_get(doc, "officer_defined_ethnicity"))
        fail_msg("valid/%s: a perceived group adds rows this check does not expect", name);
    ones = json_object_get(doc, "x_expect");
    groups = json_object_get(doc, "x_groups");
    if (!json_is_array(ones) || json_array_size(ones) == 0 || !json_is_object(groups) ||
        json_object_size(groups) != 3)
        fail_msg("valid/%s: needs x_expect (counters) and x_groups (3 dimensions)", name);
    json_array_foreach(ones, k, v) {
        int c = column(json_string_value(v));
        if (c < 0)
            fail_msg("valid/%s: x_expect names no counter: %s", name, json_string_value(v));
        expected[c] = 1;
    }
    for (size_t r = 0; r < want; r++) {
        const char *const *parts;
        const int64_t *counts;
        const char *grp;

        assert_int_equal(eqm_sink_collect_row(sink, r, &parts, &counts), 0);
        assert_true(!strcmp(parts[0], area) || !strcmp(parts[0], FIXTURE_FORCE));
        if (!strcmp(parts[1], "ethnicity_detailed")) {
            /* Not in x_groups: any detailed group (test_ethnicity_detailed
             * checks the mapping). */
            assert_true(eqm_ethnicity_detailed_broad(parts[2], NULL));
            continue;
        }
        grp = json_string_value(json_object_get(
            groups, strcmp(parts[1], "self_defined_ethnicity") ? parts[1] : "ethnicity"));
        if (!grp || strcmp(grp, parts[2]))
            fail_msg("valid/%s: %s group %s, expected %s", name, parts[1], parts[2],
                     grp ? grp : "(none)");
        for (int c = 0; c < CU__COUNT; c++)
            if (counts[c] != expected[c])
                fail_msg("valid/%s: %s = %lld, expected %lld", name,
                         eqm_custody_service.tables[0].count_columns[c], (long long)counts[c],
                         (long long)expected[c]);
    }
    json_decref(doc);
}

int main(void) {
    static const struct fixture_service fs = {
        .svc = &eqm_custody_service,
        .topic = "custody",
        .min_valid = 20,
        .min_invalid = 20,
        .rows_area = 10,
        .rows_force = 5,
        .check_valid = check_expectations,
    };
    return fixture_run(&fs);
}
