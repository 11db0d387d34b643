/*
 * notify.h - eqm-notify: reads equality.alerts and delivers each alert to
 * the people subscribed to its audience (README "Notifications").
 *
 * For each message, ONE PostgreSQL transaction: the alert (its alert_id
 * the primary key, so the relay's second copies add nothing), one pending
 * delivery per matching immediate subscriber, and the consumer offset
 * (equality.kafka_offsets, group notify.group.id); a message that is not a
 * usable alert is recorded in equality.notify_rejections in the same way.
 * Only after the commit are deliveries sent: the delivery loop (after each
 * commit and every notify.delivery.interval.ms) claims the due pending
 * rows, a bounded number per round, sends each and records the outcome
 * on its own row, so a recipient that keeps failing delays nobody else.
 * A claim holds a row for a lease (twice the channel's timeout and a
 * little); a process killed between a send and its stamp sends again once
 * the lease is over, with the same Message-ID / idempotency key.
 */
#ifndef EQM_NOTIFY_H
#define EQM_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "eqm/alert_rules.h"
#include "digest_schedule.h"
#include "eqm/config.h"
#include "notify_channel.h"
#include "subs.h"

/* eqm-notify's own settings (besides the common ones). */
struct eqm_notify_config {
    char *alerts_topic;
    char *group_id;
    char *subscriptions; /* the subscription file (required) */
    char *alerts_rules;  /* the rules file whose audiences must have subscribers */
    char *smtp_url, *smtp_user, *smtp_password, *smtp_from, *smtp_ca_file, *smtp_starttls;
    long smtp_timeout_ms;
    long webhook_timeout_ms;
    char *webhook_ca_file;
    long delivery_interval_ms; /* the delivery loop runs at least this often */
    long delivery_batch;       /* most attempts per round */
    long retry_backoff_ms, retry_backoff_max_ms;
    long max_attempts; /* then a retryable failure is final */
    char *timezone;    /* the force's; digests' schedules are local times */
};

/* The settings table, bound to ncfg. */
struct eqm_settings eqm_notify_settings(struct eqm_notify_config *ncfg);

/* ---- pure parts --------------------------------------------------------- */

/* An alert message as notify needs it: pointers into root. */
struct eqm_notify_alert {
    json_t *root;
    const char *alert_id, *fingerprint, *status, *audience, *severity, *summary;
};

/*
 * Parses and checks one message value: a JSON object whose alert_id is a
 * uuid, fingerprint 32 hex digits, status firing|resolved, and audience,
 * severity and summary non-empty strings. Returns 0 and fills *a (the
 * caller json_decref()s a->root), or -1 with why (UTF-8) and a->root
 * NULL.
 */
int eqm_notify_alert_parse(const char *data, size_t len, struct eqm_notify_alert *a, char *why,
                           size_t why_size) __attribute__((warn_unused_result));

/*
 * What happens to a delivery after an attempt numbered `attempts`: the
 * state it goes to ("delivered", "pending" again, or "failed"). A retry
 * past max_attempts fails.
 */
const char *eqm_notify_next_state(enum eqm_delivery_outcome outcome, int attempts,
                                  long max_attempts);

/* "daily", "weekly", "monthly" ("immediate" for the rest): a digest
 * subscriber's every. */
const char *eqm_notify_every_name(enum eqm_sub_mode mode);

/* A digest subscriber's calendar (digest_schedule.h) from its mode:
 * subs.h counts weekdays from Monday, the schedule from Sunday. */
struct eqm_digest_schedule eqm_notify_schedule(const struct eqm_sub *sub);

/* ---- the running service -------------------------------------------------- */

struct eqm_notify;

/*
 * Checks the settings against the subscriptions (e-mail subscribers need
 * smtp.url and smtp.from), warns about every audience of rules without a
 * subscriber (logging each digest subscriber), applies the
 * migrations, connects, and creates the consumer. cfg, ncfg, subs and
 * rules must outlive the service. Returns 0 and *out, or -1 with errstr.
 */
int eqm_notify_new(struct eqm_notify **out, const struct eqm_config *cfg,
                   const struct eqm_notify_config *ncfg, const struct eqm_subs *subs,
                   const struct eqm_alert_rules *rules, char *errstr, size_t errstr_size)
    __attribute__((warn_unused_result));

/* What the subscriptions need of the settings: a topic and a group, and
 * for e-mail subscribers an smtp:// or smtps:// URL and a plain ASCII
 * sender with an address. 0, or -1 with errstr (a bad setting: exit 2). */
int eqm_notify_check_settings(const struct eqm_notify_config *ncfg, const struct eqm_subs *subs,
                              char *errstr, size_t errstr_size) __attribute__((warn_unused_result));

/* Logs the warnings of eqm_notify_new() for rules and subs, and returns how
 * many audiences of rules have no subscriber. Exposed for the tests. */
int eqm_notify_check_audiences(const struct eqm_subs *subs, const struct eqm_alert_rules *rules);

/* Runs until a signal (or exit.when.idle). Returns the exit code. */
int eqm_notify_run(struct eqm_notify *n) __attribute__((warn_unused_result));

/* Closes the consumer (leaving the group) and PostgreSQL; NULL-safe. */
void eqm_notify_free(struct eqm_notify **n);

#endif /* EQM_NOTIFY_H */
