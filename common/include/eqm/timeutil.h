/*
 * timeutil.h - event time parsing and local days.
 *
 * Daily buckets are days in the force's time zone (Europe/London by
 * default), so an event at 23:30 UTC on 30 June in summer belongs to
 * 1 July. The zone is process-wide: eqm_time_set_zone() sets TZ.
 */
#ifndef EQM_TIMEUTIL_H
#define EQM_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

/* The days an event time may fall on (UTC), as days since 1970-01-01:
 * 0001-01-02 and 9999-12-30, a day inside years 1 to 9999 at both ends so
 * that every local day of such an instant is a valid date. */
#define EQM_TIME_FIRST_DAY (-719161)
#define EQM_TIME_LAST_DAY  2932895

/*
 * Parses an RFC 3339 date-time with a mandatory offset ("Z" or +hh:mm),
 * e.g. 2025-07-01T03:40:00+00:00 or 2025-07-01T03:40:00.5Z. 'T', 't' or
 * one space may separate date and time. Returns 0 and the instant in
 * microseconds since the Unix epoch, or -1 if s is not such a date-time
 * (including impossible dates such as 2025-02-30) or the instant is not
 * between EQM_TIME_FIRST_DAY and EQM_TIME_LAST_DAY (UTC).
 */
int eqm_time_parse_rfc3339(const char *s, size_t len, int64_t *epoch_us)
    __attribute__((warn_unused_result));

/*
 * Selects the time zone for eqm_time_local_day() (an IANA name such as
 * "Europe/London"). Returns 0, or -1 with errstr if no such zone exists
 * on this machine (tzdata missing or a misspelt name).
 */
int eqm_time_set_zone(const char *zone, char *errstr, size_t errstr_size)
    __attribute__((warn_unused_result));

/* The local calendar day of an instant, as days since 1970-01-01. */
int32_t eqm_time_local_day(int64_t epoch_us);

/* Days since 1970-01-01 for a proleptic Gregorian date (no validation). */
int32_t eqm_time_days_from_civil(int y, unsigned m, unsigned d);

/* Writes YYYY-MM-DD (11 bytes with the NUL) for a day number. */
void eqm_time_day_format(int32_t day, char out[11]);

/* Microseconds since the epoch, wall clock. */
int64_t eqm_time_now_us(void);

/* Monotonic milliseconds, for timers. */
int64_t eqm_time_mono_ms(void);

#endif /* EQM_TIMEUTIL_H */
