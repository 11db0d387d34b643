/*
 * test_log.c - log values are quoted and escaped, so an error text with
 * quotes of its own stays one key=value (logfmt readers split on them).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit.h"

#include <string.h>

#include "eqm/log.h"

static void test_quote_escapes(void **state) {
    (void)state;
    assert_string_equal(eqm_log_q("plain"), "\"plain\"");
    assert_string_equal(eqm_log_q("relation \"x\" does not exist"),
                        "\"relation \\\"x\\\" does not exist\"");
    assert_string_equal(eqm_log_q("a\\b\nc\td"), "\"a\\\\b\\nc d\"");
    assert_string_equal(eqm_log_q(""), "\"\"");
    assert_string_equal(eqm_log_q(NULL), "\"\"");
}

/* Four results may be used in one call; the fifth reuses the first buffer. */
static void test_four_at_once(void **state) {
    const char *a = eqm_log_q("1"), *b = eqm_log_q("2"), *c = eqm_log_q("3"), *d = eqm_log_q("4");
    (void)state;
    assert_string_equal(a, "\"1\"");
    assert_string_equal(b, "\"2\"");
    assert_string_equal(c, "\"3\"");
    assert_string_equal(d, "\"4\"");
    assert_ptr_equal(eqm_log_q("5"), a);
}

/* A long value is cut, and still closed by its quote. */
static void test_long_value_cut_and_closed(void **state) {
    char big[3000];
    const char *q;
    size_t n;
    (void)state;
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    q = eqm_log_q(big);
    n = strlen(q);
    assert_true(n > 1000 && n < 1024);
    assert_int_equal(q[0], '"');
    assert_int_equal(q[n - 1], '"');
}

EQM_UNIT_MAIN(test_quote_escapes, test_four_at_once, test_long_value_cut_and_closed)
