/*
 * test_poptable.c - the population lookup (eqm/poptable.h): every row
 * found by its (area, group), whatever order it was given in; a missing
 * area or group is -1, never a neighbour's figure.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit.h"

#include <stdio.h>
#include <string.h>

#include "eqm/poptable.h"

static void test_lookup(void **state) {
    /* Out of order on purpose; "E1" and "E10" share a prefix, "white" is
     * a group in two areas. */
    static const char *const area[] = {"E2", "E10", "E1", "E1", "E10", "E1"};
    static const char *const grp[] = {"white", "black", "white", "bme", "white", "black"};
    static const int64_t pop[] = {5, 40, 100, 12, 300, 7};
    struct eqm_poptable *t = NULL;
    (void)state;

    assert_int_equal(eqm_poptable_new(&t, 6, area, grp, pop), 0);
    assert_int_equal(eqm_poptable_size(t), 6);
    assert_int_equal(eqm_poptable_get(t, "E1", "white"), 100);
    assert_int_equal(eqm_poptable_get(t, "E1", "black"), 7);
    assert_int_equal(eqm_poptable_get(t, "E1", "bme"), 12);
    assert_int_equal(eqm_poptable_get(t, "E10", "white"), 300);
    assert_int_equal(eqm_poptable_get(t, "E10", "black"), 40);
    assert_int_equal(eqm_poptable_get(t, "E2", "white"), 5);
    assert_int_equal(eqm_poptable_get(t, "E2", "black"), -1); /* area known, group not */
    assert_int_equal(eqm_poptable_get(t, "E3", "white"), -1); /* no such area */
    assert_int_equal(eqm_poptable_get(t, "E", "white"), -1);  /* a prefix is not an area */
    assert_int_equal(eqm_poptable_get(t, "E1", "White"), -1); /* names exactly */
    eqm_poptable_free(&t);
    assert_null(t);
    eqm_poptable_free(&t); /* NULL-safe */
}

/* The strings are copied: the caller's buffers may go. */
static void test_copies(void **state) {
    char a[8], g[8];
    const char *area[1] = {a}, *grp[1] = {g};
    int64_t pop[1] = {42};
    struct eqm_poptable *t = NULL;
    (void)state;

    snprintf(a, sizeof(a), "E9");
    snprintf(g, sizeof(g), "mixed");
    assert_int_equal(eqm_poptable_new(&t, 1, area, grp, pop), 0);
    memset(a, 'x', sizeof(a) - 1);
    memset(g, 'x', sizeof(g) - 1);
    assert_int_equal(eqm_poptable_get(t, "E9", "mixed"), 42);
    eqm_poptable_free(&t);
}

static void test_empty(void **state) {
    struct eqm_poptable *t = NULL;
    (void)state;
    assert_int_equal(eqm_poptable_new(&t, 0, NULL, NULL, NULL), 0);
    assert_int_equal(eqm_poptable_size(t), 0);
    assert_int_equal(eqm_poptable_get(t, "E1", "white"), -1);
    eqm_poptable_free(&t);
}

/* Many areas: every one found, so the search is over the whole table. */
static void test_many(void **state) {
    enum { N = 2000 };
    static char names[N][8];
    static const char *area[N], *grp[N];
    static int64_t pop[N];
    struct eqm_poptable *t = NULL;
    (void)state;

    for (int i = 0; i < N; i++) {
        /* Given in descending order of area. */
        snprintf(names[i], sizeof(names[i]), "A%04d", N - 1 - i / 2);
        area[i] = names[i];
        grp[i] = i % 2 ? "black" : "white";
        pop[i] = 10 * i + 1;
    }
    assert_int_equal(eqm_poptable_new(&t, N, area, grp, pop), 0);
    for (int i = 0; i < N; i++)
        assert_int_equal(eqm_poptable_get(t, area[i], grp[i]), 10 * i + 1);
    eqm_poptable_free(&t);
}

EQM_UNIT_MAIN(test_lookup, test_copies, test_empty, test_many)
