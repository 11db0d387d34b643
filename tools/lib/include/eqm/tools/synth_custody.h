/*
 * synth_custody.h - synthetic custody events with known disparities, for the demo and the
 * tests (eqm-replay synth ...).
 *
 * The custody generator simulates cases: a person is arrested (who, and in
 * which area, is weighted by the Census population of each broad ethnic
 * group in each area, times that group's arrest multiplier), may be
 * detained, strip searched, subjected to force (with tactics and a
 * setting) and given a disposal. Each step's probability is a base rate
 * times the group's multiplier for that step (README, "Synthetic custody
 * events"). The events carry the messiness real producers send: Census and
 * broad-group ethnicity labels, "sex" instead of "gender", ages instead of
 * bands, tactic aliases and unknown tactics, blank or absent
 * characteristics; every event is valid against
 * schemas/events/custody.schema.json.
 *
 * Deterministic: the same options give the same events, byte for byte, on
 * any machine (a seeded splitmix64 per case, IEEE doubles). Cases are
 * spread evenly over the days, so the stream runs roughly in time order.
 *
 * The generator also keeps the exact counts it produced, by the groups it
 * chose (not by re-reading its labels), per local day, area, dimension,
 * group and counter -- what equality.custody_daily must hold once every
 * event has been counted once.
 */
#ifndef EQM_SYNTH_CUSTODY_H
#define EQM_SYNTH_CUSTODY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "eqm/ethnicity.h"

#define EQM_SYNTH_CUSTODY_MAX_AREAS 64

/* What a per-group multiplier applies to. */
enum eqm_synth_custody_kind {
    EQM_SYNTH_CUSTODY_ARREST = 0,   /* the chance of being arrested (population rate) */
    EQM_SYNTH_CUSTODY_USE_OF_FORCE, /* the chance of force, given an arrest */
    EQM_SYNTH_CUSTODY_STRIP_SEARCH, /* the chance of a strip search, given a detention */
    EQM_SYNTH_CUSTODY_DIVERSION,    /* the chance of an out-of-court disposal */
    EQM_SYNTH_CUSTODY_TASER,        /* the chance of each Taser tactic, given force */
    EQM_SYNTH_CUSTODY__KINDS
};

struct eqm_synth_custody_opts {
    uint64_t seed;
    long events;              /* distinct events to make, >= 1 */
    const char *const *areas; /* 1..EQM_SYNTH_CUSTODY_MAX_AREAS names, each 1-64 bytes */
    size_t n_areas;
    /*
     * Population of each area by broad group (indexed by enum
     * eqm_ethnic_group; not_stated ignored). An area whose row is all zero
     * gets England and Wales 2021 shares of 100,000 people.
     */
    double population[EQM_SYNTH_CUSTODY_MAX_AREAS][EQM_ETH__COUNT];
    /* Per kind and group, > 0; 1 means no disparity. */
    double multiplier[EQM_SYNTH_CUSTODY__KINDS][EQM_ETH__COUNT];
    int32_t end_day;        /* the last local day (days since 1970-01-01) */
    int days;               /* events fall on end_day - days + 1 .. end_day, 1..3660 */
    double duplicate_share; /* 0..1: share of events sent a second time */
};

/* Fills *o with the defaults: seed 1, 1000 events, no areas, no
 * population, every multiplier 1, 365 days ending 2025-06-30, no
 * duplicates. */
void eqm_synth_custody_defaults(struct eqm_synth_custody_opts *o);

/*
 * Applies a multiplier spec to mult: comma-separated items KIND:GROUP=X
 * or GROUP=X, where KIND is arrest, use_of_force, strip_search, diversion
 * or taser, GROUP one of asian, black, mixed, white, other, and X a
 * number in (0, 100]. GROUP=X sets arrest, use_of_force and strip_search
 * to X and diversion to 1/X (a group over-policed at each step and diverted
 * less). Items apply in order, so later ones win. Returns 0, or -1 with
 * errstr naming the bad item (mult then partly updated).
 */
int eqm_synth_custody_multipliers_parse(const char *spec,
                                        double mult[EQM_SYNTH_CUSTODY__KINDS][EQM_ETH__COUNT],
                                        char *errstr, size_t errstr_size)
    __attribute__((warn_unused_result));

struct eqm_synth_custody;

/*
 * Creates a generator for a copy of *o (areas must outlive the generator).
 * Returns 0 and *out, or -1 with errstr (bad options, out of memory) and
 * *out untouched.
 */
int eqm_synth_custody_new(struct eqm_synth_custody **out, const struct eqm_synth_custody_opts *o,
                          char *errstr, size_t errstr_size) __attribute__((warn_unused_result));

/*
 * The next event. Returns 1 with *event (owned by the generator, valid
 * until the next call) and *area (its area, the Kafka key); 0 when every
 * event (and duplicate) has been made; -1 out of memory. A duplicate is
 * the same object as an event already returned (same event_id and bytes),
 * as a retrying producer would send it.
 */
int eqm_synth_custody_next(struct eqm_synth_custody *g, const json_t **event, const char **area)
    __attribute__((warn_unused_result));

/* Events made so far: distinct ones, and extra copies. */
long eqm_synth_custody_events(const struct eqm_synth_custody *g);
long eqm_synth_custody_duplicates(const struct eqm_synth_custody *g);
/* First and last local day the events fall on (days since 1970-01-01). */
void eqm_synth_custody_days(const struct eqm_synth_custody *g, int32_t *first, int32_t *last);

/* One expected count: n events of counter on day, in area (not the force:
 * a reader sums the areas), for group grp of dimension. */
struct eqm_synth_custody_count {
    int32_t day;
    const char *area;
    const char *dimension; /* ethnicity, gender, age_range, self_defined_ethnicity */
    const char *grp;
    const char *counter; /* a column of equality.custody_daily */
    int64_t n;
};

/*
 * The expected counts of the distinct events made so far, non-zero ones
 * only, sorted by day, area, dimension, group and counter. Returns the
 * number of rows and sets *rows to an array the caller frees with free()
 * (the strings in it are the generator's); -1 out of memory.
 */
long eqm_synth_custody_counts(const struct eqm_synth_custody *g,
                              struct eqm_synth_custody_count **rows)
    __attribute__((warn_unused_result));

/*
 * Writes the expected counts as tab-separated lines with a header:
 *   day	area	dimension	grp	counter	n
 * (day as YYYY-MM-DD). Returns 0, or -1 on a write error or out of memory.
 */
int eqm_synth_custody_write_counts(const struct eqm_synth_custody *g, FILE *fp)
    __attribute__((warn_unused_result));

void eqm_synth_custody_free(struct eqm_synth_custody **g);

#endif /* EQM_SYNTH_CUSTODY_H */
