/*
 * test_sink.c - the collecting sink handlers write their rows into
 * (common/src/sink.c), held to what engine.h promises.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "eqm/sink.h"

static const char *const cols[EQM_MAX_COUNTS + 1] = {"c"};

/* A table of n_parts key columns and n_counts count columns. */
static struct eqm_counts_table table(int n_parts, int n_counts) {
    struct eqm_counts_table t = {"t", cols, n_parts, cols, n_counts};
    return t;
}

static void test_bounds(void **state) {
    (void)state;
    struct eqm_sink *s;
    struct eqm_counts_table t[EQM_MAX_TABLES + 1];
    for (int i = 0; i <= EQM_MAX_TABLES; i++)
        t[i] = table(1, 1);
    assert_null(eqm_sink_collect_new(NULL, 1));
    assert_null(eqm_sink_collect_new(t, 0));
    assert_null(eqm_sink_collect_new(t, EQM_MAX_TABLES + 1));
    t[0] = table(0, 1);
    assert_null(eqm_sink_collect_new(t, 1));
    t[0] = table(EQM_MAX_KEY_PARTS + 1, 1);
    assert_null(eqm_sink_collect_new(t, 1));
    t[0] = table(1, 0);
    assert_null(eqm_sink_collect_new(t, 1));
    t[0] = table(1, EQM_MAX_COUNTS + 1);
    assert_null(eqm_sink_collect_new(t, 1));
    /* A bad second table is caught too. */
    t[0] = table(1, 1);
    t[1] = table(1, 0);
    assert_null(eqm_sink_collect_new(t, 2));
    t[0] = table(EQM_MAX_KEY_PARTS, EQM_MAX_COUNTS);
    s = eqm_sink_collect_new(t, 1);
    assert_non_null(s);
    /* Rows name a table the sink has. */
    {
        static const char *const names[] = {"a", "b", "c", "d", "e", "f", "g", "h"};
        const char *parts[EQM_MAX_KEY_PARTS];
        int64_t counts[EQM_MAX_COUNTS] = {1};
        _Static_assert(EQM_MAX_KEY_PARTS <= 8, "names for every key part");
        for (int k = 0; k < EQM_MAX_KEY_PARTS; k++)
            parts[k] = names[k];
        assert_int_equal(eqm_sink_add(s, 1, parts, counts), -1);
        assert_int_equal(eqm_sink_add(s, -1, parts, counts), -1);
        assert_int_equal(eqm_sink_add(s, 0, parts, counts), 0);
        eqm_sink_collect_reset(s);
    }
    assert_int_equal(eqm_sink_collect_rows(s), 0);
    eqm_sink_collect_free(&s);
    assert_null(s);
    eqm_sink_collect_free(&s); /* NULL-safe */
    eqm_sink_collect_free(NULL);
}

static void test_rows_round_trip(void **state) {
    (void)state;
    struct eqm_counts_table t = table(3, 2);
    struct eqm_sink *s = eqm_sink_collect_new(&t, 1);
    char a[32], g[32];
    assert_non_null(s);
    /* Enough rows and text to make both buffers grow several times. */
    for (int i = 0; i < 1000; i++) {
        const char *parts[3] = {a, "ethnicity", g};
        int64_t counts[2] = {i, -i};
        snprintf(a, sizeof(a), "area-%d", i);
        snprintf(g, sizeof(g), "%0*d", 1 + i % 30, i);
        assert_int_equal(eqm_sink_add(s, 0, parts, counts), 0);
    }
    assert_int_equal(eqm_sink_collect_rows(s), 1000);
    for (size_t i = 0; i < 1000; i++) {
        const char *const *parts;
        const int64_t *counts;
        assert_int_equal(eqm_sink_collect_row(s, i, &parts, &counts), 0);
        snprintf(a, sizeof(a), "area-%zu", i);
        snprintf(g, sizeof(g), "%0*zu", 1 + (int)(i % 30), i);
        assert_string_equal(parts[0], a);
        assert_string_equal(parts[1], "ethnicity");
        assert_string_equal(parts[2], g);
        assert_int_equal(counts[0], (int64_t)i);
        assert_int_equal(counts[1], -(int64_t)i);
    }
    /* Reset empties it; it can be filled again. */
    eqm_sink_collect_reset(s);
    assert_int_equal(eqm_sink_collect_rows(s), 0);
    {
        const char *parts[3] = {"x", "", "z"};
        int64_t counts[2] = {7, 8};
        const char *const *p;
        const int64_t *c;
        assert_int_equal(eqm_sink_add(s, 0, parts, counts), 0);
        eqm_sink_collect_row(s, 0, &p, &c);
        assert_string_equal(p[0], "x");
        assert_string_equal(p[1], "");
        assert_string_equal(p[2], "z");
        assert_int_equal(c[1], 8);
    }
    eqm_sink_collect_free(&s);
}

/* The sink for a test that may fail half-way: freed by the teardown. */
static const struct eqm_counts_table two_tables[] = {{"t0", cols, 2, cols, 1},
                                                     {"t1", cols, 1, cols, 3}};

static int sink_setup(void **state) {
    *state = eqm_sink_collect_new(two_tables, 2);
    return *state ? 0 : -1;
}

static int sink_teardown(void **state) {
    struct eqm_sink *s = *state;
    eqm_sink_collect_free(&s);
    return 0;
}

/* Row pointers are valid until the next call on the sink (engine.h): each
 * read must give that row, whatever was read before. */
static void test_row_reads_in_any_order(void **state) {
    struct eqm_sink *s = *state;
    const char *r0[2] = {"area-a", "white"}, *r1[2] = {"area-b", "black"};
    int64_t c0 = 1, c1 = 2;
    const char *const *p;
    const int64_t *k;

    const char *r2[1] = {"other-table"};
    int64_t c2[3] = {4, 5, 6};

    assert_int_equal(eqm_sink_add(s, 0, r0, &c0), 0);
    assert_int_equal(eqm_sink_add(s, 1, r2, c2), 0);
    assert_int_equal(eqm_sink_add(s, 0, r1, &c1), 0);
    assert_int_equal(eqm_sink_collect_row(s, 2, &p, &k), 0);
    assert_string_equal(p[0], "area-b");
    assert_string_equal(p[1], "black");
    assert_int_equal(*k, 2);
    /* The second table's row keeps its own width. */
    assert_int_equal(eqm_sink_collect_row(s, 1, &p, &k), 1);
    assert_string_equal(p[0], "other-table");
    assert_int_equal(k[0], 4);
    assert_int_equal(k[2], 6);
    assert_int_equal(eqm_sink_collect_row(s, 0, &p, &k), 0);
    assert_string_equal(p[0], "area-a");
    assert_string_equal(p[1], "white");
    assert_int_equal(*k, 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_rows_round_trip),
        cmocka_unit_test_setup_teardown(test_row_reads_in_any_order, sink_setup, sink_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
