#include "eqm/timeutil.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Howard Hinnant's days_from_civil: exact for the proleptic Gregorian
 * calendar, with no dependence on the process time zone (unlike mktime). */
int32_t eqm_time_days_from_civil(int y, unsigned m, unsigned d) {
    y -= m <= 2;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (int32_t)(era * 146097 + (int)doe - 719468);
}

void eqm_time_day_format(int32_t z, char out[11]) {
    int32_t zz = z + 719468;
    const int era = (zz >= 0 ? zz : zz - 146096) / 146097;
    const unsigned doe = (unsigned)(zz - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int y = (int)yoe + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
    char tmp[32];
    snprintf(tmp, sizeof(tmp), "%04d-%02u-%02u", y % 10000, m % 100, d % 100);
    memcpy(out, tmp, 10);
    out[10] = '\0';
}

static bool digits(const char *s, int n, int *out) {
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

static bool leap(int y) {
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int eqm_time_parse_rfc3339(const char *s, size_t len, int64_t *epoch_us) {
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
    int64_t frac_us = 0;
    size_t i;

    /* YYYY-MM-DDTHH:MM:SS is 19 bytes, the offset at least one more. */
    if (len < 20)
        return -1;
    if (!digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
        !digits(s + 8, 2, &d))
        return -1;
    if (s[10] != 'T' && s[10] != 't' && s[10] != ' ')
        return -1;
    if (!digits(s + 11, 2, &h) || s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' ||
        !digits(s + 17, 2, &sec))
        return -1;
    i = 19;
    if (i < len && s[i] == '.') {
        int64_t scale = 100000;
        size_t start = ++i;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            if (scale > 0) {
                frac_us += (s[i] - '0') * scale;
                scale /= 10;
            }
            i++;
        }
        if (i == start)
            return -1;
    }
    if (i >= len)
        return -1;
    if (s[i] == 'Z' || s[i] == 'z') {
        i++;
    } else if (s[i] == '+' || s[i] == '-') {
        sign = s[i] == '-' ? -1 : 1;
        if (len - i < 6 || !digits(s + i + 1, 2, &oh) || s[i + 3] != ':' ||
            !digits(s + i + 4, 2, &om))
            return -1;
        if (oh > 23 || om > 59)
            return -1;
        i += 6;
    } else {
        return -1;
    }
    if (i != len)
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 60)
        return -1;
    if (d > mdays[mo - 1] + (mo == 2 && leap(y)))
        return -1;
    if (sec == 60) /* a leap second is folded into the next second */
        sec = 59;

    int64_t days = eqm_time_days_from_civil(y, (unsigned)mo, (unsigned)d);
    int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - sign * (oh * 3600 + om * 60);
    /* Years 1 to 9999 with a day to spare at both ends, so that the
     * instant's local day in any zone is a date PostgreSQL and the day
     * formatter agree on (there is no year 0; 10000 needs five digits). */
    if (secs < ((int64_t)EQM_TIME_FIRST_DAY) * 86400 ||
        secs >= ((int64_t)EQM_TIME_LAST_DAY + 1) * 86400)
        return -1;
    *epoch_us = secs * 1000000 + frac_us;
    return 0;
}

int eqm_time_set_zone(const char *zone, char *errstr, size_t errstr_size) {
    char path[512];
    struct stat st;

    if (!zone || !*zone || strstr(zone, "..") || zone[0] == '/') {
        snprintf(errstr, errstr_size, "invalid time zone name \"%s\"", zone ? zone : "");
        return -1;
    }
    /* glibc silently falls back to UTC for an unknown TZ: check first. */
    if (strcmp(zone, "UTC") != 0) {
        snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", zone);
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
            snprintf(errstr, errstr_size,
                     "unknown time zone \"%s\" (no %s; is the tzdata package installed?)", zone,
                     path);
            return -1;
        }
    }
    snprintf(path, sizeof(path), ":%s", zone);
    setenv("TZ", path, 1);
    tzset();
    return 0;
}

int32_t eqm_time_local_day(int64_t epoch_us) {
    time_t t = (time_t)(epoch_us >= 0 ? epoch_us / 1000000 : -((-epoch_us + 999999) / 1000000));
    struct tm tm;
    localtime_r(&t, &tm);
    return eqm_time_days_from_civil(tm.tm_year + 1900, (unsigned)tm.tm_mon + 1,
                                    (unsigned)tm.tm_mday);
}

int64_t eqm_time_now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t eqm_time_mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
