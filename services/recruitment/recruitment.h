/*
 * recruitment.h - the recruitment and workforce service's domain logic.
 *
 * Events of recruitment.events (CONTRACT.md) become daily counts:
 *   application_stage -> equality.recruitment_daily, one row per dimension
 *     for the event's campaign and for '*' (all campaigns);
 *   joined / left     -> equality.workforce_daily, one row per dimension
 *     for the event's area and for the whole force;
 *   headcount         -> equality.headcount_snapshots, one row per group
 *     of the snapshot's dimension, for the area and for the whole force.
 * No candidate or employee reference is read into any count.
 *
 * Counts become figures (attrition with adverse impact and Fisher's exact
 * p; workforce representation, joiners, leavers) through the pure
 * functions below, called by the recompute hook (recompute.c).
 */
#ifndef EQM_RECRUITMENT_H
#define EQM_RECRUITMENT_H

#include <stdbool.h>
#include <stdint.h>

#include "eqm/bme.h"
#include "eqm/figtable.h"
#include "eqm/service.h"
#include "eqm/stats.h"

/* Tables, in the service's table order. */
enum { REC_T_FUNNEL = 0, REC_T_WORKFORCE, REC_T_HEADCOUNT, REC_T__COUNT };

/* Count columns of equality.recruitment_daily. */
enum { REC_ENTERED = 0, REC_PASSED, REC_FAILED, REC_WITHDRAWN, REC__COUNT };
/* Count columns of equality.workforce_daily. */
enum { WF_JOINERS = 0, WF_LEAVERS, WF_SERVICE_DAYS, WF_SERVICE_KNOWN, WF__COUNT };

/* The contract's stages in order, then the two derived ones. */
#define REC_N_STAGES         9
#define REC_STAGE_END_TO_END 9
#define REC_STAGE_WITHDRAWAL 10
#define REC_N_FIGURE_STAGES  11

#define REC_N_DIMENSIONS 5
#define REC_GROUP_MAX    48 /* bytes of a free category (age band) */

extern const struct eqm_service eqm_recruitment_service;
/* Its alert measure families (recruitment_alerts.c), for the catalogue. */
extern const struct eqm_alert_source eqm_recruitment_alerts;

/* Stage name of index 0..10, or NULL; index of a name, or -1. */
const char *eqm_recruitment_stage_name(int stage);
int eqm_recruitment_stage_index(const char *name);

/* Group of a value of each dimension (static strings or out, which must
 * hold REC_GROUP_MAX + 1 bytes): */
const char *eqm_recruitment_sex(const char *s);            /* male, female, other, not_stated */
const char *eqm_recruitment_disability(const json_t *v);   /* yes, no, not_stated */
const char *eqm_recruitment_age(const char *s, char *out); /* the band, trimmed, or not_stated */
/* Dimension name ("ethnicity", "sex", "age_range", "disability"; "gender"
 * is taken as "sex") to its canonical name, or NULL. */
const char *eqm_recruitment_dimension(const char *name);

/* ---- attrition ------------------------------------------------------- */

struct eqm_rec_cell {
    int64_t entered, passed, failed, withdrawn;
};

/* One group's window sums at every contract stage. */
struct eqm_rec_group {
    const char *grp;
    struct eqm_rec_cell stage[REC_N_STAGES];
};

/* One figure of one group at one stage (contract or derived). */
struct eqm_rec_figure {
    const char *grp;
    const char *comparison_grp; /* NULL when there is none */
    struct eqm_rec_cell cell;
    int64_t base;                                             /* denominator of pass_rate */
    int64_t cmp_passed, cmp_base, cmp_withdrawn, cmp_entered; /* -1 without comparison */
    struct eqm_estimate pass_rate;                            /* Wilson interval */
    struct eqm_estimate cmp_rate;
    struct eqm_estimate ratio; /* adverse impact ratio, Katz interval */
    double p_value;            /* Fisher, two-sided */
    bool has_p;
    struct eqm_estimate withdrawal_rate;  /* withdrawn / entered */
    struct eqm_estimate withdrawal_ratio; /* over the comparison group's */
    const char *note;
};

/*
 * The cell of group g at stage (0..10): a contract stage as counted; for
 * end_to_end, entered = applications, passed = appointments, withdrawn =
 * withdrawals at every stage, failed = the rest of the applicants (never
 * negative); for withdrawal, entered = applications, withdrawn = every
 * withdrawal (at most entered), passed = entered - withdrawn, failed = 0.
 * *base gets the pass rate's denominator: passed + failed for a contract
 * stage, entered for the derived stages.
 */
struct eqm_rec_cell eqm_recruitment_cell(const struct eqm_rec_group *g, int stage, int64_t *base);

/*
 * Adds the aggregate a (eqm/bme.h: "bme" of the broad or the detailed
 * groups, "white_minority" and "all_minority" of the detailed ones) as
 * groups[*n] when there is room (cap) and any of groups[0..*n) is one of
 * its members; returns 1 if added, else 0. An aggregate already in groups
 * is never a member of another.
 */
int eqm_recruitment_add_aggregate(enum eqm_aggregate a, struct eqm_rec_group *groups, int *n,
                                  int cap);

/* eqm_recruitment_add_aggregate of EQM_AGG_BME. */
int eqm_recruitment_add_bme(struct eqm_rec_group *groups, int *n, int cap);

/* True when grp is one of the aggregates' names (bme, white_minority,
 * all_minority): a sum of other rows, so in no total and never the
 * comparison group chosen by "highest". */
bool eqm_recruitment_is_aggregate(const char *grp);

/*
 * The comparison group of stage among groups: reference if not NULL
 * (index, or -1 if that group has no decisions at the stage), else the
 * stated group (not not_stated, not an aggregate) with the highest pass rate among
 * those with a base > 0 (ties: the larger base, then the name), or -1.
 */
int eqm_recruitment_comparison(const struct eqm_rec_group *groups, int n, int stage,
                               const char *reference);

/*
 * The figures of every group at stage (out has room for n): group i's
 * figure in out[i]. reference as for eqm_recruitment_comparison (NULL =
 * highest pass rate). Returns how many groups have anything at the stage
 * (others get a figure with zero counts and the note "no candidates").
 */
int eqm_recruitment_stage_figures(const struct eqm_rec_group *groups, int n, int stage,
                                  const char *reference, struct eqm_rec_figure *out);

/* ---- workforce ------------------------------------------------------- */

struct eqm_wf_group {
    const char *grp;
    bool has_snapshot;                   /* the dimension has a snapshot */
    int64_t snapshot;                    /* group's count in the latest snapshot (0 if absent) */
    int64_t net_since;                   /* joiners - leavers after the snapshot, up to the end */
    int64_t joiners, leavers;            /* in the window */
    int64_t service_days, service_known; /* of the window's leavers */
    int64_t population;                  /* Census population, -1 unknown */
};

struct eqm_wf_figure {
    const char *grp;
    const char *reference_grp;
    int64_t headcount, headcount_total;
    struct eqm_estimate share;
    int64_t population, population_total; /* -1 unknown */
    struct eqm_estimate population_share;
    struct eqm_estimate representation; /* share / population share, Katz */
    int64_t joiners, joiners_total;
    struct eqm_estimate joiners_share;
    int64_t leavers;
    double avg_headcount;            /* headcount - (joiners - leavers) / 2 */
    struct eqm_estimate leaver_rate; /* leavers / avg_headcount */
    int64_t ref_leavers;             /* -1 without reference */
    double ref_avg_headcount;
    struct eqm_estimate ref_leaver_rate;
    struct eqm_estimate leaver_ratio; /* Katz on the average headcounts */
    int64_t service_known;
    struct eqm_estimate mean_service_years; /* service days / known / 365.25 */
    const char *note;
};

/*
 * Figures of every group (out has room for n) against reference, for one
 * role, area, dimension and window. Totals (headcount, joiners,
 * population) are over the stated groups: not not_stated, not an
 * aggregate. A detailed group whose detail is not known
 * ("white_unspecified", ...) has no population of its own (the Census
 * counts none): its staff are in the headcount total, and the population
 * total is that of the groups the Census counts; any other stated group
 * without a population leaves the dimension without one.
 */
void eqm_workforce_figures(const struct eqm_wf_group *groups, int n, const char *reference,
                           struct eqm_wf_figure *out);

/* Adds the aggregate a as for eqm_recruitment_add_aggregate; population
 * summed too, over the members the Census counts (-1 if one of those is
 * unknown; a member "*_unspecified" has none and adds none). */
int eqm_workforce_add_aggregate(enum eqm_aggregate a, struct eqm_wf_group *groups, int *n, int cap);

/* eqm_workforce_add_aggregate of EQM_AGG_BME. */
int eqm_workforce_add_bme(struct eqm_wf_group *groups, int *n, int cap);

/*
 * The recompute hook (recompute.c): every attrition and workforce figure
 * into the two tables below, in the engine's transaction. Returns the rows
 * written (0 when nothing is counted yet), or -1 with errstr.
 */
int eqm_recruitment_recompute(PGconn *conn, const struct eqm_service *svc,
                              const struct eqm_figures_scope *scope, char *errstr,
                              size_t errstr_size) __attribute__((warn_unused_result));

/* How the hook writes equality.attrition_figures and
 * equality.workforce_figures (eqm/figtable.h): no parameters, every row the
 * service's, every column compared, rows in key order. */
extern const struct eqm_figtable_def eqm_recruitment_attrition_table;
extern const struct eqm_figtable_def eqm_recruitment_workforce_table;

#endif /* EQM_RECRUITMENT_H */
