/*
 * test_recompute_sql.c - the statements the recruitment hook sends through
 * the shared writer (eqm/figtable.h): its two tables only (nothing goes to
 * equality.figures or equality.metrics), in key order (the ORDER BY it
 * always had), every row of the table its own, every column compared. The
 * expected pieces are written out by hand from the tables' primary keys in
 * schemas/sql/005_recruitment.sql and the columns of 010.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit.h"

#include <string.h>

#include "recruitment.h"

static char *sql_of(const struct eqm_figtable_def *def, struct eqm_buf *b) {
    assert_int_equal(eqm_figtable_sql(def, b), 0);
    return b->data;
}

#define assert_has(s, piece)                                                                       \
    do {                                                                                           \
        if (!strstr((s), (piece)))                                                                 \
            fail_msg("missing: %s\nin: %s", (piece), (s));                                         \
    } while (0)

static void test_attrition_statement(void **state) {
    struct eqm_buf b = {0};
    const char *s = sql_of(&eqm_recruitment_attrition_table, &b);
    (void)state;

    /* 30 columns, every one an array: $1 .. $30, the last force_area. */
    assert_has(s, "WITH u AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], "
                  "$4::int[], $5::text[], $6::text[], $7::int[], $8::date[], ");
    assert_has(s, ", $29::text[], $30::text[]) AS u(role, campaign, stage, stage_order, ");
    assert_null(strstr(s, "$31"));
    assert_has(s, "gone AS (DELETE FROM equality.attrition_figures t WHERE NOT EXISTS (SELECT 1 "
                  "FROM u WHERE u.role = t.role AND u.campaign = t.campaign AND u.stage = t.stage "
                  "AND u.dimension = t.dimension AND u.grp = t.grp AND u.window_days = "
                  "t.window_days)) INSERT INTO equality.attrition_figures AS t (role, campaign, ");
    assert_has(s, " FROM u ORDER BY role, campaign, stage, dimension, grp, window_days "
                  "ON CONFLICT (role, campaign, stage, dimension, grp, window_days) DO UPDATE SET "
                  "stage_order = EXCLUDED.stage_order, window_end = EXCLUDED.window_end, ");
    assert_has(s, "note = EXCLUDED.note, force_area = EXCLUDED.force_area, computed_at = now() "
                  "WHERE (t.stage_order, t.window_end, t.comparison_grp, ");
    assert_has(s, ", t.note, t.force_area) IS DISTINCT FROM (EXCLUDED.stage_order, ");
    assert_null(strstr(s, "equality.metrics"));
    assert_null(strstr(s, "equality.figures"));
    eqm_buf_free(&b);
}

static void test_workforce_statement(void **state) {
    struct eqm_buf b = {0};
    const char *s = sql_of(&eqm_recruitment_workforce_table, &b);
    (void)state;

    /* 35 columns: $1 .. $35, the share's interval after the share. */
    assert_has(s, ", $35::text[]) AS u(role, area, dimension, grp, window_days, window_end, "
                  "reference_grp, snapshot_as_of, snapshot_headcount, headcount, headcount_total, "
                  "share, share_ci_low, share_ci_high, population, ");
    assert_null(strstr(s, "$36"));
    assert_has(s, "gone AS (DELETE FROM equality.workforce_figures t WHERE NOT EXISTS (SELECT 1 "
                  "FROM u WHERE u.role = t.role AND u.area = t.area AND u.dimension = t.dimension "
                  "AND u.grp = t.grp AND u.window_days = t.window_days)) ");
    assert_has(s, " FROM u ORDER BY role, area, dimension, grp, window_days ON CONFLICT (role, "
                  "area, dimension, grp, window_days) DO UPDATE SET window_end = ");
    assert_has(s, "note = EXCLUDED.note, computed_at = now() WHERE (t.window_end, ");
    assert_null(strstr(s, "equality.metrics"));
    eqm_buf_free(&b);
}

EQM_UNIT_MAIN(test_attrition_statement, test_workforce_statement)
