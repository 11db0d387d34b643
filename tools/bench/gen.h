/*
 * gen.h - synthetic stop-search events for the benchmark.
 *
 * Police.uk-shaped records (CONTRACT.md, schemas/events/stop-search.schema.json)
 * with realistic proportions: every self-defined ethnicity label, officer-
 * defined ethnicity, gender and age band, including blanks and nulls; the
 * usual legislation, objects and outcomes. Event i is a pure function of
 * (seed, i): the in-memory parse step regenerates exactly what was produced.
 *
 * Event times cover the year before end_us in arrival order, as a live
 * stream does: event i is dated about i/n of the way through the year,
 * give or take two hours, and 2% arrive up to two days late. With
 * shuffle, event times are uniform over the year instead (the worst case
 * for batching: every event its own day).
 */
#ifndef EQM_BENCH_GEN_H
#define EQM_BENCH_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BENCH_GEN_MAX_BYTES 1024 /* longest event the generator writes */
#define BENCH_GEN_MAX_AREAS 33   /* the London boroughs' district codes */

struct bench_gen {
    uint64_t seed;
    uint64_t n;
    int n_areas;
    bool shuffle;
    int64_t start_us, span_us;
    char tag[24]; /* in every event id: runs never collide */
};

/* n_areas is clamped to 1..BENCH_GEN_MAX_AREAS. */
void bench_gen_init(struct bench_gen *g, uint64_t seed, uint64_t n, int n_areas, int64_t end_us,
                    bool shuffle, const char *tag);

/*
 * Writes event i as one JSON object (no newline) into buf, which must hold
 * BENCH_GEN_MAX_BYTES; returns its length. *area gets the area's index
 * (0..n_areas-1), which the producer uses as the message key and to pick
 * the partition.
 */
size_t bench_gen_event(const struct bench_gen *g, uint64_t i, char *buf, int *area);

/* The district code of area index a ("E09000001" ...). */
const char *bench_gen_area(int a);

#endif
