/*
 * test_bme.c - the bme aggregate (eqm/bme.h): asian + black + mixed +
 * other, from the groups named exactly so; white, not_stated, bme itself
 * and labels that only map to a member are left out.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit.h"

#include "eqm/bme.h"

static void test_members(void **state) {
    (void)state;
    assert_string_equal(EQM_BME_NAME, "bme");
    assert_true(eqm_bme_member("asian"));
    assert_true(eqm_bme_member("black"));
    assert_true(eqm_bme_member("mixed"));
    assert_true(eqm_bme_member("other"));
    assert_false(eqm_bme_member("white"));
    assert_false(eqm_bme_member("not_stated"));
    assert_false(eqm_bme_member("bme"));
    assert_false(eqm_bme_member("Asian"));
    assert_false(eqm_bme_member("Black/African/Caribbean/Black British - African"));
    assert_false(eqm_bme_member(""));
    assert_false(eqm_bme_member("male"));
}

static void test_sum(void **state) {
    /* Two counts per group: asian 3|1, black 10|4, mixed 2|0, other 5|5,
     * white 100|50, not_stated 7|7, "Black" (a label) 1000|1000.
     * bme = 3+10+2+5 = 20 | 1+4+0+5 = 10. */
    static const char *const grp[] = {"asian", "white", "black", "not_stated",
                                      "mixed", "Black", "other"};
    static const int64_t counts[][2] = {{3, 1}, {100, 50},    {10, 4}, {7, 7},
                                        {2, 0}, {1000, 1000}, {5, 5}};
    static const int want_added[] = {1, 0, 1, 0, 1, 0, 1};
    int64_t sum[2] = {0, 0};
    int added = 0;
    (void)state;

    for (int i = 0; i < 7; i++) {
        int r = eqm_bme_add(grp[i], counts[i], 2, sum);
        assert_int_equal(r, want_added[i]);
        added += r;
    }
    assert_int_equal(added, 4);
    assert_int_equal(sum[0], 20);
    assert_int_equal(sum[1], 10);

    /* No member: nothing added, the sum untouched. */
    sum[0] = sum[1] = -3;
    assert_int_equal(eqm_bme_add("white", counts[1], 2, sum), 0);
    assert_int_equal(sum[0], -3);
    assert_int_equal(sum[1], -3);
}

EQM_UNIT_MAIN(test_members, test_sum)
