/*
 * test_fastjson.c - the flat-object fast path never disagrees with jansson.
 *
 * For every fixture file (valid and invalid, every service) and a list of
 * edge cases: when the fast path returns an object, json_loadb() with the
 * engine's flags must return an equal one (same keys, same values, same
 * order); when json_loadb() rejects the input, the fast path must have
 * returned NULL. And it must take the fast path on the ordinary events it
 * exists for.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "unit.h"

#include "eqm/fastjson.h"

#define FLAGS (JSON_REJECT_DUPLICATES | JSON_DECODE_ANY)

/* Same keys in the same order with equal values. */
static int same_object(json_t *a, json_t *b) {
    void *ia = json_object_iter(a), *ib = json_object_iter(b);
    if (!json_equal(a, b))
        return 0;
    while (ia && ib) {
        if (strcmp(json_object_iter_key(ia), json_object_iter_key(ib)) != 0)
            return 0;
        ia = json_object_iter_next(a, ia);
        ib = json_object_iter_next(b, ib);
    }
    return !ia && !ib;
}

/* Returns 1 if the fast path took the input, 0 if it declined. */
static int check(const char *buf, size_t len) {
    json_error_t err;
    json_t *fast = eqm_fastjson_flat_object(buf, len);
    json_t *slow = json_loadb(buf, len, FLAGS, &err);
    int took = fast != NULL;

    if (fast) {
        if (!slow || !same_object(fast, slow))
            fail_msg("fast path disagrees with jansson on: %.*s", (int)len, buf);
    }
    json_decref(fast);
    json_decref(slow);
    return took;
}

static int check_str(const char *s) {
    return check(s, strlen(s));
}

static void test_edge_cases(void **state) {
    static const char *const declined[] = {
        "",
        " ",
        "[]",
        "\"x\"",
        "1",
        "null",
        "{",
        "{\"a\"",
        "{\"a\":}",
        "{\"a\":1,}",
        "{\"a\":1 \"b\":2}",
        "{\"a\":1}x",
        "{\"a\":1}{}",
        "{\"a\":\"x\\\"y\"}",
        "{\"a\":\"\\u00e9\"}",
        "{\"a\":\"caf\xc3\xa9\"}",
        "{\"a\":\"\xff\"}",
        "{\"a\":\"tab\there\"}",
        "{\"a\":{}}",
        "{\"a\":[1]}",
        "{\"a\":1,\"a\":2}",
        "{\"a\":01}",
        "{\"a\":1e3}",
        "{\"a\":-}",
        "{\"a\":1.}",
        "{\"a\":.5}",
        "{\"a\":+1}",
        "{\"a\":tru}",
        "{\"a\":nul}",
        "{\"a\":True}",
        "{\"a\":12345678901234567890}",
        "{'a':1}",
        "{a:1}",
        "{\"a\":\"x}",
        "{\"a\":1}\n\x01",
    };
    static const char *const taken[] = {
        "{}",
        " {\t\"a\" :\r\n\"b\" } \n",
        "{\"a\":true,\"b\":false,\"c\":null}",
        "{\"n\":0,\"m\":-0,\"r\":-0.5,\"i\":123456789012345678,\"x\":51.204812}",
        "{\"\":\"\",\"b\":\"\"}",
        "{\"event_id\":\"ev-1\",\"event_type\":\"stop_search\","
        "\"occurred_at\":\"2025-07-01T03:40:00+00:00\",\"area\":\"E07000008\","
        "\"self_defined_ethnicity\":\"Black/African/Caribbean/Black British - Caribbean\","
        "\"outcome_linked_to_object_of_search\":true,\"operation_name\":null,"
        "\"latitude\":52.204812,\"longitude\":-0.121976}",
    };
    (void)state;
    for (size_t i = 0; i < sizeof(declined) / sizeof(declined[0]); i++)
        if (check_str(declined[i]))
            fail_msg("fast path should decline: %s", declined[i]);
    for (size_t i = 0; i < sizeof(taken) / sizeof(taken[0]); i++)
        if (!check_str(taken[i]))
            fail_msg("fast path should take: %s", taken[i]);
    /* NUL inside the buffer: never a plain string. */
    assert_int_equal(check("{\"a\":\"x\0y\"}", 11), 0);
    assert_null(eqm_fastjson_flat_object(NULL, 0));
}

/* Every fixture of every service, valid or not. */
static void check_dir(const char *dir, int *files, int *taken) {
    DIR *d = opendir(dir);
    struct dirent *de;
    assert_non_null(d);
    while ((de = readdir(d)) != NULL) {
        char path[4096];
        FILE *f;
        char *buf;
        long n;
        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        if (!strstr(de->d_name, ".json")) {
            DIR *sub = opendir(path);
            if (sub) {
                closedir(sub);
                check_dir(path, files, taken);
            }
            continue;
        }
        f = fopen(path, "rb");
        assert_non_null(f);
        fseek(f, 0, SEEK_END);
        n = ftell(f);
        fseek(f, 0, SEEK_SET);
        buf = malloc((size_t)n + 1);
        assert_non_null(buf);
        assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
        fclose(f);
        *taken += check(buf, (size_t)n);
        (*files)++;
        free(buf);
    }
    closedir(d);
}

static void test_fixtures(void **state) {
    int files = 0, taken = 0;
    (void)state;
    check_dir(EQM_SOURCE_DIR "/tests/fixtures", &files, &taken);
    print_message("fixtures: %d files, %d through the fast path\n", files, taken);
    assert_true(files > 50);
    assert_true(taken > files / 3);
}

EQM_UNIT_MAIN(test_edge_cases, test_fixtures)
