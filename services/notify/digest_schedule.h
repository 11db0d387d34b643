/*
 * digest_schedule.h - a panel's digest calendar: when a digest subscriber
 * gets the digest of its audience's alerts.
 *
 * A schedule is daily, weekly on a weekday or monthly on a day, at a local
 * time in the force's time zone (the process time zone,
 * eqm_time_set_zone()). The subscription file's mode= (subs.h) is where it
 * is written and read; this is the arithmetic. A monthly day beyond the
 * month's length is its last day (the file allows 1 to 28, so every month
 * has it). A local time that a clock change skips is read with the offset
 * in force before the change (01:30 on the last Sunday of March in
 * Europe/London is 02:30 BST); one that it repeats is its first
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
    int weekday;  /* weekly: 0 Sunday .. 6 Saturday, as struct tm (subs.h's digest_day
                   * counts from Monday: weekday = (digest_day + 1) % 7) */
    int monthday; /* monthly: 1 .. 31 */
    int hour;     /* 0 .. 23 */
    int minute;   /* 0 .. 59 */
};

/* The latest scheduled instant at or before now_us (µs since the epoch). */
int64_t eqm_digest_due(const struct eqm_digest_schedule *s, int64_t now_us);

/* The scheduled instant just before at_us (at_us itself excluded). */
int64_t eqm_digest_previous(const struct eqm_digest_schedule *s, int64_t at_us);

#endif /* EQM_DIGEST_SCHEDULE_H */
