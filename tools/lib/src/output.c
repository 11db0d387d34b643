/*
 * tools/lib/src/output.c - the Kafka producer or JSON-lines file behind every
 * eqm-replay subcommand (see eqm/tools/output.h).
 */
#include "eqm/tools/output.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#include "eqm/config.h"
#include "eqm/kafka.h"
#include "eqm/signals.h"

/* Compact, doubles with 15 significant digits (EQM_POLICEUK_JSON_FLAGS). */
#define JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))

struct eqm_output {
    const struct eqm_output_opts *o;
    const char *prog;
    bool quiet;
    rd_kafka_t *rk;
    FILE *out;
    char *buf; /* the event being sent, reused */
    size_t buf_cap;
    size_t dr_errors_shown;
    /* -X split into names and values, for eqm_kafka_new() */
    char *prop_names[EQM_OUTPUT_MAX_PROPS], *prop_values[EQM_OUTPUT_MAX_PROPS];
};

/* ---- Options ------------------------------------------------------------ */

void eqm_output_defaults(struct eqm_output_opts *o, const char *topic) {
    memset(o, 0, sizeof(*o));
    o->topic = topic;
    o->brokers = getenv("EQM_KAFKA_BROKERS");
    if (o->brokers && !*o->brokers)
        o->brokers = NULL;
}

int eqm_output_option(struct eqm_output_opts *o, int opt, const char *arg, const char *prog) {
    switch (opt) {
    case 'o':
        o->output = arg;
        return 1;
    case 't':
        o->topic = arg;
        return 1;
    case 'b':
        o->brokers = arg;
        return 1;
    case 'F':
        o->prop_file = arg;
        return 1;
    case 'X':
        if (!strchr(arg, '=') || arg[0] == '=') {
            fprintf(stderr, "%s: -X %s: expected PROPERTY=VALUE\n", prog, arg);
            return -1;
        }
        /* ps and shell history would show it: the services' own list. */
        if (eqm_config_secret_prop(arg)) {
            fprintf(stderr,
                    "%s: -X %.*s: secrets do not go on the command line; put the property "
                    "in a file given with -F\n",
                    prog, (int)strcspn(arg, "="), arg);
            return -1;
        }
        if (o->n_props == EQM_OUTPUT_MAX_PROPS) {
            fprintf(stderr, "%s: too many -X (at most %d)\n", prog, EQM_OUTPUT_MAX_PROPS);
            return -1;
        }
        o->props[o->n_props++] = arg;
        return 1;
    default:
        return 0;
    }
}

/* ---- Producer ----------------------------------------------------------- */

static void dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque) {
    struct eqm_output *out = opaque;
    struct eqm_output_tally *t = rkm->_private;

    if (!rkm->err) {
        t->delivered++;
        return;
    }
    t->failed++;
    /* Failures tend to come in thousands with one cause: show a few. */
    if (out->dr_errors_shown < 5) {
        const char *more =
            !out->quiet && out->dr_errors_shown == 4 ? " (further failures are only counted)" : "";
        if (t->name)
            fprintf(stderr, "%s: %s: delivery failed: %s%s\n", out->prog, t->name,
                    rd_kafka_err2str(rkm->err), more);
        else
            fprintf(stderr, "%s: delivery failed: %s%s\n", out->prog, rd_kafka_err2str(rkm->err),
                    more);
    }
    out->dr_errors_shown++;
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque) {
    struct eqm_output *out = opaque;

    fprintf(stderr, "%s: kafka: %s: %s\n", out->prog, rd_kafka_err2name((rd_kafka_resp_err_t)err),
            reason);
}

static char *trim(char *s) {
    char *e;

    while (*s == ' ' || *s == '\t')
        s++;
    for (e = s + strlen(s); e > s && (e[-1] == ' ' || e[-1] == '\t');)
        *--e = '\0';
    return s;
}

/* A kcat-style property file: name=value lines, # comments; errors as
 * path:line: message, with librdkafka's own words. */
static int conf_file(rd_kafka_conf_t *conf, const char *path, char *errstr, size_t sz) {
    FILE *fp = fopen(path, "r");
    char line[4096], err[512];
    unsigned long lineno = 0;
    int ret = -1;

    if (!fp) {
        snprintf(errstr, sz, "%s: %s", path, strerror(errno));
        return -1;
    }
    while (fgets(line, sizeof(line), fp)) {
        char *name, *eq;

        lineno++;
        if (!strchr(line, '\n') && !feof(fp)) {
            snprintf(errstr, sz, "%s:%lu: line too long", path, lineno);
            goto out;
        }
        line[strcspn(line, "\r\n")] = '\0';
        name = trim(line);
        if (!*name || *name == '#')
            continue;
        eq = strchr(name, '=');
        if (!eq) {
            snprintf(errstr, sz, "%s:%lu: expected property=value", path, lineno);
            goto out;
        }
        *eq = '\0';
        if (rd_kafka_conf_set(conf, trim(name), trim(eq + 1), err, sizeof(err)) !=
            RD_KAFKA_CONF_OK) {
            snprintf(errstr, sz, "%s:%lu: %s", path, lineno, err);
            goto out;
        }
    }
    ret = 0;
out:
    fclose(fp);
    return ret;
}

static bool is_brokers_prop(const char *name) {
    return !strcmp(name, "bootstrap.servers") || !strcmp(name, "metadata.broker.list");
}

/*
 * eqm_kafka_new()'s hook, between the defaults and -X: the -F file, then
 * the check that the brokers will be known once -X is applied too (so the
 * message comes before librdkafka's own warning, and names our options).
 */
static int conf_hook(rd_kafka_conf_t *conf, void *arg, char *errstr, size_t sz) {
    struct eqm_output *out = arg;
    const struct eqm_output_opts *o = out->o;
    const char *brokers = NULL;
    char v[512];
    size_t vs = sizeof(v);

    if (o->prop_file && conf_file(conf, o->prop_file, errstr, sz) != 0)
        return -1;
    if (rd_kafka_conf_get(conf, "bootstrap.servers", v, &vs) == RD_KAFKA_CONF_OK)
        brokers = v;
    for (int i = 0; i < o->n_props; i++)
        if (is_brokers_prop(out->prop_names[i]))
            brokers = out->prop_values[i];
    if (!brokers || !*brokers) {
        snprintf(errstr, sz,
                 "no brokers: give -b host:port or set EQM_KAFKA_BROKERS "
                 "(or --output FILE to write JSON lines instead)");
        return -1;
    }
    return 0;
}

/* Splits -X name=value into the names and values eqm_kafka_new() takes. */
static int props_split(struct eqm_output *out) {
    const struct eqm_output_opts *o = out->o;

    for (int i = 0; i < o->n_props; i++) {
        const char *eq = strchr(o->props[i], '=');

        out->prop_names[i] = strndup(o->props[i], (size_t)(eq - o->props[i]));
        out->prop_values[i] = strdup(eq + 1);
        if (!out->prop_names[i] || !out->prop_values[i])
            return -1;
    }
    return 0;
}

static void props_free(struct eqm_output *out) {
    for (int i = 0; i < EQM_OUTPUT_MAX_PROPS; i++) {
        free(out->prop_names[i]);
        free(out->prop_values[i]);
        out->prop_names[i] = out->prop_values[i] = NULL;
    }
}

/* The producer: its defaults, then -F, then -X (the later one wins). */
static int producer_new(struct eqm_output *out, const char *client_id) {
    static const char *const defaults[] = {"enable.idempotence", "true", "acks", "all", NULL};
    const struct eqm_output_opts *o = out->o;
    struct eqm_kafka_spec spec = {
        .type = RD_KAFKA_PRODUCER,
        .client_id = client_id,
        .brokers = o->brokers,
        .props = defaults,
        .conf_hook = conf_hook,
        .hook_arg = out,
        .user_names = out->prop_names,
        .user_values = out->prop_values,
        .n_user = o->n_props,
        .opaque = out,
        .dr_msg_cb = dr_msg_cb,
        .error_cb = error_cb,
    };
    char errstr[1024];

    if (props_split(out) != 0) {
        fprintf(stderr, "%s: out of memory\n", out->prog);
        return -1;
    }
    out->rk = eqm_kafka_new(&spec, errstr, sizeof(errstr));
    if (!out->rk) {
        fprintf(stderr, "%s: %s\n", out->prog, errstr);
        return -1;
    }
    return 0;
}

/* ---- Output ------------------------------------------------------------- */

int eqm_output_new(struct eqm_output **outp, const struct eqm_output_opts *o, const char *prog,
                   const char *client_id, bool quiet) {
    struct eqm_output *out = calloc(1, sizeof(*out));

    if (!out) {
        fprintf(stderr, "%s: out of memory\n", prog);
        return -1;
    }
    out->o = o;
    out->prog = prog;
    out->quiet = quiet;
    if (o->output) {
        out->out = strcmp(o->output, "-") ? fopen(o->output, "w") : stdout;
        if (!out->out) {
            fprintf(stderr, "%s: %s: %s\n", prog, o->output, strerror(errno));
            free(out);
            return -1;
        }
    } else if (producer_new(out, client_id) != 0) {
        props_free(out);
        free(out);
        return -1;
    }
    *outp = out;
    return 0;
}

bool eqm_output_is_file(const struct eqm_output *out) {
    return out->out != NULL;
}

int eqm_output_send_bytes(struct eqm_output *out, const char *event, size_t len, const char *key,
                          struct eqm_output_tally *t, unsigned long line) {
    rd_kafka_resp_err_t err;

    if (out->out) {
        if (fwrite(event, 1, len, out->out) != len || fputc('\n', out->out) == EOF) {
            fprintf(stderr, "%s: %s: %s\n", out->prog, out->o->output, strerror(errno));
            return -1;
        }
        t->delivered++;
        return 0;
    }
    for (;;) {
        err = rd_kafka_producev(
            out->rk, RD_KAFKA_V_TOPIC(out->o->topic), RD_KAFKA_V_KEY(key, strlen(key)),
            RD_KAFKA_V_VALUE((void *)event, len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_OPAQUE(t), RD_KAFKA_V_END);
        /* A full queue drains as delivery reports are served. */
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || !eqm_signals_running())
            break;
        rd_kafka_poll(out->rk, 100);
    }
    if (err) {
        if (t->name)
            fprintf(stderr, "%s:%lu: cannot produce: %s\n", t->name, line, rd_kafka_err2str(err));
        else
            fprintf(stderr, "%s: cannot produce: %s\n", out->prog, rd_kafka_err2str(err));
        t->failed++;
        if (err == RD_KAFKA_RESP_ERR__FATAL)
            return -1;
    }
    rd_kafka_poll(out->rk, 0);
    return 0;
}

int eqm_output_send(struct eqm_output *out, const json_t *ev, const char *key,
                    struct eqm_output_tally *t, unsigned long line) {
    size_t len = json_dumpb(ev, out->buf, out->buf_cap, JSON_FLAGS);

    if (len == 0)
        goto nomem;
    if (len + 1 > out->buf_cap) {
        char *b = realloc(out->buf, 2 * len + 1);
        if (!b)
            goto nomem;
        out->buf = b;
        out->buf_cap = 2 * len + 1;
        len = json_dumpb(ev, out->buf, out->buf_cap, JSON_FLAGS);
    }
    return eqm_output_send_bytes(out, out->buf, len, key, t, line);
nomem:
    fprintf(stderr, "%s: out of memory\n", out->prog);
    return -1;
}

int eqm_output_finish(struct eqm_output *out) {
    char errstr[512];
    int ret = 0;

    if (out->rk) {
        /* Every delivery report; on a signal, give up on the rest. */
        while (rd_kafka_outq_len(out->rk) > 0) {
            if (!eqm_signals_running()) {
                if (!out->quiet)
                    fprintf(stderr, "%s: interrupted: %d messages not yet delivered are purged\n",
                            out->prog, rd_kafka_outq_len(out->rk));
                rd_kafka_purge(out->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
                rd_kafka_flush(out->rk, 5000);
                break;
            }
            rd_kafka_flush(out->rk, 500);
        }
        if (rd_kafka_fatal_error(out->rk, errstr, sizeof(errstr))) {
            fprintf(stderr, "%s: kafka fatal error: %s\n", out->prog, errstr);
            ret = -1;
        }
    }
    if (out->out && fflush(out->out) != 0) {
        fprintf(stderr, "%s: %s: %s\n", out->prog, out->o->output, strerror(errno));
        ret = -1;
    }
    return ret;
}

int eqm_output_free(struct eqm_output **outp, bool fatal) {
    struct eqm_output *out = *outp;
    int ret = 0;

    if (!out)
        return 0;
    if (out->rk)
        rd_kafka_destroy(out->rk);
    if (out->out && out->out != stdout && fclose(out->out) != 0) {
        if (!fatal)
            fprintf(stderr, "%s: %s: %s\n", out->prog, out->o->output, strerror(errno));
        ret = -1;
    }
    props_free(out);
    free(out->buf);
    free(out);
    *outp = NULL;
    return ret;
}
