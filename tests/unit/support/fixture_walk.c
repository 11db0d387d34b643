/*
 * fixture_walk.c - see fixture_walk.h.
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
#include "eqm/utf8.h"
#include "fixture_walk.h"
#include "harness.h"

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

    int n = snprintf(path, sizeof(path), "%s/%s", dir, name);

    if (n < 0 || (size_t)n >= sizeof(path))
        fail_msg("path too long: %s/%s", dir, name);
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
static int consume(struct harness *h, const char *bytes, size_t len, struct eqm_reject *rej,
                   char area[256]) {
    int rc = harness_run_bytes(h, bytes, len, FIXTURE_FORCE);
    *rej = h->rej;
    area[0] = '\0';
    if (rc == -2) {
        assert_null(h->event);
        return -1;
    }
    snprintf(area, 256, "%s", h->env.area);
    return rc;
}

static int fixture_setup(void **state) {
    char err[256];
    (void)state;
    return eqm_time_set_zone("Europe/London", err, sizeof(err));
}

/* A valid file: accepted, the row count, then the service's checks. */
static void check_accepted(const struct fixture_service *fs, const char *name, const char *bytes,
                           size_t len, const struct eqm_sink *sink, int rc,
                           const struct eqm_reject *rej, const char *area) {
    size_t want = 0;

    if (rc != 0)
        fail_msg("valid/%s refused: %s: %s", name, rej->code ? rej->code : "(no code)",
                 rej->reason);
    if (fs->rows_area) {
        want = strcmp(area, FIXTURE_FORCE) == 0 ? fs->rows_force : fs->rows_area;
        if (eqm_sink_collect_rows(sink) != want)
            fail_msg("valid/%s: %zu rows, expected %zu", name, eqm_sink_collect_rows(sink), want);
    }
    fs->check_valid(name, bytes, len, sink, area, want);
}

/* An invalid file: refused with a code and words (the code its name
 * gives, if any), adding nothing. */
static void check_refused(const struct fixture_service *fs, const char *name, const char *bytes,
                          size_t len, const struct eqm_sink *sink, int rc,
                          const struct eqm_reject *rej, const char *area) {
    const char *sep = strstr(name, "__");

    (void)fs;
    (void)bytes;
    (void)len;
    (void)area;
    if (rc == 0)
        fail_msg("invalid/%s accepted", name);
    if (!rej->code || !rej->code[0] || !rej->reason[0])
        fail_msg("invalid/%s refused without a code or a reason", name);
    /* What the engine stores and sends is valid UTF-8, whatever the bytes. */
    {
        struct eqm_reject clean = *rej;
        eqm_reject_clean(&clean);
        if (!eqm_utf8_valid(clean.reason, strlen(clean.reason)))
            fail_msg("invalid/%s: the reason is not UTF-8 after eqm_reject_clean()", name);
    }
    if (sep && (strlen(rej->code) != (size_t)(sep - name) ||
                strncmp(rej->code, name, (size_t)(sep - name)) != 0))
        fail_msg("invalid/%s refused as %s (%s), expected %.*s", name, rej->code, rej->reason,
                 (int)(sep - name), name);
    /* A refused event adds nothing. */
    assert_int_equal(eqm_sink_collect_rows(sink), 0);
}

typedef void check_fn(const struct fixture_service *fs, const char *name, const char *bytes,
                      size_t len, const struct eqm_sink *sink, int rc, const struct eqm_reject *rej,
                      const char *area);

/* Every file of tests/fixtures/<split>/<topic> through the consumer's path
 * and check; fails below min files. */
static void walk(const struct fixture_service *fs, const char *split, size_t min, const char *done,
                 check_fn *check) {
    char dir[1024];
    struct file_list l;
    struct harness h;

    assert_int_equal(harness_init(&h, fs->svc), 0);
    snprintf(dir, sizeof(dir), "%s/tests/fixtures/%s/%s", EQM_SOURCE_DIR, split, fs->topic);
    list_files(dir, &l);
    if (l.n < min)
        fail_msg("only %zu %s fixtures in %s", l.n, split, dir);
    for (size_t i = 0; i < l.n; i++) {
        struct eqm_reject rej;
        char area[256];
        size_t len;
        char *bytes = slurp(dir, l.names[i], &len);
        int rc = consume(&h, bytes, len, &rej, area);

        check(fs, l.names[i], bytes, len, h.sink, rc, &rej, area);
        free(bytes);
    }
    print_message("%zu %s fixtures %s\n", l.n, split, done);
    free_files(&l);
    harness_free(&h);
}

static void test_valid_fixtures(void **state) {
    const struct fixture_service *fs = *state;
    walk(fs, "valid", fs->min_valid, "accepted", check_accepted);
}

static void test_invalid_fixtures(void **state) {
    const struct fixture_service *fs = *state;
    walk(fs, "invalid", fs->min_invalid, "refused", check_refused);
}

int fixture_run(const struct fixture_service *fs) {
    /* cmocka's state is not const; the tests only read it. */
    void *state = (void *)(uintptr_t)fs;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_prestate(test_valid_fixtures, state),
        cmocka_unit_test_prestate(test_invalid_fixtures, state),
    };
    return cmocka_run_group_tests(tests, fixture_setup, NULL);
}
