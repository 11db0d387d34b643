/*
 * retry_after.c - a server's Retry-After value (webhook.h), delta-seconds
 * or any of the three HTTP-date forms, as milliseconds from now.
 */
#include "webhook.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "eqm/timeutil.h"

/* ---- Retry-After --------------------------------------------------------- */

static bool take(const char **p, const char *lit) {
    size_t n = strlen(lit);

    if (strncmp(*p, lit, n) != 0)
        return false;
    *p += n;
    return true;
}

static bool take_digits(const char **p, int n, int *out) {
    int v = 0;

    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return false;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return true;
}

/* Letters up to a non-letter, into word (at most size - 1 of them). */
static bool take_word(const char **p, char *word, size_t size) {
    size_t n = 0;

    while (isalpha((unsigned char)(*p)[n])) {
        if (n + 1 >= size)
            return false;
        word[n] = (*p)[n];
        n++;
    }
    word[n] = '\0';
    *p += n;
    return n > 0;
}

static int weekday(const char *w, bool long_form) {
    static const char *const names[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                        "Friday", "Saturday", "Sunday"};

    for (int i = 0; i < 7; i++) {
        if (long_form ? strcmp(w, names[i]) == 0 : strlen(w) == 3 && strncmp(w, names[i], 3) == 0)
            return i + 1;
    }
    return 0;
}

static bool take_month(const char **p, int *month) {
    static const char names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

    for (int i = 0; i < 12; i++) {
        if (strncmp(*p, names + 3 * i, 3) == 0) {
            *p += 3;
            *month = i + 1;
            return true;
        }
    }
    return false;
}

static bool take_time(const char **p, int *h, int *mi, int *s) {
    return take_digits(p, 2, h) && take(p, ":") && take_digits(p, 2, mi) && take(p, ":") &&
           take_digits(p, 2, s) && *h <= 23 && *mi <= 59 && *s <= 60;
}

/* The three forms of RFC 9110 section 5.6.7, as Unix seconds; -1 if none. */
static int64_t http_date(const char *p) {
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    char word[16];
    int d = 0, m = 0, y = 0, h = 0, mi = 0, s = 0;
    bool leap;

    if (!take_word(&p, word, sizeof(word)))
        return -1;
    if (take(&p, ", ")) {
        if (weekday(word, false)) {
            /* IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT */
            if (!take_digits(&p, 2, &d) || !take(&p, " ") || !take_month(&p, &m) ||
                !take(&p, " ") || !take_digits(&p, 4, &y) || !take(&p, " ") ||
                !take_time(&p, &h, &mi, &s) || !take(&p, " GMT"))
                return -1;
        } else if (weekday(word, true)) {
            /* RFC 850: Sunday, 06-Nov-94 08:49:37 GMT; a two-digit year is
             * read as the nearest one not far in the future. */
            if (!take_digits(&p, 2, &d) || !take(&p, "-") || !take_month(&p, &m) ||
                !take(&p, "-") || !take_digits(&p, 2, &y) || !take(&p, " ") ||
                !take_time(&p, &h, &mi, &s) || !take(&p, " GMT"))
                return -1;
            y += y < 70 ? 2000 : 1900;
        } else {
            return -1;
        }
    } else if (weekday(word, false) && take(&p, " ")) {
        /* asctime: Sun Nov  6 08:49:37 1994 */
        if (!take_month(&p, &m) || !take(&p, " "))
            return -1;
        if (*p == ' ') {
            p++;
            if (!take_digits(&p, 1, &d))
                return -1;
        } else if (!take_digits(&p, 2, &d)) {
            return -1;
        }
        if (!take(&p, " ") || !take_time(&p, &h, &mi, &s) || !take(&p, " ") ||
            !take_digits(&p, 4, &y))
            return -1;
    } else {
        return -1;
    }
    if (*p != '\0')
        return -1;
    leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y < 1970 || d < 1 || d > mdays[m - 1] + (m == 2 && leap))
        return -1;
    return (int64_t)eqm_time_days_from_civil(y, (unsigned)m, (unsigned)d) * 86400 + h * 3600 +
           mi * 60 + s;
}

int64_t eqm_retry_after_parse(const char *value, int64_t now_s) {
    char v[64];
    size_t start = 0, end;
    int64_t at;

    if (!value)
        return -1;
    end = strlen(value);
    while (start < end && (value[start] == ' ' || value[start] == '\t'))
        start++;
    while (end > start && (value[end - 1] == ' ' || value[end - 1] == '\t'))
        end--;
    if (end == start || end - start >= sizeof(v))
        return -1;
    memcpy(v, value + start, end - start);
    v[end - start] = '\0';
    if (isdigit((unsigned char)v[0])) {
        int64_t seconds = 0;

        for (const char *p = v; *p; p++) {
            if (!isdigit((unsigned char)*p))
                return -1;
            /* Saturates at 10^9 s: far beyond any cap, and no overflow. */
            if (seconds < 1000000000)
                seconds = seconds * 10 + (*p - '0');
        }
        return (seconds > 1000000000 ? 1000000000 : seconds) * 1000;
    }
    at = http_date(v);
    if (at < 0)
        return -1;
    return at <= now_s ? 0 : (at - now_s) * 1000;
}
