/*
 * eqm-bench - how fast the stop-search consumer counts, against what.
 *
 * Against the development broker and a throwaway PostgreSQL (tools/bench.sh
 * starts both), in one run:
 *
 *   parse+map   the service's own parse-and-map step (eqm_message_parse and
 *               the stop-search handler) over the same events, in memory;
 *   kcat        kcat alone draining the same events while they are produced;
 *   end-to-end  eqm-stop-search draining them while they are produced, from
 *               its first poll to its last COMMIT (its stats.file);
 *   naive       the same service with --naive (one transaction per event),
 *               on fewer events.
 *
 * The development broker keeps only about 5 MB per partition, so nothing
 * relies on a backlog: the producer runs while the consumer does and stays
 * at most a few MB per partition ahead of what the consumer has read (kcat)
 * or committed (PostgreSQL offsets). Every phase then checks that the final
 * counts equal what was produced; any difference makes the exit status 1.
 *
 * --sustain R[,R...] instead produces at a steady R events/s for --duration
 * seconds per rate and reports whether the consumer kept up.
 *
 * This file reads the options and sets up; bench.h says where the rest is.
 */
#include <getopt.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "eqm/migrate.h"
#include "eqm/pg.h"

static void usage(FILE *f) {
    fprintf(f,
            "Usage: eqm-bench [OPTIONS] [-- EQM-STOP-SEARCH-ARGS...]\n"
            "\n"
            "Benchmarks eqm-stop-search against the development broker and PostgreSQL\n"
            "(EQM_KAFKA_BROKERS, EQM_BROKER_CONTROL, EQM_PG_URL; tools/bench.sh sets them).\n"
            "It TRUNCATEs the count tables of that database: use a throwaway one.\n"
            "\n"
            "  -n, --events N        events per phase (default 1000000)\n"
            "      --naive-events N  events for the naive baseline (default 20000)\n"
            "      --areas N         areas, 1..33 (default 32)\n"
            "      --partitions N    partitions of each bench topic (default 32)\n"
            "      --shuffle         event times uniform over the year, not in arrival order\n"
            "      --seed S          generator seed (default 1)\n"
            "      --skip-kcat, --skip-naive, --skip-parse\n"
            "      --sustain R,R...  sustained mode: steady R events/s, per rate\n"
            "      --duration S      seconds per sustained rate (default 20)\n"
            "      --bin DIR         where eqm-stop-search and eqm-devbroker are (default: beside\n"
            "                        this program)\n"
            "      --work-dir DIR    logs and stats files (default /tmp)\n"
            "      --kcat PATH       kcat program (default kcat)\n"
            "\n"
            "Exit status 1 if any phase's final counts differ from what was produced.\n");
}

/* The options, each filling one field of struct bench_opts. */
#define IN_OPTS(field) offsetof(struct bench_opts, field)
static const struct {
    const char *name;
    enum { U64, INT, DBL, STR, FLAG } kind;
    size_t offset;
} options[] = {
    {"events", U64, IN_OPTS(events)}, /* also -n */
    {"naive-events", U64, IN_OPTS(naive_events)},
    {"areas", INT, IN_OPTS(areas)},
    {"partitions", INT, IN_OPTS(partitions)},
    {"shuffle", FLAG, IN_OPTS(shuffle)},
    {"seed", U64, IN_OPTS(seed)},
    {"skip-kcat", FLAG, IN_OPTS(skip_kcat)},
    {"skip-naive", FLAG, IN_OPTS(skip_naive)},
    {"skip-parse", FLAG, IN_OPTS(skip_parse)},
    {"sustain", STR, IN_OPTS(sustain)},
    {"duration", DBL, IN_OPTS(duration)},
    {"bin", STR, IN_OPTS(bin_dir)},
    {"work-dir", STR, IN_OPTS(work_dir)},
    {"kcat", STR, IN_OPTS(kcat)},
};
#define N_OPTIONS (sizeof(options) / sizeof(options[0]))
#define OPT_FIRST 256 /* getopt value of options[0]; the others follow */

/* Sets the field of option i from its argument (unchecked here: main
 * checks the ranges that matter). */
static void option_set(struct bench_opts *o, size_t i, const char *arg) {
    void *field = (char *)o + options[i].offset;

    switch (options[i].kind) {
    case U64:
        *(uint64_t *)field = strtoull(arg, NULL, 10);
        break;
    case INT:
        *(int *)field = atoi(arg);
        break;
    case DBL:
        *(double *)field = strtod(arg, NULL);
        break;
    case STR:
        *(const char **)field = arg;
        break;
    case FLAG:
        *(bool *)field = true;
        break;
    }
}

int main(int argc, char **argv) {
    static struct bench b;
    struct option longopts[N_OPTIONS + 2];
    char errstr[512], self[PATH_MAX];
    ssize_t sl;
    int rc, c;

    for (size_t i = 0; i < N_OPTIONS; i++)
        longopts[i] = (struct option){options[i].name,
                                      options[i].kind == FLAG ? no_argument : required_argument,
                                      NULL, OPT_FIRST + (int)i};
    longopts[N_OPTIONS] = (struct option){"help", no_argument, NULL, 'h'};
    longopts[N_OPTIONS + 1] = (struct option){NULL, 0, NULL, 0};
    b.o = (struct bench_opts){.events = 1000000,
                              .naive_events = 20000,
                              .areas = 32,
                              .partitions = 32,
                              .seed = 1,
                              .duration = 20,
                              .work_dir = "/tmp",
                              .kcat = "kcat",
                              .force_area = "force"};
    while ((c = getopt_long(argc, argv, "n:h", longopts, NULL)) != -1) {
        if (c == 'n') {
            option_set(&b.o, 0, optarg);
        } else if (c >= OPT_FIRST && c < OPT_FIRST + (int)N_OPTIONS) {
            option_set(&b.o, (size_t)(c - OPT_FIRST), optarg);
        } else if (c == 'h') {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }
    b.o.consumer_args = (const char **)argv + optind;
    b.o.n_consumer_args = argc - optind;
    if (b.o.events == 0 || b.o.areas < 1 || b.o.areas > BENCH_GEN_MAX_AREAS || b.o.partitions < 1 ||
        b.o.partitions > MAX_PARTITIONS || b.o.duration <= 0) {
        usage(stderr);
        return 2;
    }
    if (!b.o.bin_dir) {
        sl = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (sl <= 0) {
            fprintf(stderr, "eqm-bench: cannot find my own directory; use --bin\n");
            return 2;
        }
        self[sl] = '\0';
        *strrchr(self, '/') = '\0';
        b.o.bin_dir = self;
    }
    b.brokers = getenv("EQM_KAFKA_BROKERS");
    b.control = getenv("EQM_BROKER_CONTROL");
    if (!b.brokers || !b.control || !getenv("EQM_PG_URL")) {
        fprintf(stderr, "eqm-bench: set EQM_KAFKA_BROKERS, EQM_BROKER_CONTROL and EQM_PG_URL "
                        "(tools/bench.sh does)\n");
        return 2;
    }
    /* The first signal ends the run where it is (children reaped, exit
     * 130); a second one ends the process at once. */
    eqm_signals_install();
    setvbuf(stdout, NULL, _IOLBF, 0);
    snprintf(b.tag, sizeof(b.tag), "%x", (unsigned)(time(NULL) & 0xffffff));
    if (eqm_time_set_zone("Europe/London", errstr, sizeof(errstr)) != 0) {
        fprintf(stderr, "eqm-bench: %s\n", errstr);
        return 2;
    }
    b.conn = eqm_pg_connect(getenv("EQM_PG_URL"), "eqm-bench", errstr, sizeof(errstr));
    if (!b.conn) {
        fprintf(stderr, "eqm-bench: %s\n", errstr);
        return 2;
    }
    if (eqm_migrate_run(b.conn, errstr, sizeof(errstr)) < 0) {
        fprintf(stderr, "eqm-bench: %s\n", errstr);
        PQfinish(b.conn);
        return 2;
    }
    if (bench_producer_new(&b) != 0) {
        PQfinish(b.conn);
        return 2;
    }
    rc = b.o.sustain ? bench_run_sustain(&b) : bench_run_full(&b);
    if (bench_stopping())
        rc = 130;
    rd_kafka_flush(b.rk, 10000);
    rd_kafka_destroy(b.rk);
    PQfinish(b.conn);
    return rc;
}
