/*
 * config.h - settings, as tables (pgbouncer's way): each module that has
 * settings describes them once, {name, type, offset, default, min, max,
 * flags, help}, against the struct that holds them, and a program reads
 * the tables it needs. So a program's --help, --print-config and command
 * line hold its own settings only.
 *
 * Every program has the common table (struct eqm_config: PostgreSQL,
 * Kafka brokers and properties, log level). A consumer adds the engine's
 * table (eqm/engine.h), the relay its own.
 *
 * Precedence: built-in defaults < config file < EQM_* environment <
 * command line. Names map mechanically:
 *
 *   file        group.id = eqm-stop-search
 *   environment EQM_GROUP_ID=eqm-stop-search
 *   command     --group-id eqm-stop-search   (or --group-id=...)
 *
 * A file may hold only the program's settings (anything else is an error
 * naming file:line); the environment is read for the program's settings
 * only, so one environment serves every program. Every "kafka.<property>"
 * key of the file, and every `-X property=value` of the command line,
 * passes to librdkafka unchanged (as kcat does). Settings marked secret
 * (pg.url, which may hold a password, pg.password, a service's passwords)
 * and every secret librdkafka property (eqm_config_secret_prop(); -X
 * PROPERTY.file=PATH is allowed) are refused on the command line and
 * printed as [redacted] by --print-config.
 *
 * Secrets from files (eqm/secret.h: mode 0600 or 0400, else an error):
 * every secret setting NAME may instead be given as NAME.file = PATH in
 * the file, EQM_NAME_FILE in the environment or --name-file=PATH on the
 * command line (pg.password.file, EQM_PG_PASSWORD_FILE, smtp.password.file);
 * every secret librdkafka property likewise (kafka.sasl.password.file =
 * PATH, -X sasl.password.file=PATH, EQM_KAFKA_SASL_PASSWORD_FILE). The
 * file's contents become the setting's value. A libpq passfile (PGPASSFILE,
 * or passfile in pg.url) is held to the same mode.
 */
#ifndef EQM_CONFIG_H
#define EQM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define EQM_CONFIG_MAX_PROPS  64
#define EQM_CONFIG_MAX_TABLES 4

enum eqm_setting_type {
    EQM_SETTING_STRING,
    EQM_SETTING_LONG,
    EQM_SETTING_DOUBLE,
    EQM_SETTING_BOOL
};

#define EQM_SETTING_SECRET 0x1 /* never on the command line; masked when printed */

/* One setting. offset is into the struct its table is bound to. */
struct eqm_setting {
    const char *name;
    enum eqm_setting_type type;
    size_t offset;
    const char *def;
    double min, max; /* LONG and DOUBLE */
    unsigned flags;
    const char *help;
    /* Optional, for a STRING: validates value before it is stored, and may
     * derive fields of base from it (the windows list, say). 0, or -1 with
     * errstr (the setting keeps its old value). */
    int (*check)(void *base, const char *value, char *errstr, size_t errstr_size);
};

/* Table rows for the struct type T (a table's usual cases): text, a whole
 * number in [lo, hi]. */
#define EQM_SETTING_TEXT(T, name, field, def, help)                                                \
    { name, EQM_SETTING_STRING, offsetof(T, field), def, 0, 0, 0, help, NULL }
#define EQM_SETTING_NUMBER(T, name, field, def, lo, hi, help)                                      \
    { name, EQM_SETTING_LONG, offsetof(T, field), def, lo, hi, 0, help, NULL }

/* A table bound to the struct that holds its settings. */
struct eqm_settings {
    const struct eqm_setting *items;
    size_t n;
    void *base;
};

/* What every program has. */
struct eqm_config {
    char *pg_url;        /* pg.url: libpq conninfo or URI (pg.password merged in) */
    char *pg_password;   /* pg.password: replaces pg.url's password */
    char *kafka_brokers; /* kafka.brokers: bootstrap.servers */
    char *log_level;
    char *config_file; /* the file read, or NULL */
    /* librdkafka properties, in the order given (later ones win). */
    char *prop_names[EQM_CONFIG_MAX_PROPS];
    char *prop_values[EQM_CONFIG_MAX_PROPS];
    int n_props;
    /* The tables this program reads: [0] is the common one, bound to this
     * struct; set by eqm_config_load(). */
    struct eqm_settings tables[EQM_CONFIG_MAX_TABLES];
    int n_tables;
};

/* A per-program default that replaces a table's, e.g. {"topic", "x"};
 * "kafka.<property>" sets a librdkafka property the operator may
 * override. */
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
 * Builds *cfg and the structs of the n extra tables from defaults, the
 * file (--config / EQM_CONFIG), the environment and argv. usage is the
 * program's one-line synopsis for --help. Prints --help / --print-config
 * output to out. On error, errstr says what and where (`path:line:
 * message` for the file) and the structs hold whatever was set so far:
 * call eqm_config_free() in every case (it frees the extra tables'
 * strings too).
 */
enum eqm_config_result eqm_config_load(struct eqm_config *cfg, const struct eqm_settings *extra,
                                       int n_extra, const char *program, const char *usage,
                                       const struct eqm_config_default *defaults, int argc,
                                       char **argv, FILE *out, char *errstr, size_t errstr_size)
    __attribute__((warn_unused_result));

/*
 * eqm_config_load() as a program's main() wants it, usage "[options]":
 * --help and --print-config are served on stdout, a bad setting is one
 * line "program: message" on stderr, and on success the logs are set up
 * (eqm_log_init(service, log.level)). Returns 0 when main goes on, or 1
 * with *exit_code (0 after --help, 2 after a bad setting). Free cfg in
 * every case.
 */
int eqm_config_main(struct eqm_config *cfg, const struct eqm_settings *extra, int n_extra,
                    const char *program, const char *service,
                    const struct eqm_config_default *defaults, int argc, char **argv,
                    int *exit_code) __attribute__((warn_unused_result));

/* Sets one setting of any of cfg's tables by name from text, as the file
 * would. */
int eqm_config_set(struct eqm_config *cfg, const char *name, const char *value, char *errstr,
                   size_t errstr_size) __attribute__((warn_unused_result));

/* Writes the effective configuration of every table, secrets masked. */
void eqm_config_print(const struct eqm_config *cfg, FILE *out);

/* True for a librdkafka property that may hold a secret (passwords, keys,
 * tokens): refused as -X on the command line (the file's kafka.NAME only),
 * masked by --print-config, never repeated in an error. name may also be a
 * whole "NAME=VALUE" assignment, as -X takes it: only NAME is judged. */
bool eqm_config_secret_prop(const char *name);

/* Frees every string of every table; the structs are zeroed. */
void eqm_config_free(struct eqm_config *cfg);

#endif /* EQM_CONFIG_H */
