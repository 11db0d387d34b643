/*
 * service.h - the service contract: what a service tells the engine about
 * itself, and what the engine hands a service for each event.
 *
 * This is the bottom of libeqm's service layer: it includes nothing of
 * the project's above the base modules, and everything above it (the
 * envelope, the sink, figures, alerts, the engine) is written against it.
 *
 * A service describes itself with a struct eqm_service: its counts tables
 * (key and count columns), its measures and dimensions, and a handler
 * turning one event into count increments through a sink. The engine
 * does the rest (eqm/engine.h). The alert measure families its figures
 * offer are a struct eqm_alert_source of their own (below).
 */
#ifndef EQM_SERVICE_H
#define EQM_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <libpq-fe.h>

#define EQM_MAX_KEY_PARTS   5 /* recruitment: role, campaign, stage, dimension, grp */
#define EQM_MAX_COUNTS      32
#define EQM_MAX_TABLES      4
#define EQM_EVENT_ID_MAX    128 /* characters */
#define EQM_AREA_MAX        64  /* characters */
#define EQM_OCCURRED_AT_MAX 64  /* characters */

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

/* Where a handler puts the increments of one event (eqm/sink.h). */
struct eqm_sink;

/*
 * Adds one row's increments for the event being handled, to the service's
 * counts table number `table`: parts are the key column values after the
 * day (e.g. area, dimension, group), counts one value per count column.
 * Returns 0, or -1 (no such table, or out of memory): the handler then
 * returns EQM_HANDLE_FAILED, and the engine stops without committing.
 */
int eqm_sink_add(struct eqm_sink *sink, int table, const char *const *parts, const int64_t *counts)
    __attribute__((warn_unused_result));

/*
 * One row for area and, unless area is force_area, the same row for
 * force_area: parts[area_part] is set to each in turn (parts is the
 * caller's scratch array). Returns 0, or -1 as eqm_sink_add().
 */
int eqm_sink_add_areas(struct eqm_sink *sink, int table, const char **parts, int area_part,
                       const char *area, const char *force_area, const int64_t *counts)
    __attribute__((warn_unused_result));

struct eqm_dimension;

/*
 * The rows most events make: for each of the n dimensions, the key
 * (area, dims[d].name, groups[d]) with counts, in table, for area and,
 * unless area is force_area, for force_area too. Returns 0, or -1 as
 * eqm_sink_add().
 */
int eqm_sink_add_dimensions(struct eqm_sink *sink, int table, const char *area,
                            const char *force_area, const struct eqm_dimension *dims,
                            const char *const *groups, int n, const int64_t *counts)
    __attribute__((warn_unused_result));

/* A measure of the engine's figures (equality.figures, eqm/metrics.h). */
#define EQM_BASE_POPULATION (-1)
struct eqm_measure {
    const char *name; /* dotted: "<subject>.<figure>" */
    int numerator;    /* count column index */
    int base;         /* count column index, or EQM_BASE_POPULATION */
};

/* A dimension and its default reference group. */
struct eqm_dimension {
    const char *name;      /* e.g. "ethnicity" */
    const char *reference; /* e.g. "white" */
    bool ethnic;           /* ethnic groups (broad, or detailed as eqm_ethnicity_detailed):
                              gets the aggregates of eqm/bme.h and Census population */
};

/*
 * A table of daily counts: primary key (day, key columns...), and bigint
 * count columns that batches add to.
 */
struct eqm_counts_table {
    const char *name;               /* e.g. "equality.<service>_daily" */
    const char *const *key_columns; /* after "day" */
    int n_key_columns;
    const char *const *count_columns;
    int n_count_columns;
};

/* What a handler returns (struct eqm_service.handle). */
#define EQM_HANDLE_OK     0
#define EQM_HANDLE_REJECT (-1)
#define EQM_HANDLE_FAILED (-2)

/*
 * A family of measures whose figures alert rules may judge: where they
 * are kept, and how their alerts read. sql selects them in the column
 * order that eqm/alert_eval.h documents, from the service's own tables or
 * views (or the engine's figures: EQM_ALERT_FAMILY_FIGURES_SQL), joined to
 * the rule's parameters (the CTE p). The summary sentence is built by
 * eqm/alert_summary.h from says and counts, templates whose placeholders
 * that header lists.
 */
struct eqm_alert_figure;
struct eqm_alert_family {
    const char *measure; /* exact name, or a prefix ending in '.' */
    bool prefix;
    const char *value_field; /* the value's name in the alert message */
    const char *sql;
    const char *people; /* who the groups are: NULL "people", or e.g. "applicants" */
    const char *says;   /* what the figure says; NULL: a generic sentence */
    const char *counts; /* the counts behind it; NULL: "n of base", or "n" */
    /* Optional: says for this figure, where the words depend on more
     * than the measure (e.g. on the stage); it returns NULL for says. */
    const char *(*says_for)(const struct eqm_alert_figure *f);
};

/*
 * A service's alert families, under the service's name: a rule that
 * names one of them is that service's ("source"), and only that service
 * evaluates it.
 *
 * Not a member of struct eqm_service, on purpose: every consumer loads
 * the whole rules file, so the rules parser needs every service's
 * families (the catalogue, services/catalog/), while a program links only
 * its own handler. Each service keeps this in a file of its own
 * (services/<name>/<name>_alerts.c), so that the catalogue pulls in the
 * families and nothing else of the other services.
 */
struct eqm_alert_source {
    const char *name; /* the service's name, as struct eqm_service.name */
    const struct eqm_alert_family *families;
    int n_families;
};

/* A struct eqm_alert_source initializer for name and an array families. */
#define EQM_ALERT_SOURCE(name_, families_)                                                         \
    {                                                                                              \
        .name = (name_), .families = (families_),                                                  \
        .n_families = (int)(sizeof(families_) / sizeof((families_)[0]))                            \
    }

/* What a recomputation of the figures covers (the service's settings). */
#define EQM_MAX_WINDOWS 8
struct eqm_figures_scope {
    const char *timezone;             /* days are local days here */
    const char *force_area;           /* the whole-force area's name */
    int window_days[EQM_MAX_WINDOWS]; /* rolling windows, ending at the newest event's day */
    int n_windows;
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
     * increments through sink. Returns 0; or EQM_HANDLE_REJECT with *rej
     * filled: the message is wrong, it becomes a dead letter and nothing
     * it added is counted; or EQM_HANDLE_FAILED: the handler could not do
     * its work (out of memory), nothing of the batch is committed and the
     * service stops, so that the event is read again, not lost. force_area
     * is the whole-force area name: handlers add each row for env->area
     * and, unless they are equal, for force_area.
     */
    int (*handle)(const struct eqm_envelope *env, const json_t *event, const char *force_area,
                  struct eqm_sink *sink, struct eqm_reject *rej);
    /*
     * Optional: recomputes the service's figures inside the engine's open
     * transaction, instead of (or as well as, by calling it)
     * eqm_metrics_recompute(). Returns rows written or -1 with errstr.
     */
    int (*recompute)(PGconn *conn, const struct eqm_service *svc,
                     const struct eqm_figures_scope *scope, char *errstr, size_t errstr_size);
};

#endif /* EQM_SERVICE_H */
