/*
 * test_digest_schedule.c - the digest calendar (digest_schedule.h) in
 * Europe/London: the latest scheduled instant not after now, months
 * shorter than the day asked for, a leap February, the year boundary, and
 * both clock changes of 2026.
 *
 * Expected instants are worked out by hand from the calendar and the UK's
 * clock rules (summer time from 01:00 UTC on the last Sunday of March to
 * 01:00 UTC on the last Sunday of October: 29 March and 25 October in
 * 2026), written as UTC and turned into seconds by timegm(), not by the
 * code under test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit.h"

#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "digest_schedule.h"
#include "eqm/timeutil.h"

/* y-m-d h:mi UTC as µs since the epoch. */
static int64_t utc(int y, int m, int d, int h, int mi) {
    struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi};
    return (int64_t)timegm(&tm) * 1000000;
}

static struct eqm_digest_schedule parse_ok(const char *text) {
    struct eqm_digest_schedule s;
    char err[256] = "";
    int rc = eqm_digest_schedule_parse(text, &s, err, sizeof(err));
    if (rc != 0)
        fail_msg("\"%s\" refused: %s", text, err);
    return s;
}

static int setup(void **state) {
    char err[256];
    (void)state;
    return eqm_time_set_zone("Europe/London", err, sizeof(err));
}

static void test_parse(void **state) {
    struct eqm_digest_schedule s;
    char buf[64];
    (void)state;

    s = parse_ok("Weekly on MON at 9:05");
    assert_int_equal(s.every, EQM_DIGEST_WEEKLY);
    assert_int_equal(s.weekday, 1);
    assert_int_equal(s.hour, 9);
    assert_int_equal(s.minute, 5);
    eqm_digest_schedule_format(&s, buf, sizeof(buf));
    assert_string_equal(buf, "weekly on monday at 09:05");

    s = parse_ok("daily");
    assert_int_equal(s.every, EQM_DIGEST_DAILY);
    assert_int_equal(s.hour, 0);
    assert_int_equal(s.minute, 0);

    s = parse_ok("  monthly   on 31 at 23:59 ");
    assert_int_equal(s.every, EQM_DIGEST_MONTHLY);
    assert_int_equal(s.monthday, 31);
    eqm_digest_schedule_format(&s, buf, sizeof(buf));
    assert_string_equal(buf, "monthly on 31 at 23:59");

    s = parse_ok("weekly on sunday at 00:00");
    assert_int_equal(s.weekday, 0);
}

/* A schedule refused, and words its error must hold. */
struct refusal {
    const char *text;
    const char *says;
};

static void test_parse_errors(void **state) {
    static const struct refusal bad[] = {
        {"", "empty digest schedule"},
        {"fortnightly", "a digest is daily, weekly on WEEKDAY or monthly on DAY"},
        {"weekly", "a weekly digest needs its day"},
        {"weekly monday", "a weekly digest needs its day"},
        {"weekly on funday", "\"funday\" is not a day of the week"},
        {"monthly on 0", "\"0\" is not a day of the month"},
        {"monthly on 32", "\"32\" is not a day of the month"},
        {"monthly on 1st", "\"1st\" is not a day of the month"},
        {"daily at 24:00", "the time is written at HH:MM"},
        {"daily at 9:5", "the time is written at HH:MM"},
        {"daily at", "the time is written at HH:MM"},
        {"daily 09:00", "the time is written at HH:MM"},
        {"daily at 09:00 sharp", "unexpected \"sharp\" after the time"},
    };
    (void)state;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct eqm_digest_schedule s;
        char err[256] = "";
        if (eqm_digest_schedule_parse(bad[i].text, &s, err, sizeof(err)) == 0)
            fail_msg("\"%s\" accepted", bad[i].text);
        if (!strstr(err, bad[i].says))
            fail_msg("\"%s\": \"%s\" does not say \"%s\"", bad[i].text, err, bad[i].says);
    }
}

/* One expectation: for schedule `when`, at `now` (UTC), the latest
 * scheduled instant is `due` (UTC); with prev, eqm_digest_previous(now). */
struct want {
    const char *when;
    int64_t now, due;
    bool prev;
};

#define DUE(when, now, due)                                                                        \
    { (when), (now), (due), false }
#define PREV(when, at, prev)                                                                       \
    { (when), (at), (prev), true }

static const char *const DAILY9 = "daily at 09:00", *const MONDAY9 = "weekly on monday at 09:00",
                         *const M31 = "monthly on 31 at 18:00", *const M30 = "monthly on 30",
                         *const M15 = "monthly on 15 at 10:00", *const DAILY0130 = "daily at 01:30";

static void check(const struct want *w, size_t n) {
    for (size_t i = 0; i < n; i++) {
        struct eqm_digest_schedule s = parse_ok(w[i].when);
        int64_t got = w[i].prev ? eqm_digest_previous(&s, w[i].now) : eqm_digest_due(&s, w[i].now);
        if (got != w[i].due)
            fail_msg("case %zu (%s, %s %lld): %lld, expected %lld", i, w[i].when,
                     w[i].prev ? "previous" : "due", (long long)(w[i].now / 1000000),
                     (long long)(got / 1000000), (long long)(w[i].due / 1000000));
    }
}

static void test_due(void **state) {
    const struct want w[] = {
        /* Winter: London is UTC. Before today's 09:00, yesterday's. */
        DUE(DAILY9, utc(2026, 3, 10, 8, 0), utc(2026, 3, 9, 9, 0)),
        /* At the instant itself: that one; the previous is the day before. */
        DUE(DAILY9, utc(2026, 3, 10, 9, 0), utc(2026, 3, 10, 9, 0)),
        PREV(DAILY9, utc(2026, 3, 10, 9, 0), utc(2026, 3, 9, 9, 0)),
        /* Summer: 09:00 BST is 08:00 UTC. */
        DUE(DAILY9, utc(2026, 7, 1, 12, 0), utc(2026, 7, 1, 8, 0)),
        DUE(DAILY9, utc(2026, 7, 1, 7, 59), utc(2026, 6, 30, 8, 0)),
        /* Across the year boundary. */
        DUE(DAILY9, utc(2027, 1, 1, 0, 30), utc(2026, 12, 31, 9, 0)),
        /* 9 March 2026 is a Monday (1 January 2026 was a Thursday). */
        DUE(MONDAY9, utc(2026, 3, 10, 8, 0), utc(2026, 3, 9, 9, 0)),
        DUE(MONDAY9, utc(2026, 3, 15, 23, 0), utc(2026, 3, 9, 9, 0)),
        DUE(MONDAY9, utc(2026, 3, 9, 8, 59), utc(2026, 3, 2, 9, 0)),
        PREV(MONDAY9, utc(2026, 3, 9, 9, 0), utc(2026, 3, 2, 9, 0)),
        /* Monday 30 March is the first Monday of summer time: 08:00 UTC;
         * the week before, 23 March, 09:00 UTC. */
        DUE(MONDAY9, utc(2026, 3, 31, 0, 0), utc(2026, 3, 30, 8, 0)),
        PREV(MONDAY9, utc(2026, 3, 30, 8, 0), utc(2026, 3, 23, 9, 0)),
        /* 31 March is still to come on 5 March: February's last day, the 28th. */
        DUE(M31, utc(2026, 3, 5, 12, 0), utc(2026, 2, 28, 18, 0)),
        /* April has 30 days: 30 April 18:00 BST = 17:00 UTC. */
        DUE(M31, utc(2026, 4, 30, 18, 0), utc(2026, 4, 30, 17, 0)),
        DUE(M31, utc(2026, 4, 30, 16, 59), utc(2026, 3, 31, 17, 0)),
        /* 2028 is a leap year: February's last day is the 29th (midnight, GMT). */
        DUE(M30, utc(2028, 3, 1, 0, 0), utc(2028, 2, 29, 0, 0)),
        /* The year boundary. */
        DUE(M15, utc(2026, 1, 10, 0, 0), utc(2025, 12, 15, 10, 0)),
        PREV(M15, utc(2026, 1, 15, 10, 0), utc(2025, 12, 15, 10, 0)),
        /* 29 March 2026: 01:00 GMT jumps to 02:00 BST, 01:30 does not
         * exist; read with the offset before the change (GMT): 01:30 UTC. */
        DUE(DAILY0130, utc(2026, 3, 29, 12, 0), utc(2026, 3, 29, 1, 30)),
        PREV(DAILY0130, utc(2026, 3, 29, 1, 30), utc(2026, 3, 28, 1, 30)),
        /* The day after: 01:30 BST = 00:30 UTC. */
        DUE(DAILY0130, utc(2026, 3, 30, 12, 0), utc(2026, 3, 30, 0, 30)),
        /* 25 October 2026: 02:00 BST falls back to 01:00 GMT, 01:30
         * happens twice (00:30 and 01:30 UTC): the first. */
        DUE(DAILY0130, utc(2026, 10, 25, 12, 0), utc(2026, 10, 25, 0, 30)),
        DUE(DAILY0130, utc(2026, 10, 26, 12, 0), utc(2026, 10, 26, 1, 30)),
    };
    (void)state;
    check(w, sizeof(w) / sizeof(w[0]));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_due),
    };
    /* One time zone for the whole group: the process's, as eqm-notify sets it. */
    return cmocka_run_group_tests(tests, setup, NULL);
}
