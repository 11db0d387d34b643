/*
 * test_utf8.c - text that PostgreSQL and Kafka headers accept
 * (eqm/utf8.h): well-formedness as RFC 3629 defines it, cuts at character
 * boundaries, replacement of what is not UTF-8, and blank texts.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit.h"

#include <string.h>

#include "eqm/utf8.h"

#define V(s) eqm_utf8_valid(s, sizeof(s) - 1)

static void test_valid(void **state) {
    (void)state;
    assert_true(V(""));
    assert_true(V("plain ASCII"));
    assert_true(V("caf\xC3\xA9"));       /* é */
    assert_true(V("\xE2\x82\xAC"));      /* € */
    assert_true(V("\xF0\x9F\x98\x80"));  /* U+1F600 */
    assert_true(V("\xF4\x8F\xBF\xBF"));  /* U+10FFFF, the last */
    assert_false(V("\xC3"));             /* cut after the lead byte */
    assert_false(V("\"\\\xC3"));         /* the start of the message "\é, cut */
    assert_false(V("\xA9"));             /* a lone continuation byte */
    assert_false(V("\xC0\xAF"));         /* overlong "/" */
    assert_false(V("\xE0\x80\xAF"));     /* overlong again */
    assert_false(V("\xED\xA0\x80"));     /* U+D800, a surrogate */
    assert_false(V("\xF4\x90\x80\x80")); /* above U+10FFFF */
    assert_false(V("\xFF"));
    assert_false(eqm_utf8_valid("a\0b", 3)); /* NUL: PostgreSQL text cannot hold it */
}

static void test_chars_and_cut(void **state) {
    const char *s = "a\xC3\xA9\xE2\x82\xAC"; /* a é € : 6 bytes, 3 characters */
    (void)state;
    assert_int_equal(eqm_utf8_chars(s, 6), 3);
    assert_int_equal(eqm_utf8_chars("\xFF\xFE", 2), 2); /* a bad byte is one */
    assert_int_equal(eqm_utf8_cut(s, 6, 6), 6);
    assert_int_equal(eqm_utf8_cut(s, 6, 5), 3); /* not inside the € */
    assert_int_equal(eqm_utf8_cut(s, 6, 4), 3);
    assert_int_equal(eqm_utf8_cut(s, 6, 2), 1); /* not inside the é */
    assert_int_equal(eqm_utf8_cut(s, 6, 0), 0);
    assert_int_equal(eqm_utf8_cut("ab\xFF", 3, 10), 2); /* stops at what is not UTF-8 */
}

static void test_copy_and_fix(void **state) {
    char out[16], buf[32];
    (void)state;
    /* Each bad byte becomes U+FFFD (EF BF BD). */
    assert_int_equal(eqm_utf8_copy(out, sizeof(out),
                                   "a\xFF"
                                   "b",
                                   3),
                     5);
    assert_string_equal(out, "a\xEF\xBF\xBD"
                             "b");
    /* A cut lead byte at the end, too. */
    eqm_utf8_copy(out, sizeof(out), "\"\\\xC3", 3);
    assert_string_equal(out, "\"\\\xEF\xBF\xBD");
    /* Cut to fit at a character boundary: 4 bytes of room, "é€" is 5. */
    assert_int_equal(eqm_utf8_copy(out, 5, "\xC3\xA9\xE2\x82\xAC", 5), 2);
    assert_string_equal(out, "\xC3\xA9");
    assert_true(eqm_utf8_valid(out, strlen(out)));
    /* In place. */
    strcpy(buf, "reason: \xC3");
    assert_true(eqm_utf8_fix(buf, sizeof(buf)));
    assert_string_equal(buf, "reason: \xEF\xBF\xBD");
    assert_false(eqm_utf8_fix(buf, sizeof(buf))); /* nothing left to fix */
}

static void test_blank(void **state) {
    (void)state;
    assert_true(eqm_utf8_blank("", 0));
    assert_true(eqm_utf8_blank(" \t\r\n", 4));
    assert_true(eqm_utf8_blank("\xC2\xA0", 2));                  /* no-break space */
    assert_true(eqm_utf8_blank("\xE2\x80\x8B\xE2\x80\x8B", 6));  /* zero-width spaces */
    assert_true(eqm_utf8_blank("\xEF\xBB\xBF \xE3\x80\x80", 7)); /* BOM, space, ideographic */
    assert_true(eqm_utf8_blank("\xE2\x81\xA0", 3));              /* word joiner */
    assert_false(eqm_utf8_blank(" x ", 3));
    assert_false(eqm_utf8_blank("\xC2\xA0"
                                "1",
                                3));
    assert_false(eqm_utf8_blank("\xFF", 1)); /* not UTF-8 is not blank */
}

EQM_UNIT_MAIN(test_valid, test_chars_and_cut, test_copy_and_fix, test_blank)
