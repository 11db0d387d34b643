/*
 * synth_recruitment_cmd.c - `eqm-replay synth recruitment ...`.
 *
 * Wires the recruitment generator (tools/lib/src/synth_recruitment.c) to
 * the producer or JSON-lines file every eqm-replay subcommand uses
 * (eqm/tools/output.h), so it takes the same output options (-o, -t, -b,
 * -F, -X) and signals behave alike: the first SIGINT or SIGTERM stops the
 * generation and gives up waiting for delivery reports. The generator
 * writes its own bytes (sorted keys), which are sent as they are.
 */
#include "synth_recruitment_cmd.h"

#include <errno.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eqm/signals.h"
#include "eqm/timeutil.h"
#include "eqm/tools/output.h"
#include "eqm/tools/synth_recruitment.h"
#include "options.h"

#define PROGRAM "eqm-replay synth recruitment"

struct recruitment_cli {
    struct eqm_output_opts o;
    struct eqm_synth_recruitment g;
    const char *expected;
};

/* What the generator's events go through. */
struct emit_state {
    struct eqm_output *out;
    struct eqm_output_tally t;
    const char *key;
    bool interrupted, fatal;
};

static void usage(FILE *out) {
    fprintf(out,
            "Usage: " PROGRAM " [options]\n"
            "\n"
            "Sends synthetic recruitment.events (a funnel through the contract's nine stages,\n"
            "a headcount snapshot, joiners and leavers) and writes the exact expected counts.\n"
            "Outcomes are quotas per group and stage, so rates are exact up to rounding; the\n"
            "seed picks who, their sex, age band and disability, and the event ids.\n"
            "GROUP is asian, black, mixed, white, other or not_stated; LIST is GROUP=N,...\n"
            "\n"
            "  --seed N                  seed (default 1); ids depend on seed, role, campaign\n"
            "  --role ROLE               police_officer (default), police_staff, ...\n"
            "  --campaign NAME           campaign (default synth)\n"
            "  --area AREA               area of every event (default synth-area)\n"
            "  --end YYYY-MM-DD          last day of the events (default 2025-07-01)\n"
            "  --candidates LIST         applicants per group\n"
            "  --pass-rate P             pass rate at every stage (default 0.8)\n"
            "  --withdraw-rate W         withdrawal rate at every stage (default 0.05)\n"
            "  --multiplier GROUP:STAGE=M  pass-rate multiplier (STAGE may be *); repeatable\n"
            "  --headcount LIST          headcount snapshot by ethnicity (as of end - 25 days)\n"
            "  --joiners LIST            joiners after the snapshot\n"
            "  --leavers LIST            leavers after the snapshot (overrides the rate)\n"
            "  --leaver-rate R           leavers = round(headcount * R * multiplier)\n"
            "  --leaver-multiplier LIST  GROUP=M,...\n"
            "  --service-years LIST      length of service of each leaver (default 10)\n"
            "  --expected FILE           write the expected counts (tab-separated) to FILE\n"
            "  -o, --output FILE         JSON lines to FILE (- = stdout) instead of Kafka\n"
            "  -t, --topic TOPIC         default recruitment.events\n"
            "  -b, --brokers LIST        default $EQM_KAFKA_BROKERS\n"
            "  -X PROPERTY=VALUE         librdkafka property (repeatable; no secrets)\n"
            "  -F FILE                   librdkafka properties file, PROPERTY=VALUE lines\n"
            "  -h, --help\n");
}

/* "white=400,black=12" into int or double per-group values. */
static int parse_list(const char *s, int64_t *ints, double *dbls) {
    char buf[512], *save = NULL;
    snprintf(buf, sizeof(buf), "%s", s);
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '='), *end;
        int g;
        if (!eq)
            return -1;
        *eq = '\0';
        g = eqm_synth_group_index(tok);
        if (g < 0)
            return -1;
        errno = 0;
        if (ints) {
            long long v = strtoll(eq + 1, &end, 10);
            if (*end || end == eq + 1 || v < 0 || errno)
                return -1;
            ints[g] = v;
        } else {
            double v = strtod(eq + 1, &end);
            if (*end || end == eq + 1 || !(v >= 0) || errno)
                return -1;
            dbls[g] = v;
        }
    }
    return 0;
}

/* GROUP:STAGE=M, either side possibly *. */
static int parse_multiplier(struct eqm_synth_recruitment *o, const char *s) {
    char buf[128], *colon, *eq, *end;
    double m;
    int g, st = -1;
    snprintf(buf, sizeof(buf), "%s", s);
    colon = strchr(buf, ':');
    eq = strchr(buf, '=');
    if (!colon || !eq || eq < colon)
        return -1;
    *colon = *eq = '\0';
    g = eqm_synth_group_index(buf);
    if (g < 0 && strcmp(buf, "*"))
        return -1;
    if (strcmp(colon + 1, "*")) {
        st = eqm_synth_stage_index(colon + 1);
        if (st < 0)
            return -1;
    }
    m = strtod(eq + 1, &end);
    if (*end || end == eq + 1 || !(m >= 0))
        return -1;
    for (int gi = 0; gi < EQM_SYNTH_GROUPS; gi++)
        for (int si = 0; si < EQM_SYNTH_STAGES; si++)
            if ((g < 0 || g == gi) && (st < 0 || st == si))
                o->multiplier[gi][si] = m;
    return 0;
}

static int parse_rate(const char *s, double *out) {
    char *end;
    double v = strtod(s, &end);
    if (*end || end == s || !(v >= 0 && v <= 1))
        return -1;
    *out = v;
    return 0;
}

static int parse_end(const char *s, int32_t *day) {
    int y, m, d;
    char tail;

    if (sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || m < 1 || m > 12 || d < 1 || d > 31)
        return -1;
    *day = eqm_time_days_from_civil(y, (unsigned)m, (unsigned)d);
    return 0;
}

enum {
    O_SEED = 256,
    O_ROLE,
    O_CAMPAIGN,
    O_AREA,
    O_END,
    O_CAND,
    O_PASS,
    O_WD,
    O_MULT,
    O_HC,
    O_JOIN,
    O_LEAVE,
    O_LRATE,
    O_LMULT,
    O_SVC,
    O_EXP
};

#define IN_OPTS(field) offsetof(struct eqm_synth_recruitment, field)

/* The options whose value is a per-group list (GROUP=N,...) or a rate,
 * and the field of the generator's options it fills. */
static const struct {
    int opt;
    enum { INTS, DOUBLES, RATE } kind;
    size_t offset;
} values[] = {
    {O_CAND, INTS, IN_OPTS(candidates)},
    {O_HC, INTS, IN_OPTS(headcount)},
    {O_JOIN, INTS, IN_OPTS(joiners)},
    {O_LEAVE, INTS, IN_OPTS(leavers)},
    {O_LMULT, DOUBLES, IN_OPTS(leaver_multiplier)},
    {O_SVC, DOUBLES, IN_OPTS(service_years)},
    {O_PASS, RATE, IN_OPTS(pass_rate)},
    {O_WD, RATE, IN_OPTS(withdraw_rate)},
    {O_LRATE, RATE, IN_OPTS(leaver_rate)},
};

/* Parses v into the field of o that option opt fills; 1 if opt is not
 * one of values[], else 0 or -1 (a bad value). */
static int parse_value(struct eqm_synth_recruitment *o, int opt, const char *v) {
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        void *field = (char *)o + values[i].offset;

        if (values[i].opt != opt)
            continue;
        if (opt == O_HC)
            o->headcount_snapshot = 1;
        return values[i].kind == INTS      ? parse_list(v, field, NULL)
               : values[i].kind == DOUBLES ? parse_list(v, NULL, field)
                                           : parse_rate(v, field);
    }
    return 1;
}

/* One recruitment option of its own (options.h). */
static int recruitment_option(void *arg, int opt, const char *v, const char *as_typed) {
    struct recruitment_cli *c = arg;
    struct eqm_synth_recruitment *o = &c->g;
    int bad = parse_value(o, opt, v);

    if (bad == 1) {
        bad = 0;
        switch (opt) {
        case O_SEED: {
            char *end;
            o->seed = strtoull(v, &end, 10);
            bad = *end || end == v;
            break;
        }
        case O_ROLE:
            o->role = v;
            break;
        case O_CAMPAIGN:
            o->campaign = v;
            break;
        case O_AREA:
            o->area = v;
            break;
        case O_END:
            bad = parse_end(v, &o->end_day);
            break;
        case O_MULT:
            bad = parse_multiplier(o, v);
            break;
        case O_EXP:
            c->expected = v;
            break;
        default:
            return EQM_REPLAY_OPTION_UNKNOWN;
        }
    }
    if (bad) {
        fprintf(stderr, "%s: bad value for %s: \"%s\" (see --help)\n", PROGRAM, as_typed, v);
        return -1;
    }
    return 0;
}

/* Returns -1 (reported), 0, or 1 to exit 0. */
static int recruitment_options(struct recruitment_cli *c, int argc, char **argv) {
    static const struct option longopts[] = {
        {"seed", required_argument, NULL, O_SEED},
        {"role", required_argument, NULL, O_ROLE},
        {"campaign", required_argument, NULL, O_CAMPAIGN},
        {"area", required_argument, NULL, O_AREA},
        {"end", required_argument, NULL, O_END},
        {"candidates", required_argument, NULL, O_CAND},
        {"pass-rate", required_argument, NULL, O_PASS},
        {"withdraw-rate", required_argument, NULL, O_WD},
        {"multiplier", required_argument, NULL, O_MULT},
        {"headcount", required_argument, NULL, O_HC},
        {"joiners", required_argument, NULL, O_JOIN},
        {"leavers", required_argument, NULL, O_LEAVE},
        {"leaver-rate", required_argument, NULL, O_LRATE},
        {"leaver-multiplier", required_argument, NULL, O_LMULT},
        {"service-years", required_argument, NULL, O_SVC},
        {"expected", required_argument, NULL, O_EXP},
        {NULL, 0, NULL, 0},
    };
    static const struct eqm_replay_cmdline cl = {
        PROGRAM, PROGRAM, "", longopts, usage, recruitment_option,
    };
    int rc = eqm_replay_options(&cl, argc, argv, &c->o, c);

    if (rc != 0)
        return rc;
    if (optind < argc) {
        fprintf(stderr, "%s: unexpected argument \"%s\"\n", PROGRAM, argv[optind]);
        return -1;
    }
    return 0;
}

/* The generator's emit: one event to the output; -1 stops the generation
 * (a fatal output error, or a signal). */
static int emit(void *arg, const char *json, size_t len) {
    struct emit_state *es = arg;

    if (!eqm_signals_running()) {
        es->interrupted = true;
        return -1;
    }
    if (eqm_output_send_bytes(es->out, json, len, es->key, &es->t, 0) != 0) {
        es->fatal = true;
        return -1;
    }
    return 0;
}

int eqm_replay_synth_recruitment(int argc, char **argv) {
    struct recruitment_cli c;
    struct emit_state es = {0};
    FILE *expected = NULL;
    bool failed = true;
    long n;
    int rc;

    memset(&c, 0, sizeof(c));
    eqm_output_defaults(&c.o, "recruitment.events");
    eqm_synth_recruitment_defaults(&c.g);
    rc = recruitment_options(&c, argc, argv);
    if (rc != 0)
        return rc > 0 ? 0 : 1;
    if (eqm_output_new(&es.out, &c.o, PROGRAM, "eqm-replay-synth", true) != 0)
        return 1;
    es.key = c.g.role;
    eqm_signals_install();
    if (c.expected) {
        expected = fopen(c.expected, "w");
        if (!expected) {
            fprintf(stderr, "%s: %s: %s\n", PROGRAM, c.expected, strerror(errno));
            goto out;
        }
    }
    n = eqm_synth_recruitment_run(&c.g, emit, &es, expected);
    if (n < 0 && !es.interrupted)
        fprintf(stderr, "%s: generation stopped (out of memory or cannot write)\n", PROGRAM);
    /* Every delivery report, or after a signal the rest purged. */
    if (eqm_output_finish(es.out) != 0 || n < 0)
        goto out;
    if (!eqm_signals_running()) {
        fprintf(stderr, "%s: interrupted\n", PROGRAM);
        goto out;
    }
    if (es.t.failed) {
        fprintf(stderr, "%s: %zu deliveries failed\n", PROGRAM, es.t.failed);
        goto out;
    }
    if (es.t.delivered != (size_t)n) {
        fprintf(stderr, "%s: %zu messages not delivered\n", PROGRAM, (size_t)n - es.t.delivered);
        goto out;
    }
    if (expected && fflush(expected) != 0) {
        fprintf(stderr, "%s: %s: %s\n", PROGRAM, c.expected, strerror(errno));
        goto out;
    }
    fprintf(stderr, "events=%ld %s\n", n, eqm_output_is_file(es.out) ? "written" : "delivered");
    failed = false;
out:
    if (expected && fclose(expected) != 0)
        failed = true;
    if (eqm_output_free(&es.out, failed) != 0)
        failed = true;
    return failed ? 1 : 0;
}
