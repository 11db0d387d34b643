/*
 * test_timeutil.c - RFC 3339 parsing, local days in a time zone, and the
 * civil-date arithmetic.
 *
 * Every expected epoch value is worked out by hand in the comment beside
 * it (and was checked with Python's datetime, not with this code):
 *
 *   days to 1 Jan of year Y = 365 * (Y - 1970) + leap years in [1970, Y)
 *   2025-01-01: 55 years, 14 leap years (1972..2024) -> 20075 + 14 = 20089
 *   2025-07-01: 20089 + Jan..Jun (31+28+31+30+31+30 = 181)      = 20270
 *
 * The calendar itself is checked against a day-by-day walk written here,
 * which knows nothing of Hinnant's algorithm.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eqm/timeutil.h"

#define US INT64_C(1000000)

/* Days from 1970-01-01 to the dates the tests use (see the header). */
#define D_2025_01_01 20089
#define D_2025_07_01 20270

static int64_t parse_ok(const char *s) {
    int64_t us = INT64_MIN;
    int rc = eqm_time_parse_rfc3339(s, strlen(s), &us);
    if (rc != 0)
        fail_msg("expected \"%s\" to parse", s);
    return us;
}

static void parse_bad(const char *s, size_t len) {
    int64_t us = 12345;
    if (eqm_time_parse_rfc3339(s, len, &us) != -1)
        fail_msg("expected \"%.*s\" (%zu bytes) to be refused", (int)len, s, len);
    /* A refused input leaves the output alone. */
    assert_int_equal(us, 12345);
}

static void test_rfc3339_offsets(void **state) {
    (void)state;
    /* 20270 days * 86400 + 3 h 40 min (13200 s) = 1751328000 + 13200 */
    const int64_t base = (INT64_C(20270) * 86400 + 3 * 3600 + 40 * 60) * US;
    assert_int_equal(base, INT64_C(1751341200) * US);

    assert_int_equal(parse_ok("2025-07-01T03:40:00+00:00"), base);
    assert_int_equal(parse_ok("2025-07-01T03:40:00Z"), base);
    assert_int_equal(parse_ok("2025-07-01T03:40:00z"), base);
    assert_int_equal(parse_ok("2025-07-01T03:40:00-00:00"), base);
    /* Local 03:40 at +01:00 is 02:40 UTC: one hour earlier. */
    assert_int_equal(parse_ok("2025-07-01T03:40:00+01:00"), base - 3600 * US);
    /* Local 03:40 at -05:30 is 09:10 UTC: 5.5 h = 19800 s later. */
    assert_int_equal(parse_ok("2025-07-01T03:40:00-05:30"), base + 19800 * US);
    /* The extremes in use: +14:00 (Kiribati) and -12:00. */
    assert_int_equal(parse_ok("2025-07-01T03:40:00+14:00"), base - 14 * 3600 * US);
    assert_int_equal(parse_ok("2025-07-01T03:40:00-12:00"), base + 12 * 3600 * US);
    /* An offset that crosses midnight: 00:30+02:00 is 22:30 the day before. */
    assert_int_equal(parse_ok("2025-07-01T00:30:00+02:00"),
                     ((INT64_C(20269) * 86400) + 22 * 3600 + 30 * 60) * US);
}

static void test_rfc3339_separators(void **state) {
    (void)state;
    const int64_t base = INT64_C(1751341200) * US;
    assert_int_equal(parse_ok("2025-07-01t03:40:00Z"), base);
    assert_int_equal(parse_ok("2025-07-01 03:40:00Z"), base);
    assert_int_equal(parse_ok("2025-07-01t03:40:00z"), base);
}

static void test_rfc3339_fractions(void **state) {
    (void)state;
    const int64_t base = INT64_C(1751341200) * US;
    assert_int_equal(parse_ok("2025-07-01T03:40:00.5Z"), base + 500000);
    assert_int_equal(parse_ok("2025-07-01T03:40:00.000001Z"), base + 1);
    assert_int_equal(parse_ok("2025-07-01T03:40:00.123456+00:00"), base + 123456);
    /* Digits past the microsecond are dropped, not rounded. */
    assert_int_equal(parse_ok("2025-07-01T03:40:00.1234569Z"), base + 123456);
    assert_int_equal(parse_ok("2025-07-01T03:40:00.999999999Z"), base + 999999);
    assert_int_equal(parse_ok("2025-07-01T03:40:00.0Z"), base);
    /* Fraction and offset together: 03:40:00.25 at +01:00. */
    assert_int_equal(parse_ok("2025-07-01T03:40:00.25+01:00"), base - 3600 * US + 250000);
    /* Before the epoch: 1969-12-31T23:59:59.5Z is -1 s + 0.5 s = -0.5 s. */
    assert_int_equal(parse_ok("1969-12-31T23:59:59.5Z"), -500000);
    assert_int_equal(parse_ok("1969-12-31T23:59:59Z"), -US);
    assert_int_equal(parse_ok("1970-01-01T00:00:00Z"), 0);
}

static void test_rfc3339_calendar(void **state) {
    (void)state;
    /* 2000-02-29: 30 years and 7 leap years (1972..1996) to 2000-01-01 =
     * 10950 + 7 = 10957; + 31 (Jan) + 28 = 11016 days = 951782400 s.
     * 2000 is a leap year (divisible by 400). */
    assert_int_equal(parse_ok("2000-02-29T00:00:00Z"), INT64_C(951782400) * US);
    /* 2024-02-29T12:00Z: 54 years, 13 leap years (1972..2020) -> 19723;
     * + 59 = 19782 days; 19782 * 86400 + 43200 = 1709208000. */
    assert_int_equal(parse_ok("2024-02-29T12:00:00Z"), INT64_C(1709208000) * US);
    /* Last day of each 31-day and 30-day month is accepted. */
    parse_ok("2025-01-31T00:00:00Z");
    parse_ok("2025-04-30T00:00:00Z");
    parse_ok("2025-12-31T23:59:59Z");
    parse_ok("2025-02-28T23:59:59Z");
    /* A leap second: 2016-12-31T23:59:60Z is folded into 23:59:59.
     * 2016-01-01 = 46 * 365 + 11 = 16801; + 365 = 17166 (31 Dec);
     * 17166 * 86400 + 86399 = 1483228799. */
    assert_int_equal(parse_ok("2016-12-31T23:59:60Z"), INT64_C(1483228799) * US);

    /* Impossible dates. */
    parse_bad("2025-02-29T00:00:00Z", 20); /* 2025 is not a leap year */
    parse_bad("1900-02-29T00:00:00Z", 20); /* divisible by 100, not 400 */
    parse_bad("2025-02-30T00:00:00Z", 20);
    parse_bad("2024-02-30T00:00:00Z", 20);
    parse_bad("2025-04-31T00:00:00Z", 20);
    parse_bad("2025-06-31T00:00:00Z", 20);
    parse_bad("2025-09-31T00:00:00Z", 20);
    parse_bad("2025-11-31T00:00:00Z", 20);
    parse_bad("2025-01-32T00:00:00Z", 20);
    parse_bad("2025-13-01T00:00:00Z", 20);
    parse_bad("2025-00-10T00:00:00Z", 20);
    parse_bad("2025-07-00T00:00:00Z", 20);
    parse_bad("2025-07-01T24:00:00Z", 20);
    parse_bad("2025-07-01T23:60:00Z", 20);
    parse_bad("2025-07-01T23:59:61Z", 20);
}

static void test_rfc3339_malformed(void **state) {
    (void)state;
    static const char *const bad[] = {
        "",
        "2025-07-01",
        "2025-07-01T03:40:00",      /* no offset: local time is not guessed */
        "2025-07-01T03:40:00.5",    /* fraction, still no offset */
        "2025-07-01T03:40:00+0100", /* offset without the colon */
        "2025-07-01T03:40:00+01",   /* offset without minutes */
        "2025-07-01T03:40:00+1:00",
        "2025-07-01T03:40:00+24:00",  /* offset hour out of range */
        "2025-07-01T03:40:00+01:60",  /* offset minutes out of range */
        "2025-07-01T03:40:00 +01:00", /* blank before the offset */
        "2025-07-01T03:40:00Zjunk",   /* trailing junk */
        "2025-07-01T03:40:00+00:00 ", /* trailing blank */
        "2025-07-01T03:40:00+00:00Z",
        " 2025-07-01T03:40:00Z",  /* leading blank */
        "2025-07-01T03:40:00.Z",  /* empty fraction */
        "2025-07-01T03:40:00,5Z", /* comma fraction: ISO 8601, not RFC 3339 */
        "2025-07-01X03:40:00Z",   /* bad separator */
        "2025-07-01  03:40:00Z",  /* two spaces */
        "2025-07-01T03:40Z",      /* no seconds */
        "2025-7-01T03:40:00Z",    /* one-digit month */
        "2025-07-1T03:40:00Z",
        "25-07-01T03:40:00Z",
        "2025/07/01T03:40:00Z",
        "2025-07-01T03.40.00Z",
        "+2025-07-01T03:40:00Z",
        "2025-07-01T03:40:00ZZ",
        "2025-07-01T3:40:00Z",
        "yyyy-mm-ddThh:mm:ssZ",
        "1751341200",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        parse_bad(bad[i], strlen(bad[i]));
}

static void test_rfc3339_length_is_honoured(void **state) {
    (void)state;
    const char *s = "2025-07-01T03:40:00Zjunk";
    int64_t us = 0;
    /* Only len bytes are read: the first 20 bytes are a whole date-time. */
    assert_int_equal(eqm_time_parse_rfc3339(s, 20, &us), 0);
    assert_int_equal(us, INT64_C(1751341200) * US);
    /* Cut short, or with a NUL inside the length, it is refused. */
    parse_bad(s, 19);
    parse_bad("2025-07-01T03:40:00Z\0", 21);
    parse_bad("2025-07-01T03:40:00+00:0", 24);
}

/* ---- local days ------------------------------------------------------- */

static int32_t local_day_of(const char *s) {
    return eqm_time_local_day(parse_ok(s));
}

static void set_zone(const char *zone) {
    char err[256] = "";
    if (eqm_time_set_zone(zone, err, sizeof(err)) != 0)
        fail_msg("cannot set zone %s: %s", zone, err);
}

static void test_local_day_london_bst(void **state) {
    (void)state;
    set_zone("Europe/London");
    /* 23:30Z on 30 June is 00:30 BST on 1 July. */
    assert_int_equal(local_day_of("2025-06-30T23:30:00Z"), D_2025_07_01);
    /* 22:59:59Z on 30 June is 23:59:59 BST: still 30 June. */
    assert_int_equal(local_day_of("2025-06-30T22:59:59Z"), D_2025_07_01 - 1);
    assert_int_equal(local_day_of("2025-06-30T23:00:00Z"), D_2025_07_01);
    /* In winter London is on UTC: 23:30Z on 15 Jan is 15 Jan
     * (20089 + 14 = 20103). */
    assert_int_equal(local_day_of("2025-01-15T23:30:00Z"), D_2025_01_01 + 14);
    assert_int_equal(local_day_of("2025-01-15T00:00:00Z"), D_2025_01_01 + 14);
    /* An offset in the input does not matter, only the instant: 00:30+01:00
     * on 1 July is 23:30Z on 30 June, which is 1 July in London. */
    assert_int_equal(local_day_of("2025-07-01T00:30:00+01:00"), D_2025_07_01);
    /* Before the epoch (London kept +01:00 all year from 1968 to 1971):
     * 22:59:59.5Z is 23:59:59.5 local on 31 Dec (day -1), so the instant
     * must be rounded towards the past, not towards 0 (which would give
     * 23:00:00Z = 00:00 local on 1 Jan, day 0); 23:00Z is day 0. */
    assert_int_equal(local_day_of("1969-12-31T22:59:59.5Z"), -1);
    assert_int_equal(local_day_of("1969-12-31T23:00:00Z"), 0);
}

static void test_local_day_london_dst_changes(void **state) {
    (void)state;
    set_zone("Europe/London");
    /* 2025: BST starts Sun 30 March at 01:00 UTC, ends Sun 26 October at
     * 01:00 UTC. 29 March = 20089 + 31 + 28 + 28 = 20176. */
    const int32_t mar29 = 20176, mar30 = 20177, mar31 = 20178;
    assert_int_equal(local_day_of("2025-03-29T23:30:00Z"), mar29); /* GMT */
    assert_int_equal(local_day_of("2025-03-30T00:30:00Z"), mar30); /* 00:30 GMT */
    assert_int_equal(local_day_of("2025-03-30T00:59:59Z"), mar30);
    assert_int_equal(local_day_of("2025-03-30T01:00:00Z"), mar30); /* 02:00 BST */
    assert_int_equal(local_day_of("2025-03-30T22:59:59Z"), mar30); /* 23:59:59 BST */
    assert_int_equal(local_day_of("2025-03-30T23:00:00Z"), mar31); /* 00:00 BST */
    /* 26 October = 20089 + 273 (Jan..Sep) + 25 = 20387. */
    const int32_t oct25 = 20386, oct26 = 20387, oct27 = 20388;
    assert_int_equal(local_day_of("2025-10-25T22:59:59Z"), oct25); /* 23:59:59 BST */
    assert_int_equal(local_day_of("2025-10-25T23:00:00Z"), oct26); /* 00:00 BST */
    assert_int_equal(local_day_of("2025-10-26T00:30:00Z"), oct26); /* 01:30 BST */
    assert_int_equal(local_day_of("2025-10-26T01:30:00Z"), oct26); /* 01:30 GMT */
    assert_int_equal(local_day_of("2025-10-26T23:30:00Z"), oct26); /* 23:30 GMT */
    assert_int_equal(local_day_of("2025-10-27T00:00:00Z"), oct27);
}

static void test_local_day_utc_and_others(void **state) {
    (void)state;
    set_zone("UTC");
    assert_int_equal(local_day_of("2025-06-30T23:30:00Z"), D_2025_07_01 - 1);
    assert_int_equal(local_day_of("2025-07-01T00:00:00Z"), D_2025_07_01);
    assert_int_equal(local_day_of("1969-12-31T23:59:59.5Z"), -1);
    /* New York in summer is -04:00: 03:40Z on 1 July is 23:40 on 30 June. */
    set_zone("America/New_York");
    assert_int_equal(local_day_of("2025-07-01T03:40:00Z"), D_2025_07_01 - 1);
    assert_int_equal(local_day_of("2025-07-01T04:00:00Z"), D_2025_07_01);
    set_zone("Europe/London");
}

static void test_set_zone_errors(void **state) {
    (void)state;
    static const char *const bad[] = {"Europe/Atlantis",         "",       "../../etc/passwd",
                                      "/usr/share/zoneinfo/UTC", "Europe", "europe/london"};
    set_zone("Europe/London");
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char err[256] = "";
        if (eqm_time_set_zone(bad[i], err, sizeof(err)) != -1)
            fail_msg("zone \"%s\" should be refused", bad[i]);
        assert_true(err[0] != '\0');
        if (bad[i][0])
            assert_non_null(strstr(err, bad[i]));
    }
    /* NULL is refused too, and a failed call leaves the zone as it was. */
    {
        char err[256] = "";
        assert_int_equal(eqm_time_set_zone(NULL, err, sizeof(err)), -1);
        assert_true(err[0] != '\0');
    }
    assert_int_equal(local_day_of("2025-06-30T23:30:00Z"), D_2025_07_01);
}

/* ---- civil dates -------------------------------------------------------- */

static void test_days_from_civil_known(void **state) {
    (void)state;
    assert_int_equal(eqm_time_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(eqm_time_days_from_civil(1969, 12, 31), -1);
    assert_int_equal(eqm_time_days_from_civil(2025, 1, 1), D_2025_01_01);
    assert_int_equal(eqm_time_days_from_civil(2025, 7, 1), D_2025_07_01);
    assert_int_equal(eqm_time_days_from_civil(2000, 2, 29), 11016);
    assert_int_equal(eqm_time_days_from_civil(2000, 3, 1), 11017);
    /* 1900 is not a leap year: 1 March follows 28 Feb. 1900-01-01 is
     * -(70 * 365 + 17) = -25567 (17 leap years 1904..1968); + 59 = -25508. */
    assert_int_equal(eqm_time_days_from_civil(1900, 3, 1), -25508);
    assert_int_equal(eqm_time_days_from_civil(1900, 3, 1) - eqm_time_days_from_civil(1900, 2, 28),
                     1);
    /* 1600-01-01: 370 years, 93 multiples of 4 in [1600, 1969] less 1700,
     * 1800 and 1900 = 90 leap years; 370 * 365 + 90 = 135140 days before. */
    assert_int_equal(eqm_time_days_from_civil(1600, 1, 1), -135140);
}

static void expect_format(int32_t day, const char *want) {
    char out[11];
    memset(out, 'x', sizeof(out));
    eqm_time_day_format(day, out);
    assert_string_equal(out, want);
}

static void test_day_format_known(void **state) {
    (void)state;
    expect_format(0, "1970-01-01");
    expect_format(-1, "1969-12-31");
    expect_format(D_2025_07_01, "2025-07-01");
    expect_format(11016, "2000-02-29");
    expect_format(-135140, "1600-01-01");
    expect_format(2932896, "9999-12-31"); /* (date(9999,12,31) - date(1970,1,1)) */
    expect_format(-719162, "0001-01-01");
}

/* An independent calendar: walk day by day from 1970-01-01 with a month
 * table and the Gregorian leap rule, both ways, and compare. */
static bool is_leap(int y) {
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_len(int y, int m) {
    static const int len[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return len[m - 1] + (m == 2 && is_leap(y));
}

static void check_day(int32_t day, int y, int m, int d) {
    char want[16], got[11];
    snprintf(want, sizeof(want), "%04d-%02d-%02d", y, m, d);
    eqm_time_day_format(day, got);
    if (strcmp(want, got) != 0)
        fail_msg("day %d: format gave %s, the walk says %s", (int)day, got, want);
    if (eqm_time_days_from_civil(y, (unsigned)m, (unsigned)d) != day)
        fail_msg("%s: days_from_civil gave %d, the walk says %d", want,
                 (int)eqm_time_days_from_civil(y, (unsigned)m, (unsigned)d), (int)day);
}

static void test_calendar_walk(void **state) {
    (void)state;
    int y = 1970, m = 1, d = 1;
    /* Forward to 2400-12-31 (covers 2000 and 2100, 2200, 2300, 2400). */
    for (int32_t day = 0; y <= 2400; day++) {
        check_day(day, y, m, d);
        if (++d > month_len(y, m)) {
            d = 1;
            if (++m > 12) {
                m = 1;
                y++;
            }
        }
    }
    /* Backward to 1582-10-15 (the first Gregorian day; 1600 and 1700). */
    y = 1970, m = 1, d = 1;
    for (int32_t day = 0; y > 1582 || (y == 1582 && (m > 10 || (m == 10 && d >= 15))); day--) {
        check_day(day, y, m, d);
        if (--d < 1) {
            if (--m < 1) {
                m = 12;
                y--;
            }
            d = month_len(y, m);
        }
    }
}

static void test_round_trip_wide(void **state) {
    (void)state;
    /* Every 7th day from 0001-01-01 to 9999-12-31: format, read back. */
    for (int32_t day = -719162; day <= 2932896; day += 7) {
        char out[11];
        int y, m, d;
        eqm_time_day_format(day, out);
        assert_int_equal(sscanf(out, "%4d-%2d-%2d", &y, &m, &d), 3);
        assert_true(m >= 1 && m <= 12 && d >= 1 && d <= month_len(y, m));
        assert_int_equal(eqm_time_days_from_civil(y, (unsigned)m, (unsigned)d), day);
    }
}

static void test_parse_agrees_with_calendar(void **state) {
    (void)state;
    /* Midnight UTC of each day from 1900 to 2100 parses to day * 86400,
     * and the day after the last of each month is refused. 1900-01-01 is
     * -(70 * 365 + 17) = -25567; 2100-01-01 is 130 * 365 + 32 leap years
     * (1972..2096) = 47482, so 2100-12-31 is 47482 + 364 = 47846. */
    for (int32_t day = -25567; day <= 47846; day++) {
        char date[11], s[32];
        int y, m, d;
        eqm_time_day_format(day, date);
        snprintf(s, sizeof(s), "%sT00:00:00Z", date);
        assert_int_equal(parse_ok(s), (int64_t)day * 86400 * US);
        assert_int_equal(sscanf(date, "%4d-%2d-%2d", &y, &m, &d), 3);
        if (d == month_len(y, m)) {
            snprintf(s, sizeof(s), "%04d-%02d-%02dT00:00:00Z", y, m, d + 1);
            parse_bad(s, strlen(s));
        }
    }
}

/* Event times lie in years 1 to 9999 with a day to spare (UTC), so every
 * local day is a date: 0001-01-02 is day -719161 and 9999-12-30 day
 * 2932895 (date(1, 1, 2) and date(9999, 12, 30) minus date(1970, 1, 1)). */
static void test_parse_range(void **state) {
    (void)state;
    assert_int_equal(parse_ok("0001-01-02T00:00:00Z"), (int64_t)-719161 * 86400 * US);
    assert_int_equal(parse_ok("9999-12-30T23:59:59Z"), ((int64_t)2932896 * 86400 - 1) * US);
    parse_bad("0001-01-01T23:59:59Z", 20);
    parse_bad("0000-01-01T00:00:00Z", 20);
    parse_bad("0001-01-02T01:00:00+02:00", 25); /* 0001-01-01T23:00Z */
    parse_bad("9999-12-31T00:00:00Z", 20);
    parse_bad("9999-12-31T23:00:00-05:00", 25); /* 10000-01-01T04:00Z */
    assert_int_equal(EQM_TIME_FIRST_DAY, -719161);
    assert_int_equal(EQM_TIME_LAST_DAY, 2932895);
}

static void test_clocks(void **state) {
    (void)state;
    /* The wall clock is after 2025-01-01 and the monotonic one advances. */
    int64_t now = eqm_time_now_us();
    int64_t a = eqm_time_mono_ms(), b = eqm_time_mono_ms();
    assert_true(now > (int64_t)D_2025_01_01 * 86400 * US);
    assert_true(b >= a);
}

EQM_UNIT_MAIN(test_rfc3339_offsets, test_rfc3339_separators, test_rfc3339_fractions,
              test_rfc3339_calendar, test_rfc3339_malformed, test_rfc3339_length_is_honoured,
              test_local_day_london_bst, test_local_day_london_dst_changes,
              test_local_day_utc_and_others, test_set_zone_errors, test_days_from_civil_known,
              test_day_format_known, test_calendar_walk, test_round_trip_wide,
              test_parse_agrees_with_calendar, test_parse_range, test_clocks)
