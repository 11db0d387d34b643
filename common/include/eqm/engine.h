/*
 * engine.h - the consumer engine every service runs on.
 *
 * A service describes itself (eqm/service.h) and hands that to the
 * engine, which does the rest:
 *
 *  - consumes the service's topic in a consumer group (eager "range"
 *    assignor), starting each assigned partition at the offset stored in
 *    PostgreSQL, not Kafka's;
 *  - validates the common envelope (eqm/envelope.h); unusable messages go
 *    to the dead-letter topic with a reason and are counted in
 *    equality.dead_letters;
 *  - per batch, in ONE transaction: records the batch's event ids
 *    (de-duplication), adds the increments of the events not seen before
 *    to the daily counts, advances the watermark, records dead letters and
 *    advances the stored offsets -- conditionally on their previous value,
 *    so a consumer that lost its partitions cannot commit over the new
 *    owner (fencing);
 *  - recomputes the figures (eqm/metrics.h or the service's own) at most
 *    every metrics.interval.ms, and when idle or stopping, and judges them
 *    against the alert rules in the same transaction -- except while the
 *    consumer is catching up (alerts.hold.lag, eqm_policy_alerts_held()):
 *    then it judges once caught up;
 *  - stops gracefully once eqm_signals_running() turns false, or after
 *    exit.when.idle seconds without messages.
 *
 * Inside, by job (common/src/engine/): batch.c holds a batch in memory
 * (eqm/batch.h), store.c writes it to PostgreSQL, consumer.c holds the
 * partitions and the dead letters, engine.c is the loop deciding when.
 */
#ifndef EQM_ENGINE_H
#define EQM_ENGINE_H

#include <stdbool.h>
#include <stddef.h>

#include "eqm/config.h"
#include "eqm/service.h"

struct eqm_alert_catalog; /* eqm/alert_rules.h */

/* The engine's settings (a consumer's --help lists them). */
struct eqm_engine_config {
    char *topic;    /* input topic */
    char *group_id; /* consumer group */
    char *dead_letter_topic;
    char *timezone;   /* the force's time zone: daily buckets */
    char *force_area; /* name of the whole-force area */
    char *windows;    /* "28,91,365": parsed into window_days */
    int window_days[EQM_MAX_WINDOWS];
    int n_windows;
    long batch_max_messages;
    long batch_max_rows; /* count rows (aggregation slots) per batch */
    long batch_max_ms;
    long max_message_bytes;
    long dedup_horizon_days; /* 0 = keys never expire */
    long max_future_skew_s;
    long metrics_interval_ms;
    double metrics_max_share; /* most of the time figures may take under load */
    double exit_when_idle;    /* seconds; 0 = run until signalled */
    bool pipeline;            /* overlap a batch's statements with reading the next */
    bool naive;               /* benchmark baseline: one transaction per event */
    char *stats_file;         /* run statistics file (eqm/runstats.h); empty = off */
    char *alerts_rules;       /* rules file; empty = built-in defaults */
    bool alerts_enabled;
    long alerts_hold_lag;      /* hold alert evaluation while more behind; 0 = never */
    char *offsets_ahead;       /* offsets.ahead.of.log: "reread" or "stop" */
    double pg_reconnect_max_s; /* give up reconnecting to PostgreSQL after this */
};

/* The engine's settings table, bound to ecfg (for eqm_config_load()). */
struct eqm_settings eqm_engine_settings(struct eqm_engine_config *ecfg);

struct eqm_engine;

/*
 * Creates an engine for svc with cfg and ecfg (all must outlive it):
 * connects to PostgreSQL, applies migrations, loads the alert rules
 * (every service's, checked against catalog; svc evaluates its own),
 * creates the Kafka consumer and the dead-letter producer. The process's
 * time zone must already be ecfg->timezone (eqm_time_set_zone()).
 * Returns 0 and *out, or -1 with errstr and *out untouched.
 */
int eqm_engine_new(struct eqm_engine **out, const struct eqm_service *svc,
                   const struct eqm_alert_catalog *catalog, const struct eqm_config *cfg,
                   const struct eqm_engine_config *ecfg, char *errstr, size_t errstr_size)
    __attribute__((warn_unused_result));

/*
 * Runs until stopped (eqm/signals.h) or idle. Returns the process exit
 * code: 0 after a clean stop with everything committed, 1 on a fatal
 * error.
 */
int eqm_engine_run(struct eqm_engine *e) __attribute__((warn_unused_result));

/* Closes the consumer (leaving the group), flushes, frees; NULL-safe. */
void eqm_engine_free(struct eqm_engine **e);

/*
 * The whole of a consumer's main(): settings (the common table and the
 * engine's, with the service's topic and group as defaults), logs,
 * signals, the process-wide settings a consumer wants (time zone, one
 * malloc arena), then the engine until it stops. catalog holds every
 * service's alert measure families (the program links services/catalog/:
 * &eqm_alert_catalog), against which the rules file is checked. Returns
 * the exit code: 0, 1 (could not start, or a fatal error), 2 (bad
 * settings).
 */
int eqm_service_main(const struct eqm_service *svc, const struct eqm_alert_catalog *catalog,
                     int argc, char **argv);

#endif /* EQM_ENGINE_H */
