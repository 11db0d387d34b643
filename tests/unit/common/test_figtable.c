/*
 * test_figtable.c - the figures-table writer's statement (eqm/figtable.h).
 *
 * The engine's statement must stay the one common/src/figures/metrics.c
 * sent before the writer existed (its planner-sensitive shape: no ORDER BY
 * on the insert, the hash anti-join DELETE scoped by source, IS DISTINCT
 * FROM on counts, window end, note and reference group only): that text is
 * copied below from metrics.c at 456ffed, with the table's new name. The
 * small tables' statements are written out by hand from the header's
 * template.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit.h"

#include <string.h>

#include "eqm/figtable.h"
#include "eqm/metrics.h"

static void assert_sql(const struct eqm_figtable_def *def, const char *want) {
    struct eqm_buf sql = {0};
    assert_int_equal(eqm_figtable_sql(def, &sql), 0);
    assert_string_equal(sql.data, want);
    eqm_buf_free(&sql);
}

static void test_engine_statement(void **state) {
    (void)state;
    assert_string_equal(eqm_metrics_table.table, "equality.figures");
    assert_sql(
        &eqm_metrics_table,
        "WITH u AS (SELECT * FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], "
        "$7::text[], $8::int[], $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[], "
        "$13::float8[], $14::float8[], $15::float8[], $16::float8[], $17::float8[], "
        "$18::float8[], $19::float8[], $20::text[], $21::text[]) AS u(measure, area, dimension, "
        "grp, ref, win, n, base, ref_n, ref_base, rate, rate_lo, rate_hi, ref_rate, ratio, lo, "
        "hi, note, pbase)), "
        "gone AS (DELETE FROM equality.figures m WHERE m.source = $1 AND NOT EXISTS ("
        "SELECT 1 FROM u WHERE u.measure = m.measure AND u.area = m.area AND "
        "u.dimension = m.dimension AND u.grp = m.grp AND u.win = m.window_days)) "
        "INSERT INTO equality.figures AS m (source, measure, area, dimension, grp, "
        "reference_grp, window_days, window_end, n, base, ref_n, ref_base, rate, rate_ci_low, "
        "rate_ci_high, ref_rate, ratio, ci_low, ci_high, note, population_base) "
        "SELECT $1, measure, area, dimension, grp, ref, win, $2::date, n, base, ref_n, ref_base, "
        "rate, rate_lo, rate_hi, ref_rate, ratio, lo, hi, note, pbase FROM u "
        "ON CONFLICT (measure, area, dimension, grp, window_days) DO UPDATE SET "
        "source = EXCLUDED.source, reference_grp = EXCLUDED.reference_grp, "
        "window_end = EXCLUDED.window_end, n = EXCLUDED.n, base = EXCLUDED.base, "
        "ref_n = EXCLUDED.ref_n, ref_base = EXCLUDED.ref_base, rate = EXCLUDED.rate, "
        "rate_ci_low = EXCLUDED.rate_ci_low, rate_ci_high = EXCLUDED.rate_ci_high, "
        "ref_rate = EXCLUDED.ref_rate, ratio = EXCLUDED.ratio, ci_low = EXCLUDED.ci_low, "
        "ci_high = EXCLUDED.ci_high, note = EXCLUDED.note, "
        "population_base = EXCLUDED.population_base, computed_at = now() "
        "WHERE (m.window_end, m.n, m.base, m.ref_n, m.ref_base, m.note, m.reference_grp, "
        "m.population_base) IS DISTINCT FROM (EXCLUDED.window_end, EXCLUDED.n, EXCLUDED.base, "
        "EXCLUDED.ref_n, EXCLUDED.ref_base, EXCLUDED.note, EXCLUDED.reference_grp, "
        "EXCLUDED.population_base)");
}

/* A recruitment-like table: two keys, every column from an array, ordered,
 * every non-key column compared, the whole table in scope. */
static const struct eqm_figtable_col small_cols[] = {
    {"role", "text", NULL, NULL, true},
    {"window_days", "int", NULL, NULL, true},
    {"n", "bigint", NULL, NULL, false},
    {"note", "text", NULL, NULL, false},
};
static const struct eqm_figtable_def small = {
    .table = "equality.x",
    .alias = "t",
    .cols = small_cols,
    .n_cols = 4,
    .ordered = true,
};

static void test_ordered_statement(void **state) {
    (void)state;
    assert_sql(&small, "WITH u AS (SELECT * FROM unnest($1::text[], $2::int[], $3::bigint[], "
                       "$4::text[]) AS u(role, window_days, n, note)), "
                       "gone AS (DELETE FROM equality.x t WHERE NOT EXISTS (SELECT 1 FROM u "
                       "WHERE u.role = t.role AND u.window_days = t.window_days)) "
                       "INSERT INTO equality.x AS t (role, window_days, n, note) "
                       "SELECT role, window_days, n, note FROM u ORDER BY role, window_days "
                       "ON CONFLICT (role, window_days) DO UPDATE SET n = EXCLUDED.n, "
                       "note = EXCLUDED.note, computed_at = now() "
                       "WHERE (t.n, t.note) IS DISTINCT FROM (EXCLUDED.n, EXCLUDED.note)");
}

/* A value given once, a renamed key, a scope and a chosen comparison. */
static const struct eqm_figtable_col param_cols[] = {
    {"source", NULL, "$1", NULL, false},
    {"win", "int", NULL, "w", true},
    {"n", "bigint", NULL, NULL, false},
    {"rate", "float8", NULL, NULL, false},
};
static const char *const param_compare[] = {"n", "source"};
static const struct eqm_figtable_def param = {
    .table = "equality.y",
    .alias = "y",
    .cols = param_cols,
    .n_cols = 4,
    .n_params = 1,
    .scope = "y.source = $1",
    .compare = param_compare,
    .n_compare = 2,
};

static void test_param_statement(void **state) {
    (void)state;
    assert_sql(&param, "WITH u AS (SELECT * FROM unnest($2::int[], $3::bigint[], $4::float8[]) "
                       "AS u(w, n, rate)), gone AS (DELETE FROM equality.y y WHERE "
                       "y.source = $1 AND NOT EXISTS (SELECT 1 FROM u WHERE u.w = y.win)) "
                       "INSERT INTO equality.y AS y (source, win, n, rate) SELECT $1, w, n, rate "
                       "FROM u ON CONFLICT (win) DO UPDATE SET source = EXCLUDED.source, "
                       "n = EXCLUDED.n, rate = EXCLUDED.rate, computed_at = now() "
                       "WHERE (y.n, y.source) IS DISTINCT FROM (EXCLUDED.n, EXCLUDED.source)");
}

/* Rows are counted; a row with a value too many or too few is refused
 * before anything is sent (conn is never touched: NULL here). */
static void test_rows_and_bad_rows(void **state) {
    struct eqm_figtable *w = NULL;
    char err[200];
    const char *params[1] = {"s"};
    (void)state;

    assert_int_equal(eqm_figtable_new(&w, &param), 0);
    assert_int_equal(eqm_figtable_rows(w), 0);
    eqm_figtable_int(w, 28);
    eqm_figtable_count(w, -1);
    eqm_figtable_double(w, true, 0.5);
    eqm_figtable_row_end(w);
    assert_int_equal(eqm_figtable_rows(w), 1);
    eqm_figtable_int(w, 91);
    eqm_figtable_count(w, 3);
    eqm_figtable_row_end(w); /* one value short */
    assert_int_equal(eqm_figtable_write(w, NULL, params, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "equality.y"));
    eqm_figtable_free(&w);
    assert_null(w);
    eqm_figtable_free(&w); /* NULL-safe */

    assert_int_equal(eqm_figtable_new(&w, &param), 0);
    eqm_figtable_int(w, 28);
    eqm_figtable_count(w, 1);
    eqm_figtable_double(w, false, 0);
    eqm_figtable_text(w, "one too many");
    eqm_figtable_row_end(w);
    assert_int_equal(eqm_figtable_write(w, NULL, params, err, sizeof(err)), -1);
    eqm_figtable_free(&w);
}

EQM_UNIT_MAIN(test_engine_statement, test_ordered_statement, test_param_statement,
              test_rows_and_bad_rows)
