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

static struct eqm_digest_schedule sched(enum eqm_digest_every every, int day, int hour,
                                        int minute) {
    struct eqm_digest_schedule s = {.every = every, .hour = hour, .minute = minute};
    if (every == EQM_DIGEST_WEEKLY)
        s.weekday = day;
    else
        s.monthday = day;
    return s;
}

static int setup(void **state) {
    char err[256];
    (void)state;
    return eqm_time_set_zone("Europe/London", err, sizeof(err));
}

/* One expectation: for schedule `when`, at `now` (UTC), the latest
 * scheduled instant is `due` (UTC); with prev, eqm_digest_previous(now). */
struct want {
    struct eqm_digest_schedule when;
    int64_t now, due;
    bool prev;
};

#define DUE(when, now, due)                                                                        \
    { (when), (now), (due), false }
#define PREV(when, at, prev)                                                                       \
    { (when), (at), (prev), true }

#define DAILY9    sched(EQM_DIGEST_DAILY, 0, 9, 0)
#define MONDAY9   sched(EQM_DIGEST_WEEKLY, 1, 9, 0)
#define M31       sched(EQM_DIGEST_MONTHLY, 31, 18, 0)
#define M30       sched(EQM_DIGEST_MONTHLY, 30, 0, 0)
#define M15       sched(EQM_DIGEST_MONTHLY, 15, 10, 0)
#define DAILY0130 sched(EQM_DIGEST_DAILY, 0, 1, 30)

static void check(const struct want *w, size_t n) {
    for (size_t i = 0; i < n; i++) {
        const struct eqm_digest_schedule *s = &w[i].when;
        int64_t got = w[i].prev ? eqm_digest_previous(s, w[i].now) : eqm_digest_due(s, w[i].now);
        if (got != w[i].due)
            fail_msg("case %zu (every %d, day %d, %02d:%02d; %s %lld): %lld, expected %lld", i,
                     (int)s->every, s->every == EQM_DIGEST_WEEKLY ? s->weekday : s->monthday,
                     s->hour, s->minute, w[i].prev ? "previous" : "due",
                     (long long)(w[i].now / 1000000), (long long)(got / 1000000),
                     (long long)(w[i].due / 1000000));
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
        cmocka_unit_test(test_due),
    };
    /* One time zone for the whole group: the process's, as eqm-notify sets it. */
    return cmocka_run_group_tests(tests, setup, NULL);
}
