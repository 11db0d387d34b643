/*
 * digest_schedule.c - a panel's digest calendar (digest_schedule.h).
 *
 * Local dates are walked with struct tm in the process time zone; each
 * candidate local time becomes an instant through local_instant(), which
 * settles the clock changes as the header says.
 */
#include "digest_schedule.h"

#include <stdbool.h>
#include <time.h>

/* Whether t's local time is y-m-d h:mi. */
static bool reads_as(time_t t, const struct tm *want) {
    struct tm got;
    return t != (time_t)-1 && localtime_r(&t, &got) && got.tm_year == want->tm_year &&
           got.tm_mon == want->tm_mon && got.tm_mday == want->tm_mday &&
           got.tm_hour == want->tm_hour && got.tm_min == want->tm_min;
}

/*
 * The instant of local time want (date, hour, minute). Read as standard
 * time and as summer time: when both read back (a repeated hour), the
 * first; when one does, that one; when neither does (a skipped hour), the
 * later, which is the offset before the change.
 */
static time_t local_instant(const struct tm *want) {
    struct tm a = *want, b = *want;
    time_t ta, tb;
    bool oka, okb;

    a.tm_sec = b.tm_sec = 0;
    a.tm_isdst = 0;
    b.tm_isdst = 1;
    ta = mktime(&a);
    tb = mktime(&b);
    oka = reads_as(ta, want);
    okb = reads_as(tb, want);
    if (oka && okb)
        return ta < tb ? ta : tb;
    if (oka || okb)
        return oka ? ta : tb;
    return ta > tb ? ta : tb;
}

static int days_in_month(int year, int mon /* 0..11 */) {
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y = year + 1900;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return mon == 1 && leap ? 29 : days[mon];
}

/* Moves tm's date by delta days (noon, so no clock change can move the day). */
static void add_days(struct tm *tm, int delta) {
    struct tm t = *tm;
    t.tm_hour = 12;
    t.tm_min = t.tm_sec = 0;
    t.tm_isdst = -1;
    t.tm_mday += delta;
    mktime(&t);
    tm->tm_year = t.tm_year;
    tm->tm_mon = t.tm_mon;
    tm->tm_mday = t.tm_mday;
    tm->tm_wday = t.tm_wday;
}

int64_t eqm_digest_due(const struct eqm_digest_schedule *s, int64_t now_us) {
    time_t now = (time_t)(now_us >= 0 ? now_us / 1000000 : -((-now_us + 999999) / 1000000));
    struct tm day;
    time_t at;

    localtime_r(&now, &day);
    day.tm_hour = s->hour;
    day.tm_min = s->minute;
    switch (s->every) {
    case EQM_DIGEST_DAILY:
        break;
    case EQM_DIGEST_WEEKLY:
        add_days(&day, -((day.tm_wday - s->weekday + 7) % 7));
        break;
    case EQM_DIGEST_MONTHLY: {
        int last = days_in_month(day.tm_year, day.tm_mon);
        day.tm_mday = s->monthday < last ? s->monthday : last;
        break;
    }
    }
    /* At most one step back: the candidate in the current day, week or
     * month, if it is still to come, gives way to the one before. */
    at = local_instant(&day);
    if ((int64_t)at * 1000000 > now_us) {
        if (s->every == EQM_DIGEST_MONTHLY) {
            int last;
            if (--day.tm_mon < 0) {
                day.tm_mon = 11;
                day.tm_year--;
            }
            last = days_in_month(day.tm_year, day.tm_mon);
            day.tm_mday = s->monthday < last ? s->monthday : last;
        } else {
            add_days(&day, s->every == EQM_DIGEST_DAILY ? -1 : -7);
        }
        at = local_instant(&day);
    }
    return (int64_t)at * 1000000;
}

int64_t eqm_digest_previous(const struct eqm_digest_schedule *s, int64_t at_us) {
    return eqm_digest_due(s, at_us - 1);
}
