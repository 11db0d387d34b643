/*
 * test_fixtures.c - every file under tests/fixtures/{valid,invalid}/
 * recruitment goes through the consumer's own path: eqm_message_parse()
 * on the file's bytes, then the recruitment handler (the walk and the
 * invalid/ checks are tests/unit/support/fixture_walk.c).
 *
 *   valid/    must be accepted and add rows: a funnel event 8 (four
 *             dimensions, for its campaign and for '*'), a joiner or leaver
 *             8 (for the area and the force; 4 when area = force), a
 *             snapshot 2 per group (1 when area = force);
 *   invalid/  must be refused with a reason code and words. A file named
 *             "<code>__<what>.<ext>" must be refused with exactly that code.
 *
 * tests/integration/test_schema_fixtures.sh checks the same files against
 * schemas/events/recruitment.schema.json, so the schema and the C code are
 * held to one split (see schemas/events/README.md for the limits).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include "fixture_walk.h"
#include "recruitment.h"

/* Rows by table: how many the event adds and what each counts. */
static void check_valid(const char *name, const char *bytes, size_t len,
                        const struct eqm_sink *sink, const char *area, size_t want) {
    size_t n = eqm_sink_collect_rows(sink);
    bool at_force = strcmp(area, FIXTURE_FORCE) == 0;

    (void)bytes;
    (void)len;
    (void)want;
    if (n == 0)
        fail_msg("valid/%s: no rows", name);
    for (size_t r = 0; r < n; r++) {
        const char *const *parts;
        const int64_t *counts;
        int t = eqm_sink_collect_row(sink, r, &parts, &counts);
        if (t == REC_T_FUNNEL) {
            assert_int_equal(n, 2 * REC_N_DIMENSIONS);
            assert_int_equal(counts[REC_ENTERED], 1);
            assert_int_equal(counts[REC_PASSED] + counts[REC_FAILED] + counts[REC_WITHDRAWN], 1);
            assert_non_null(eqm_recruitment_dimension(parts[3])); /* dimension, then group */
            assert_true(parts[4][0] != '\0');
        } else if (t == REC_T_WORKFORCE) {
            assert_int_equal(n, at_force ? REC_N_DIMENSIONS : 2 * REC_N_DIMENSIONS);
            assert_int_equal(counts[WF_JOINERS] + counts[WF_LEAVERS], 1);
            assert_true(!strcmp(parts[1], area) || !strcmp(parts[1], FIXTURE_FORCE));
        } else {
            assert_int_equal(t, REC_T_HEADCOUNT);
            assert_true(at_force || n % 2 == 0);
            assert_int_equal(strlen(parts[0]), 10); /* as_of YYYY-MM-DD */
        }
    }
}

int main(void) {
    /* Row counts differ by event type: check_valid checks them. */
    static const struct fixture_service fs = {
        .svc = &eqm_recruitment_service,
        .topic = "recruitment",
        .min_valid = 8,
        .min_invalid = 10,
        .check_valid = check_valid,
    };
    return fixture_run(&fs);
}
