/*
 * digest_schedule.h - a panel's digest calendar: when a digest subscriber
 * gets the digest of its audience's alerts.
 *
 * A schedule is written as one of
 *
 *     daily at HH:MM
 *     weekly on WEEKDAY at HH:MM     (monday .. sunday, or mon .. sun)
 *     monthly on DAY at HH:MM        (1 .. 31; in a shorter month, its last day)
 *
 * in the force's local time (the process time zone, eqm_time_set_zone()).
 * Words are case-insensitive and separated by spaces; "at HH:MM" may be
 * left out (midnight). A local time that a clock change skips is read with
 * the offset in force before the change (01:30 on the last Sunday of March
 * in Europe/London is 02:30 BST); one that it repeats is its first
 * occurrence (01:30 BST on the last Sunday of October).
 *
 * The digest of a period covers what happened after the previous
 * scheduled instant up to and including this one: eqm_digest_due() says
 * which instant is the latest one not after now, eqm_digest_previous() the
 * one before a given instant.
 */
#ifndef EQM_DIGEST_SCHEDULE_H
#define EQM_DIGEST_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>

enum eqm_digest_every { EQM_DIGEST_DAILY, EQM_DIGEST_WEEKLY, EQM_DIGEST_MONTHLY };

struct eqm_digest_schedule {
    enum eqm_digest_every every;
    int weekday;  /* weekly: 0 Sunday .. 6 Saturday, as struct tm */
    int monthday; /* monthly: 1 .. 31 */
    int hour;     /* 0 .. 23 */
    int minute;   /* 0 .. 59 */
};

/*
 * Parses text (see above) into *out. Returns 0, or -1 with errstr saying
 * what is wrong in words a person can act on (e.g. "\"fortnightly\": a
 * digest is daily, weekly on WEEKDAY or monthly on DAY").
 */
int eqm_digest_schedule_parse(const char *text, struct eqm_digest_schedule *out, char *errstr,
                              size_t errstr_size) __attribute__((warn_unused_result));

/* The schedule in the form the parser reads, e.g. "weekly on monday at 09:00". */
void eqm_digest_schedule_format(const struct eqm_digest_schedule *s, char *buf, size_t size);

/* The latest scheduled instant at or before now_us (µs since the epoch). */
int64_t eqm_digest_due(const struct eqm_digest_schedule *s, int64_t now_us);

/* The scheduled instant just before at_us (at_us itself excluded). */
int64_t eqm_digest_previous(const struct eqm_digest_schedule *s, int64_t at_us);

#endif /* EQM_DIGEST_SCHEDULE_H */
