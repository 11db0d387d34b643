#include "eqm/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "eqm/log.h"
#include "eqm/secret.h"

#define OFF(f) offsetof(struct eqm_config, f)

static int check_log_level(void *base, const char *value, char *errstr, size_t sz) {
    (void)base;
    if (strcmp(value, "error") && strcmp(value, "warn") && strcmp(value, "info") &&
        strcmp(value, "debug")) {
        snprintf(errstr, sz, "log.level: \"%s\" is not error, warn, info or debug", value);
        return -1;
    }
    return 0;
}

/* A URI whose password holds '/' or '@' unescaped is refused: libpq would
 * read pieces of it as a host or port and repeat them in its errors. */
static int check_pg_url(void *base, const char *value, char *errstr, size_t sz) {
    char why[300];
    (void)base;
    if (eqm_secret_uri_check(value, why, sizeof(why)) != 0) {
        snprintf(errstr, sz, "pg.url: %s", why);
        return -1;
    }
    return 0;
}

/* The common table: every program has these. */
static const struct eqm_setting common_settings[] = {
    {"pg.url", EQM_SETTING_STRING, OFF(pg_url), "", 0, 0, EQM_SETTING_SECRET,
     "PostgreSQL conninfo or URI (libpq); may hold a password", check_pg_url},
    {"pg.password", EQM_SETTING_STRING, OFF(pg_password), "", 0, 0, EQM_SETTING_SECRET,
     "PostgreSQL password, replacing any in pg.url (best from a file: pg.password.file)", NULL},
    {"kafka.brokers", EQM_SETTING_STRING, OFF(kafka_brokers), "127.0.0.1:9092", 0, 0, 0,
     "Kafka bootstrap servers", NULL},
    {"log.level", EQM_SETTING_STRING, OFF(log_level), "info", 0, 0, 0, "error, warn, info or debug",
     check_log_level},
};

/* A setting by name, and the table it is in. */
static const struct eqm_setting *find(const struct eqm_config *cfg, const char *name, void **base) {
    for (int t = 0; t < cfg->n_tables; t++)
        for (size_t i = 0; i < cfg->tables[t].n; i++)
            if (strcmp(cfg->tables[t].items[i].name, name) == 0) {
                *base = cfg->tables[t].base;
                return &cfg->tables[t].items[i];
            }
    return NULL;
}

/* Every setting of every table, in order: for (it = first(...); it; it = next(...)). */
struct iter {
    int t;
    size_t i;
};

static const struct eqm_setting *iter_next(const struct eqm_config *cfg, struct iter *it,
                                           void **base) {
    while (it->t < cfg->n_tables) {
        if (it->i < cfg->tables[it->t].n) {
            *base = cfg->tables[it->t].base;
            return &cfg->tables[it->t].items[it->i++];
        }
        it->t++;
        it->i = 0;
    }
    return NULL;
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

/* Librdkafka's secret properties that may come from EQM_KAFKA_<NAME>_FILE. */
static const char *const kafka_secret_props[] = {"sasl.password", "ssl.key.password",
                                                 "ssl.keystore.password",
                                                 "sasl.oauthbearer.client.secret", NULL};

/* NAME.file = PATH of a secret: the file's contents become NAME's value
 * (through set, which is eqm_config_set or set_prop). */
static int set_from_file(struct eqm_config *cfg, const char *name, const char *path,
                         int (*set)(struct eqm_config *, const char *, const char *, char *,
                                    size_t),
                         char *errstr, size_t sz) {
    char *secret = NULL, why[512];
    int rc;
    if (eqm_secret_file_read(path, &secret, why, sizeof(why)) != 0) {
        snprintf(errstr, sz, "%s.file: %s", name, why);
        return -1;
    }
    rc = set(cfg, name, secret, why, sizeof(why));
    if (rc != 0)
        snprintf(errstr, sz, "%s.file: %s", name, why);
    memset(secret, 0, strlen(secret));
    free(secret);
    return rc;
}

/* The prefix of a "NAME.file" name into out, or false. */
static bool file_of(const char *name, char *out, size_t sz) {
    size_t n = strlen(name);
    if (n <= 5 || strcmp(name + n - 5, ".file") != 0 || n - 5 >= sz)
        return false;
    memcpy(out, name, n - 5);
    out[n - 5] = '\0';
    return true;
}

/* A librdkafka property; PROPERTY.file of a secret one reads the file. */
static int set_kafka_prop(struct eqm_config *cfg, const char *name, const char *value, char *errstr,
                          size_t sz) {
    char prefix[128];
    if (file_of(name, prefix, sizeof(prefix)) && eqm_config_secret_prop(prefix))
        return set_from_file(cfg, prefix, value, set_prop, errstr, sz);
    return set_prop(cfg, name, value, errstr, sz);
}

int eqm_config_set(struct eqm_config *cfg, const char *name, const char *value, char *errstr,
                   size_t sz) {
    void *vbase = NULL;
    const struct eqm_setting *it = find(cfg, name, &vbase);
    char *base = vbase;
    char *end;

    if (!it) {
        char prefix[128];
        const struct eqm_setting *secret;
        if (file_of(name, prefix, sizeof(prefix)) && (secret = find(cfg, prefix, &vbase)) &&
            (secret->flags & EQM_SETTING_SECRET) && secret->type == EQM_SETTING_STRING)
            return set_from_file(cfg, prefix, value, eqm_config_set, errstr, sz);
        if (strncmp(name, "kafka.", 6) == 0 && name[6])
            return set_kafka_prop(cfg, name + 6, value, errstr, sz);
        snprintf(errstr, sz, "unknown setting \"%s\"", name);
        return -1;
    }
    switch (it->type) {
    case EQM_SETTING_STRING: {
        char **dst = (char **)(base + it->offset);
        char *v;
        if (it->check && it->check(base, value, errstr, sz) != 0)
            return -1;
        if (!(v = strdup(value))) {
            snprintf(errstr, sz, "out of memory");
            return -1;
        }
        free(*dst);
        *dst = v;
        return 0;
    }
    case EQM_SETTING_LONG: {
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
    case EQM_SETTING_DOUBLE: {
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
    case EQM_SETTING_BOOL: {
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

/* ("eqm-stop-search", "pg.url") -> "EQM_STOP_SEARCH_PG_URL" */
static void program_env_name(const char *program, const char *name, char *out, size_t sz) {
    char setting[48];
    size_t o;
    if (!strncmp(program, "eqm-", 4))
        program += 4;
    o = (size_t)snprintf(out, sz, "EQM_");
    for (; *program && o + 1 < sz; program++)
        out[o++] = *program == '-' ? '_' : (char)toupper((unsigned char)*program);
    out[o] = '\0';
    env_name(name, setting, sizeof(setting));
    snprintf(out + o, sz - o, "_%s", setting + 4);
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
    struct iter iter;
    const struct eqm_setting *it;
    void *base;
    char own[64];

    program_env_name(program, "pg.url", own, sizeof(own));
    fprintf(out,
            "Usage: %s %s\n\n"
            "Every setting can come from (lowest to highest precedence) its default, the\n"
            "config file (name = value), the environment (EQM_NAME) or the command line.\n"
            "pg.url may also be given to this program alone as %s, which\n"
            "comes before EQM_PG_URL (a role of its own in a shared environment).\n\n",
            program, usage, own);
    fprintf(out, "  -c, --config FILE\n      config file (also EQM_CONFIG)\n");
    fprintf(out, "  -X PROPERTY=VALUE\n      librdkafka property, passed unchanged (in the "
                 "file: kafka.PROPERTY = VALUE);\n      secrets (sasl.password, "
                 "ssl.key.password, ...) in the file only\n");
    if (find(cfg, "topic", &base) && find(cfg, "group.id", &base))
        fprintf(out, "  -b BROKERS, -t TOPIC, -g GROUP\n      short for --kafka-brokers, --topic, "
                     "--group-id\n");
    else
        fprintf(out, "  -b BROKERS\n      short for --kafka-brokers\n");
    iter = (struct iter){0, 0};

    while ((it = iter_next(cfg, &iter, &base))) {
        const char *def = it->def;
        opt_name(it->name, opt, sizeof(opt));
        env_name(it->name, env, sizeof(env));
        if (it->type == EQM_SETTING_STRING) {
            char *const *cur = (char *const *)((const char *)base + it->offset);
            if (*cur)
                def = *cur;
        }
        /* The program's own default, where it has one (eqm-alert-relay's
         * batch.max.messages, say). */
        for (const struct eqm_config_default *d = defaults; d && d->name; d++)
            if (!strcmp(d->name, it->name))
                def = d->value;
        if (it->flags & EQM_SETTING_SECRET)
            fprintf(out,
                    "  %s (environment or file only: a secret), or from a file of mode 0600:\n"
                    "      %s_FILE or %s.file\n",
                    env, env, it->name);
        else
            fprintf(out, "  --%s%s\n", opt,
                    it->type == EQM_SETTING_BOOL ? "[=true|false]" : "=VALUE");
        fprintf(out, "      %s\n      [file: %s; env: %s; default: \"%s\"]\n", it->help, it->name,
                env, it->flags & EQM_SETTING_SECRET ? "" : def);
    }
    fprintf(out, "  --print-config\n      print the effective configuration (secrets masked) "
                 "and exit\n");
    fprintf(out, "  -h, --help\n      this text\n");
}

/* librdkafka properties that can hold a secret: sasl.password,
 * ssl.key.password, ssl.keystore.password, sasl.oauthbearer.client.secret,
 * the private key itself (ssl.key.pem, ssl_key), sasl.oauthbearer.config
 * (an unsecured token's claims) and anything else named like a password,
 * secret or token. A file's location (ssl.key.location, ssl.ca.location)
 * is not a secret and is shown. */
bool eqm_config_secret_prop(const char *prop) {
    char name[256];

    snprintf(name, sizeof(name), "%.*s", (int)strcspn(prop, "="), prop);
    return strstr(name, "password") || strstr(name, "secret") || strstr(name, "token") ||
           !strcmp(name, "ssl.key.pem") || !strcmp(name, "ssl_key") ||
           !strcmp(name, "sasl.oauthbearer.config");
}

void eqm_config_print(const struct eqm_config *cfg, FILE *out) {
    struct iter iter = {0, 0};
    const struct eqm_setting *it;
    void *vbase;
    char buf[1024];

    while ((it = iter_next(cfg, &iter, &vbase))) {
        const char *base = vbase;
        switch (it->type) {
        case EQM_SETTING_STRING: {
            const char *v = *(char *const *)(base + it->offset);
            if (it->flags & EQM_SETTING_SECRET) {
                /* pg.url is a conninfo whose host and database may be
                 * shown; any other secret (a password) never is. */
                if (strcmp(it->name, "pg.url") == 0)
                    eqm_secret_conninfo_redact(v ? v : "", buf, sizeof(buf));
                else
                    snprintf(buf, sizeof(buf), "%s", v && *v ? EQM_SECRET_REDACTED : "");
                v = buf;
            }
            fprintf(out, "%s = %s\n", it->name, v ? v : "");
            break;
        }
        case EQM_SETTING_LONG:
            fprintf(out, "%s = %ld\n", it->name, *(const long *)(base + it->offset));
            break;
        case EQM_SETTING_DOUBLE:
            fprintf(out, "%s = %g\n", it->name, *(const double *)(base + it->offset));
            break;
        case EQM_SETTING_BOOL:
            fprintf(out, "%s = %s\n", it->name,
                    *(const bool *)(base + it->offset) ? "true" : "false");
            break;
        }
    }
    for (int i = 0; i < cfg->n_props; i++) {
        fprintf(out, "kafka.%s = %s\n", cfg->prop_names[i],
                eqm_config_secret_prop(cfg->prop_names[i]) ? EQM_SECRET_REDACTED
                                                           : cfg->prop_values[i]);
    }
}

void eqm_config_free(struct eqm_config *cfg) {
    struct iter iter = {0, 0};
    const struct eqm_setting *it;
    void *base;

    while ((it = iter_next(cfg, &iter, &base))) {
        if (it->type == EQM_SETTING_STRING) {
            char **p = (char **)((char *)base + it->offset);
            free(*p);
            *p = NULL;
        }
    }
    free(cfg->config_file);
    for (int i = 0; i < cfg->n_props; i++) {
        free(cfg->prop_names[i]);
        free(cfg->prop_values[i]);
    }
    memset(cfg, 0, sizeof(*cfg));
}

/* pg.password into pg.url; a libpq passfile held to a secret file's mode
 * (libpq itself only warns, and then goes on without it). */
static int finish_pg(struct eqm_config *cfg, char *errstr, size_t sz) {
    const char *passfile = getenv("PGPASSFILE");
    PQconninfoOption *opts = NULL;
    char why[512];

    if (cfg->pg_password && *cfg->pg_password && cfg->pg_url && *cfg->pg_url) {
        char *merged = eqm_secret_conninfo_with_password(cfg->pg_url, cfg->pg_password);
        if (!merged) {
            snprintf(errstr, sz, "pg.url: not a conninfo or URI libpq can read (not shown)");
            return -1;
        }
        memset(cfg->pg_url, 0, strlen(cfg->pg_url));
        free(cfg->pg_url);
        cfg->pg_url = merged;
    }
    if (cfg->pg_url && *cfg->pg_url && (opts = PQconninfoParse(cfg->pg_url, NULL)))
        for (PQconninfoOption *o = opts; o->keyword; o++)
            if (!strcmp(o->keyword, "passfile") && o->val && *o->val)
                passfile = o->val;
    if (passfile && *passfile && eqm_secret_file_check(passfile, why, sizeof(why)) != 0) {
        snprintf(errstr, sz, "PostgreSQL password file %s", why);
        PQconninfoFree(opts);
        return -1;
    }
    PQconninfoFree(opts);
    return 0;
}

/* Splits "--name=value" or "--name value"; returns the value or NULL. */
static const char *opt_value(int argc, char **argv, int *i, const char *eq) {
    if (eq)
        return eq + 1;
    if (*i + 1 < argc)
        return argv[++*i];
    return NULL;
}

enum eqm_config_result eqm_config_load(struct eqm_config *cfg, const struct eqm_settings *extra,
                                       int n_extra, const char *program, const char *usage,
                                       const struct eqm_config_default *defaults, int argc,
                                       char **argv, FILE *out, char *errstr, size_t sz) {
    const char *config_path = getenv("EQM_CONFIG");
    bool help = false, print = false;
    char msg[512], env[64], opt[64];
    struct iter iter = {0, 0};
    const struct eqm_setting *it;
    void *base;

    memset(cfg, 0, sizeof(*cfg));
    cfg->tables[0] = (struct eqm_settings){
        common_settings, sizeof(common_settings) / sizeof(common_settings[0]), cfg};
    cfg->n_tables = 1;
    if (n_extra < 0 || n_extra >= EQM_CONFIG_MAX_TABLES) {
        snprintf(errstr, sz, "at most %d settings tables", EQM_CONFIG_MAX_TABLES - 1);
        return EQM_CONFIG_ERROR;
    }
    for (int t = 0; t < n_extra; t++)
        cfg->tables[cfg->n_tables++] = extra[t];
    while ((it = iter_next(cfg, &iter, &base)))
        if (eqm_config_set(cfg, it->name, it->def, errstr, sz) != 0)
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
    iter = (struct iter){0, 0};
    while ((it = iter_next(cfg, &iter, &base))) {
        const char *v;
        env_name(it->name, env, sizeof(env));
        v = getenv(env);
        /* One environment for every program, each with its own role:
         * EQM_STOP_SEARCH_PG_URL (for eqm-stop-search) before EQM_PG_URL. */
        if (!strcmp(it->name, "pg.url")) {
            char own[64];
            program_env_name(program, it->name, own, sizeof(own));
            if (getenv(own)) {
                v = getenv(own);
                snprintf(env, sizeof(env), "%s", own);
            }
        }
        if (v && eqm_config_set(cfg, it->name, v, msg, sizeof(msg)) != 0) {
            snprintf(errstr, sz, "environment %s: %s", env, msg);
            return EQM_CONFIG_ERROR;
        }
        /* A secret from a file: EQM_PG_PASSWORD_FILE. */
        if ((it->flags & EQM_SETTING_SECRET) && it->type == EQM_SETTING_STRING) {
            char fenv[80];
            env_name(it->name, env, sizeof(env));
            snprintf(fenv, sizeof(fenv), "%s_FILE", env);
            if ((v = getenv(fenv))) {
                if (getenv(env)) {
                    snprintf(errstr, sz, "environment: set %s or %s, not both", env, fenv);
                    return EQM_CONFIG_ERROR;
                }
                if (set_from_file(cfg, it->name, v, eqm_config_set, msg, sizeof(msg)) != 0) {
                    snprintf(errstr, sz, "environment %s: %s", fenv, msg);
                    return EQM_CONFIG_ERROR;
                }
            }
        }
    }
    for (const char *const *p = kafka_secret_props; *p; p++) {
        const char *v;
        char fenv[80];
        env_name(*p, env, sizeof(env));
        snprintf(fenv, sizeof(fenv), "EQM_KAFKA_%s_FILE", env + 4);
        if ((v = getenv(fenv)) && set_from_file(cfg, *p, v, set_prop, msg, sizeof(msg)) != 0) {
            snprintf(errstr, sz, "environment %s: %s", fenv, msg);
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
                char *pv = strdup(value), *peq, prefix[128];
                int rc;
                if (!pv || !(peq = strchr(pv, '=')) || peq == pv) {
                    free(pv);
                    snprintf(errstr, sz, "-X expects property=value, not \"%s\"", value);
                    return EQM_CONFIG_ERROR;
                }
                *peq = '\0';
                /* ps and the shell's history would show it, as pg.url's;
                 * PROPERTY.file=PATH names only the file holding it. */
                if (eqm_config_secret_prop(pv) && !file_of(pv, prefix, sizeof(prefix))) {
                    snprintf(errstr, sz,
                             "-X %s is secret: set it in the config file as kafka.%s = ..., "
                             "or from a file as -X %s.file=PATH, not on the command line",
                             pv, pv, pv);
                    free(pv);
                    return EQM_CONFIG_ERROR;
                }
                rc = set_kafka_prop(cfg, pv, peq + 1, errstr, sz);
                free(pv);
                if (rc != 0)
                    return EQM_CONFIG_ERROR;
                continue;
            }
            name = a[1] == 'b' ? "kafka.brokers" : a[1] == 't' ? "topic" : "group.id";
        } else if (!strncmp(a, "--", 2) && a[2]) {
            const struct eqm_setting *cand;
            size_t n;
            eq = strchr(a, '=');
            n = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
            it = NULL;
            iter = (struct iter){0, 0};
            while (!it && (cand = iter_next(cfg, &iter, &base))) {
                opt_name(cand->name, opt, sizeof(opt));
                if (strlen(opt) == n && !strncmp(opt, a + 2, n))
                    it = cand;
            }
            /* --smtp-password-file=PATH: a secret's file (the path is
             * no secret). */
            if (!it && n > 5 && !strncmp(a + 2 + n - 5, "-file", 5)) {
                iter = (struct iter){0, 0};
                while (!it && (cand = iter_next(cfg, &iter, &base))) {
                    opt_name(cand->name, opt, sizeof(opt));
                    if ((cand->flags & EQM_SETTING_SECRET) && strlen(opt) == n - 5 &&
                        !strncmp(opt, a + 2, n - 5))
                        it = cand;
                }
                if (it) {
                    if (!(value = opt_value(argc, argv, &i, eq))) {
                        snprintf(errstr, sz, "%s needs a file name", a);
                        return EQM_CONFIG_ERROR;
                    }
                    if (set_from_file(cfg, it->name, value, eqm_config_set, msg, sizeof(msg)) !=
                        0) {
                        snprintf(errstr, sz, "%.*s: %s", (int)(n + 2), a, msg);
                        return EQM_CONFIG_ERROR;
                    }
                    continue;
                }
            }
            if (!it) {
                snprintf(errstr, sz, "unknown option \"%s\" (see --help)", a);
                return EQM_CONFIG_ERROR;
            }
            if (it->flags & EQM_SETTING_SECRET) {
                env_name(it->name, env, sizeof(env));
                snprintf(errstr, sz,
                         "%s is secret: set it in the config file or %s, not on the "
                         "command line",
                         it->name, env);
                return EQM_CONFIG_ERROR;
            }
            name = it->name;
            if (it->type == EQM_SETTING_BOOL && !eq)
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
    if (finish_pg(cfg, errstr, sz) != 0)
        return EQM_CONFIG_ERROR;
    if (print) {
        eqm_config_print(cfg, out);
        return EQM_CONFIG_EXIT;
    }
    return EQM_CONFIG_OK;
}

int eqm_config_main(struct eqm_config *cfg, const struct eqm_settings *extra, int n_extra,
                    const char *program, const char *service,
                    const struct eqm_config_default *defaults, int argc, char **argv,
                    int *exit_code) {
    enum eqm_log_level level = EQM_LOG_INFO;
    char errstr[512];

    switch (eqm_config_load(cfg, extra, n_extra, program, "[options]", defaults, argc, argv, stdout,
                            errstr, sizeof(errstr))) {
    case EQM_CONFIG_EXIT:
        *exit_code = 0;
        return 1;
    case EQM_CONFIG_ERROR:
        fprintf(stderr, "%s: %s\n", program, errstr);
        *exit_code = 2;
        return 1;
    case EQM_CONFIG_OK:
        break;
    }
    if (eqm_log_level_parse(cfg->log_level, &level) != 0)
        level = EQM_LOG_INFO; /* cannot happen: check_log_level() refused it */
    eqm_log_init(service, level);
    return 0;
}
