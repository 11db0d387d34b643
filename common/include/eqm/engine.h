/*
 * engine.h - the consumer engine every service runs on.
 *
 * A service describes itself with a struct eqm_service (its counts table,
 * key and count columns, measures, and a handler turning one event into
 * count increments) and hands it to the engine, which does the rest:
 *
 *  - consumes the service's topic in a consumer group (eager "range"
 *    assignor), starting each assigned partition at the offset stored in
 *    PostgreSQL, not Kafka's;
 *  - validates the common envelope (event_id, event_type, occurred_at,
 *    area); unusable messages go to the dead-letter topic with a reason
 *    and are counted in equality.dead_letters;
 *  - per batch, in ONE transaction: records the batch's event ids
 *    (de-duplication), adds the increments of the events not seen before
 *    to the daily counts, advances the watermark, records dead letters and
 *    advances the stored offsets -- conditionally on their previous value,
 *    so a consumer that lost its partitions cannot commit over the new
 *    owner (fencing);
 *  - recomputes the figures (equality.metrics) at most every
 *    metrics.interval_ms, and when idle or stopping;
 *  - stops gracefully on SIGTERM/SIGINT (a second signal exits at once)
 *    or after exit.when.idle seconds without messages.
 */
#ifndef EQM_ENGINE_H
#define EQM_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "eqm/config.h"

#define EQM_MAX_KEY_PARTS 4
#define EQM_MAX_COUNTS    32
#define EQM_MAX_TABLES    4
#define EQM_EVENT_ID_MAX  128 /* characters */
#define EQM_AREA_MAX      64  /* characters */

/* The common fields every event has, validated by the engine. */
struct eqm_envelope {
    const char *event_id; /* 1..128 bytes, owned by the parsed JSON */
    const char *event_type;
    const char *area;    /* 1..64 bytes */
    int64_t occurred_us; /* event time, microseconds since the epoch */
    int32_t day;         /* local day in the force's time zone */
};

/* Why a message is unusable: a stable code and words a person can act on. */
struct eqm_reject {
    const char *code; /* e.g. "unknown_event_type" */
    char reason[256];
};

/* Where a handler puts the increments of one event. */
struct eqm_sink;

/*
 * Adds one row's increments for the event being handled, to the service's
 * counts table number `table`: parts are the key column values after the
 * day (e.g. area, dimension, group), counts one value per count column.
 * Returns 0, or -1 (no such table, or out of memory).
 */
int eqm_sink_add(struct eqm_sink *sink, int table, const char *const *parts, const int64_t *counts);

/* A measure kept in equality.metrics. */
#define EQM_BASE_POPULATION (-1)
struct eqm_measure {
    const char *name; /* e.g. "stop_search.find_rate" */
    int numerator;    /* count column index */
    int base;         /* count column index, or EQM_BASE_POPULATION */
};

/* A dimension and its default reference group. */
struct eqm_dimension {
    const char *name;      /* e.g. "ethnicity" */
    const char *reference; /* e.g. "white" */
    bool ethnic;           /* broad groups: gets "bme" and Census population */
};

/*
 * A table of daily counts: primary key (day, key columns...), and bigint
 * count columns that batches add to.
 */
struct eqm_counts_table {
    const char *name;               /* e.g. "equality.stop_search_daily" */
    const char *const *key_columns; /* after "day" */
    int n_key_columns;
    const char *const *count_columns;
    int n_count_columns;
};

struct eqm_service {
    const char *name; /* "stop-search": logs, dedup source */
    const char *default_topic;
    const char *default_group;
    /* tables[0] feeds the engine's own figures: its first three key
     * columns must be area, dimension, grp. */
    const struct eqm_counts_table *tables;
    int n_tables;
    const struct eqm_measure *measures;
    int n_measures;
    const struct eqm_dimension *dimensions;
    int n_dimensions;
    /*
     * Turns one valid envelope (and the whole event object) into
     * increments through sink. Returns 0, or -1 with *rej filled: the
     * message becomes a dead letter and nothing it added is counted.
     * force_area is the whole-force area name: handlers add each row for
     * env->area and, unless they are equal, for force_area.
     */
    int (*handle)(const struct eqm_envelope *env, const json_t *event, const char *force_area,
                  struct eqm_sink *sink, struct eqm_reject *rej);
    /*
     * Optional: recomputes the service's figures inside the engine's open
     * transaction, instead of (or as well as, by calling it)
     * eqm_metrics_recompute(). Returns rows written or -1 with errstr.
     */
    int (*recompute)(PGconn *conn, const struct eqm_service *svc, const struct eqm_config *cfg,
                     char *errstr, size_t errstr_size);
};

struct eqm_engine;

/*
 * Creates an engine for svc with cfg (both must outlive it): connects to
 * PostgreSQL, applies migrations, creates the Kafka consumer and the
 * dead-letter producer. Returns 0 and *out, or -1 with errstr and *out
 * untouched.
 */
int eqm_engine_new(struct eqm_engine **out, const struct eqm_service *svc,
                   const struct eqm_config *cfg, char *errstr, size_t errstr_size)
    __attribute__((warn_unused_result));

/*
 * Runs until stopped by a signal or idle. Returns the process exit code:
 * 0 after a clean stop with everything committed, 1 on a fatal error.
 */
int eqm_engine_run(struct eqm_engine *e);

/* Closes the consumer (leaving the group), flushes, frees; NULL-safe. */
void eqm_engine_free(struct eqm_engine **e);

/* Installs SIGINT/SIGTERM handlers: the first asks for a graceful stop,
 * the second exits at once. */
void eqm_engine_install_signals(void);

/*
 * Validates the common envelope of a parsed event. Pure: the unit tests
 * and the fixture checks call it. now_us and max_future_skew_s bound the
 * event time. Returns 0 or -1 with *rej filled.
 */
int eqm_envelope_parse(const json_t *event, int64_t now_us, long max_future_skew_s,
                       struct eqm_envelope *env, struct eqm_reject *rej);

/*
 * Parses raw message bytes as a JSON object and validates the envelope.
 * On success *event holds a new reference the caller must json_decref().
 */
int eqm_message_parse(const char *payload, size_t len, long max_message_bytes, int64_t now_us,
                      long max_future_skew_s, json_t **event, struct eqm_envelope *env,
                      struct eqm_reject *rej);

/*
 * A standalone sink that only collects rows, for unit tests and tools:
 * eqm_sink_collect_new() ... handler ... eqm_sink_collect_rows(). tables
 * must outlive the sink. Returns NULL on bad sizes or out of memory.
 */
struct eqm_sink *eqm_sink_collect_new(const struct eqm_counts_table *tables, int n_tables);
/* Number of rows added so far; row i's table, parts and counts through
 * the out pointers, valid until the next call on the sink (any call). */
size_t eqm_sink_collect_rows(const struct eqm_sink *sink);
int eqm_sink_collect_row(const struct eqm_sink *sink, size_t i, const char *const **parts,
                         const int64_t **counts);
void eqm_sink_collect_reset(struct eqm_sink *sink);
void eqm_sink_collect_free(struct eqm_sink **sink);

#endif /* EQM_ENGINE_H */
