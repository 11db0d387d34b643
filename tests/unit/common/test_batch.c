/*
 * test_batch.c - one batch in memory (eqm/batch.h): increments summed per
 * (table, day, key parts), only for the events marked new, from scratch
 * every time; an event id repeated in a batch is a candidate once; dead
 * letters kept with their reasons; reset empties it.
 *
 * Expected sums are worked out by hand from the events each test adds.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "eqm/batch.h"
#include "eqm/md5.h"
#include "eqm/sink.h"

static const char *const keys2[] = {"area", "grp"};
static const char *const counts2[] = {"a", "b"};
static const char *const keys1[] = {"area"};
static const char *const counts3[] = {"x", "y", "z"};

/* Two tables of different widths, as recruitment has. */
static const struct eqm_counts_table tables[] = {
    {"t0", keys2, 2, counts2, 2},
    {"t1", keys1, 1, counts3, 3},
};

struct fixture {
    struct eqm_batch *b;
    struct eqm_sink *sink;
};

static int setup(void **state) {
    static struct fixture f;
    assert_int_equal(eqm_batch_new(&f.b, tables, 2), 0);
    f.sink = eqm_sink_collect_new(tables, 2);
    assert_non_null(f.sink);
    *state = &f;
    return 0;
}

static int teardown(void **state) {
    struct fixture *f = *state;
    eqm_batch_free(&f->b);
    assert_null(f->b);
    eqm_batch_free(&f->b); /* NULL-safe */
    eqm_sink_collect_free(&f->sink);
    return 0;
}

/* One event of id on day, adding (a, b) to t0 rows (area, grp) for both
 * areas given, and (x, y, z) to t1 for the first area. */
static void add(struct fixture *f, const char *id, int32_t day, const char *area, const char *area2,
                const char *grp, int64_t a, int64_t b, int64_t x) {
    struct eqm_envelope env = {id, "t", area, (int64_t)day * 86400 * 1000000, day};
    const char *p0[2] = {area, grp}, *p1[2] = {area2, grp}, *q[1] = {area};
    int64_t c0[2] = {a, b}, c1[3] = {x, 2 * x, 3 * x};

    eqm_sink_collect_reset(f->sink);
    assert_int_equal(eqm_sink_add(f->sink, 0, p0, c0), 0);
    if (area2)
        assert_int_equal(eqm_sink_add(f->sink, 0, p1, c0), 0);
    assert_int_equal(eqm_sink_add(f->sink, 1, q, c1), 0);
    assert_int_equal(eqm_batch_add_event(f->b, "svc", &env, f->sink), 0);
}

/* The summed counts of the slot (table, day, parts...), or NULL. */
static const int64_t *slot_sums(struct eqm_batch *b, int table, int32_t day, const char *p0,
                                const char *p1) {
    for (size_t i = 0; i < eqm_batch_n_slots(b); i++) {
        const char *const *parts;
        const int64_t *sums;
        int t;
        int32_t d;
        eqm_batch_slot(b, i, &t, &d, &parts, &sums);
        if (t == table && d == day && !strcmp(parts[0], p0) && (!p1 || !strcmp(parts[1], p1)))
            return sums;
    }
    return NULL;
}

static void mark_all_new(struct eqm_batch *b) {
    for (size_t i = 0; i < eqm_batch_n_events(b); i++)
        eqm_batch_event(b, i)->is_new = eqm_batch_event(b, i)->candidate;
}

static void test_sums_per_slot(void **state) {
    struct fixture *f = *state;
    const int64_t *s;

    /* Day 100: e1 (area A and force, grp g: 1,0; t1 x=1), e2 (A, g: 0,1;
     * x=2), e3 (A, h: 1,1; x=4). Day 101: e4 (A, g: 1,0; x=8). */
    add(f, "e1", 100, "A", "force", "g", 1, 0, 1);
    add(f, "e2", 100, "A", NULL, "g", 0, 1, 2);
    add(f, "e3", 100, "A", NULL, "h", 1, 1, 4);
    add(f, "e4", 101, "A", NULL, "g", 1, 0, 8);
    assert_int_equal(eqm_batch_n_events(f->b), 4);
    /* Slots: t0 (100,A,g) (100,force,g) (100,A,h) (101,A,g); t1 (100,A)
     * (101,A): six. */
    assert_int_equal(eqm_batch_n_slots(f->b), 6);

    mark_all_new(f->b);
    assert_int_equal(eqm_batch_sum(f->b), 6);
    s = slot_sums(f->b, 0, 100, "A", "g");
    assert_non_null(s);
    assert_int_equal(s[0], 1); /* e1 + e2: 1 + 0 */
    assert_int_equal(s[1], 1); /* 0 + 1 */
    s = slot_sums(f->b, 0, 100, "force", "g");
    assert_int_equal(s[0], 1);
    assert_int_equal(s[1], 0);
    s = slot_sums(f->b, 0, 100, "A", "h");
    assert_int_equal(s[0], 1);
    assert_int_equal(s[1], 1);
    s = slot_sums(f->b, 1, 100, "A", NULL);
    assert_int_equal(s[0], 7);  /* x: 1 + 2 + 4 */
    assert_int_equal(s[1], 14); /* 2x */
    assert_int_equal(s[2], 21); /* 3x */
    s = slot_sums(f->b, 1, 101, "A", NULL);
    assert_int_equal(s[0], 8);
    assert_int_equal(s[2], 24);

    /* Only new events count, and a second sum starts from zero (a retried
     * transaction must not add twice). */
    eqm_batch_event(f->b, 1)->is_new = false; /* e2 was counted before */
    assert_int_equal(eqm_batch_sum(f->b), 6);
    assert_int_equal(eqm_batch_sum(f->b), 6);
    s = slot_sums(f->b, 1, 100, "A", NULL);
    assert_int_equal(s[0], 5); /* 1 + 4 */
    s = slot_sums(f->b, 0, 100, "A", "g");
    assert_int_equal(s[0], 1);
    assert_int_equal(s[1], 0);

    /* Nothing new: every slot sums to zero. */
    for (size_t i = 0; i < eqm_batch_n_events(f->b); i++)
        eqm_batch_event(f->b, i)->is_new = false;
    assert_int_equal(eqm_batch_sum(f->b), 0);
}

static void test_repeated_id_and_keys(void **state) {
    struct fixture *f = *state;
    unsigned char want[16];
    struct eqm_md5 m;

    add(f, "same", 100, "A", NULL, "g", 1, 0, 1);
    add(f, "other", 100, "A", NULL, "g", 1, 0, 1);
    add(f, "same", 100, "A", NULL, "g", 1, 0, 1);
    assert_true(eqm_batch_event(f->b, 0)->candidate);
    assert_true(eqm_batch_event(f->b, 1)->candidate);
    assert_false(eqm_batch_event(f->b, 2)->candidate); /* the repeat */

    /* The key is md5("svc:same"), as eqm/md5.h and event_keys say. */
    eqm_md5_init(&m);
    eqm_md5_update(&m, "svc:same", 8);
    eqm_md5_final(&m, want);
    assert_memory_equal(eqm_batch_event(f->b, 0)->key, want, 16);
    assert_ptr_equal(eqm_batch_find(f->b, want), eqm_batch_event(f->b, 0));
    memset(want, 0, sizeof(want));
    assert_null(eqm_batch_find(f->b, want));

    /* Counted once: the repeat is no candidate, so never new. */
    mark_all_new(f->b);
    eqm_batch_sum(f->b);
    assert_int_equal(slot_sums(f->b, 0, 100, "A", "g")[0], 2);
}

/* Enough events to grow both indexes several times. */
static void test_many_events(void **state) {
    struct fixture *f = *state;
    char id[32], grp[32];
    int64_t total = 0;

    for (int i = 0; i < 5000; i++) {
        snprintf(id, sizeof(id), "id-%d", i % 4000); /* 1,000 repeats */
        snprintf(grp, sizeof(grp), "g%d", i % 37);
        add(f, id, 100 + i % 3, "A", NULL, grp, 1, 0, 1);
    }
    mark_all_new(f->b);
    eqm_batch_sum(f->b);
    /* 37 groups x 3 days of t0 rows for area A, and 3 days of t1 rows. */
    assert_int_equal(eqm_batch_n_slots(f->b), 37 * 3 + 3);
    for (int d = 0; d < 3; d++)
        total += slot_sums(f->b, 1, 100 + d, "A", NULL)[0];
    assert_int_equal(total, 4000); /* each id counted once */
}

static void test_dead_letters_and_reset(void **state) {
    struct fixture *f = *state;
    char reason[300];
    const struct eqm_batch_dead_letter *d;

    memset(reason, 'r', sizeof(reason) - 1);
    reason[sizeof(reason) - 1] = '\0';
    add(f, "e1", 100, "A", NULL, "g", 1, 0, 1);
    assert_int_equal(eqm_batch_add_dead_letter(f->b, 3, 42, "not_json", "not JSON", 7), 0);
    assert_int_equal(eqm_batch_add_dead_letter(f->b, 1, 9, "bad_area", reason, 1000), 0);
    assert_int_equal(eqm_batch_n_dead_letters(f->b), 2);
    d = eqm_batch_dead_letter(f->b, 0);
    assert_int_equal(d->partition, 3);
    assert_int_equal(d->offset, 42);
    assert_string_equal(d->code, "not_json");
    assert_string_equal(d->reason, "not JSON");
    assert_int_equal(d->bytes, 7);
    d = eqm_batch_dead_letter(f->b, 1);
    assert_string_equal(d->reason, reason); /* copied whole */
    assert_ptr_not_equal(d->reason, reason);

    eqm_batch_reset(f->b);
    assert_int_equal(eqm_batch_n_events(f->b), 0);
    assert_int_equal(eqm_batch_n_slots(f->b), 0);
    assert_int_equal(eqm_batch_n_dead_letters(f->b), 0);
    /* The same id after a reset is a candidate again (a new batch). */
    add(f, "e1", 100, "A", NULL, "g", 1, 0, 1);
    assert_true(eqm_batch_event(f->b, 0)->candidate);
    assert_int_equal(eqm_batch_n_slots(f->b), 2);
}

static void test_bad_tables(void **state) {
    struct eqm_batch *b = (struct eqm_batch *)1;
    struct eqm_counts_table bad = {"t", keys1, 0, counts3, 3};
    (void)state;
    assert_int_equal(eqm_batch_new(&b, NULL, 1), -1);
    assert_int_equal(eqm_batch_new(&b, tables, 0), -1);
    assert_int_equal(eqm_batch_new(&b, &bad, 1), -1);
    assert_ptr_equal(b, (struct eqm_batch *)1); /* untouched on failure */
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void) {
    const struct CMUnitTest tests[] = {
        T(test_sums_per_slot),          T(test_repeated_id_and_keys),      T(test_many_events),
        T(test_dead_letters_and_reset), cmocka_unit_test(test_bad_tables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
