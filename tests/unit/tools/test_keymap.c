/*
 * test_keymap.c - the tools' key map (eqm/tools/keymap.h): a key added
 * once keeps its value, prefixes are other keys, growth keeps every key,
 * keys may be any bytes, the walk gives each key once, and a reset
 * forgets them all.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit.h"

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

/* Keys may hold NUL bytes; the walk gives every key once, with its value. */
static void test_binary_keys_and_walk(void **state) {
    struct eqm_keymap m = {0};
    const char *key;
    size_t pos = 0, len, seen = 0;
    uint64_t v, sum = 0;
    bool added;

    for (uint64_t i = 0; i < 300; i++) {
        uint64_t k = i << 40; /* mostly zero bytes */
        uint64_t *p = eqm_keymap_get(&m, (const char *)&k, sizeof(k), i, &added);
        assert_non_null(p);
        assert_true(added);
    }
    assert_non_null(eqm_keymap_get(&m, "\0\0", 2, 1000, &added));
    assert_true(added);
    assert_non_null(eqm_keymap_get(&m, "\0", 1, 2000, &added));
    assert_true(added);
    while (eqm_keymap_next(&m, &pos, &key, &len, &v)) {
        seen++;
        sum += v;
        if (len == sizeof(uint64_t)) {
            uint64_t k;
            memcpy(&k, key, sizeof(k));
            assert_int_equal(k >> 40, v);
        } else {
            assert_true(len == 1 || len == 2);
            assert_int_equal(v, len == 2 ? 1000 : 2000);
        }
        assert_int_equal(key[len], '\0');
    }
    assert_int_equal(seen, 302);
    assert_int_equal(sum, 299 * 300 / 2 + 3000);
    assert_false(eqm_keymap_next(&m, &pos, &key, &len, &v));
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

EQM_UNIT_MAIN(test_add_and_find, test_growth, test_binary_keys_and_walk, test_reset)
