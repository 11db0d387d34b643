/*
 * synth_recruitment.h - synthetic recruitment.events with exact expected
 * counts, for `eqm-replay synth recruitment` (its command line is
 * tools/replay/synth_recruitment_cmd.c; README "Recruitment and
 * workforce").
 *
 * Outcomes are allocated by quota, not drawn: at each stage a group's
 * entrants withdraw round(n * withdraw_rate), pass round((n - withdrawn) *
 * pass_rate * multiplier(group, stage)) (at most all of them) and fail
 * otherwise; the seed decides which candidates, their sex, age band and
 * disability, and the event times. So a 0.7 multiplier gives an adverse
 * impact ratio of 0.7 up to rounding, whatever the seed, and the expected
 * counts file lists exactly what was sent.
 */
#ifndef EQM_SYNTH_RECRUITMENT_H
#define EQM_SYNTH_RECRUITMENT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define EQM_SYNTH_GROUPS 6 /* asian, black, mixed, white, other, not_stated */
#define EQM_SYNTH_STAGES 9

struct eqm_synth_recruitment {
    uint64_t seed;
    const char *role;                     /* "police_officer" */
    const char *campaign;                 /* "2025-intake" */
    const char *area;                     /* area of workforce events */
    int32_t end_day;                      /* every event is on or before this local day */
    double pass_rate;                     /* per stage, before multipliers */
    double withdraw_rate;                 /* per stage */
    int64_t candidates[EQM_SYNTH_GROUPS]; /* applicants per group */
    double multiplier[EQM_SYNTH_GROUPS][EQM_SYNTH_STAGES];
    int64_t headcount[EQM_SYNTH_GROUPS]; /* snapshot (ethnicity) */
    int64_t joiners[EQM_SYNTH_GROUPS];
    int64_t leavers[EQM_SYNTH_GROUPS]; /* explicit; -1 = by rate */
    double leaver_rate;                /* of the snapshot */
    double leaver_multiplier[EQM_SYNTH_GROUPS];
    double service_years[EQM_SYNTH_GROUPS]; /* of every leaver */
    int headcount_snapshot;                 /* send the snapshot */
};

/* Broad group name of index 0..5 (asian, black, mixed, white, other,
 * not_stated), or NULL; index of a name, or -1. */
const char *eqm_synth_group_name(int g);
int eqm_synth_group_index(const char *name) __attribute__((warn_unused_result));

/* The same for the contract's stages, 0..8 in funnel order (application
 * ... appointment). */
const char *eqm_synth_stage_name(int s);
int eqm_synth_stage_index(const char *name) __attribute__((warn_unused_result));

/* Defaults: seed 1, police_officer, campaign "synth", area "synth-area",
 * end day 2025-07-01, pass rate 0.8, withdraw rate 0.05, multipliers 1,
 * no candidates, no workforce, service 10 years. */
void eqm_synth_recruitment_defaults(struct eqm_synth_recruitment *o);

/*
 * Generates the events in time order, calling emit(arg, json, len) for
 * each (json is NUL-terminated; emit returns 0 or -1 to stop), and writes
 * the expected counts to expected (if not NULL), one tab-separated line
 * each:
 *   funnel ROLE CAMPAIGN STAGE DIMENSION GROUP entered passed failed withdrawn
 *     (CAMPAIGN also "*")
 *   workforce ROLE AREA DIMENSION GROUP snapshot joiners leavers
 *     service_days service_known
 * Returns the number of events, or -1 (emit failed or out of memory).
 */
long eqm_synth_recruitment_run(const struct eqm_synth_recruitment *o,
                               int (*emit)(void *arg, const char *json, size_t len), void *arg,
                               FILE *expected) __attribute__((warn_unused_result));

#endif /* EQM_SYNTH_RECRUITMENT_H */
