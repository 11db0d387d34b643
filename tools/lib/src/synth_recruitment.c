/*
 * synth_recruitment.c - synthetic recruitment events by quota (see
 * eqm/tools/synth_recruitment.h). Its command line is eqm-replay's
 * (tools/replay/synth_recruitment_cmd.c).
 */
#include "eqm/tools/synth_recruitment.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "eqm/timeutil.h"

static const char *const group_names[EQM_SYNTH_GROUPS] = {"asian", "black", "mixed",
                                                          "white", "other", "not_stated"};
/* What a producer sends for each group: police.uk / Census labels, so the
 * consumer's mapping is exercised; not_stated sends nothing. */
static const char *const group_labels[EQM_SYNTH_GROUPS] = {
    "Asian/Asian British - Indian",
    "Black/African/Caribbean/Black British - African",
    "Mixed/Multiple ethnic groups - White and Asian",
    "White - English/Welsh/Scottish/Northern Irish/British",
    "Other ethnic group - Arab",
    NULL};
/* The detailed group (Census category) of each label, written out here
 * so that the expected counts do not come from the consumer's mapping. */
static const char *const group_detailed[EQM_SYNTH_GROUPS] = {"asian_indian",      "black_african",
                                                             "mixed_white_asian", "white_british",
                                                             "other_arab",        "not_stated"};
static const char *const stage_names[EQM_SYNTH_STAGES] = {
    "application", "eligibility", "assessment_centre", "interview", "vetting", "medical",
    "fitness",     "offer",       "appointment"};

/* Dimensions other than ethnicity: the groups drawn, and what is sent. */
enum { D_ETH, D_SEX, D_AGE, D_DIS, D__COUNT };
#define MAX_DIM_GROUPS 6
static const char *const dim_names[D__COUNT] = {"ethnicity", "sex", "age_range", "disability"};
static const char *const sex_groups[] = {"male", "female", "not_stated"};
static const char *const sex_sent[] = {"Male", "Female", NULL};
static const char *const age_groups[] = {"18-24", "25-34", "35-44", "45+"};
static const char *const dis_groups[] = {"yes", "no", "not_stated"};

/* The index of name in names[0..n), or -1. */
static int index_of(const char *const *names, int n, const char *name) {
    for (int i = 0; i < n; i++)
        if (!strcmp(names[i], name))
            return i;
    return -1;
}

const char *eqm_synth_group_name(int g) {
    return g >= 0 && g < EQM_SYNTH_GROUPS ? group_names[g] : NULL;
}

int eqm_synth_group_index(const char *name) {
    return index_of(group_names, EQM_SYNTH_GROUPS, name);
}

const char *eqm_synth_stage_name(int s) {
    return s >= 0 && s < EQM_SYNTH_STAGES ? stage_names[s] : NULL;
}

int eqm_synth_stage_index(const char *name) {
    return index_of(stage_names, EQM_SYNTH_STAGES, name);
}

void eqm_synth_recruitment_defaults(struct eqm_synth_recruitment *o) {
    memset(o, 0, sizeof(*o));
    o->seed = 1;
    o->role = "police_officer";
    o->campaign = "synth";
    o->area = "synth-area";
    o->end_day = eqm_time_days_from_civil(2025, 7, 1);
    o->pass_rate = 0.8;
    o->withdraw_rate = 0.05;
    for (int g = 0; g < EQM_SYNTH_GROUPS; g++) {
        for (int s = 0; s < EQM_SYNTH_STAGES; s++)
            o->multiplier[g][s] = 1.0;
        o->leavers[g] = -1;
        o->leaver_multiplier[g] = 1.0;
        o->service_years[g] = 10.0;
    }
}

/* ---- generation ---------------------------------------------------------- */

static uint64_t next(uint64_t *s) { /* splitmix64 */
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double uniform(uint64_t *s) {
    return (double)(next(s) >> 11) / 9007199254740992.0;
}

struct person {
    int grp[D__COUNT];
    bool alive;
};

struct gen {
    const struct eqm_synth_recruitment *o;
    uint64_t rng;
    long events;
    int (*emit)(void *, const char *, size_t);
    void *arg;
    bool failed; /* a JSON value could not be made or set: out of memory */
    int64_t funnel[EQM_SYNTH_STAGES][D__COUNT][MAX_DIM_GROUPS][4];
    int64_t wf[D__COUNT][MAX_DIM_GROUPS][5];
};

static const char *dim_group(int d, int i) {
    switch (d) {
    case D_ETH:
        return group_names[i];
    case D_SEX:
        return sex_groups[i];
    case D_AGE:
        return age_groups[i];
    default:
        return dis_groups[i];
    }
}

static int dim_size(int d) {
    return d == D_ETH ? EQM_SYNTH_GROUPS : d == D_AGE ? 4 : 3;
}

static void draw(struct gen *gn, struct person *p, int eth) {
    double u = uniform(&gn->rng);
    p->grp[D_ETH] = eth;
    p->grp[D_SEX] = u < 0.6 ? 0 : u < 0.97 ? 1 : 2;
    p->grp[D_AGE] = (int)(uniform(&gn->rng) * 4) & 3;
    u = uniform(&gn->rng);
    p->grp[D_DIS] = u < 0.08 ? 0 : u < 0.94 ? 1 : 2;
    p->alive = true;
}

/* Sets obj[key] = value (taking value); a failure is remembered, and
 * send_event() then stops the generation. */
static void set(struct gen *gn, json_t *obj, const char *key, json_t *value) {
    if (json_object_set_new(obj, key, value) != 0)
        gn->failed = true;
}

static void set_characteristics(struct gen *gn, json_t *ev, const struct person *p) {
    if (group_labels[p->grp[D_ETH]])
        set(gn, ev, "ethnicity", json_string(group_labels[p->grp[D_ETH]]));
    if (sex_sent[p->grp[D_SEX]])
        set(gn, ev, "sex", json_string(sex_sent[p->grp[D_SEX]]));
    set(gn, ev, "age_range", json_string(age_groups[p->grp[D_AGE]]));
    if (p->grp[D_DIS] < 2)
        set(gn, ev, "disability", json_string(dis_groups[p->grp[D_DIS]]));
}

/* A new event with the envelope: the n-th second of local-ish day. */
static json_t *event_new(struct gen *gn, const char *type, int32_t day, long second) {
    char id[200], ts[40], d[11];
    json_t *ev = json_object();
    eqm_time_day_format(day, d);
    snprintf(ts, sizeof(ts), "%sT%02ld:%02ld:%02ldZ", d, 8 + (second / 3600) % 12,
             (second / 60) % 60, second % 60);
    snprintf(id, sizeof(id), "synth-rec-%llu-%.40s-%.40s-%ld", (unsigned long long)gn->o->seed,
             gn->o->role, gn->o->campaign, gn->events);
    set(gn, ev, "event_id", json_string(id));
    set(gn, ev, "event_type", json_string(type));
    set(gn, ev, "occurred_at", json_string(ts));
    set(gn, ev, "area", json_string(gn->o->area));
    set(gn, ev, "role", json_string(gn->o->role));
    return ev;
}

static int send_event(struct gen *gn, json_t *ev) {
    char *s = gn->failed ? NULL : json_dumps(ev, JSON_COMPACT | JSON_SORT_KEYS);
    int rc = -1;
    json_decref(ev);
    if (s) {
        rc = gn->emit(gn->arg, s, strlen(s));
        free(s);
    }
    gn->events++;
    return rc;
}

static void shuffle(struct gen *gn, struct person **v, size_t n) {
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(uniform(&gn->rng) * (double)i);
        struct person *t = v[i - 1];
        v[i - 1] = v[j < i ? j : i - 1];
        v[j < i ? j : i - 1] = t;
    }
}

static int funnel(struct gen *gn) {
    const struct eqm_synth_recruitment *o = gn->o;
    int64_t total = 0;
    struct person *people, **pick;
    int ret = -1;
    long second = 0;

    for (int g = 0; g < EQM_SYNTH_GROUPS; g++)
        total += o->candidates[g];
    if (total == 0)
        return 0;
    people = calloc((size_t)total, sizeof(*people));
    pick = calloc((size_t)total, sizeof(*pick));
    if (!people || !pick)
        goto out;
    for (int g = 0, k = 0; g < EQM_SYNTH_GROUPS; g++)
        for (int64_t i = 0; i < o->candidates[g]; i++)
            draw(gn, &people[k++], g);

    for (int s = 0; s < EQM_SYNTH_STAGES; s++) {
        /* Stage s on day end - 20 + 2s: every window of 28 days or more
         * holds the whole funnel. */
        int32_t day = o->end_day - 20 + 2 * s;
        for (int g = 0; g < EQM_SYNTH_GROUPS; g++) {
            size_t n = 0;
            int64_t w, p;
            for (int64_t i = 0; i < total; i++)
                if (people[i].alive && people[i].grp[D_ETH] == g)
                    pick[n++] = &people[i];
            if (n == 0)
                continue;
            shuffle(gn, pick, n);
            w = llround((double)n * o->withdraw_rate);
            p = llround((double)((int64_t)n - w) * o->pass_rate * o->multiplier[g][s]);
            if (p > (int64_t)n - w)
                p = (int64_t)n - w;
            for (size_t i = 0; i < n; i++) {
                const char *result = (int64_t)i < w       ? "withdrawn"
                                     : (int64_t)i < w + p ? "passed"
                                                          : "failed";
                int r = (int64_t)i < w ? 3 : (int64_t)i < w + p ? 1 : 2;
                json_t *ev = event_new(gn, "application_stage", day, second++);
                char ref[64];
                snprintf(ref, sizeof(ref), "cand-%08llx", (unsigned long long)next(&gn->rng));
                set(gn, ev, "candidate_ref", json_string(ref));
                set(gn, ev, "campaign", json_string(o->campaign));
                set(gn, ev, "stage", json_string(stage_names[s]));
                set(gn, ev, "result", json_string(result));
                set_characteristics(gn, ev, pick[i]);
                if (send_event(gn, ev) != 0)
                    goto out;
                for (int d = 0; d < D__COUNT; d++) {
                    gn->funnel[s][d][pick[i]->grp[d]][0]++;
                    gn->funnel[s][d][pick[i]->grp[d]][r]++;
                }
                pick[i]->alive = r == 1;
            }
        }
    }
    ret = 0;
out:
    free(people);
    free(pick);
    return ret;
}

static int workforce(struct gen *gn) {
    const struct eqm_synth_recruitment *o = gn->o;
    long second = 0;
    bool any = false;

    for (int g = 0; g < EQM_SYNTH_GROUPS; g++)
        any = any || o->headcount[g] > 0;
    if (o->headcount_snapshot && any) {
        json_t *ev = event_new(gn, "headcount", o->end_day - 25, 0);
        json_t *counts = json_object();
        char d[11];
        eqm_time_day_format(o->end_day - 25, d);
        set(gn, ev, "as_of", json_string(d));
        set(gn, ev, "dimension", json_string("ethnicity"));
        for (int g = 0; g < EQM_SYNTH_GROUPS; g++) {
            if (o->headcount[g] <= 0)
                continue;
            set(gn, counts, group_labels[g] ? group_labels[g] : "Not stated",
                json_integer(o->headcount[g]));
            gn->wf[D_ETH][g][0] += o->headcount[g];
        }
        set(gn, ev, "counts", counts);
        if (send_event(gn, ev) != 0)
            return -1;
    }
    for (int kind = 0; kind < 2; kind++) {
        for (int g = 0; g < EQM_SYNTH_GROUPS; g++) {
            int64_t n =
                kind == 0 ? o->joiners[g]
                : o->leavers[g] >= 0
                    ? o->leavers[g]
                    : llround((double)o->headcount[g] * o->leaver_rate * o->leaver_multiplier[g]);
            int64_t los = llround(o->service_years[g] * 365.25);
            for (int64_t i = 0; i < n; i++) {
                struct person p;
                json_t *ev;
                draw(gn, &p, g);
                /* After the snapshot, spread over the 20 days to the end. */
                ev = event_new(gn, kind == 0 ? "joined" : "left",
                               o->end_day - 20 + (int32_t)(i % 21), second++);
                set_characteristics(gn, ev, &p);
                if (kind == 1) {
                    set(gn, ev, "length_of_service_days", json_integer(los));
                    set(gn, ev, "reason", json_string("resignation"));
                }
                if (send_event(gn, ev) != 0)
                    return -1;
                for (int d = 0; d < D__COUNT; d++) {
                    int64_t *c = gn->wf[d][p.grp[d]];
                    if (kind == 0) {
                        c[1]++;
                    } else {
                        c[2]++;
                        c[3] += los;
                        c[4]++;
                    }
                }
            }
        }
    }
    return 0;
}

long eqm_synth_recruitment_run(const struct eqm_synth_recruitment *o,
                               int (*emit)(void *arg, const char *json, size_t len), void *arg,
                               FILE *expected) {
    struct gen *gn = calloc(1, sizeof(*gn));
    long n;

    if (!gn)
        return -1;
    gn->o = o;
    gn->rng = o->seed;
    gn->emit = emit;
    gn->arg = arg;
    if (funnel(gn) != 0 || workforce(gn) != 0) {
        free(gn);
        return -1;
    }
    for (int s = 0; expected && s < EQM_SYNTH_STAGES; s++)
        for (int d = 0; d < D__COUNT; d++)
            for (int i = 0; i < dim_size(d); i++) {
                const int64_t *c = gn->funnel[s][d][i];
                if (c[0] == 0)
                    continue;
                /* Each ethnicity is counted again by its detailed group. */
                for (int all = 0; all < 2; all++)
                    for (int det = 0; det < (d == D_ETH ? 2 : 1); det++)
                        fprintf(expected, "funnel\t%s\t%s\t%s\t%s\t%s\t%lld\t%lld\t%lld\t%lld\n",
                                o->role, all ? "*" : o->campaign, stage_names[s],
                                det ? "ethnicity_detailed" : dim_names[d],
                                det ? group_detailed[i] : dim_group(d, i), (long long)c[0],
                                (long long)c[1], (long long)c[2], (long long)c[3]);
            }
    for (int d = 0; expected && d < D__COUNT; d++)
        for (int i = 0; i < dim_size(d); i++) {
            const int64_t *c = gn->wf[d][i];
            if (!c[0] && !c[1] && !c[2])
                continue;
            fprintf(expected, "workforce\t%s\t%s\t%s\t%s\t%lld\t%lld\t%lld\t%lld\t%lld\n", o->role,
                    o->area, dim_names[d], dim_group(d, i), (long long)c[0], (long long)c[1],
                    (long long)c[2], (long long)c[3], (long long)c[4]);
            /* The detailed groups have the joiners and leavers; the
             * snapshot (c[0]) is by broad group only. */
            if (d == D_ETH && (c[1] || c[2]))
                fprintf(expected,
                        "workforce\t%s\t%s\tethnicity_detailed\t%s\t0\t%lld\t%lld\t%lld\t%lld\n",
                        o->role, o->area, group_detailed[i], (long long)c[1], (long long)c[2],
                        (long long)c[3], (long long)c[4]);
        }
    n = gn->events;
    free(gn);
    return n;
}
