/*
 * subs.h - eqm-notify's subscriptions: who receives the alerts of which
 * audience, how, and from which severity on (README "Notifications").
 *
 * Subscriptions are data, one line each (blank lines and `#` comments
 * skipped):
 *
 *   AUDIENCE  ID  CHANNEL  TARGET  [key=value ...]
 *
 *   stop-search-scrutiny-group  chair  email    chair@force.example
 *   stop-search-scrutiny-group  panel  webhook  https://hooks.example/x  shape=teams min=critical
 *   edi-tactical-group          weekly email    edi@force.example  mode="weekly monday at 08:00"
 *
 * CHANNEL is `email` (TARGET an address) or `webhook` (TARGET an http(s)
 * URL; keys shape=generic|teams|slack, secret="Header-Name: value" or
 * secret_file=PATH (that header from a file of mode 0600, eqm/secret.h)).
 * min=info|warning|critical (default info: every alert), mode=immediate
 * (default) or a digest: "daily at HH:MM", "weekly WEEKDAY at HH:MM",
 * "monthly DAY at HH:MM" (DAY 1-28; local time). A value holding spaces is
 * double-quoted (\" and \\ inside). ID is unique within its audience.
 *
 * Pure: no I/O but reading the file.
 */
#ifndef EQM_NOTIFY_SUBS_H
#define EQM_NOTIFY_SUBS_H

#include <stdbool.h>
#include <stddef.h>

enum eqm_sub_channel { EQM_SUB_EMAIL, EQM_SUB_WEBHOOK };
enum eqm_sub_shape { EQM_SUB_SHAPE_GENERIC, EQM_SUB_SHAPE_TEAMS, EQM_SUB_SHAPE_SLACK };
enum eqm_sub_mode { EQM_SUB_IMMEDIATE, EQM_SUB_DAILY, EQM_SUB_WEEKLY, EQM_SUB_MONTHLY };

/* Severities in order; an alert goes to a subscriber whose minimum is at
 * or below the alert's. */
enum eqm_severity { EQM_SEVERITY_INFO = 0, EQM_SEVERITY_WARNING, EQM_SEVERITY_CRITICAL };

struct eqm_sub {
    char *audience;
    char *id;
    enum eqm_sub_channel channel;
    char *target; /* address or URL */
    enum eqm_sub_shape shape;
    char *secret_header; /* "Name: value" or NULL */
    enum eqm_severity min_severity;
    enum eqm_sub_mode mode;
    int digest_day; /* weekly: 0 = Monday .. 6; monthly: 1..28 */
    int digest_hour, digest_minute;
    int line; /* where it was read */
};

struct eqm_subs {
    struct eqm_sub *items;
    size_t n;
};

/*
 * Parses text (name for the messages). Returns 0 and fills *out (free it
 * with eqm_subs_free()), or -1 with errstr `name:line: what is wrong` and
 * *out untouched.
 */
int eqm_subs_parse(struct eqm_subs *out, const char *text, const char *name, char *errstr,
                   size_t errstr_size) __attribute__((warn_unused_result));

/* Reads the file at path and parses it, as eqm_subs_parse(). */
int eqm_subs_load(struct eqm_subs *out, const char *path, char *errstr, size_t errstr_size)
    __attribute__((warn_unused_result));

void eqm_subs_free(struct eqm_subs *subs);

/* Parses "info", "warning", "critical"; 0 or -1. */
int eqm_severity_parse(const char *s, enum eqm_severity *out) __attribute__((warn_unused_result));

/*
 * Whether an alert of this audience and severity goes to sub now: the
 * audience is the same, the subscriber is immediate, and the severity is
 * at least its minimum. An unknown severity (a rules file naming another
 * word) counts as critical: better a message too many than one missed.
 */
bool eqm_sub_matches(const struct eqm_sub *sub, const char *audience, const char *severity);

/* The subscriber of audience with this id, or NULL. */
const struct eqm_sub *eqm_subs_find(const struct eqm_subs *subs, const char *audience,
                                    const char *id);

/* Number of subscribers of audience (any mode). */
size_t eqm_subs_count(const struct eqm_subs *subs, const char *audience);

const char *eqm_sub_channel_name(enum eqm_sub_channel c);
const char *eqm_sub_shape_name(enum eqm_sub_shape s);

/* "j***@example.org" for an address, "https://host/..." for a URL: what
 * logs and listings show of a target. */
void eqm_notify_mask(const char *target, char *out, size_t size);

#endif /* EQM_NOTIFY_SUBS_H */
