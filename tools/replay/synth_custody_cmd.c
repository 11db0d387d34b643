/*
 * synth_custody_cmd.c - `eqm-replay synth custody ...`.
 *
 * Wires the custody generator (tools/lib/src/synth_custody.c) to an
 * idempotent Kafka producer or a JSON-lines file, and writes the expected
 * counts once every event is out. The output options and the producer are
 * those of `eqm-replay police-uk` (eqm/tools/output.h).
 */
#include "synth_custody_cmd.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "eqm/tools/csv.h"
#include "eqm/ethnicity.h"
#include "eqm/tools/synth_custody.h"
#include "eqm/timeutil.h"
#include "eqm/signals.h"
#include "eqm/tools/output.h"
#include "options.h"

#define PROGRAM "eqm-replay synth"

struct synth_cli {
    struct eqm_output_opts o;
    const char *expected, *census, *area_list;
    char *areas_buf;
    const char *areas[EQM_SYNTH_CUSTODY_MAX_AREAS];
    size_t n_areas;
    bool print; /* --print-config */
    struct eqm_synth_custody_opts opts;
};

/* Population weights of the areas that are district codes in the Census
 * tidy CSV; the others keep England and Wales shares (with a warning). */
static int load_census(struct synth_cli *c) {
    FILE *fp = fopen(c->census, "rb");
    struct eqm_csv_reader *r = NULL;
    const char *const *f;
    size_t n;
    int rc, ret = -1;
    bool found[EQM_SYNTH_CUSTODY_MAX_AREAS] = {false};

    if (!fp) {
        fprintf(stderr, "%s: %s: %s\n", PROGRAM, c->census, strerror(errno));
        return -1;
    }
    if (eqm_csv_reader_new(&r, fp) != 0) {
        fprintf(stderr, "%s: out of memory\n", PROGRAM);
        goto out;
    }
    rc = eqm_csv_reader_next(r, &f, &n);
    if (rc <= 0 || n != 4 || strcmp(f[0], "area_code") || strcmp(f[2], "census_category") ||
        strcmp(f[3], "population")) {
        fprintf(stderr,
                "%s:1: expected the header area_code,area_name,census_category,population\n",
                c->census);
        goto out;
    }
    while ((rc = eqm_csv_reader_next(r, &f, &n)) != 0) {
        bool known;
        enum eqm_ethnic_group g;
        char *end;
        double pop;

        if (rc < 0 || n != 4) {
            fprintf(stderr, "%s:%lu: %s\n", c->census, eqm_csv_reader_line(r),
                    rc < 0 ? eqm_csv_reader_error(r) : "expected 4 fields");
            goto out;
        }
        for (size_t a = 0; a < c->n_areas; a++) {
            if (strcmp(f[0], c->areas[a]) != 0)
                continue;
            g = eqm_ethnicity_map(f[2], strlen(f[2]), &known);
            pop = strtod(f[3], &end);
            if (!known || g == EQM_ETH_NOT_STATED || *end || pop < 0) {
                fprintf(stderr, "%s:%lu: unusable row (category \"%s\", population \"%s\")\n",
                        c->census, eqm_csv_reader_line(r), f[2], f[3]);
                goto out;
            }
            c->opts.population[a][g] += pop;
            found[a] = true;
        }
    }
    for (size_t a = 0; a < c->n_areas; a++)
        if (!found[a])
            fprintf(stderr,
                    "%s: warning: %s is not a district of %s; its people are weighted by "
                    "England and Wales shares\n",
                    PROGRAM, c->areas[a], c->census);
    ret = 0;
out:
    eqm_csv_reader_free(&r);
    fclose(fp);
    return ret;
}

static int split_areas(struct synth_cli *c) {
    char *save = NULL, *tok;

    c->areas_buf = strdup(c->area_list);
    if (!c->areas_buf)
        return -1;
    for (tok = strtok_r(c->areas_buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        for (size_t a = 0; a < c->n_areas; a++)
            if (!strcmp(c->areas[a], tok)) {
                fprintf(stderr, "%s: --area %s given twice\n", PROGRAM, tok);
                return -1;
            }
        if (c->n_areas == EQM_SYNTH_CUSTODY_MAX_AREAS || !*tok || strlen(tok) > 64) {
            fprintf(stderr, "%s: --area: 1 to %d areas of 1 to 64 bytes each\n", PROGRAM,
                    EQM_SYNTH_CUSTODY_MAX_AREAS);
            return -1;
        }
        c->areas[c->n_areas++] = tok;
    }
    if (!c->n_areas) {
        fprintf(stderr, "%s: --area needs at least one area\n", PROGRAM);
        return -1;
    }
    c->opts.areas = c->areas;
    c->opts.n_areas = c->n_areas;
    return 0;
}

static void custody_usage(FILE *out) {
    fprintf(out,
            "Usage: eqm-replay synth custody --seed N --events N --area A[,B...] [options]\n"
            "\n"
            "Makes realistic custody events (arrest, detention, strip_search, use_of_force,\n"
            "disposal) with known disparities and produces them to custody.events, keyed by\n"
            "area, with an idempotent producer; or writes JSON lines. The same options give\n"
            "the same events (event ids derive from the seed), so a second run is\n"
            "de-duplicated downstream.\n"
            "\n"
            "Options:\n"
            "  -s, --seed N             random seed (default 1)\n"
            "  -n, --events N           distinct events to make (default 1000)\n"
            "  -a, --area LIST          areas, comma-separated (e.g. ONS district codes)\n"
            "  -m, --multiplier SPEC    per-group multipliers, repeatable: [KIND:]GROUP=X,...\n"
            "                           KIND arrest, use_of_force, strip_search, diversion,\n"
            "                           taser; GROUP asian, black, mixed, white, other.\n"
            "                           GROUP=X alone sets arrest, use_of_force and\n"
            "                           strip_search to X and diversion to 1/X\n"
            "      --census FILE        Census 2021 tidy CSV: who is arrested follows each\n"
            "                           area's population (areas that are district codes);\n"
            "                           otherwise England and Wales shares\n"
            "      --end YYYY-MM-DD     last day of the events (default 2025-06-30)\n"
            "      --days N             days the events cover, ending --end (default 365)\n"
            "      --duplicates SHARE   share of events sent twice, 0 to 1 (default 0)\n"
            "  -e, --expected FILE      write the exact counts the events should give, as\n"
            "                           TSV: day area dimension grp counter n (per area;\n"
            "                           the whole force is their sum)\n"
            "  -o, --output FILE        write JSON lines to FILE (- = stdout), not Kafka\n"
            "  -t, --topic TOPIC        topic (default custody.events)\n"
            "  -b, --brokers LIST       bootstrap brokers (env EQM_KAFKA_BROKERS)\n"
            "  -X PROPERTY=VALUE        librdkafka property (repeatable; no secrets)\n"
            "  -F FILE                  librdkafka properties file, PROPERTY=VALUE lines\n"
            "      --print-config       print the settings and exit\n"
            "  -h, --help               this help\n"
            "\n"
            "Days are local days in Europe/London (events carry its UTC offset).\n"
            "Exit status: 0 every event delivered (or written); 1 otherwise.\n");
}

enum { OPT_CENSUS = 256, OPT_END, OPT_DAYS, OPT_DUPS, OPT_PRINT };

/* One custody option of its own (options.h). */
static int custody_option(void *arg, int opt, const char *v, const char *as_typed) {
    struct synth_cli *c = arg;
    char errstr[256], *end;

    switch (opt) {
    case 's':
        errno = 0;
        c->opts.seed = strtoull(v, &end, 10);
        if (errno || *end || !*v || *v == '-') {
            fprintf(stderr, "%s: --seed %s: expected a whole number\n", PROGRAM, v);
            return -1;
        }
        return 0;
    case 'n':
        errno = 0;
        c->opts.events = strtol(v, &end, 10);
        if (errno || *end || c->opts.events < 1 || c->opts.events > 100000000) {
            fprintf(stderr, "%s: --events %s: expected 1 to 100000000\n", PROGRAM, v);
            return -1;
        }
        return 0;
    case 'a':
        c->area_list = v;
        return 0;
    case 'm':
        if (eqm_synth_custody_multipliers_parse(v, c->opts.multiplier, errstr, sizeof(errstr)) !=
            0) {
            fprintf(stderr, "%s: --multiplier: %s\n", PROGRAM, errstr);
            return -1;
        }
        return 0;
    case OPT_CENSUS:
        c->census = v;
        return 0;
    case OPT_END: {
        int64_t us;
        char when[40];
        snprintf(when, sizeof(when), "%.10sT12:00:00Z", v);
        if (strlen(v) != 10 || eqm_time_parse_rfc3339(when, strlen(when), &us) != 0) {
            fprintf(stderr, "%s: --end %s: expected a date YYYY-MM-DD\n", PROGRAM, v);
            return -1;
        }
        c->opts.end_day = (int32_t)(us / 86400000000LL);
        return 0;
    }
    case OPT_DAYS:
        c->opts.days = (int)strtol(v, &end, 10);
        if (*end || c->opts.days < 1 || c->opts.days > 3660) {
            fprintf(stderr, "%s: --days %s: expected 1 to 3660\n", PROGRAM, v);
            return -1;
        }
        return 0;
    case OPT_DUPS:
        c->opts.duplicate_share = strtod(v, &end);
        if (*end || !*v || !(c->opts.duplicate_share >= 0) || c->opts.duplicate_share > 1) {
            fprintf(stderr, "%s: --duplicates %s: expected a share from 0 to 1\n", PROGRAM, v);
            return -1;
        }
        return 0;
    case 'e':
        c->expected = v;
        return 0;
    case OPT_PRINT:
        c->print = true;
        return 0;
    default:
        return EQM_REPLAY_OPTION_UNKNOWN;
    }
}

/* Returns -1 (reported), 0, or 1 to exit 0. */
static int custody_options(struct synth_cli *c, int argc, char **argv) {
    static const struct option longopts[] = {
        {"seed", required_argument, NULL, 's'},
        {"events", required_argument, NULL, 'n'},
        {"area", required_argument, NULL, 'a'},
        {"multiplier", required_argument, NULL, 'm'},
        {"census", required_argument, NULL, OPT_CENSUS},
        {"end", required_argument, NULL, OPT_END},
        {"days", required_argument, NULL, OPT_DAYS},
        {"duplicates", required_argument, NULL, OPT_DUPS},
        {"expected", required_argument, NULL, 'e'},
        {"print-config", no_argument, NULL, OPT_PRINT},
        {NULL, 0, NULL, 0},
    };
    static const struct eqm_replay_cmdline cl = {
        PROGRAM " custody", PROGRAM, "s:n:a:m:e:", longopts, custody_usage, custody_option,
    };
    int rc = eqm_replay_options(&cl, argc, argv, &c->o, c);

    if (rc != 0)
        return rc;
    if (optind < argc) {
        fprintf(stderr, "%s custody: unexpected argument \"%s\" (see --help)\n", PROGRAM,
                argv[optind]);
        return -1;
    }
    if (c->print) {
        static const char *const kinds[EQM_SYNTH_CUSTODY__KINDS] = {
            "arrest", "use_of_force", "strip_search", "diversion", "taser"};
        static const char *const groups[] = {"asian", "black", "mixed", "white", "other"};
        static const enum eqm_ethnic_group gi[] = {EQM_ETH_ASIAN, EQM_ETH_BLACK, EQM_ETH_MIXED,
                                                   EQM_ETH_WHITE, EQM_ETH_OTHER};
        char end_day[11];
        eqm_time_day_format(c->opts.end_day, end_day);
        printf("seed = %llu\nevents = %ld\narea = %s\ncensus = %s\nend = %s\ndays = %d\n"
               "duplicates = %g\ntopic = %s\nbrokers = %s\noutput = %s\nexpected = %s\n",
               (unsigned long long)c->opts.seed, c->opts.events, c->area_list ? c->area_list : "",
               c->census ? c->census : "", end_day, c->opts.days, c->opts.duplicate_share,
               c->o.topic, c->o.brokers ? c->o.brokers : "", c->o.output ? c->o.output : "",
               c->expected ? c->expected : "");
        for (int k = 0; k < EQM_SYNTH_CUSTODY__KINDS; k++)
            for (int g = 0; g < 5; g++)
                printf("multiplier.%s.%s = %g\n", kinds[k], groups[g],
                       c->opts.multiplier[k][gi[g]]);
        for (int i = 0; i < c->o.n_props; i++)
            printf("kafka.%s\n", c->o.props[i]);
        return 1;
    }
    if (!c->area_list) {
        fprintf(stderr, "%s custody: --area A[,B...] is required (see --help)\n", PROGRAM);
        return -1;
    }
    if (c->o.output && c->expected && !strcmp(c->o.output, "-") && !strcmp(c->expected, "-")) {
        fprintf(stderr, "%s custody: --output and --expected cannot both be -\n", PROGRAM);
        return -1;
    }
    return 0;
}

static int write_expected(struct synth_cli *c, const struct eqm_synth_custody *g) {
    bool is_stdout = !strcmp(c->expected, "-");
    FILE *fp = is_stdout ? stdout : fopen(c->expected, "w");
    int rc;

    if (!fp) {
        fprintf(stderr, "%s: %s: %s\n", PROGRAM, c->expected, strerror(errno));
        return -1;
    }
    rc = eqm_synth_custody_write_counts(g, fp);
    if ((is_stdout ? fflush(fp) : fclose(fp)) != 0)
        rc = -1;
    if (rc != 0)
        fprintf(stderr, "%s: %s: cannot write the expected counts\n", PROGRAM, c->expected);
    return rc;
}

int eqm_replay_synth_custody(int argc, char **argv) {
    struct synth_cli c;
    struct eqm_synth_custody *g = NULL;
    struct eqm_output *out = NULL;
    struct eqm_output_tally t = {NULL, 0, 0};
    char errstr[512];
    size_t sent = 0;
    bool fatal = false;
    const json_t *ev;
    const char *area;
    int rc;

    memset(&c, 0, sizeof(c));
    eqm_output_defaults(&c.o, "custody.events");
    eqm_synth_custody_defaults(&c.opts);
    rc = custody_options(&c, argc, argv);
    if (rc != 0)
        return rc > 0 ? 0 : 1;
    if (split_areas(&c) != 0 || (c.census && load_census(&c) != 0)) {
        free(c.areas_buf);
        return 1;
    }
    if (eqm_synth_custody_new(&g, &c.opts, errstr, sizeof(errstr)) != 0) {
        fprintf(stderr, "%s: %s\n", PROGRAM, errstr);
        free(c.areas_buf);
        return 1;
    }
    if (eqm_output_new(&out, &c.o, PROGRAM, "eqm-replay-synth", true) != 0) {
        fatal = true;
        goto out;
    }

    eqm_signals_install();
    while (eqm_signals_running() && (rc = eqm_synth_custody_next(g, &ev, &area)) == 1) {
        if (eqm_output_send(out, ev, area, &t, 0) != 0) {
            fatal = true;
            break;
        }
        sent++;
    }
    if (rc < 0 || (rc == 1 && eqm_signals_running() && !fatal)) {
        fprintf(stderr, "%s: out of memory\n", PROGRAM);
        fatal = true;
    }
    if (eqm_output_finish(out) != 0)
        fatal = true;
    if (!eqm_signals_running()) {
        fprintf(stderr, "%s: interrupted\n", PROGRAM);
        fatal = true;
    }
    if (c.expected && write_expected(&c, g) != 0)
        fatal = true;
    {
        int32_t first, last;
        char d1[11], d2[11];
        eqm_synth_custody_days(g, &first, &last);
        eqm_time_day_format(first, d1);
        eqm_time_day_format(last, d2);
        fprintf(stderr, "events=%ld duplicates=%ld %s=%zu", eqm_synth_custody_events(g),
                eqm_synth_custody_duplicates(g), eqm_output_is_file(out) ? "written" : "delivered",
                t.delivered);
        if (t.failed)
            fprintf(stderr, " failed=%zu", t.failed);
        fprintf(stderr, " days=%s..%s\n", d1, d2);
    }
    if (t.delivered != sent)
        fatal = true;

out:
    if (eqm_output_free(&out, fatal) != 0)
        fatal = true;
    eqm_synth_custody_free(&g);
    free(c.areas_buf);
    return fatal ? 1 : 0;
}
