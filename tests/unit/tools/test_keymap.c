/*
 * test_keymap.c - the tools' key map (eqm/tools/keymap.h): a key added
 * once keeps its value, prefixes are other keys, growth keeps every key,
 * and a reset forgets them all.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "eqm/tools/keymap.h"

static void test_add_and_find(void **state) {
    struct eqm_keymap m = {0};
    bool added = false;
    uint64_t *v;

    v = eqm_keymap_get(&m, "abc", 3, 7, &added);
    assert_non_null(v);
    assert_true(added);
    assert_int_equal(*v, 7);
    *v = 8;
    /* Found again: the first value stays, the new one is ignored. */
    v = eqm_keymap_get(&m, "abc", 3, 99, &added);
    assert_non_null(v);
    assert_false(added);
    assert_int_equal(*v, 8);
    /* A prefix, a longer key and a key cut short by len are other keys. */
    v = eqm_keymap_get(&m, "ab", 2, 1, &added);
    assert_true(added);
    v = eqm_keymap_get(&m, "abcd", 4, 2, &added);
    assert_true(added);
    v = eqm_keymap_get(&m, "abcd", 3, 3, &added);
    assert_false(added);
    assert_int_equal(*v, 8);
    assert_int_equal(m.used, 3);
    /* added may be NULL. */
    assert_non_null(eqm_keymap_get(&m, "x", 1, 0, NULL));
    eqm_keymap_free(&m);
    assert_null(m.slots);
    assert_int_equal(m.used, 0);
}

/* Many keys: the table grows several times and loses none. */
static void test_growth(void **state) {
    struct eqm_keymap m = {0};
    char key[32];
    bool added;

    for (uint64_t i = 0; i < 20000; i++) {
        int n = snprintf(key, sizeof(key), "key-%llu", (unsigned long long)i);
        uint64_t *v = eqm_keymap_get(&m, key, (size_t)n, i, &added);
        assert_non_null(v);
        assert_true(added);
    }
    assert_int_equal(m.used, 20000);
    for (uint64_t i = 0; i < 20000; i++) {
        int n = snprintf(key, sizeof(key), "key-%llu", (unsigned long long)i);
        uint64_t *v = eqm_keymap_get(&m, key, (size_t)n, 0, &added);
        assert_false(added);
        assert_int_equal(*v, i);
    }
    eqm_keymap_free(&m);
}

/* After a reset every key is new again, and the memory is reused. */
static void test_reset(void **state) {
    struct eqm_keymap m = {0};
    bool added;
    size_t cap;

    for (int i = 0; i < 1000; i++) {
        char key[16];
        int n = snprintf(key, sizeof(key), "%d", i);
        assert_non_null(eqm_keymap_get(&m, key, (size_t)n, 1, &added));
    }
    cap = m.cap;
    eqm_keymap_reset(&m);
    assert_int_equal(m.used, 0);
    assert_int_equal(m.cap, cap);
    assert_non_null(eqm_keymap_get(&m, "5", 1, 2, &added));
    assert_true(added);
    eqm_keymap_reset(&m);
    eqm_keymap_free(&m);
    /* Reset and free of an empty map are harmless. */
    eqm_keymap_reset(&m);
    eqm_keymap_free(&m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_and_find),
        cmocka_unit_test(test_growth),
        cmocka_unit_test(test_reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
