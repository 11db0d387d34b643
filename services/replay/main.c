/*
 * eqm-replay - replays files of real records into the event topics.
 *
 *   eqm-replay police-uk --area AREA [options] FILE.csv...
 *
 * Each subcommand reads one kind of file; the conversion of a record into
 * an event lives in common/ (policeuk.c), this file only wires files, ids
 * and the producer. Event ids are derived from the content, so replaying a
 * file twice is harmless: the consumers de-duplicate on event_id.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <librdkafka/rdkafka.h>

#include "eqm/csv.h"
#include "eqm/policeuk.h"
#include "eqm/synth_recruitment.h"
#include "synth_custody_cmd.h"

#define PROGRAM   "eqm-replay"
#define MAX_PROPS 64
#define AREA_MAX  64

static volatile sig_atomic_t run = 1;

/* The first signal stops reading and drains; a second one exits at once. */
static void on_signal(int sig) {
    if (!run) {
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    run = 0;
}

static void install_signals(void) {
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* ---- Occurrences of identical rows within one file ------------------- */

/* Keyed by the first occurrence's id, which is already a hash of the
 * area and the content. */
struct occ_slot {
    char id[EQM_POLICEUK_EVENT_ID_SIZE];
    unsigned count;
};

struct occ_map {
    struct occ_slot *slots;
    size_t cap, used;
};

static size_t occ_hash(const char *id) {
    size_t h = 0;
    for (const char *p = id + 3; *p && p < id + 19; p++)
        h = h * 16 + (size_t)(*p <= '9' ? *p - '0' : *p - 'a' + 10);
    return h;
}

static int occ_grow(struct occ_map *m) {
    size_t cap = m->cap ? m->cap * 2 : 256;
    struct occ_slot *slots = calloc(cap, sizeof(*slots));

    if (!slots)
        return -1;
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->slots[i].count)
            continue;
        size_t j = occ_hash(m->slots[i].id) & (cap - 1);
        while (slots[j].count)
            j = (j + 1) & (cap - 1);
        slots[j] = m->slots[i];
    }
    free(m->slots);
    m->slots = slots;
    m->cap = cap;
    return 0;
}

/* Counts one more row with this first-occurrence id; returns its
 * occurrence number (1, 2, ...), or 0 out of memory. */
static unsigned occ_next(struct occ_map *m, const char *id) {
    size_t j;

    if (2 * (m->used + 1) > m->cap && occ_grow(m) != 0)
        return 0;
    for (j = occ_hash(id) & (m->cap - 1); m->slots[j].count; j = (j + 1) & (m->cap - 1))
        if (!strcmp(m->slots[j].id, id))
            return ++m->slots[j].count;
    memcpy(m->slots[j].id, id, EQM_POLICEUK_EVENT_ID_SIZE);
    m->used++;
    return m->slots[j].count = 1;
}

static void occ_reset(struct occ_map *m) {
    if (m->slots)
        memset(m->slots, 0, m->cap * sizeof(*m->slots));
    m->used = 0;
}

/* ---- Where events go: Kafka, or JSON lines ------------------------------ */

struct file_stats {
    const char *path;
    size_t rows, events, rejected, delivered, failed;
};

struct replay {
    /* Options. */
    const char *area;
    const char *topic;
    const char *brokers;
    const char *output; /* NULL: produce to Kafka */
    const char *prop_file;
    const char *props[MAX_PROPS]; /* "name=value", from argv */
    int n_props;
    /* State. */
    rd_kafka_t *rk;
    FILE *out;
    struct file_stats *files;
    size_t n_files;
    size_t n_started; /* files opened so far: the summary covers these */
    char *buf;        /* the event being sent, reused */
    size_t buf_cap;
    char *content; /* the row's canonical content, reused */
    size_t content_cap;
    struct occ_map occ;
    size_t dr_errors_shown;
};

static void dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque) {
    struct replay *rp = opaque;
    size_t fi = (size_t)(uintptr_t)rkm->_private;

    if (fi >= rp->n_files)
        return;
    if (rkm->err) {
        rp->files[fi].failed++;
        /* Failures tend to come in thousands with one cause: show a few. */
        if (rp->dr_errors_shown < 5)
            fprintf(stderr, "%s: %s: delivery failed: %s%s\n", PROGRAM, rp->files[fi].path,
                    rd_kafka_err2str(rkm->err),
                    rp->dr_errors_shown == 4 ? " (further failures are only counted)" : "");
        rp->dr_errors_shown++;
    } else {
        rp->files[fi].delivered++;
    }
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque) {
    fprintf(stderr, "%s: kafka: %s: %s\n", PROGRAM, rd_kafka_err2name((rd_kafka_resp_err_t)err),
            reason);
}

/* True for properties whose values must not be on the command line (ps
 * and shell history show it): passwords, client secrets, private keys. */
static bool secret_prop(const char *prop) {
    size_t n = strcspn(prop, "=");
    char name[256];

    snprintf(name, sizeof(name), "%.*s", (int)n, prop);
    return strstr(name, "password") || strstr(name, "secret") || !strcmp(name, "ssl.key.pem") ||
           !strcmp(name, "sasl.oauthbearer.config");
}

static int conf_set(rd_kafka_conf_t *conf, const char *name, const char *value, const char *where) {
    char errstr[512];

    if (rd_kafka_conf_set(conf, name, value, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "%s: %s%s%s\n", PROGRAM, where ? where : "", where ? ": " : "", errstr);
        return -1;
    }
    return 0;
}

/* A kcat-style property file: name=value lines, # comments. */
static int conf_file(rd_kafka_conf_t *conf, const char *path) {
    FILE *fp = fopen(path, "r");
    char line[4096], where[600];
    unsigned long lineno = 0;
    int ret = -1;

    if (!fp) {
        fprintf(stderr, "%s: %s: %s\n", PROGRAM, path, strerror(errno));
        return -1;
    }
    while (fgets(line, sizeof(line), fp)) {
        char *name = line, *eq, *end, *value;

        lineno++;
        snprintf(where, sizeof(where), "%s:%lu", path, lineno);
        if (!strchr(line, '\n') && !feof(fp)) {
            fprintf(stderr, "%s: %s: line too long\n", PROGRAM, where);
            goto out;
        }
        line[strcspn(line, "\r\n")] = '\0';
        while (*name == ' ' || *name == '\t')
            name++;
        if (!*name || *name == '#')
            continue;
        eq = strchr(name, '=');
        if (!eq) {
            fprintf(stderr, "%s: %s: expected property=value\n", PROGRAM, where);
            goto out;
        }
        for (end = eq; end > name && (end[-1] == ' ' || end[-1] == '\t');)
            *--end = '\0';
        *eq = '\0';
        value = eq + 1;
        while (*value == ' ' || *value == '\t')
            value++;
        for (end = value + strlen(value); end > value && (end[-1] == ' ' || end[-1] == '\t');)
            *--end = '\0';
        if (conf_set(conf, name, value, where) != 0)
            goto out;
    }
    ret = 0;
out:
    fclose(fp);
    return ret;
}

static int producer_new(struct replay *rp) {
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char errstr[512];

    /* Defaults first, then the file, then -X: the later one wins. */
    if ((rp->brokers && conf_set(conf, "bootstrap.servers", rp->brokers, "-b") != 0) ||
        conf_set(conf, "client.id", PROGRAM, NULL) != 0 ||
        conf_set(conf, "enable.idempotence", "true", NULL) != 0 ||
        conf_set(conf, "acks", "all", NULL) != 0 ||
        (rp->prop_file && conf_file(conf, rp->prop_file) != 0))
        goto fail;
    for (int i = 0; i < rp->n_props; i++) {
        char name[256];
        const char *eq = strchr(rp->props[i], '=');
        size_t len = (size_t)(eq - rp->props[i]);

        snprintf(name, sizeof(name), "%.*s", (int)len, rp->props[i]);
        if (conf_set(conf, name, eq + 1, "-X") != 0)
            goto fail;
    }
    if (!rp->brokers) {
        char v[512];
        size_t vs = sizeof(v);
        if (rd_kafka_conf_get(conf, "bootstrap.servers", v, &vs) != RD_KAFKA_CONF_OK || !*v) {
            fprintf(stderr,
                    "%s: no brokers: give -b host:port or set EQM_KAFKA_BROKERS "
                    "(or --output FILE to write JSON lines instead)\n",
                    PROGRAM);
            goto fail;
        }
    }
    rd_kafka_conf_set_dr_msg_cb(conf, dr_msg_cb);
    rd_kafka_conf_set_error_cb(conf, error_cb);
    rd_kafka_conf_set_opaque(conf, rp);
    rp->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!rp->rk) {
        fprintf(stderr, "%s: cannot create the Kafka producer: %s\n", PROGRAM, errstr);
        goto fail;
    }
    return 0; /* rd_kafka_new took conf */
fail:
    rd_kafka_conf_destroy(conf);
    return -1;
}

/* Sends (or writes) one event. Returns 0, or -1 on a fatal error. */
static int emit(struct replay *rp, size_t fi, unsigned long line, const json_t *ev) {
    size_t len = json_dumpb(ev, rp->buf, rp->buf_cap, EQM_POLICEUK_JSON_FLAGS);
    rd_kafka_resp_err_t err;

    if (len == 0)
        goto nomem;
    if (len + 1 > rp->buf_cap) {
        char *b = realloc(rp->buf, 2 * len + 1);
        if (!b)
            goto nomem;
        rp->buf = b;
        rp->buf_cap = 2 * len + 1;
        len = json_dumpb(ev, rp->buf, rp->buf_cap, EQM_POLICEUK_JSON_FLAGS);
    }
    if (rp->out) {
        rp->buf[len] = '\n';
        if (fwrite(rp->buf, 1, len + 1, rp->out) != len + 1) {
            fprintf(stderr, "%s: %s: %s\n", PROGRAM, rp->output, strerror(errno));
            return -1;
        }
        rp->files[fi].delivered++;
        return 0;
    }
    for (;;) {
        err = rd_kafka_producev(
            rp->rk, RD_KAFKA_V_TOPIC(rp->topic), RD_KAFKA_V_KEY(rp->area, strlen(rp->area)),
            RD_KAFKA_V_VALUE(rp->buf, len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_OPAQUE((void *)(uintptr_t)fi), RD_KAFKA_V_END);
        /* A full queue drains as delivery reports are served. */
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || !run)
            break;
        rd_kafka_poll(rp->rk, 100);
    }
    if (err) {
        fprintf(stderr, "%s:%lu: cannot produce: %s\n", rp->files[fi].path, line,
                rd_kafka_err2str(err));
        rp->files[fi].failed++;
        if (err == RD_KAFKA_RESP_ERR__FATAL)
            return -1;
    }
    rd_kafka_poll(rp->rk, 0);
    return 0;
nomem:
    fprintf(stderr, "%s: out of memory\n", PROGRAM);
    return -1;
}

/* The canonical content of the row in rp->content; its length, or -1. */
static long row_content(struct replay *rp, const struct eqm_policeuk_columns *cols,
                        const char *const *f, size_t n) {
    size_t len = eqm_policeuk_row_content(cols, f, n, rp->content, rp->content_cap);

    if (len >= rp->content_cap) {
        char *c = realloc(rp->content, 2 * len + 1);
        if (!c)
            return -1;
        rp->content = c;
        rp->content_cap = 2 * len + 1;
        len = eqm_policeuk_row_content(cols, f, n, rp->content, rp->content_cap);
    }
    return (long)len;
}

/* Replays one file. Returns 0, or -1 on a fatal error (reported). */
static int replay_file(struct replay *rp, size_t fi) {
    struct file_stats *fs = &rp->files[fi];
    bool is_stdin = !strcmp(fs->path, "-");
    FILE *fp = is_stdin ? stdin : fopen(fs->path, "rb");
    struct eqm_csv_reader *r = NULL;
    struct eqm_policeuk_columns cols;
    const char *const *f;
    char errstr[512];
    size_t n;
    int ret = -1, rc;

    if (!fp) {
        fprintf(stderr, "%s: %s: %s\n", PROGRAM, fs->path, strerror(errno));
        return -1;
    }
    if (eqm_csv_reader_new(&r, fp) != 0) {
        fprintf(stderr, "%s: out of memory\n", PROGRAM);
        goto out;
    }
    rc = eqm_csv_reader_next(r, &f, &n);
    if (rc <= 0) {
        fprintf(stderr, "%s:%lu: %s\n", fs->path, rc ? eqm_csv_reader_line(r) : 1UL,
                rc ? eqm_csv_reader_error(r) : "empty file: no header");
        goto out;
    }
    if (eqm_policeuk_header_check(f, n, &cols, errstr, sizeof(errstr)) != 0) {
        fprintf(stderr, "%s:%lu: %s\n", fs->path, eqm_csv_reader_line(r), errstr);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        bool known = false;
        for (int k = 0; k < EQM_PU__COUNT; k++)
            known = known || cols.index[k] == (long)i;
        if (!known)
            fprintf(stderr, "%s:%lu: warning: ignoring unknown column \"%s\"\n", fs->path,
                    eqm_csv_reader_line(r), f[i]);
    }
    occ_reset(&rp->occ);

    while (run && (rc = eqm_csv_reader_next(r, &f, &n)) != 0) {
        unsigned long line = eqm_csv_reader_line(r);
        char first_id[EQM_POLICEUK_EVENT_ID_SIZE], id[EQM_POLICEUK_EVENT_ID_SIZE];
        unsigned occ;
        long clen;
        json_t *ev;

        fs->rows++;
        if (rc < 0) {
            fprintf(stderr, "%s:%lu: %s\n", fs->path, line, eqm_csv_reader_error(r));
            fs->rejected++;
            continue;
        }
        clen = row_content(rp, &cols, f, n);
        if (clen < 0) {
            fprintf(stderr, "%s: out of memory\n", PROGRAM);
            goto out;
        }
        /* The n-th row with this content in the file gets occurrence n. */
        eqm_policeuk_event_id(rp->area, rp->content, (size_t)clen, 1, first_id);
        occ = occ_next(&rp->occ, first_id);
        if (occ == 0) {
            fprintf(stderr, "%s: out of memory\n", PROGRAM);
            goto out;
        }
        if (occ == 1)
            memcpy(id, first_id, sizeof(id));
        else
            eqm_policeuk_event_id(rp->area, rp->content, (size_t)clen, occ, id);

        ev = eqm_policeuk_row_to_event(&cols, f, n, rp->area, id, errstr, sizeof(errstr));
        if (!ev) {
            fprintf(stderr, "%s:%lu: %s\n", fs->path, line, errstr);
            fs->rejected++;
            continue;
        }
        fs->events++;
        rc = emit(rp, fi, line, ev);
        json_decref(ev);
        if (rc != 0)
            goto out;
    }
    ret = 0;
out:
    eqm_csv_reader_free(&r);
    if (!is_stdin)
        fclose(fp);
    return ret;
}

/* Waits for every delivery report; on a signal, gives up on the rest. */
static void drain(struct replay *rp) {
    while (rd_kafka_outq_len(rp->rk) > 0) {
        if (!run) {
            fprintf(stderr, "%s: interrupted: %d messages not yet delivered are purged\n", PROGRAM,
                    rd_kafka_outq_len(rp->rk));
            rd_kafka_purge(rp->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
            rd_kafka_flush(rp->rk, 5000);
            return;
        }
        rd_kafka_flush(rp->rk, 500);
    }
}

/* ---- police-uk ---------------------------------------------------------- */

static void police_uk_usage(FILE *out) {
    fprintf(out, "Usage: " PROGRAM " police-uk --area AREA [options] FILE.csv...\n"
                 "\n"
                 "Replays police.uk stop-and-search CSV files (one row = one stop_search event)\n"
                 "to Kafka, keyed by AREA. Event ids come from the area and the row's content,\n"
                 "so replaying a file again (even renamed) is de-duplicated downstream. FILE may\n"
                 "be - for standard input.\n"
                 "\n"
                 "Options:\n"
                 "  -a, --area AREA        area of every event (1-64 bytes, e.g. E07000008)\n"
                 "  -t, --topic TOPIC      topic (default stop-search.events)\n"
                 "  -b, --brokers LIST     bootstrap brokers (env EQM_KAFKA_BROKERS)\n"
                 "  -X PROPERTY=VALUE      librdkafka property, passed unchanged (repeatable;\n"
                 "                         secrets such as sasl.password belong in -F)\n"
                 "  -F FILE                librdkafka properties file, PROPERTY=VALUE lines\n"
                 "  -o, --output FILE      write JSON lines to FILE (- = stdout), not Kafka\n"
                 "      --print-config     print the settings and exit\n"
                 "  -h, --help             this help\n"
                 "\n"
                 "The producer is idempotent (enable.idempotence=true, acks=all; -X can\n"
                 "override). Unusable rows are reported as FILE:LINE: reason and skipped.\n"
                 "\n"
                 "Exit status: 0 every row became an event and was delivered; 2 some rows\n"
                 "were rejected, the rest delivered; 1 a fatal error or a failed delivery.\n");
}

static int police_uk_print_config(const struct replay *rp) {
    printf("area = %s\ntopic = %s\nbrokers = %s\noutput = %s\n", rp->area ? rp->area : "",
           rp->topic, rp->brokers ? rp->brokers : "", rp->output ? rp->output : "");
    if (rp->prop_file)
        printf("properties file = %s\n", rp->prop_file);
    for (int i = 0; i < rp->n_props; i++)
        printf("kafka.%s\n", rp->props[i]);
    return 0;
}

/* Parses police-uk options into rp; returns -1 (reported), 0, or 1 to exit 0. */
static int police_uk_options(struct replay *rp, int argc, char **argv) {
    enum { OPT_PRINT_CONFIG = 256 };
    static const struct option longopts[] = {
        {"area", required_argument, NULL, 'a'},
        {"topic", required_argument, NULL, 't'},
        {"brokers", required_argument, NULL, 'b'},
        {"output", required_argument, NULL, 'o'},
        {"print-config", no_argument, NULL, OPT_PRINT_CONFIG},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    bool print_config = false;
    int c;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":a:t:b:o:X:F:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'a':
            rp->area = optarg;
            break;
        case 't':
            rp->topic = optarg;
            break;
        case 'b':
            rp->brokers = optarg;
            break;
        case 'o':
            rp->output = optarg;
            break;
        case 'F':
            rp->prop_file = optarg;
            break;
        case 'X':
            if (!strchr(optarg, '=') || optarg[0] == '=') {
                fprintf(stderr, "%s: -X %s: expected PROPERTY=VALUE\n", PROGRAM, optarg);
                return -1;
            }
            if (secret_prop(optarg)) {
                fprintf(stderr,
                        "%s: -X %.*s: secrets do not go on the command line; put "
                        "the property in a file given with -F\n",
                        PROGRAM, (int)strcspn(optarg, "="), optarg);
                return -1;
            }
            if (rp->n_props == MAX_PROPS) {
                fprintf(stderr, "%s: too many -X (at most %d)\n", PROGRAM, MAX_PROPS);
                return -1;
            }
            rp->props[rp->n_props++] = optarg;
            break;
        case OPT_PRINT_CONFIG:
            print_config = true;
            break;
        case 'h':
            police_uk_usage(stdout);
            return 1;
        case ':':
            fprintf(stderr, "%s police-uk: %s needs a value\n", PROGRAM, argv[optind - 1]);
            return -1;
        default:
            fprintf(stderr, "%s police-uk: unknown option %s (see --help)\n", PROGRAM,
                    argv[optind - 1]);
            return -1;
        }
    }
    if (print_config)
        return police_uk_print_config(rp) == 0 ? 1 : -1;
    if (!rp->area || !*rp->area || strlen(rp->area) > AREA_MAX) {
        fprintf(stderr, "%s police-uk: --area AREA is required (1 to %d bytes)\n", PROGRAM,
                AREA_MAX);
        return -1;
    }
    if (optind >= argc) {
        fprintf(stderr, "%s police-uk: no FILE.csv given (see --help)\n", PROGRAM);
        return -1;
    }
    return 0;
}

static int cmd_police_uk(int argc, char **argv) {
    struct replay rp = {.topic = "stop-search.events", .brokers = getenv("EQM_KAFKA_BROKERS")};
    bool fatal = false, rejected = false, failed = false;
    int rc;

    if (rp.brokers && !*rp.brokers)
        rp.brokers = NULL;
    rc = police_uk_options(&rp, argc, argv);
    if (rc != 0)
        return rc > 0 ? 0 : 1;

    rp.n_files = (size_t)(argc - optind);
    rp.files = calloc(rp.n_files, sizeof(*rp.files));
    if (!rp.files) {
        fprintf(stderr, "%s: out of memory\n", PROGRAM);
        return 1;
    }
    for (size_t i = 0; i < rp.n_files; i++)
        rp.files[i].path = argv[optind + (int)i];

    if (rp.output) {
        rp.out = strcmp(rp.output, "-") ? fopen(rp.output, "w") : stdout;
        if (!rp.out) {
            fprintf(stderr, "%s: %s: %s\n", PROGRAM, rp.output, strerror(errno));
            fatal = true;
            goto out;
        }
    } else if (producer_new(&rp) != 0) {
        fatal = true;
        goto out;
    }

    install_signals();
    for (; rp.n_started < rp.n_files && run && !fatal; rp.n_started++)
        fatal = replay_file(&rp, rp.n_started) != 0;

    if (rp.rk) {
        char errstr[512];
        drain(&rp);
        if (rd_kafka_fatal_error(rp.rk, errstr, sizeof(errstr))) {
            fprintf(stderr, "%s: kafka fatal error: %s\n", PROGRAM, errstr);
            fatal = true;
        }
    }
    if (rp.out && fflush(rp.out) != 0) {
        fprintf(stderr, "%s: %s: %s\n", PROGRAM, rp.output, strerror(errno));
        fatal = true;
    }
    if (!run) {
        fprintf(stderr, "%s: interrupted\n", PROGRAM);
        fatal = true;
    }

    for (size_t i = 0; i < rp.n_started; i++) {
        const struct file_stats *fs = &rp.files[i];
        /* Every event must have been delivered, not merely not failed. */
        bool short_ = fs->delivered != fs->events;

        fprintf(stderr, "rows=%zu events=%zu rejected=%zu %s=%zu", fs->rows, fs->events,
                fs->rejected, rp.out ? "written" : "delivered", fs->delivered);
        if (fs->failed)
            fprintf(stderr, " failed=%zu", fs->failed);
        fprintf(stderr, " file=%s\n", fs->path);
        rejected = rejected || fs->rejected > 0;
        failed = failed || fs->failed > 0 || short_;
    }

out:
    if (rp.rk)
        rd_kafka_destroy(rp.rk);
    if (rp.out && rp.out != stdout && fclose(rp.out) != 0 && !fatal) {
        fprintf(stderr, "%s: %s: %s\n", PROGRAM, rp.output, strerror(errno));
        fatal = true;
    }
    free(rp.occ.slots);
    free(rp.buf);
    free(rp.content);
    free(rp.files);
    if (fatal || failed)
        return 1;
    return rejected ? 2 : 0;
}

/* ---- synth: generators of synthetic events, one per topic ------------- */

static const struct {
    const char *name;
    int (*run)(int argc, char **argv); /* argv[0] is the generator's name */
} synths[] = {
    {"recruitment", eqm_synth_recruitment_main},
    {"custody", eqm_replay_synth_custody},
};

static int cmd_synth(int argc, char **argv) {
    size_t n = sizeof(synths) / sizeof(synths[0]);
    for (size_t i = 0; argc >= 2 && i < n; i++)
        if (!strcmp(argv[1], synths[i].name))
            return synths[i].run(argc - 1, argv + 1);
    fprintf(stderr, "Usage: " PROGRAM " synth KIND [options] (KIND --help for more); KIND:");
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, " %s", synths[i].name);
    fprintf(stderr, "\n");
    return argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) ? 0 : 1;
}

/* ---- Subcommands ------------------------------------------------------- */

struct subcommand {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv); /* argv[0] is the subcommand */
};

static const struct subcommand subcommands[] = {
    {"police-uk", "police.uk stop-and-search CSV files -> stop-search.events", cmd_police_uk},
    {"synth", "synthetic events with exact expected counts (synth KIND --help)", cmd_synth},
};

static void usage(FILE *out) {
    fprintf(out, "Usage: " PROGRAM " COMMAND [options] FILE...\n\nCommands:\n");
    for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
        fprintf(out, "  %-12s %s\n", subcommands[i].name, subcommands[i].summary);
    fprintf(out, "\n" PROGRAM " COMMAND --help describes each command.\n");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return 1;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
        if (!strcmp(argv[1], subcommands[i].name))
            return subcommands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "%s: unknown command \"%s\" (see %s --help)\n", PROGRAM, argv[1], PROGRAM);
    return 1;
}
