/*
 * eqm-replay - replays files of real records into the event topics.
 *
 *   eqm-replay police-uk --area AREA [options] FILE.csv...
 *   eqm-replay synth custody|recruitment [options]
 *
 * Each subcommand reads one kind of file; the conversion of a record into
 * an event lives in the tools' library (tools/lib/src/policeuk.c), this
 * file only wires files, ids and the producer. Event ids are derived from
 * the content, so replaying a file twice is harmless: the consumers
 * de-duplicate on event_id. The synthetic generators' commands are
 * synth_custody_cmd.c and synth_recruitment_cmd.c; every subcommand reads
 * its options through options.c and produces through eqm/tools/output.h.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "eqm/tools/csv.h"
#include "eqm/tools/keymap.h"
#include "eqm/tools/policeuk.h"
#include "eqm/signals.h"
#include "eqm/tools/output.h"
#include "options.h"
#include "synth_custody_cmd.h"
#include "synth_recruitment_cmd.h"

#define PROGRAM  "eqm-replay"
#define AREA_MAX 64

/* ---- One replay: its files and the output ----------------------------- */

struct file_stats {
    struct eqm_output_tally t; /* t.name is the file's path */
    size_t rows, events, rejected;
};

struct replay {
    /* Options. */
    const char *area;
    bool print_config;
    struct eqm_output_opts o;
    /* State. */
    struct eqm_output *out;
    struct file_stats *files;
    size_t n_files;
    size_t n_started; /* files opened so far: the summary covers these */
    char *content;    /* the row's canonical content, reused */
    size_t content_cap;
    /* Occurrences of identical rows within the file being read, keyed by
     * the first occurrence's id (a hash of the area and the content). */
    struct eqm_keymap occ;
};

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
    bool is_stdin = !strcmp(fs->t.name, "-");
    FILE *fp = is_stdin ? stdin : fopen(fs->t.name, "rb");
    struct eqm_csv_reader *r = NULL;
    struct eqm_policeuk_columns cols;
    const char *const *f;
    char errstr[512];
    size_t n;
    int ret = -1, rc;

    if (!fp) {
        fprintf(stderr, "%s: %s: %s\n", PROGRAM, fs->t.name, strerror(errno));
        return -1;
    }
    if (eqm_csv_reader_new(&r, fp) != 0) {
        fprintf(stderr, "%s: out of memory\n", PROGRAM);
        goto out;
    }
    rc = eqm_csv_reader_next(r, &f, &n);
    if (rc <= 0) {
        fprintf(stderr, "%s:%lu: %s\n", fs->t.name, rc ? eqm_csv_reader_line(r) : 1UL,
                rc ? eqm_csv_reader_error(r) : "empty file: no header");
        goto out;
    }
    if (eqm_policeuk_header_check(f, n, &cols, errstr, sizeof(errstr)) != 0) {
        fprintf(stderr, "%s:%lu: %s\n", fs->t.name, eqm_csv_reader_line(r), errstr);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        bool known = false;
        for (int k = 0; k < EQM_PU__COUNT; k++)
            known = known || cols.index[k] == (long)i;
        if (!known)
            fprintf(stderr, "%s:%lu: warning: ignoring unknown column \"%s\"\n", fs->t.name,
                    eqm_csv_reader_line(r), f[i]);
    }
    eqm_keymap_reset(&rp->occ);

    while (eqm_signals_running() && (rc = eqm_csv_reader_next(r, &f, &n)) != 0) {
        unsigned long line = eqm_csv_reader_line(r);
        char first_id[EQM_POLICEUK_EVENT_ID_SIZE], id[EQM_POLICEUK_EVENT_ID_SIZE];
        uint64_t *occ;
        long clen;
        json_t *ev;

        fs->rows++;
        if (rc < 0) {
            fprintf(stderr, "%s:%lu: %s\n", fs->t.name, line, eqm_csv_reader_error(r));
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
        occ = eqm_keymap_get(&rp->occ, first_id, strlen(first_id), 0, NULL);
        if (!occ) {
            fprintf(stderr, "%s: out of memory\n", PROGRAM);
            goto out;
        }
        if (++*occ == 1)
            memcpy(id, first_id, sizeof(id));
        else
            eqm_policeuk_event_id(rp->area, rp->content, (size_t)clen, (unsigned)*occ, id);

        ev = eqm_policeuk_row_to_event(&cols, f, n, rp->area, id, errstr, sizeof(errstr));
        if (!ev) {
            fprintf(stderr, "%s:%lu: %s\n", fs->t.name, line, errstr);
            fs->rejected++;
            continue;
        }
        fs->events++;
        rc = eqm_output_send(rp->out, ev, rp->area, &fs->t, line);
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
           rp->o.topic, rp->o.brokers ? rp->o.brokers : "", rp->o.output ? rp->o.output : "");
    if (rp->o.prop_file)
        printf("properties file = %s\n", rp->o.prop_file);
    for (int i = 0; i < rp->o.n_props; i++)
        printf("kafka.%s\n", rp->o.props[i]);
    return 0;
}

enum { OPT_PRINT_CONFIG = 256 };

/* One police-uk option of its own (options.h). */
static int police_uk_option(void *arg, int opt, const char *value, const char *as_typed) {
    struct replay *rp = arg;

    switch (opt) {
    case 'a':
        rp->area = value;
        return 0;
    case OPT_PRINT_CONFIG:
        rp->print_config = true;
        return 0;
    default:
        return EQM_REPLAY_OPTION_UNKNOWN;
    }
}

/* Parses police-uk options into rp; returns -1 (reported), 0, or 1 to exit 0. */
static int police_uk_options(struct replay *rp, int argc, char **argv) {
    static const struct option longopts[] = {
        {"area", required_argument, NULL, 'a'},
        {"print-config", no_argument, NULL, OPT_PRINT_CONFIG},
        {NULL, 0, NULL, 0},
    };
    static const struct eqm_replay_cmdline cl = {
        PROGRAM " police-uk", PROGRAM, "a:", longopts, police_uk_usage, police_uk_option,
    };
    int rc = eqm_replay_options(&cl, argc, argv, &rp->o, rp);

    if (rc != 0)
        return rc;
    if (rp->print_config)
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
    struct replay rp = {0};
    bool fatal = false, rejected = false, failed = false;
    int rc;

    eqm_output_defaults(&rp.o, "stop-search.events");
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
        rp.files[i].t.name = argv[optind + (int)i];

    if (eqm_output_new(&rp.out, &rp.o, PROGRAM, PROGRAM, false) != 0) {
        fatal = true;
        goto out;
    }

    eqm_signals_install();
    for (; rp.n_started < rp.n_files && eqm_signals_running() && !fatal; rp.n_started++)
        fatal = replay_file(&rp, rp.n_started) != 0;

    if (eqm_output_finish(rp.out) != 0)
        fatal = true;
    if (!eqm_signals_running()) {
        fprintf(stderr, "%s: interrupted\n", PROGRAM);
        fatal = true;
    }

    for (size_t i = 0; i < rp.n_started; i++) {
        const struct file_stats *fs = &rp.files[i];
        /* Every event must have been delivered, not merely not failed. */
        bool short_ = fs->t.delivered != fs->events;

        fprintf(stderr, "rows=%zu events=%zu rejected=%zu %s=%zu", fs->rows, fs->events,
                fs->rejected, eqm_output_is_file(rp.out) ? "written" : "delivered",
                fs->t.delivered);
        if (fs->t.failed)
            fprintf(stderr, " failed=%zu", fs->t.failed);
        fprintf(stderr, " file=%s\n", fs->t.name);
        rejected = rejected || fs->rejected > 0;
        failed = failed || fs->t.failed > 0 || short_;
    }

out:
    if (eqm_output_free(&rp.out, fatal) != 0)
        fatal = true;
    eqm_keymap_free(&rp.occ);
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
    {"recruitment", eqm_replay_synth_recruitment},
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
