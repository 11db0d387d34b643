/*
 * test_fixtures.c - every file under tests/fixtures/{valid,invalid}/
 * stop-search goes through the consumer's own path: eqm_message_parse()
 * on the file's bytes, then the stop_search handler (the walk and the
 * invalid/ checks are tests/unit/support/fixture_walk.c).
 *
 *   valid/    must be accepted and add one row per dimension for the area
 *             and one for the whole force (none twice when area = force),
 *             and as many of the agreement table when both ethnicities are
 *             there;
 *   invalid/  must be refused with a reason code and words. A file named
 *             "<code>__<what>.<ext>" must be refused with exactly that code.
 *
 * tests/integration/test_schema_fixtures.sh checks the same files against
 * schemas/events/stop-search.schema.json, so the schema and the C code are
 * held to one split (see schemas/events/README.md for the limits).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include <jansson.h>

#include "fixture_walk.h"
#include "stop_search.h"

/* Every row of the counts counts the one search, for the area or the
 * force, under one power and with one outcome: one a dimension for the
 * area and one for the force (none twice when area = force). An event
 * that carries both ethnicities adds one row of the agreement table for
 * each too, with its one search; any other, none. */
static void check_valid(const char *name, const char *bytes, size_t len,
                        const struct eqm_sink *sink, const char *area, size_t want) {
    bool force = !strcmp(area, FIXTURE_FORCE);
    size_t counts_rows = 0, agreement_rows = 0;
    json_t *event = json_loadb(bytes, len, 0, NULL);

    (void)want; /* rows_area 0: counted here */
    if (!event)
        fail_msg("valid/%s: not JSON to this test", name);
    for (size_t r = 0; r < eqm_sink_collect_rows(sink); r++) {
        const char *const *parts;
        const int64_t *counts;
        int table = eqm_sink_collect_row(sink, r, &parts, &counts);
        assert_true(!strcmp(parts[0], area) || !strcmp(parts[0], FIXTURE_FORCE));
        if (table == SS_TABLE_AGREEMENT) {
            agreement_rows++;
            assert_int_equal(counts[0], 1);
            assert_true(parts[1][0] != '\0' && parts[2][0] != '\0');
            continue;
        }
        assert_int_equal(table, 0);
        counts_rows++;
        assert_int_equal(counts[SS_SEARCHES], 1);
        assert_int_equal(counts[SS_PACE_S1] + counts[SS_MDA_S23] + counts[SS_SECTION_60] +
                             counts[SS_OTHER_POWER],
                         1);
        assert_int_equal(counts[SS_NFA] + counts[SS_ARRESTS] + counts[SS_OTHER_OUTCOME], 1);
        assert_true(counts[SS_CHILDREN] == 0 || counts[SS_CHILDREN] == 1);
        assert_true(parts[2][0] != '\0');
    }
    if (counts_rows != (force ? 5u : 10u))
        fail_msg("valid/%s: %zu rows of counts, expected %u", name, counts_rows, force ? 5u : 10u);
    if (agreement_rows != (eqm_stop_search_carries_both(event) ? (force ? 1u : 2u) : 0u))
        fail_msg("valid/%s: %zu rows of the agreement table", name, agreement_rows);
    json_decref(event);
}

int main(void) {
    static const struct fixture_service fs = {
        .svc = &eqm_stop_search_service,
        .topic = "stop-search",
        .min_valid = 8,
        .min_invalid = 10,
        .rows_area = 0, /* counted by check_valid: the agreement rows vary */
        .rows_force = 0,
        .check_valid = check_valid,
    };
    return fixture_run(&fs);
}
