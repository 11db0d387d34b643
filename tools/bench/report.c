/*
 * report.c - eqm-bench's two runs: every phase and its tables (the rates,
 * the ratios to the ceiling and to the naive baseline, PostgreSQL per
 * 1,000 events), or --sustain's steady rates (see bench.h and main.c).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

static void fmt_rate(char *out, size_t size, double v) {
    if (v < 0)
        snprintf(out, size, "-");
    else
        snprintf(out, size, "%.0f", v);
}

static void print_row(const struct bench_result *r) {
    char rate[32], p50[24] = "-", p99[24] = "-", rss[32] = "-";
    fmt_rate(rate, sizeof(rate), r->rate);
    if (r->p50_ms >= 0)
        snprintf(p50, sizeof(p50), "%ld", r->p50_ms);
    if (r->p99_ms >= 0)
        snprintf(p99, sizeof(p99), "%ld", r->p99_ms);
    if (r->rss_kb > 0)
        snprintf(rss, sizeof(rss), "%.1f", (double)r->rss_kb / 1024);
    printf("| %-30s | %9" PRIu64 " | %9s | %6s | %6s | %7s | %-6s |\n", r->name, r->n, rate, p50,
           p99, rss, r->counts_ok ? "exact" : "DIFFER");
}

static void print_pg(const struct bench_result *r) {
    double k = (double)r->n / 1000.0;
    if (r->n == 0)
        return;
    printf("| %-30s | %10.0f | %12.0f | %12.0f | %9.0f | %9.1f | %9.0f | %9.1f |\n", r->name,
           r->rows_written / k, r->wal_bytes / k, r->rel_bytes / k, r->daily_rows,
           r->daily_bytes / 1048576.0, r->seen_rows, r->seen_bytes / 1048576.0);
}

/* A backlog the broker keeps whole: half the producer's window per
 * partition on average (the busiest borough's partition gets 1.7 times the
 * average). */
static uint64_t kcat_backlog_max(const struct bench *b) {
    return (uint64_t)b->o.partitions * (WINDOW_BYTES / BENCH_GEN_MAX_BYTES * 2) / 2;
}

int bench_run_full(struct bench *b) {
    struct bench_result parse = {0}, kcat = {0}, kcatb = {0}, e2e = {0}, naive = {0};
    double load_start = bench_load1(), ceiling;

    parse.name = "parse+map in memory (ceiling)";
    parse.n = b->o.events;
    parse.p50_ms = parse.p99_ms = parse.rss_kb = -1;
    parse.counts_ok = true;
    if (!b->o.skip_parse) {
        bench_say("parse+map: %" PRIu64 " events in memory", b->o.events);
        parse.rate = bench_phase_parse(b, b->o.events);
        bench_say("parse+map: %.0f events/s", parse.rate);
    } else {
        parse.rate = -1;
    }
    if (!b->o.skip_kcat && !bench_stopping()) {
        bench_say("kcat: draining %" PRIu64 " events as they are produced", b->o.events);
        if (bench_phase_kcat(b, b->o.events, &kcat) != 0)
            b->failures++;
        /* As much as the partitions hold without dropping anything. */
        if (!bench_stopping() &&
            bench_phase_kcat_backlog(
                b, kcat_backlog_max(b) < b->o.events ? kcat_backlog_max(b) : b->o.events, &kcatb) !=
                0)
            b->failures++;
    }
    if (!bench_stopping() && bench_phase_consumer(b, "eqm-stop-search end to end", "e2e",
                                                  b->o.events, false, 0, &e2e) != 0)
        b->failures++;
    if (!b->o.skip_naive && !bench_stopping() &&
        bench_phase_consumer(b, "naive: 1 transaction per event", "naive", b->o.naive_events, true,
                             0, &naive) != 0)
        b->failures++;

    ceiling = -1;
    if (parse.rate > 0)
        ceiling = parse.rate;
    if (kcatb.rate > 0 && (ceiling < 0 || kcatb.rate < ceiling))
        ceiling = kcatb.rate;

    printf("\neqm-bench: %" PRIu64 " events (naive: %" PRIu64 "), %d areas, %d partitions, %s; "
           "load average %.2f at start, %.2f at end; %ld CPUs\n\n",
           b->o.events, b->o.naive_events, b->o.areas, b->o.partitions,
           b->o.shuffle ? "event times shuffled over the year" : "event times in arrival order",
           load_start, bench_load1(), sysconf(_SC_NPROCESSORS_ONLN));
    printf("| %-30s | %9s | %9s | %6s | %6s | %7s | %-6s |\n", "what", "events", "events/s",
           "p50 ms", "p99 ms", "RSS MB", "counts");
    printf("|%s|%s|%s|%s|%s|%s|%s|\n", "--------------------------------", "-----------",
           "-----------", "--------", "--------", "---------", "--------");
    if (!b->o.skip_parse)
        print_row(&parse);
    if (!b->o.skip_kcat) {
        print_row(&kcat);
        print_row(&kcatb);
    }
    print_row(&e2e);
    if (!b->o.skip_naive)
        print_row(&naive);
    printf("\n");
    {
        /* End to end over each reference rate, where both were measured. */
        const struct {
            const char *what;
            double rate;
            int decimals;
        } ratios[] = {
            {"ceiling (lower of parse+map and kcat backlog):", ceiling, 2},
            {"kcat draining while produced:           ", kcat.rate, 2},
            {"kcat draining a backlog:                ", kcatb.rate, 2},
            {"parse+map:                              ", parse.rate, 2},
            {"naive:                                  ", naive.rate, 1},
        };
        for (size_t i = 0; i < sizeof(ratios) / sizeof(ratios[0]); i++)
            if (ratios[i].rate > 0 && e2e.rate > 0)
                printf("end to end / %s %.*f\n", ratios[i].what, ratios[i].decimals,
                       e2e.rate / ratios[i].rate);
    }
    printf("\nPostgreSQL, per 1,000 events (all tables of schema equality), and what is stored "
           "at the end:\n\n");
    printf("| %-30s | %10s | %12s | %12s | %9s | %9s | %9s | %9s |\n", "what", "rows writ.",
           "WAL bytes", "table bytes", "daily rows", "daily MB", "event ids", "ids MB");
    printf("|%s|%s|%s|%s|%s|%s|%s|%s|\n", "--------------------------------", "------------",
           "--------------", "--------------", "-----------", "-----------", "-----------",
           "-----------");
    print_pg(&e2e);
    if (!b->o.skip_naive)
        print_pg(&naive);
    printf("\nlatency = COMMIT time minus the Kafka message timestamp (CreateTime); with the "
           "producer flow-controlled to the broker's retention, it measures the queue, not the "
           "service: see --sustain.\n");
    return b->failures ? 1 : 0;
}

int bench_run_sustain(struct bench *b) {
    struct bench_result rs[32];
    int n = 0;
    double best = 0;
    char *list = strdup(b->o.sustain), *save = NULL;

    for (char *tok = strtok_r(list, ",", &save); tok && n < 32 && !bench_stopping();
         tok = strtok_r(NULL, ",", &save)) {
        double rate = strtod(tok, NULL);
        char name[64], phase[32];
        uint64_t events = (uint64_t)(rate * b->o.duration);
        struct bench_result *r = &rs[n];
        if (rate <= 0)
            continue;
        snprintf(name, sizeof(name), "steady %.0f/s", rate);
        snprintf(phase, sizeof(phase), "r%.0f", rate);
        bench_say("sustained: %.0f events/s for %.0f s", rate, b->o.duration);
        if (bench_phase_consumer(b, strdup(name), phase, events, false, rate, r) != 0) {
            b->failures++;
            continue;
        }
        /* Kept up: the rate was held, the lag stayed bounded, the last
         * event was committed soon after the producer's end, counts exact. */
        r->kept_up = r->counts_ok && r->produced_rate >= 0.98 * rate && r->max_lag_s <= 2.0 &&
                     r->end_delay_ms <= 2000;
        if (r->kept_up && rate > best)
            best = rate;
        n++;
    }
    free(list);
    printf("\neqm-bench --sustain: %.0f s per rate, %d areas, %d partitions; load average %.2f; "
           "%ld CPUs\n\n",
           b->o.duration, b->o.areas, b->o.partitions, bench_load1(),
           sysconf(_SC_NPROCESSORS_ONLN));
    printf("| %-18s | %9s | %10s | %9s | %12s | %6s | %6s | %7s | %-6s | %-8s |\n", "target",
           "events", "produced/s", "max lag s", "end delay ms", "p50 ms", "p99 ms", "RSS MB",
           "counts", "kept up");
    printf("|--------------------|-----------|------------|-----------|--------------|--------|"
           "--------|---------|--------|----------|\n");
    for (int i = 0; i < n; i++)
        printf("| %-18s | %9" PRIu64 " | %10.0f | %9.2f | %12.0f | %6ld | %6ld | %7.1f | %-6s | "
               "%-8s |\n",
               rs[i].name, rs[i].n, rs[i].produced_rate, rs[i].max_lag_s, rs[i].end_delay_ms,
               rs[i].p50_ms, rs[i].p99_ms, (double)rs[i].rss_kb / 1024,
               rs[i].counts_ok ? "exact" : "DIFFER", rs[i].kept_up ? "yes" : "NO");
    printf("\nhighest rate sustained: %.0f events/s\n", best);
    return b->failures ? 1 : 0;
}
