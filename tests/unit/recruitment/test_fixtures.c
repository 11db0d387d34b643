/*
 * test_fixtures.c - every file under tests/fixtures/{valid,invalid}/
 * recruitment goes through the consumer's own path: eqm_message_parse()
 * on the file's bytes, then the recruitment handler.
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

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eqm/timeutil.h"
#include "recruitment.h"

#define VALID_DIR   EQM_SOURCE_DIR "/tests/fixtures/valid/recruitment"
#define INVALID_DIR EQM_SOURCE_DIR "/tests/fixtures/invalid/recruitment"
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
    rc = eqm_recruitment_service.handle(&env, event, FORCE, sink, rej);
    json_decref(event);
    return rc;
}

static int setup(void **state) {
    char err[256];
    (void)state;
    return eqm_time_set_zone("Europe/London", err, sizeof(err));
}

static void test_valid_fixtures(void **state) {
    struct file_list l;
    struct eqm_sink *sink = eqm_sink_collect_new(eqm_recruitment_service.tables, eqm_recruitment_service.n_tables);
    (void)state;

    assert_non_null(sink);
    list_files(VALID_DIR, &l);
    if (l.n < 8)
        fail_msg("only %zu valid fixtures in %s", l.n, VALID_DIR);
    for (size_t i = 0; i < l.n; i++) {
        struct eqm_reject rej;
        char area[256];
        size_t len;
        char *bytes = slurp(VALID_DIR, l.names[i], &len);

        if (consume(bytes, len, sink, &rej, area) != 0)
            fail_msg("valid/%s refused: %s: %s", l.names[i], rej.code ? rej.code : "(no code)",
                     rej.reason);
        {
            size_t n = eqm_sink_collect_rows(sink);
            bool at_force = strcmp(area, FORCE) == 0;
            if (n == 0)
                fail_msg("valid/%s: no rows", l.names[i]);
            for (size_t r = 0; r < n; r++) {
                const char *const *parts;
                const int64_t *counts;
                int t = eqm_sink_collect_row(sink, r, &parts, &counts);
                if (t == REC_T_FUNNEL) {
                    assert_int_equal(n, 8);
                    assert_int_equal(counts[REC_ENTERED], 1);
                    assert_int_equal(counts[REC_PASSED] + counts[REC_FAILED] +
                                         counts[REC_WITHDRAWN], 1);
                    assert_true(strchr(parts[3], ':') != NULL);
                } else if (t == REC_T_WORKFORCE) {
                    assert_int_equal(n, at_force ? 4 : 8);
                    assert_int_equal(counts[WF_JOINERS] + counts[WF_LEAVERS], 1);
                    assert_true(!strcmp(parts[1], area) || !strcmp(parts[1], FORCE));
                } else {
                    assert_int_equal(t, REC_T_HEADCOUNT);
                    assert_true(at_force || n % 2 == 0);
                    assert_int_equal(strlen(parts[0]), 10); /* as_of YYYY-MM-DD */
                }
            }
        }
        free(bytes);
    }
    print_message("%zu valid fixtures accepted\n", l.n);
    free_files(&l);
    eqm_sink_collect_free(&sink);
}

static void test_invalid_fixtures(void **state) {
    struct file_list l;
    struct eqm_sink *sink = eqm_sink_collect_new(eqm_recruitment_service.tables, eqm_recruitment_service.n_tables);
    (void)state;

    assert_non_null(sink);
    list_files(INVALID_DIR, &l);
    if (l.n < 10)
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
