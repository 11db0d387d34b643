/*
 * digest_schedule.c - a panel's digest calendar (digest_schedule.h).
 *
 * Local dates are walked with struct tm in the process time zone; each
 * candidate local time becomes an instant through local_instant(), which
 * settles the clock changes as the header says.
 */
#include "digest_schedule.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static const char *const weekdays[7] = {"sunday",   "monday", "tuesday", "wednesday",
                                        "thursday", "friday", "saturday"};

/* The next space-separated word of *p into word (lower case); 0 at the end. */
static size_t next_word(const char **p, char *word, size_t size) {
    size_t n = 0;

    while (**p == ' ')
        (*p)++;
    while (**p && **p != ' ') {
        if (n + 1 < size)
            word[n] = (char)tolower((unsigned char)**p);
        n++;
        (*p)++;
    }
    word[n < size ? n : size - 1] = '\0';
    return n;
}

static int parse_weekday(const char *w) {
    for (int i = 0; i < 7; i++)
        if (!strcmp(w, weekdays[i]) || (strlen(w) == 3 && !strncmp(w, weekdays[i], 3)))
            return i;
    return -1;
}

/* "HH:MM", H or HH 0..23, MM 00..59. */
static int parse_clock(const char *w, int *hour, int *minute) {
    int h = 0, m, i = 0;

    if (!isdigit((unsigned char)w[0]))
        return -1;
    while (isdigit((unsigned char)w[i]) && i < 2)
        h = h * 10 + (w[i++] - '0');
    if (w[i] != ':' || !isdigit((unsigned char)w[i + 1]) || !isdigit((unsigned char)w[i + 2]) ||
        w[i + 3])
        return -1;
    m = (w[i + 1] - '0') * 10 + (w[i + 2] - '0');
    if (h > 23 || m > 59)
        return -1;
    *hour = h;
    *minute = m;
    return 0;
}

int eqm_digest_schedule_parse(const char *text, struct eqm_digest_schedule *out, char *errstr,
                              size_t errstr_size) {
    struct eqm_digest_schedule s = {0};
    const char *p = text ? text : "";
    char w[32];

    if (!next_word(&p, w, sizeof(w))) {
        snprintf(errstr, errstr_size,
                 "empty digest schedule: write daily, weekly on WEEKDAY or monthly on DAY, "
                 "then at HH:MM");
        return -1;
    }
    if (!strcmp(w, "daily")) {
        s.every = EQM_DIGEST_DAILY;
    } else if (!strcmp(w, "weekly") || !strcmp(w, "monthly")) {
        bool weekly = w[0] == 'w';
        s.every = weekly ? EQM_DIGEST_WEEKLY : EQM_DIGEST_MONTHLY;
        if (!next_word(&p, w, sizeof(w)) || strcmp(w, "on") || !next_word(&p, w, sizeof(w))) {
            snprintf(errstr, errstr_size, "\"%s\": %s", text,
                     weekly ? "a weekly digest needs its day: weekly on WEEKDAY (e.g. monday)"
                            : "a monthly digest needs its day: monthly on DAY (1 to 31)");
            return -1;
        }
        if (weekly) {
            s.weekday = parse_weekday(w);
            if (s.weekday < 0) {
                snprintf(errstr, errstr_size, "\"%s\": \"%s\" is not a day of the week", text, w);
                return -1;
            }
        } else {
            char *end;
            long d = strtol(w, &end, 10);
            if (!isdigit((unsigned char)w[0]) || *end || d < 1 || d > 31) {
                snprintf(errstr, errstr_size,
                         "\"%s\": \"%s\" is not a day of the month (1 to 31; in a shorter "
                         "month, 29 to 31 mean its last day)",
                         text, w);
                return -1;
            }
            s.monthday = (int)d;
        }
    } else {
        snprintf(errstr, errstr_size,
                 "\"%s\": a digest is daily, weekly on WEEKDAY or monthly on DAY, then at HH:MM",
                 text);
        return -1;
    }
    if (next_word(&p, w, sizeof(w))) {
        if (strcmp(w, "at") || !next_word(&p, w, sizeof(w)) ||
            parse_clock(w, &s.hour, &s.minute) != 0) {
            snprintf(errstr, errstr_size,
                     "\"%s\": the time is written at HH:MM, 00:00 to 23:59, in the force's "
                     "time zone",
                     text);
            return -1;
        }
        if (next_word(&p, w, sizeof(w))) {
            snprintf(errstr, errstr_size, "\"%s\": unexpected \"%s\" after the time", text, w);
            return -1;
        }
    }
    *out = s;
    return 0;
}

void eqm_digest_schedule_format(const struct eqm_digest_schedule *s, char *buf, size_t size) {
    switch (s->every) {
    case EQM_DIGEST_DAILY:
        snprintf(buf, size, "daily at %02d:%02d", s->hour, s->minute);
        break;
    case EQM_DIGEST_WEEKLY:
        snprintf(buf, size, "weekly on %s at %02d:%02d", weekdays[s->weekday % 7], s->hour,
                 s->minute);
        break;
    case EQM_DIGEST_MONTHLY:
        snprintf(buf, size, "monthly on %d at %02d:%02d", s->monthday, s->hour, s->minute);
        break;
    }
}

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
