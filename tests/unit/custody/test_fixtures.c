/*
 * test_fixtures.c - every file under tests/fixtures/{valid,invalid}/custody
 * goes through the consumer's own path: eqm_message_parse() on the file's
 * bytes, then the custody handler.
 *
 *   valid/    must be accepted and add one row per dimension for the area
 *             and one for the whole force (none twice when area = force).
 *             Each file says, in fields the consumer ignores, what it must
 *             count: "x_expect" lists the counters that must be 1 (all
 *             others 0) and "x_groups" the group of each dimension;
 *   invalid/  must be refused with a reason code and words. A file named
 *             "<code>__<what>.<ext>" must be refused with exactly that code.
 *
 * tests/integration/test_custody_schema_fixtures.sh checks the same files
 * against schemas/events/custody.schema.json, so the schema and the C code
 * are held to one split (schemas/events/README.md, "custody.events").
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eqm/timeutil.h"
#include "custody.h"

#define VALID_DIR   EQM_SOURCE_DIR "/tests/fixtures/valid/custody"
#define INVALID_DIR EQM_SOURCE_DIR "/tests/fixtures/invalid/custody"
#define FORCE       "force"

struct file_list {
    char **names;
    size_t n;
};

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list_files(const char *dir, struct file_list *out) {
    DIR *d = opendir(dir);
    struct dirent *de;
    size_t cap = 0;

    if (!d)
        fail_msg("cannot open %s", dir);
    out->names = NULL;
    out->n = 0;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        if (out->n == cap) {
            cap = cap ? cap * 2 : 64;
            out->names = realloc(out->names, cap * sizeof(*out->names));
            assert_non_null(out->names);
        }
        out->names[out->n] = strdup(de->d_name);
        assert_non_null(out->names[out->n]);
        out->n++;
    }
    closedir(d);
    if (out->n)
        qsort(out->names, out->n, sizeof(*out->names), by_name);
}

static void free_files(struct file_list *l) {
    for (size_t i = 0; i < l->n; i++)
        free(l->names[i]);
    free(l->names);
}

/* The whole file; *len its size. NUL-terminated for printing only. */
static char *slurp(const char *dir, const char *name, size_t *len) {
    char path[1024];
    FILE *fp;
    char *buf;
    long size;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    fp = fopen(path, "rb");
    if (!fp)
        fail_msg("cannot open %s", path);
    assert_int_equal(fseek(fp, 0, SEEK_END), 0);
    size = ftell(fp);
    assert_true(size >= 0);
    rewind(fp);
    buf = malloc((size_t)size + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)size, fp), (size_t)size);
    buf[size] = '\0';
    fclose(fp);
    *len = (size_t)size;
    return buf;
}

/* Runs the consumer's path on one file: 0 if accepted, -1 with *rej. */
static int consume(const char *bytes, size_t len, struct eqm_sink *sink, struct eqm_reject *rej,
                   char area[256]) {
    struct eqm_envelope env;
    json_t *event = NULL;
    int rc;

    memset(rej, 0, sizeof(*rej));
    eqm_sink_collect_reset(sink);
    area[0] = '\0';
    if (eqm_message_parse(bytes, len, 1000000, eqm_time_now_us(), 86400, &event, &env, rej) != 0) {
        assert_null(event);
        return -1;
    }
    snprintf(area, 256, "%s", env.area);
    rc = eqm_custody_service.handle(&env, event, FORCE, sink, rej);
    json_decref(event);
    return rc;
}

static int setup(void **state) {
    char err[256];
    (void)state;
    return eqm_time_set_zone("Europe/London", err, sizeof(err));
}

/* Index of a count column by name, or -1. */
static int column(const char *name) {
    const struct eqm_counts_table *t = &eqm_custody_service.tables[0];
    for (int c = 0; c < t->n_count_columns; c++)
        if (!strcmp(t->count_columns[c], name))
            return c;
    return -1;
}

/* The file's own expectations ("x_expect", "x_groups") against the rows. */
static void check_expectations(const char *name, const char *bytes, size_t len,
                               const struct eqm_sink *sink, const char *area, size_t want) {
    json_error_t jerr;
    json_t *doc = json_loadb(bytes, len, 0, &jerr);
    const json_t *ones, *groups, *v;
    int64_t expected[CU__COUNT] = {0};
    size_t k;

    if (!doc)
        fail_msg("valid/%s: %s", name, jerr.text);
    ones = json_object_get(doc, "x_expect");
    groups = json_object_get(doc, "x_groups");
    if (!json_is_array(ones) || json_array_size(ones) == 0 || !json_is_object(groups) ||
        json_object_size(groups) != 3)
        fail_msg("valid/%s: needs x_expect (counters) and x_groups (3 dimensions)", name);
    json_array_foreach(ones, k, v) {
        int c = column(json_string_value(v));
        if (c < 0)
            fail_msg("valid/%s: x_expect names no counter: %s", name, json_string_value(v));
        expected[c] = 1;
    }
    for (size_t r = 0; r < want; r++) {
        const char *const *parts;
        const int64_t *counts;
        const char *grp;

        assert_int_equal(eqm_sink_collect_row(sink, r, &parts, &counts), 0);
        assert_true(!strcmp(parts[0], area) || !strcmp(parts[0], FORCE));
        grp = json_string_value(json_object_get(groups, parts[1]));
        if (!grp || strcmp(grp, parts[2]))
            fail_msg("valid/%s: %s group %s, expected %s", name, parts[1], parts[2],
                     grp ? grp : "(none)");
        for (int c = 0; c < CU__COUNT; c++)
            if (counts[c] != expected[c])
                fail_msg("valid/%s: %s = %lld, expected %lld", name,
                         eqm_custody_service.tables[0].count_columns[c], (long long)counts[c],
                         (long long)expected[c]);
    }
    json_decref(doc);
}

static void test_valid_fixtures(void **state) {
    struct file_list l;
    struct eqm_sink *sink =
        eqm_sink_collect_new(eqm_custody_service.tables, eqm_custody_service.n_tables);
    (void)state;

    assert_non_null(sink);
    list_files(VALID_DIR, &l);
    if (l.n < 20)
        fail_msg("only %zu valid fixtures in %s", l.n, VALID_DIR);
    for (size_t i = 0; i < l.n; i++) {
        struct eqm_reject rej;
        char area[256];
        size_t len, want;
        char *bytes = slurp(VALID_DIR, l.names[i], &len);

        if (consume(bytes, len, sink, &rej, area) != 0)
            fail_msg("valid/%s refused: %s: %s", l.names[i], rej.code ? rej.code : "(no code)",
                     rej.reason);
        want = strcmp(area, FORCE) == 0 ? 3 : 6;
        if (eqm_sink_collect_rows(sink) != want)
            fail_msg("valid/%s: %zu rows, expected %zu", l.names[i], eqm_sink_collect_rows(sink),
                     want);
        check_expectations(l.names[i], bytes, len, sink, area, want);
        free(bytes);
    }
    print_message("%zu valid fixtures accepted\n", l.n);
    free_files(&l);
    eqm_sink_collect_free(&sink);
}

static void test_invalid_fixtures(void **state) {
    struct file_list l;
    struct eqm_sink *sink =
        eqm_sink_collect_new(eqm_custody_service.tables, eqm_custody_service.n_tables);
    (void)state;

    assert_non_null(sink);
    list_files(INVALID_DIR, &l);
    if (l.n < 20)
        fail_msg("only %zu invalid fixtures in %s", l.n, INVALID_DIR);
    for (size_t i = 0; i < l.n; i++) {
        struct eqm_reject rej;
        char area[256];
        size_t len;
        char *bytes = slurp(INVALID_DIR, l.names[i], &len);
        const char *sep = strstr(l.names[i], "__");

        if (consume(bytes, len, sink, &rej, area) == 0)
            fail_msg("invalid/%s accepted", l.names[i]);
        if (!rej.code || !rej.code[0] || !rej.reason[0])
            fail_msg("invalid/%s refused without a code or a reason", l.names[i]);
        if (sep && (strlen(rej.code) != (size_t)(sep - l.names[i]) ||
                    strncmp(rej.code, l.names[i], (size_t)(sep - l.names[i])) != 0))
            fail_msg("invalid/%s refused as %s (%s), expected %.*s", l.names[i], rej.code,
                     rej.reason, (int)(sep - l.names[i]), l.names[i]);
        /* A refused event adds nothing. */
        assert_int_equal(eqm_sink_collect_rows(sink), 0);
        free(bytes);
    }
    print_message("%zu invalid fixtures refused\n", l.n);
    free_files(&l);
    eqm_sink_collect_free(&sink);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_fixtures),
        cmocka_unit_test(test_invalid_fixtures),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
