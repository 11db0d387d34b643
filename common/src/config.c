#include "eqm/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

enum cf_type { CF_STRING, CF_LONG, CF_DOUBLE, CF_BOOL };

#define CF_SECRET 0x1 /* never on the command line; masked when printed */

struct cf_item {
    const char *name;
    enum cf_type type;
    size_t offset;
    const char *def;
    double min, max;
    unsigned flags;
    const char *help;
};

#define OFF(f) offsetof(struct eqm_config, f)

static const struct cf_item cf_table[] = {
    {"pg.url", CF_STRING, OFF(pg_url), "", 0, 0, CF_SECRET,
     "PostgreSQL conninfo or URI (libpq); may hold a password"},
    {"kafka.brokers", CF_STRING, OFF(kafka_brokers), "127.0.0.1:9092", 0, 0, 0,
     "Kafka bootstrap servers"},
    {"topic", CF_STRING, OFF(topic), "", 0, 0, 0, "input topic"},
    {"group.id", CF_STRING, OFF(group_id), "", 0, 0, 0, "Kafka consumer group"},
    {"dead.letter.topic", CF_STRING, OFF(dead_letter_topic), "equality.dead-letter", 0, 0, 0,
     "topic for unusable messages"},
    {"alerts.topic", CF_STRING, OFF(alerts_topic), "equality.alerts", 0, 0, 0,
     "topic alerts are published to"},
    {"timezone", CF_STRING, OFF(timezone), "Europe/London", 0, 0, 0,
     "the force's time zone: daily buckets are local days"},
    {"force.area", CF_STRING, OFF(force_area), "force", 0, 0, 0,
     "area name under which whole-force figures are kept"},
    {"windows", CF_STRING, OFF(windows), "28,91,365", 0, 0, 0,
     "rolling windows in days, comma-separated"},
    {"batch.max.messages", CF_LONG, OFF(batch_max_messages), "50000", 1, 1000000, 0,
     "most messages in one transaction"},
    {"batch.max.rows", CF_LONG, OFF(batch_max_rows), "50000", 1, 10000000, 0,
     "a batch also closes once it would upsert this many count rows (bounds memory when "
     "events are spread over many days)"},
    {"batch.max.ms", CF_LONG, OFF(batch_max_ms), "200", 1, 60000, 0,
     "longest time a batch stays open"},
    {"max.message.bytes", CF_LONG, OFF(max_message_bytes), "1000000", 64, 100000000, 0,
     "larger messages are dead letters"},
    {"dedup.horizon.days", CF_LONG, OFF(dedup_horizon_days), "730", 0, 100000, 0,
     "keep de-duplication keys this many days behind the newest event; older events are "
     "dead letters (0 = keep keys for ever)"},
    {"max.future.skew.s", CF_LONG, OFF(max_future_skew_s), "86400", 0, 100000000, 0,
     "events dated further than this in the future are dead letters"},
    {"metrics.interval.ms", CF_LONG, OFF(metrics_interval_ms), "1000", 0, 3600000, 0,
     "recompute figures at most this often (see metrics.max.share); always when idle or "
     "stopping"},
    {"metrics.max.share", CF_DOUBLE, OFF(metrics_max_share), "0.02", 0.001, 1, 0,
     "under load, spend at most this share of the time recomputing figures: the interval "
     "stretches to (1 / share - 1) times the last recomputation (figures stay in the batch "
     "transaction, so a recomputation holds up the events behind it)"},
    {"exit.when.idle", CF_DOUBLE, OFF(exit_when_idle), "0", 0, 1e9, 0,
     "exit 0 after this many seconds without messages, once assigned (0 = never)"},
    {"pipeline", CF_BOOL, OFF(pipeline), "true", 0, 0, 0,
     "send a batch to PostgreSQL and read the next one while it runs; the batch commits "
     "only if none of its events was seen before (otherwise it is read again and committed "
     "one statement at a time, the careful way, for the next 30 s)"},
    {"naive", CF_BOOL, OFF(naive), "false", 0, 0, 0,
     "benchmark baseline only: commit one PostgreSQL transaction per event (batch.max.messages "
     "forced to 1), as a quick implementation would; same guarantees, far slower"},
    {"stats.file", CF_STRING, OFF(stats_file), "", 0, 0, 0,
     "write run statistics (events, batches, produce-to-commit latency percentiles, peak "
     "RSS) to this file every second and at exit, for eqm-bench; empty = off"},
    {"alerts.rules", CF_STRING, OFF(alerts_rules), "", 0, 0, 0,
     "alert rules file (JSON); empty = the built-in defaults"},
    {"alerts.enabled", CF_BOOL, OFF(alerts_enabled), "true", 0, 0, 0,
     "evaluate alert rules after each recomputation of the figures"},
    {"relay.poll.interval.ms", CF_LONG, OFF(relay_poll_interval_ms), "1000", 10, 3600000, 0,
     "eqm-alert-relay: re-read the outbox at least this often (NOTIFY wakes it sooner)"},
    {"relay.retry.backoff.ms", CF_LONG, OFF(relay_retry_backoff_ms), "500", 1, 3600000, 0,
     "eqm-alert-relay: first wait before resending alerts whose delivery failed (doubles)"},
    {"relay.retry.backoff.max.ms", CF_LONG, OFF(relay_retry_backoff_max_ms), "30000", 1,
     86400000, 0, "eqm-alert-relay: longest wait between resends"},
    {"log.level", CF_STRING, OFF(log_level), "info", 0, 0, 0, "error, warn, info or debug"},
};

#define CF_COUNT (sizeof(cf_table) / sizeof(cf_table[0]))

static const struct cf_item *cf_find(const char *name) {
    for (size_t i = 0; i < CF_COUNT; i++)
        if (strcmp(cf_table[i].name, name) == 0)
            return &cf_table[i];
    return NULL;
}

static int parse_windows(struct eqm_config *cfg, const char *s, char *errstr, size_t sz) {
    int days[EQM_CONFIG_MAX_WINDOWS];
    int n = 0;
    const char *p = s;

    while (*p) {
        char *end;
        long v;
        errno = 0;
        v = strtol(p, &end, 10);
        if (end == p || errno || v < 1 || v > 3660) {
            snprintf(errstr, sz, "windows: \"%s\" is not a list of days (1 to 3660)", s);
            return -1;
        }
        if (n == EQM_CONFIG_MAX_WINDOWS) {
            snprintf(errstr, sz, "windows: at most %d windows", EQM_CONFIG_MAX_WINDOWS);
            return -1;
        }
        for (int i = 0; i < n; i++) {
            if (days[i] == (int)v) {
                snprintf(errstr, sz, "windows: %ld given twice", v);
                return -1;
            }
        }
        days[n++] = (int)v;
        p = end;
        while (*p == ' ')
            p++;
        if (*p == ',')
            p++;
        else if (*p) {
            snprintf(errstr, sz, "windows: \"%s\" is not a list of days (1 to 3660)", s);
            return -1;
        }
        while (*p == ' ')
            p++;
    }
    if (n == 0) {
        snprintf(errstr, sz, "windows: at least one window is needed");
        return -1;
    }
    memcpy(cfg->window_days, days, sizeof(days[0]) * (size_t)n);
    cfg->n_windows = n;
    return 0;
}

static int set_prop(struct eqm_config *cfg, const char *name, const char *value, char *errstr,
                    size_t sz) {
    for (int i = 0; i < cfg->n_props; i++) {
        if (strcmp(cfg->prop_names[i], name) == 0) {
            char *v = strdup(value);
            if (!v)
                goto oom;
            free(cfg->prop_values[i]);
            cfg->prop_values[i] = v;
            return 0;
        }
    }
    if (cfg->n_props == EQM_CONFIG_MAX_PROPS) {
        snprintf(errstr, sz, "too many Kafka properties (at most %d)", EQM_CONFIG_MAX_PROPS);
        return -1;
    }
    cfg->prop_names[cfg->n_props] = strdup(name);
    cfg->prop_values[cfg->n_props] = strdup(value);
    if (!cfg->prop_names[cfg->n_props] || !cfg->prop_values[cfg->n_props]) {
        free(cfg->prop_names[cfg->n_props]);
        free(cfg->prop_values[cfg->n_props]);
        goto oom;
    }
    cfg->n_props++;
    return 0;
oom:
    snprintf(errstr, sz, "out of memory");
    return -1;
}

int eqm_config_set(struct eqm_config *cfg, const char *name, const char *value, char *errstr,
                   size_t sz) {
    const struct cf_item *it = cf_find(name);
    char *base = (char *)cfg;
    char *end;

    if (!it) {
        if (strncmp(name, "kafka.", 6) == 0 && name[6])
            return set_prop(cfg, name + 6, value, errstr, sz);
        snprintf(errstr, sz, "unknown setting \"%s\"", name);
        return -1;
    }
    switch (it->type) {
    case CF_STRING: {
        char **dst = (char **)(base + it->offset);
        char *v = strdup(value);
        if (!v) {
            snprintf(errstr, sz, "out of memory");
            return -1;
        }
        if (strcmp(name, "windows") == 0 && parse_windows(cfg, value, errstr, sz) != 0) {
            free(v);
            return -1;
        }
        if (strcmp(name, "log.level") == 0 && strcmp(value, "error") && strcmp(value, "warn") &&
            strcmp(value, "info") && strcmp(value, "debug")) {
            free(v);
            snprintf(errstr, sz, "log.level: \"%s\" is not error, warn, info or debug", value);
            return -1;
        }
        free(*dst);
        *dst = v;
        return 0;
    }
    case CF_LONG: {
        long v;
        errno = 0;
        v = strtol(value, &end, 10);
        if (end == value || *end || errno || v < it->min || v > it->max) {
            snprintf(errstr, sz, "%s: \"%s\" is not a whole number from %.0f to %.0f", name, value,
                     it->min, it->max);
            return -1;
        }
        *(long *)(base + it->offset) = v;
        return 0;
    }
    case CF_DOUBLE: {
        double v;
        errno = 0;
        v = strtod(value, &end);
        if (end == value || *end || errno || !(v >= it->min && v <= it->max)) {
            snprintf(errstr, sz, "%s: \"%s\" is not a number from %g to %g", name, value, it->min,
                     it->max);
            return -1;
        }
        *(double *)(base + it->offset) = v;
        return 0;
    }
    case CF_BOOL: {
        bool *dst = (bool *)(base + it->offset);
        if (!strcmp(value, "true") || !strcmp(value, "1") || !strcmp(value, "yes"))
            *dst = true;
        else if (!strcmp(value, "false") || !strcmp(value, "0") || !strcmp(value, "no"))
            *dst = false;
        else {
            snprintf(errstr, sz, "%s: \"%s\" is not true or false", name, value);
            return -1;
        }
        return 0;
    }
    }
    return -1;
}

static char *trim(char *s) {
    char *e;
    while (isspace((unsigned char)*s))
        s++;
    e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

static int load_file(struct eqm_config *cfg, const char *path, char *errstr, size_t sz) {
    FILE *fp = fopen(path, "r");
    char line[4096];
    char msg[512];
    int lineno = 0;
    int ret = -1;

    if (!fp) {
        snprintf(errstr, sz, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    while (fgets(line, sizeof(line), fp)) {
        char *eq, *key, *val;
        lineno++;
        if (!strchr(line, '\n') && !feof(fp)) {
            snprintf(errstr, sz, "%s:%d: line too long", path, lineno);
            goto out;
        }
        key = trim(line);
        if (!*key || *key == '#')
            continue;
        eq = strchr(key, '=');
        if (!eq) {
            snprintf(errstr, sz, "%s:%d: expected name = value", path, lineno);
            goto out;
        }
        *eq = '\0';
        val = trim(eq + 1);
        key = trim(key);
        if (eqm_config_set(cfg, key, val, msg, sizeof(msg)) != 0) {
            snprintf(errstr, sz, "%s:%d: %s", path, lineno, msg);
            goto out;
        }
    }
    ret = 0;
out:
    fclose(fp);
    return ret;
}

/* "group.id" -> "EQM_GROUP_ID" */
static void env_name(const char *name, char *out, size_t sz) {
    size_t o = (size_t)snprintf(out, sz, "EQM_");
    for (; *name && o + 1 < sz; name++)
        out[o++] = *name == '.' ? '_' : (char)toupper((unsigned char)*name);
    out[o] = '\0';
}

/* "group.id" -> "group-id" */
static void opt_name(const char *name, char *out, size_t sz) {
    size_t o = 0;
    for (; *name && o + 1 < sz; name++)
        out[o++] = *name == '.' || *name == '_' ? '-' : *name;
    out[o] = '\0';
}

static void print_help(const char *program, const char *usage, FILE *out,
                       const struct eqm_config *cfg, const struct eqm_config_default *defaults) {
    char opt[64], env[64];

    fprintf(out,
            "Usage: %s %s\n\n"
            "Every setting can come from (lowest to highest precedence) its default, the\n"
            "config file (name = value), the environment (EQM_NAME) or the command line.\n\n",
            program, usage);
    fprintf(out, "  -c, --config FILE\n      config file (also EQM_CONFIG)\n");
    fprintf(out, "  -X PROPERTY=VALUE\n      librdkafka property, passed unchanged (in the "
                 "file: kafka.PROPERTY = VALUE)\n");
    fprintf(out, "  -b BROKERS, -t TOPIC, -g GROUP\n      short for --kafka-brokers, --topic, "
                 "--group-id\n");
    for (size_t i = 0; i < CF_COUNT; i++) {
        const struct cf_item *it = &cf_table[i];
        const char *def = it->def;
        opt_name(it->name, opt, sizeof(opt));
        env_name(it->name, env, sizeof(env));
        if (it->type == CF_STRING) {
            char *const *cur = (char *const *)((const char *)cfg + it->offset);
            if (*cur)
                def = *cur;
        }
        /* The program's own default, where it has one (eqm-alert-relay's
         * batch.max.messages, say). */
        for (const struct eqm_config_default *d = defaults; d && d->name; d++)
            if (!strcmp(d->name, it->name))
                def = d->value;
        if (it->flags & CF_SECRET)
            fprintf(out, "  %s (environment or file only: a secret)\n", env);
        else
            fprintf(out, "  --%s%s\n", opt, it->type == CF_BOOL ? "[=true|false]" : "=VALUE");
        fprintf(out, "      %s\n      [file: %s; env: %s; default: \"%s\"]\n", it->help, it->name,
                env, it->flags & CF_SECRET ? "" : def);
    }
    fprintf(out, "  --print-config\n      print the effective configuration (secrets masked) "
                 "and exit\n");
    fprintf(out, "  -h, --help\n      this text\n");
}

/* Masks passwords in a conninfo or URI for printing. libpq itself parses
 * the string, so every form it accepts (URI, key = value, quoted values,
 * sslpassword) is masked the way libpq would read it. */
static void mask_secret(const char *v, char *out, size_t sz) {
    PQconninfoOption *opts;
    size_t o = 0;

    out[0] = '\0';
    if (!*v)
        return;
    opts = PQconninfoParse(v, NULL);
    if (!opts) {
        snprintf(out, sz, "(unparsable connection string, not shown)");
        return;
    }
    for (PQconninfoOption *opt = opts; opt->keyword && o + 1 < sz; opt++) {
        const char *val = opt->val;
        if (!val)
            continue;
        if (strstr(opt->keyword, "password"))
            val = "****";
        o += (size_t)snprintf(out + o, sz - o, "%s%s='%s'", o ? " " : "", opt->keyword, val);
        if (o >= sz)
            o = sz - 1;
    }
    PQconninfoFree(opts);
}

/* librdkafka properties that can hold a secret. */
static bool secret_prop(const char *name) {
    return strstr(name, "password") || strstr(name, "secret") || !strcmp(name, "ssl.key.pem") ||
           !strcmp(name, "sasl.oauthbearer.config") || !strcmp(name, "ssl_key");
}

void eqm_config_print(const struct eqm_config *cfg, FILE *out) {
    const char *base = (const char *)cfg;
    char buf[1024];

    for (size_t i = 0; i < CF_COUNT; i++) {
        const struct cf_item *it = &cf_table[i];
        switch (it->type) {
        case CF_STRING: {
            const char *v = *(char *const *)(base + it->offset);
            if (it->flags & CF_SECRET) {
                mask_secret(v ? v : "", buf, sizeof(buf));
                v = buf;
            }
            fprintf(out, "%s = %s\n", it->name, v ? v : "");
            break;
        }
        case CF_LONG:
            fprintf(out, "%s = %ld\n", it->name, *(const long *)(base + it->offset));
            break;
        case CF_DOUBLE:
            fprintf(out, "%s = %g\n", it->name, *(const double *)(base + it->offset));
            break;
        case CF_BOOL:
            fprintf(out, "%s = %s\n", it->name,
                    *(const bool *)(base + it->offset) ? "true" : "false");
            break;
        }
    }
    for (int i = 0; i < cfg->n_props; i++) {
        fprintf(out, "kafka.%s = %s\n", cfg->prop_names[i],
                secret_prop(cfg->prop_names[i]) ? "****" : cfg->prop_values[i]);
    }
}

void eqm_config_free(struct eqm_config *cfg) {
    char *base = (char *)cfg;
    for (size_t i = 0; i < CF_COUNT; i++)
        if (cf_table[i].type == CF_STRING)
            free(*(char **)(base + cf_table[i].offset));
    free(cfg->config_file);
    for (int i = 0; i < cfg->n_props; i++) {
        free(cfg->prop_names[i]);
        free(cfg->prop_values[i]);
    }
    memset(cfg, 0, sizeof(*cfg));
}

/* Splits "--name=value" or "--name value"; returns the value or NULL. */
static const char *opt_value(int argc, char **argv, int *i, const char *eq) {
    if (eq)
        return eq + 1;
    if (*i + 1 < argc)
        return argv[++*i];
    return NULL;
}

enum eqm_config_result eqm_config_load(struct eqm_config *cfg, const char *program,
                                       const char *usage, const struct eqm_config_default *defaults,
                                       int argc, char **argv, FILE *out, char *errstr, size_t sz) {
    const char *config_path = getenv("EQM_CONFIG");
    bool help = false, print = false;
    char msg[512], env[64], opt[64];

    memset(cfg, 0, sizeof(*cfg));
    for (size_t i = 0; i < CF_COUNT; i++)
        if (eqm_config_set(cfg, cf_table[i].name, cf_table[i].def, errstr, sz) != 0)
            return EQM_CONFIG_ERROR;
    for (const struct eqm_config_default *d = defaults; d && d->name; d++)
        if (eqm_config_set(cfg, d->name, d->value, errstr, sz) != 0)
            return EQM_CONFIG_ERROR;

    /* First pass: only the config file's path and the help flags, because
     * the file must be applied before the environment and the command. */
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
            help = true;
        else if (!strcmp(argv[i], "--print-config"))
            print = true;
        else if (!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) {
            if (i + 1 >= argc) {
                snprintf(errstr, sz, "%s needs a file name", argv[i]);
                return EQM_CONFIG_ERROR;
            }
            config_path = argv[++i];
        } else if (!strncmp(argv[i], "--config=", 9))
            config_path = argv[i] + 9;
    }
    if (help) {
        print_help(program, usage, out, cfg, defaults);
        return EQM_CONFIG_EXIT;
    }
    if (config_path && *config_path) {
        cfg->config_file = strdup(config_path);
        if (load_file(cfg, config_path, errstr, sz) != 0)
            return EQM_CONFIG_ERROR;
    }
    for (size_t i = 0; i < CF_COUNT; i++) {
        const char *v;
        env_name(cf_table[i].name, env, sizeof(env));
        v = getenv(env);
        if (v && eqm_config_set(cfg, cf_table[i].name, v, msg, sizeof(msg)) != 0) {
            snprintf(errstr, sz, "environment %s: %s", env, msg);
            return EQM_CONFIG_ERROR;
        }
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *name = NULL, *value = NULL, *eq;

        if (!strcmp(a, "-c") || !strcmp(a, "--config")) {
            i++;
            continue;
        }
        if (!strncmp(a, "--config=", 9) || !strcmp(a, "--print-config"))
            continue;
        if (!strcmp(a, "-X") || !strcmp(a, "-b") || !strcmp(a, "-t") || !strcmp(a, "-g")) {
            if (i + 1 >= argc) {
                snprintf(errstr, sz, "%s needs a value", a);
                return EQM_CONFIG_ERROR;
            }
            value = argv[++i];
            if (a[1] == 'X') {
                char *pv = strdup(value), *peq;
                int rc;
                if (!pv || !(peq = strchr(pv, '=')) || peq == pv) {
                    free(pv);
                    snprintf(errstr, sz, "-X expects property=value, not \"%s\"", value);
                    return EQM_CONFIG_ERROR;
                }
                *peq = '\0';
                rc = set_prop(cfg, pv, peq + 1, errstr, sz);
                free(pv);
                if (rc != 0)
                    return EQM_CONFIG_ERROR;
                continue;
            }
            name = a[1] == 'b' ? "kafka.brokers" : a[1] == 't' ? "topic" : "group.id";
        } else if (!strncmp(a, "--", 2) && a[2]) {
            const struct cf_item *it = NULL;
            size_t n;
            eq = strchr(a, '=');
            n = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
            for (size_t k = 0; k < CF_COUNT; k++) {
                opt_name(cf_table[k].name, opt, sizeof(opt));
                if (strlen(opt) == n && !strncmp(opt, a + 2, n)) {
                    it = &cf_table[k];
                    break;
                }
            }
            if (!it) {
                snprintf(errstr, sz, "unknown option \"%s\" (see --help)", a);
                return EQM_CONFIG_ERROR;
            }
            if (it->flags & CF_SECRET) {
                env_name(it->name, env, sizeof(env));
                snprintf(errstr, sz,
                         "%s is secret: set it in the config file or %s, not on the "
                         "command line",
                         it->name, env);
                return EQM_CONFIG_ERROR;
            }
            name = it->name;
            if (it->type == CF_BOOL && !eq)
                value = "true";
            else if (!(value = opt_value(argc, argv, &i, eq))) {
                snprintf(errstr, sz, "%s needs a value", a);
                return EQM_CONFIG_ERROR;
            }
        } else {
            snprintf(errstr, sz, "unexpected argument \"%s\" (see --help)", a);
            return EQM_CONFIG_ERROR;
        }
        if (eqm_config_set(cfg, name, value, msg, sizeof(msg)) != 0) {
            snprintf(errstr, sz, "%s: %s", a, msg);
            return EQM_CONFIG_ERROR;
        }
    }
    if (print) {
        eqm_config_print(cfg, out);
        return EQM_CONFIG_EXIT;
    }
    return EQM_CONFIG_OK;
}
