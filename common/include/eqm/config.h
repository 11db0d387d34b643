/*
 * config.h - service configuration.
 *
 * One table of settings ({name, type, offset, default, min, max}) shared by
 * every program. Precedence: built-in defaults < config file < EQM_*
 * environment < command line. Names map mechanically:
 *
 *   file        group.id = eqm-stop-search
 *   environment EQM_GROUP_ID=eqm-stop-search
 *   command     --group-id eqm-stop-search   (or --group-id=...)
 *
 * Every "kafka.<property>" key of the file, and every `-X property=value`
 * of the command line, passes to librdkafka unchanged (as kcat does).
 * Settings marked secret (pg.url, which may hold a password) are refused
 * on the command line and masked by --print-config.
 */
#ifndef EQM_CONFIG_H
#define EQM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define EQM_CONFIG_MAX_WINDOWS 8
#define EQM_CONFIG_MAX_PROPS   64

struct eqm_config {
    /* Connections. */
    char *pg_url;        /* pg.url: libpq conninfo or URI */
    char *kafka_brokers; /* kafka.brokers: bootstrap.servers */
    /* Topics and group. */
    char *topic;    /* input topic */
    char *group_id; /* consumer group */
    char *dead_letter_topic;
    char *alerts_topic;
    /* Domain. */
    char *timezone;   /* the force's time zone: daily buckets */
    char *force_area; /* name of the whole-force area */
    char *windows;    /* "28,91,365": parsed into window_days */
    int window_days[EQM_CONFIG_MAX_WINDOWS];
    int n_windows;
    /* Engine. */
    long batch_max_messages;
    long batch_max_rows;     /* count rows (aggregation slots) per batch */
    long batch_max_ms;
    long max_message_bytes;
    long dedup_horizon_days; /* 0 = keys never expire */
    long max_future_skew_s;
    long metrics_interval_ms;
    double metrics_max_share; /* most of the time figures may take under load */
    double exit_when_idle; /* seconds; 0 = run until signalled */
    bool pipeline;         /* overlap a batch's statements with reading the next */
    bool naive;            /* benchmark baseline: one transaction per event */
    char *stats_file;      /* run statistics file (eqm/runstats.h); empty = off */
    char *alerts_rules;    /* rules file; empty = built-in defaults */
    bool alerts_enabled;
    /* eqm-alert-relay. */
    long relay_poll_interval_ms;   /* re-read the outbox at least this often */
    long relay_retry_backoff_ms;   /* first wait after a failed delivery */
    long relay_retry_backoff_max_ms;
    char *log_level;
    char *config_file;
    /* librdkafka properties, in the order given (later ones win). */
    char *prop_names[EQM_CONFIG_MAX_PROPS];
    char *prop_values[EQM_CONFIG_MAX_PROPS];
    int n_props;
};

/* A per-program default that replaces the table's, e.g. {"topic", "x"}. */
struct eqm_config_default {
    const char *name;
    const char *value;
};

enum eqm_config_result {
    EQM_CONFIG_OK = 0,
    EQM_CONFIG_EXIT = 1, /* --help or --print-config was served: exit 0 */
    EQM_CONFIG_ERROR = -1
};

/*
 * Builds *cfg from defaults, the file (--config / EQM_CONFIG), the
 * environment and argv. usage is the program's one-line synopsis for
 * --help. Prints --help / --print-config output to out. On error, errstr
 * says what and where (`path:line: message` for the file) and *cfg holds
 * whatever was set so far: call eqm_config_free() in every case.
 */
enum eqm_config_result eqm_config_load(struct eqm_config *cfg, const char *program,
                                       const char *usage, const struct eqm_config_default *defaults,
                                       int argc, char **argv, FILE *out, char *errstr,
                                       size_t errstr_size) __attribute__((warn_unused_result));

/* Sets one setting by name from text, as the file would. */
int eqm_config_set(struct eqm_config *cfg, const char *name, const char *value, char *errstr,
                   size_t errstr_size) __attribute__((warn_unused_result));

/* Writes the effective configuration, secrets masked. */
void eqm_config_print(const struct eqm_config *cfg, FILE *out);

/* Frees every string; *cfg is zeroed. */
void eqm_config_free(struct eqm_config *cfg);

#endif /* EQM_CONFIG_H */
