/*
 * test_fixtures.c - every file under tests/fixtures/{valid,invalid}/
 * stop-search goes through the consumer's own path: eqm_message_parse()
 * on the file's bytes, then the stop_search handler (the walk and the
 * invalid/ checks are tests/unit/support/fixture_walk.c).
 *
 *   valid/    must be accepted and add one row per dimension for the area
 *             and one for the whole force (none twice when area = force);
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

#include <string.h>

#include "fixture_walk.h"
#include "stop_search.h"

/* Every row counts the one search, for the area or the force, under one
 * power and with one outcome. */
static void check_valid(const char *name, const char *bytes, size_t len,
                        const struct eqm_sink *sink, const char *area, size_t want) {
    (void)name;
    (void)bytes;
    (void)len;
    for (size_t r = 0; r < want; r++) {
        const char *const *parts;
        const int64_t *counts;
        assert_int_equal(eqm_sink_collect_row(sink, r, &parts, &counts), 0);
        assert_int_equal(counts[SS_SEARCHES], 1);
        assert_int_equal(counts[SS_PACE_S1] + counts[SS_MDA_S23] + counts[SS_SECTION_60] +
                             counts[SS_OTHER_POWER],
                         1);
        assert_int_equal(counts[SS_NFA] + counts[SS_ARRESTS] + counts[SS_OTHER_OUTCOME], 1);
        assert_true(counts[SS_CHILDREN] == 0 || counts[SS_CHILDREN] == 1);
        assert_true(!strcmp(parts[0], area) || !strcmp(parts[0], FIXTURE_FORCE));
        assert_true(parts[2][0] != '\0');
    }
}

int main(void) {
    static const struct fixture_service fs = {
        .svc = &eqm_stop_search_service,
        .topic = "stop-search",
        .min_valid = 8,
        .min_invalid = 10,
        .rows_area = 8,
        .rows_force = 4,
        .check_valid = check_valid,
    };
    return fixture_run(&fs);
}
