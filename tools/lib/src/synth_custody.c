/*
 * synth_custody.c - synthetic custody events with known disparities.
 *
 * Two passes over the same cases: the first only counts how many cases
 * the requested number of events takes (so the cases can be spread evenly
 * over the days), the second makes them. Every case draws from its own
 * generator seeded by (seed, case number), so both passes see the same
 * case, and the day a case falls on is decided outside its draws.
 *
 * The expected counts are kept here by the groups and tactics the
 * generator chose, not by re-reading the labels it sent: they do not go
 * through the consumer's mappings, so a test comparing them with the
 * database checks those mappings too. The counters themselves are the
 * custody service's columns (custody.h), so the two cannot drift apart.
 * The options (defaults, multiplier specs) are synth_custody_opts.c.
 *
 * Why one file of some 840 lines: the vocabulary, the simulation of a
 * case, the events it becomes and the counts it adds all work on the same
 * private case structures (struct scase, struct sevent); splitting them
 * further would publish those in a header for no reader's benefit.
 */
#include "eqm/tools/synth_custody.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "custody.h"
#include "eqm/timeutil.h"
#include "eqm/tools/keymap.h"

/* ---- random numbers ---------------------------------------------------- */

static uint64_t splitmix64(uint64_t *s) {
    uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* Uniform in [0, 1): the top 53 bits, exact in a double. */
static double uniform(uint64_t *s) {
    return (double)(splitmix64(s) >> 11) * (1.0 / 9007199254740992.0);
}

/* Uniform integer in [0, n). */
static int pick(uint64_t *s, int n) {
    int i = (int)(uniform(s) * n);
    return i < n ? i : n - 1;
}

static uint64_t case_seed(uint64_t seed, long k) {
    uint64_t s = seed ^ ((uint64_t)k * UINT64_C(0xd1b54a32d192ed03));
    splitmix64(&s);
    return s;
}

/* ---- the vocabulary ---------------------------------------------------- */

/* Group names as the contract spells them, written out here rather than
 * taken from the service's mappings. */
static const char *const eth_names[EQM_ETH__COUNT] = {
    [EQM_ETH_NOT_STATED] = "not_stated", [EQM_ETH_ASIAN] = "asian", [EQM_ETH_BLACK] = "black",
    [EQM_ETH_MIXED] = "mixed",           [EQM_ETH_WHITE] = "white", [EQM_ETH_OTHER] = "other",
};

enum { G_MALE, G_FEMALE, G_OTHER, G_NOT_STATED, G__COUNT };
static const char *const gender_names[G__COUNT] = {"male", "female", "other", "not_stated"};

enum { AGE_UNDER_10, AGE_10_17, AGE_18_24, AGE_25_34, AGE_OVER_34, AGE_NOT_STATED, AGE__COUNT };
static const char *const age_names[AGE__COUNT] = {"under 10", "10-17",   "18-24",
                                                  "25-34",    "over 34", "not_stated"};

/* The generator sends no officer-perceived group, so a person's
 * self-defined group is both the ethnicity and the self_defined_ethnicity
 * dimension's. */
enum { DIM_ETHNICITY, DIM_GENDER, DIM_AGE, DIM_SELF_DEFINED, DIM__COUNT };
static const char *const dim_names[DIM__COUNT] = {"ethnicity", "gender", "age_range",
                                                  "self_defined_ethnicity"};

/* Tactics and counters are the custody service's own (custody.h): its
 * tactic list, in its order, and the count columns of
 * equality.custody_daily, in CU_* order, named by its counts table. What
 * stays the generator's own is how a producer spells a tactic or a group
 * (below), so that the consumer's mappings are still tested. */
#define N_TACTICS EQM_CUSTODY_N_TACTICS
/* Index into eqm_custody_tactics[] (and our own tables) of CU_T_x. */
#define T_(x) (CU_T_##x - CU_TACTIC_FIRST)
_Static_assert(CU__COUNT < 256, "a counter fits the 8 bits pack() gives it");
_Static_assert(N_TACTICS <= 32, "one bit per tactic in struct sevent");

/* The name of count column CU_x, as the service's counts table has it. */
static const char *counter_name(int counter) {
    return eqm_custody_service.tables[0].count_columns[counter];
}

/*
 * Chance of each tactic in a use of force (several may be used), loosely
 * after the Home Office's police use of force statistics, where
 * handcuffing is by far the most common and firearms the rarest. Each
 * tactic is sent as its own name most of the time, otherwise as one of
 * the spellings producers use (the consumer must map them back).
 */
static const struct {
    double p;
    const char *spellings[4]; /* [0] is the name itself */
} tactics[N_TACTICS] = {
    [T_(HANDCUFFING)] = {0.80,
                         {"handcuffing", "Handcuffing", "non-compliant handcuffing", "handcuffs"}},
    [T_(RESTRAINT)] = {0.25, {"restraint", "ground_restraint", "Ground restraint", NULL}},
    [T_(LIMB_RESTRAINTS)] = {0.04, {"limb_restraints", "limb/body restraints", NULL, NULL}},
    [T_(UNARMED_SKILLS)] = {0.18, {"unarmed_skills", "Unarmed skills", NULL, NULL}},
    [T_(SPIT_GUARD)] = {0.04, {"spit_guard", "spit and bite guard", "Spit guard", NULL}},
    [T_(TASER_DRAWN)] = {0.07, {"taser_drawn", "CED drawn", "Taser drawn", NULL}},
    [T_(TASER_AIMED)] = {0.03, {"taser_aimed", "taser red-dotted", "CED aimed", NULL}},
    [T_(TASER_DISCHARGED)] = {0.015,
                              {"taser_discharged", "taser_fired", "Taser fired", "CED fired"}},
    [T_(BATON)] = {0.01, {"baton", "baton drawn", NULL, NULL}},
    [T_(IRRITANT_SPRAY)] = {0.02, {"irritant_spray", "PAVA spray", "CS spray", NULL}},
    [T_(DOG)] = {0.01, {"dog", "police dog", NULL, NULL}},
    [T_(FIREARM)] = {0.003, {"firearm", "firearm aimed", NULL, NULL}},
    /* Names the consumer does not know: each counts as "other". */
    [T_(OTHER)] = {0.03, {"other", "shield", "improvised technique", "AEP"}},
};

/* Labels a person's self-defined ethnicity may come as: police.uk's
 * Census 2021 wording, Census TS021 names, a subcategory the consumer only
 * knows by its heading, and the broad group names in two cases. */
static const char *const asian_labels[] = {
    "Asian/Asian British - Indian",
    "Asian/Asian British - Pakistani",
    "Asian/Asian British - Bangladeshi",
    "Asian/Asian British - Chinese",
    "Asian/Asian British - Any other Asian background",
    "Asian, Asian British or Asian Welsh: Indian",
    "asian",
    "Asian",
    NULL,
};
static const char *const black_labels[] = {
    "Black/African/Caribbean/Black British - African",
    "Black/African/Caribbean/Black British - Caribbean",
    "Black/African/Caribbean/Black British - Any other Black/African/Caribbean background",
    "Black, Black British, Black Welsh, Caribbean or African: Caribbean",
    "black",
    "Black",
    NULL,
};
static const char *const mixed_labels[] = {
    "Mixed/Multiple ethnic groups - White and Black Caribbean",
    "Mixed/Multiple ethnic groups - White and Black African",
    "Mixed/Multiple ethnic groups - White and Asian",
    "Mixed/Multiple ethnic groups - Any other Mixed/Multiple ethnic background",
    "mixed",
    NULL,
};
static const char *const white_labels[] = {
    "White - English/Welsh/Scottish/Northern Irish/British",
    "White - English/Welsh/Scottish/Northern Irish/British",
    "White - English/Welsh/Scottish/Northern Irish/British",
    "White - Irish",
    "White - Any other White background",
    "White - Gypsy or Irish Traveller",
    "White - Roma",
    "White - Polish",
    "White: English, Welsh, Scottish, Northern Irish or British",
    "white",
    "White",
    NULL,
};
static const char *const other_labels[] = {
    "Other ethnic group - Arab",
    "Other ethnic group - Any other ethnic group",
    "Other ethnic group: Kurdish",
    "other",
    NULL,
};
static const char *const *const eth_labels[EQM_ETH__COUNT] = {
    [EQM_ETH_ASIAN] = asian_labels, [EQM_ETH_BLACK] = black_labels, [EQM_ETH_MIXED] = mixed_labels,
    [EQM_ETH_WHITE] = white_labels, [EQM_ETH_OTHER] = other_labels,
};

/* How a characteristic that is not stated arrives: absent, null, blank,
 * or words that say so. NULL entries mean absent (0) and null (1). */
#define NS_ABSENT 0
#define NS_NULL   1
static const char *const eth_not_stated[] = {NULL, NULL, "", "Other ethnic group - Not stated",
                                             "Not stated"};
static const char *const gender_forms[G__COUNT][4] = {
    [G_MALE] = {"Male", "male", "M", NULL},
    [G_FEMALE] = {"Female", "female", "F", NULL},
    [G_OTHER] = {"Other", NULL, NULL, NULL},
};
static const char *const gender_not_stated[] = {NULL, NULL, "", "Not stated", "unknown"};
static const char *const age_not_stated[] = {NULL, NULL, "", "unknown"};

/* Disposal outcomes and their base chances; the four out-of-court ones
 * scale with the diversion multiplier, charged takes up the difference. */
enum {
    O_CHARGED,
    O_CAUTION,
    O_COMMUNITY_RESOLUTION,
    O_PENALTY_NOTICE,
    O_CANNABIS_WARNING,
    O_NFA,
    O_RUI,
    O_BAIL,
    O__COUNT
};
static const char *const outcome_names[O__COUNT] = {
    "charged",          "caution",           "community_resolution",         "penalty_notice",
    "cannabis_warning", "no_further_action", "released_under_investigation", "bail"};
static const double outcome_p[O__COUNT] = {0.30, 0.08, 0.12, 0.03, 0.03, 0.22, 0.17, 0.05};
#define OUT_OF_COURT_P 0.26 /* caution + community resolution + PND + cannabis warning */

/* England and Wales, Census 2021 (TS021): shares of usual residents. */
static const double ew_shares[EQM_ETH__COUNT] = {
    [EQM_ETH_ASIAN] = 0.093, [EQM_ETH_BLACK] = 0.040, [EQM_ETH_MIXED] = 0.029,
    [EQM_ETH_WHITE] = 0.817, [EQM_ETH_OTHER] = 0.021,
};

/* Base chances of each step of a case. */
#define P_ETH_NOT_STATED 0.05
#define P_SELF_DEFINED   0.10 /* ethnicity sent as self_defined_ethnicity */
#define P_SEX_FIELD      0.15 /* gender sent as sex */
#define P_AGE_YEARS      0.15 /* an age in years instead of a band */
#define P_DETAINED       0.82
#define P_STRIP          0.10 /* given a detention */
#define P_FORCE          0.22 /* given an arrest */
#define P_FORCE_CUSTODY  0.30 /* force used in custody, given force and a detention */
#define P_NO_SETTING     0.04
#define P_NO_TACTICS     0.03
#define P_DUP_TACTIC     0.02
#define P_BLANK_TACTIC   0.01
#define P_OWN_SPELLING   0.75
#define P_DISPOSAL       0.92 /* the rest are still pending */

/* ---- cases -------------------------------------------------------------- */

enum { E_ARREST, E_DETENTION, E_STRIP_SEARCH, E_USE_OF_FORCE, E_DISPOSAL };
static const char *const type_names[] = {"arrest", "detention", "strip_search", "use_of_force",
                                         "disposal"};

#define MAX_CASE_EVENTS 6

struct sevent {
    int type;
    int day_off; /* days after the arrest */
    int minute;  /* local minute of the day: always 03:00-22:59, clear of
                    the clock changes at 01:00-02:00 */
    int second;
    /* use of force */
    unsigned tactics; /* bit per tactic */
    int tactics_form; /* 0 a list, 1 absent, 2 null, 3 an empty list */
    int spelling[N_TACTICS];
    bool dup_entry, blank_entry;
    int setting; /* 0 absent, 1 custody, 2 community */
    int outcome;
};

struct scase {
    int area;
    int group;    /* the person's broad group */
    int eth;      /* as recorded: group or EQM_ETH_NOT_STATED */
    int eth_form; /* label index */
    bool self_defined_field;
    int gender, gender_form;
    bool sex_field;
    int age, age_form, age_years; /* age_form -1: years */
    double day_u;
    int n;
    struct sevent ev[MAX_CASE_EVENTS];
};

struct pending {
    json_t *event;
    int area;
    long due;
};
#define MAX_PENDING 64

struct eqm_synth_custody {
    struct eqm_synth_custody_opts o;
    double cum[EQM_SYNTH_CUSTODY_MAX_AREAS * EQM_ETH__COUNT]; /* cumulative weights */
    int n_cells;
    long n_cases;
    int32_t first_day;
    long next_case;
    struct scase cur;
    int32_t cur_day;
    int cur_i;
    long made, dups, serial;
    json_t *last;
    struct pending pend[MAX_PENDING];
    int n_pend;
    uint64_t dup_rng;
    /* expected counts, by pack()ed key (its 8 bytes) */
    struct eqm_keymap counts;
};

static double clamp_p(double p) {
    return p < 0 ? 0 : p > 0.95 ? 0.95 : p;
}

static int count_of(const char *const *list) {
    int n = 0;
    while (list[n])
        n++;
    return n;
}

static int n_spellings(int t) {
    int n = 0;
    while (n < 4 && tactics[t].spellings[n])
        n++;
    return n;
}

static void add_event(struct scase *c, int type, int day_off, int minute, uint64_t *s) {
    struct sevent *e = &c->ev[c->n++];
    memset(e, 0, sizeof(*e));
    e->type = type;
    e->day_off = day_off;
    e->minute = minute;
    e->second = pick(s, 60);
}

static void draw_force(const struct eqm_synth_custody *g, struct scase *c, struct sevent *e,
                       bool in_custody, uint64_t *s) {
    const double *m_taser = g->o.multiplier[EQM_SYNTH_CUSTODY_TASER];

    e->setting = uniform(s) < P_NO_SETTING ? 0 : in_custody ? 1 : 2;
    if (uniform(s) < P_NO_TACTICS) {
        e->tactics_form = 1 + pick(s, 3);
        return;
    }
    for (int t = 0; t < N_TACTICS; t++) {
        double p = tactics[t].p;
        if (t == T_(TASER_DRAWN) || t == T_(TASER_AIMED) || t == T_(TASER_DISCHARGED))
            p *= m_taser[c->group];
        if (uniform(s) < clamp_p(p))
            e->tactics |= 1u << t;
        e->spelling[t] = uniform(s) < P_OWN_SPELLING ? 0 : pick(s, n_spellings(t));
    }
    if (!e->tactics)
        e->tactics = 1u << T_(HANDCUFFING); /* force was used: at least one tactic */
    e->dup_entry = uniform(s) < P_DUP_TACTIC;
    e->blank_entry = uniform(s) < P_BLANK_TACTIC;
}

static int draw_outcome(const struct eqm_synth_custody *g, int group, uint64_t *s) {
    double oc = OUT_OF_COURT_P * g->o.multiplier[EQM_SYNTH_CUSTODY_DIVERSION][group];
    double max_oc = OUT_OF_COURT_P + outcome_p[O_CHARGED];
    double p[O__COUNT], u, acc = 0;

    if (oc > max_oc)
        oc = max_oc;
    memcpy(p, outcome_p, sizeof(p));
    for (int i = O_CAUTION; i <= O_CANNABIS_WARNING; i++)
        p[i] = outcome_p[i] * oc / OUT_OF_COURT_P;
    p[O_CHARGED] = outcome_p[O_CHARGED] + OUT_OF_COURT_P - oc;
    u = uniform(s);
    for (int i = 0; i < O__COUNT; i++) {
        acc += p[i];
        if (u < acc)
            return i;
    }
    return O__COUNT - 1;
}

static void simulate(const struct eqm_synth_custody *g, long k, struct scase *c) {
    const double(*m)[EQM_ETH__COUNT] = g->o.multiplier;
    uint64_t s = case_seed(g->o.seed, k);
    double u = uniform(&s) * g->cum[g->n_cells - 1], r;
    int cell = 0, t0, det_t = 0;
    bool detained, force, force_in_custody;

    memset(c, 0, sizeof(*c));
    while (cell < g->n_cells - 1 && u >= g->cum[cell])
        cell++;
    c->area = cell / EQM_ETH__COUNT;
    c->group = cell % EQM_ETH__COUNT;

    if (uniform(&s) < P_ETH_NOT_STATED) {
        c->eth = EQM_ETH_NOT_STATED;
        c->eth_form = pick(&s, (int)(sizeof(eth_not_stated) / sizeof(eth_not_stated[0])));
    } else {
        c->eth = c->group;
        c->eth_form = pick(&s, count_of(eth_labels[c->group]));
    }
    c->self_defined_field = uniform(&s) < P_SELF_DEFINED;

    r = uniform(&s);
    c->gender = r < 0.83 ? G_MALE : r < 0.98 ? G_FEMALE : r < 0.985 ? G_OTHER : G_NOT_STATED;
    c->gender_form = c->gender == G_NOT_STATED
                         ? pick(&s, (int)(sizeof(gender_not_stated) / sizeof(gender_not_stated[0])))
                         : pick(&s, count_of(gender_forms[c->gender]));
    c->sex_field = uniform(&s) < P_SEX_FIELD;

    r = uniform(&s);
    c->age = r < 0.10   ? AGE_10_17
             : r < 0.34 ? AGE_18_24
             : r < 0.65 ? AGE_25_34
             : r < 0.98 ? AGE_OVER_34
                        : AGE_NOT_STATED;
    if (c->age == AGE_NOT_STATED) {
        c->age_form = pick(&s, (int)(sizeof(age_not_stated) / sizeof(age_not_stated[0])));
    } else if (uniform(&s) < P_AGE_YEARS) {
        static const int lo[] = {0, 10, 18, 25, 35}, hi[] = {9, 17, 24, 34, 75};
        c->age_form = -1;
        c->age_years = lo[c->age] + pick(&s, hi[c->age] - lo[c->age] + 1);
    }
    c->day_u = uniform(&s);

    /* The arrest between 06:00 and 18:59; everything else follows it on
     * the same day (up to 22:45) except some disposals. */
    t0 = 360 + pick(&s, 780);
    add_event(c, E_ARREST, 0, t0, &s);
    detained = uniform(&s) < P_DETAINED;
    force = uniform(&s) < clamp_p(P_FORCE * m[EQM_SYNTH_CUSTODY_USE_OF_FORCE][c->group]);
    force_in_custody = detained && uniform(&s) < P_FORCE_CUSTODY;
    if (force && !force_in_custody) {
        add_event(c, E_USE_OF_FORCE, 0, t0 + pick(&s, 3), &s);
        draw_force(g, c, &c->ev[c->n - 1], false, &s);
    }
    if (detained) {
        det_t = t0 + 10 + pick(&s, 36);
        add_event(c, E_DETENTION, 0, det_t, &s);
        if (uniform(&s) < clamp_p(P_STRIP * m[EQM_SYNTH_CUSTODY_STRIP_SEARCH][c->group]))
            add_event(c, E_STRIP_SEARCH, 0, det_t + 30 + pick(&s, 121), &s);
        if (force && force_in_custody) {
            add_event(c, E_USE_OF_FORCE, 0, det_t + 5 + pick(&s, 116), &s);
            draw_force(g, c, &c->ev[c->n - 1], true, &s);
        }
    }
    if (uniform(&s) < P_DISPOSAL) {
        int outcome = draw_outcome(g, c->group, &s);
        r = uniform(&s);
        if (r < 0.4)
            add_event(c, E_DISPOSAL, 0, t0 + 180 + pick(&s, 60), &s);
        else
            add_event(c, E_DISPOSAL, r < 0.8 ? 1 : 2, 540 + pick(&s, 540), &s);
        c->ev[c->n - 1].outcome = outcome;
    }
    /* Time order within the case (a strip search may follow force). */
    for (int i = 1; i < c->n; i++)
        for (int j = i; j > 0; j--) {
            struct sevent *a = &c->ev[j - 1], *b = &c->ev[j];
            if (a->day_off * 1440 + a->minute <= b->day_off * 1440 + b->minute)
                break;
            struct sevent tmp = *a;
            *a = *b;
            *b = tmp;
        }
}

/* ---- expected counts ---------------------------------------------------- */

static uint64_t pack(int32_t day, int area, int dim, int grp, int counter) {
    return ((uint64_t)(uint32_t)day << 32) | ((uint64_t)area << 16) | ((uint64_t)dim << 12) |
           ((uint64_t)grp << 8) | (uint64_t)counter;
}

/* One more event of this packed key. */
static int counts_add(struct eqm_synth_custody *g, uint64_t key) {
    uint64_t *n = eqm_keymap_get(&g->counts, (const char *)&key, sizeof(key), 0, NULL);

    if (!n)
        return -1;
    ++*n;
    return 0;
}

static int count_event(struct eqm_synth_custody *g, const struct scase *c, const struct sevent *e,
                       int32_t day) {
    int counters[CU__COUNT], n = 0;
    const int grp[DIM__COUNT] = {c->eth, c->gender, c->age, c->eth};

    switch (e->type) {
    case E_ARREST:
        counters[n++] = CU_ARRESTS;
        break;
    case E_DETENTION:
        counters[n++] = CU_DETENTIONS;
        break;
    case E_STRIP_SEARCH:
        counters[n++] = CU_STRIP_SEARCHES;
        break;
    case E_USE_OF_FORCE:
        counters[n++] = CU_USE_OF_FORCE;
        if (e->tactics_form != 0)
            counters[n++] = CU_TACTIC_NOT_RECORDED;
        for (int t = 0; t < N_TACTICS && e->tactics_form == 0; t++)
            if (e->tactics & (1u << t))
                counters[n++] = CU_TACTIC_FIRST + t;
        if (e->setting == 1)
            counters[n++] = CU_UOF_CUSTODY;
        else if (e->setting == 2)
            counters[n++] = CU_UOF_COMMUNITY;
        break;
    case E_DISPOSAL:
        counters[n++] = CU_DISPOSALS;
        if (e->outcome >= O_CAUTION && e->outcome <= O_CANNABIS_WARNING)
            counters[n++] = CU_OUT_OF_COURT;
        if (e->outcome == O_CHARGED)
            counters[n++] = CU_CHARGED;
        break;
    }
    for (int d = 0; d < DIM__COUNT; d++)
        for (int i = 0; i < n; i++)
            if (counts_add(g, pack(day, c->area, d, grp[d], counters[i])) != 0)
                return -1;
    return 0;
}

struct sortable {
    uint64_t key;
    int64_t n;
    const struct eqm_synth_custody *g;
};

static const char *grp_name(int dim, int grp) {
    return dim == DIM_ETHNICITY || dim == DIM_SELF_DEFINED ? eth_names[grp]
           : dim == DIM_GENDER                             ? gender_names[grp]
                                                           : age_names[grp];
}

static int by_key(const void *pa, const void *pb) {
    const struct sortable *a = pa, *b = pb;
    int32_t da = (int32_t)(uint32_t)(a->key >> 32), db = (int32_t)(uint32_t)(b->key >> 32);
    int c;

    if (da != db)
        return da < db ? -1 : 1;
    c = strcmp(a->g->o.areas[(a->key >> 16) & 0xffff], b->g->o.areas[(b->key >> 16) & 0xffff]);
    if (c)
        return c;
    if (((a->key >> 12) & 0xf) != ((b->key >> 12) & 0xf))
        return ((a->key >> 12) & 0xf) < ((b->key >> 12) & 0xf) ? -1 : 1;
    c = strcmp(grp_name((a->key >> 12) & 0xf, (a->key >> 8) & 0xf),
               grp_name((b->key >> 12) & 0xf, (b->key >> 8) & 0xf));
    if (c)
        return c;
    return (int)(a->key & 0xff) - (int)(b->key & 0xff);
}

long eqm_synth_custody_counts(const struct eqm_synth_custody *g,
                              struct eqm_synth_custody_count **rows) {
    struct sortable *tmp = calloc(g->counts.used + 1, sizeof(*tmp));
    struct eqm_synth_custody_count *out = calloc(g->counts.used + 1, sizeof(*out));
    size_t n = 0, pos = 0, len;
    const char *key;
    uint64_t count;

    if (!tmp || !out) {
        free(tmp);
        free(out);
        return -1;
    }
    while (eqm_keymap_next(&g->counts, &pos, &key, &len, &count)) {
        memcpy(&tmp[n].key, key, sizeof(tmp[n].key));
        tmp[n].n = (int64_t)count;
        tmp[n].g = g;
        n++;
    }
    qsort(tmp, n, sizeof(*tmp), by_key);
    for (size_t i = 0; i < n; i++) {
        uint64_t k = tmp[i].key;
        int dim = (int)((k >> 12) & 0xf);
        out[i].day = (int32_t)(uint32_t)(k >> 32);
        out[i].area = g->o.areas[(k >> 16) & 0xffff];
        out[i].dimension = dim_names[dim];
        out[i].grp = grp_name(dim, (int)((k >> 8) & 0xf));
        out[i].counter = counter_name((int)(k & 0xff));
        out[i].n = tmp[i].n;
    }
    free(tmp);
    *rows = out;
    return (long)n;
}

int eqm_synth_custody_write_counts(const struct eqm_synth_custody *g, FILE *fp) {
    struct eqm_synth_custody_count *rows;
    long n = eqm_synth_custody_counts(g, &rows);
    char day[11];

    if (n < 0)
        return -1;
    fprintf(fp, "day\tarea\tdimension\tgrp\tcounter\tn\n");
    for (long i = 0; i < n; i++) {
        eqm_time_day_format(rows[i].day, day);
        fprintf(fp, "%s\t%s\t%s\t%s\t%s\t%lld\n", day, rows[i].area, rows[i].dimension, rows[i].grp,
                rows[i].counter, (long long)rows[i].n);
    }
    free(rows);
    return ferror(fp) ? -1 : 0;
}

/* ---- events ------------------------------------------------------------- */

/* Last Sunday of a month (31 days: March, October) as a day number. */
static int32_t last_sunday(int y, unsigned m) {
    int32_t d = eqm_time_days_from_civil(y, m, 31);
    int dow = (int)(((d % 7) + 7 + 4) % 7); /* 1970-01-01 was a Thursday; 0 = Sunday */
    return d - dow;
}

/* "YYYY-MM-DDThh:mm:ss+01:00" in Europe/London: summer time from the last
 * Sunday of March to the day before the last Sunday of October, for
 * local times after 02:00 (all of ours are). */
static void occurred_at(int32_t day, int minute, int second, char out[48]) {
    char date[11];
    int y;
    bool bst;

    eqm_time_day_format(day, date);
    y = atoi(date);
    bst = day >= last_sunday(y, 3) && day < last_sunday(y, 10);
    snprintf(out, 48, "%sT%02d:%02d:%02d%s", date, minute / 60 % 24, minute % 60, second % 60,
             bst ? "+01:00" : "+00:00");
}

static int set_text(json_t *o, const char *key, const char *value) {
    return json_object_set_new(o, key, value ? json_string(value) : json_null());
}

static json_t *build(const struct eqm_synth_custody *g, long k, int i, int32_t day) {
    const struct scase *c = &g->cur;
    const struct sevent *e = &c->ev[i];
    const char *eth_field = c->self_defined_field ? "self_defined_ethnicity" : "ethnicity";
    const char *gender_field = c->sex_field ? "sex" : "gender";
    json_t *o = json_object();
    char id[96], when[48];
    int rc = 0;

    if (!o)
        return NULL;
    snprintf(id, sizeof(id), "syn-cu-%llu-%ld-%d", (unsigned long long)g->o.seed, k, i);
    occurred_at(day, e->minute, e->second, when);
    rc |= json_object_set_new(o, "event_id", json_string(id));
    rc |= json_object_set_new(o, "event_type", json_string(type_names[e->type]));
    rc |= json_object_set_new(o, "occurred_at", json_string(when));
    rc |= json_object_set_new(o, "area", json_string(g->o.areas[c->area]));

    if (c->eth == EQM_ETH_NOT_STATED) {
        if (c->eth_form != NS_ABSENT)
            rc |= set_text(o, eth_field, eth_not_stated[c->eth_form]);
    } else {
        rc |= set_text(o, eth_field, eth_labels[c->eth][c->eth_form]);
    }
    if (c->gender == G_NOT_STATED) {
        if (c->gender_form != NS_ABSENT)
            rc |= set_text(o, gender_field, gender_not_stated[c->gender_form]);
    } else {
        rc |= set_text(o, gender_field, gender_forms[c->gender][c->gender_form]);
    }
    if (c->age == AGE_NOT_STATED) {
        if (c->age_form != NS_ABSENT)
            rc |= set_text(o, "age_range", age_not_stated[c->age_form]);
    } else if (c->age_form < 0) {
        rc |= json_object_set_new(o, "age", json_integer(c->age_years));
    } else {
        rc |= set_text(o, "age_range", age_names[c->age]);
    }

    if (e->type == E_USE_OF_FORCE) {
        if (e->tactics_form == 0 || e->tactics_form == 3) {
            json_t *list = json_array();
            for (int t = 0; t < N_TACTICS && e->tactics_form == 0 && list; t++)
                if (e->tactics & (1u << t))
                    rc |= json_array_append_new(list,
                                                json_string(tactics[t].spellings[e->spelling[t]]));
            if (list && e->dup_entry && json_array_size(list) > 0)
                rc |= json_array_append_new(list, json_copy(json_array_get(list, 0)));
            if (list && e->blank_entry)
                rc |= json_array_append_new(list, json_string(""));
            rc |= json_object_set_new(o, "tactics", list);
        } else if (e->tactics_form == 2) {
            rc |= json_object_set_new(o, "tactics", json_null());
        }
        if (e->setting)
            rc |= json_object_set_new(o, "setting",
                                      json_string(e->setting == 1 ? "custody" : "community"));
    } else if (e->type == E_DISPOSAL) {
        rc |= json_object_set_new(o, "outcome", json_string(outcome_names[e->outcome]));
    }
    /* Extra fields are allowed; this one says the data is made up. */
    rc |= json_object_set_new(o, "synthetic", json_true());
    if (rc) {
        json_decref(o);
        return NULL;
    }
    return o;
}

int eqm_synth_custody_new(struct eqm_synth_custody **out, const struct eqm_synth_custody_opts *o,
                          char *errstr, size_t sz) {
    struct eqm_synth_custody *g;
    long events = 0;

    if (o->events < 1) {
        snprintf(errstr, sz, "--events must be at least 1");
        return -1;
    }
    if (o->n_areas < 1 || o->n_areas > EQM_SYNTH_CUSTODY_MAX_AREAS || !o->areas) {
        snprintf(errstr, sz, "give 1 to %d areas", EQM_SYNTH_CUSTODY_MAX_AREAS);
        return -1;
    }
    for (size_t a = 0; a < o->n_areas; a++)
        if (!o->areas[a] || !o->areas[a][0] || strlen(o->areas[a]) > 64) {
            snprintf(errstr, sz, "area %zu: 1 to 64 bytes", a + 1);
            return -1;
        }
    if (o->days < 1 || o->days > 3660) {
        snprintf(errstr, sz, "--days must be 1 to 3660");
        return -1;
    }
    if (!(o->duplicate_share >= 0 && o->duplicate_share <= 1)) {
        snprintf(errstr, sz, "--duplicates must be a share from 0 to 1");
        return -1;
    }
    for (int k = 0; k < EQM_SYNTH_CUSTODY__KINDS; k++)
        for (int gr = 0; gr < EQM_ETH__COUNT; gr++)
            if (!(o->multiplier[k][gr] > 0) || !isfinite(o->multiplier[k][gr])) {
                snprintf(errstr, sz, "multipliers must be positive numbers");
                return -1;
            }
    g = calloc(1, sizeof(*g));
    if (!g) {
        snprintf(errstr, sz, "out of memory");
        return -1;
    }
    g->o = *o;
    /* Who is arrested where: population of the group in the area times the
     * group's arrest multiplier. */
    for (size_t a = 0; a < o->n_areas; a++) {
        double total = 0;
        for (int gr = 0; gr < EQM_ETH__COUNT; gr++)
            if (gr != EQM_ETH_NOT_STATED)
                total += o->population[a][gr] > 0 ? o->population[a][gr] : 0;
        for (int gr = 0; gr < EQM_ETH__COUNT; gr++) {
            double pop = total > 0 ? o->population[a][gr] : ew_shares[gr] * 100000;
            double w = gr == EQM_ETH_NOT_STATED || pop < 0
                           ? 0
                           : pop * o->multiplier[EQM_SYNTH_CUSTODY_ARREST][gr];
            int cell = (int)a * EQM_ETH__COUNT + gr;
            g->cum[cell] = (cell ? g->cum[cell - 1] : 0) + w;
        }
    }
    g->n_cells = (int)o->n_areas * EQM_ETH__COUNT;
    if (!(g->cum[g->n_cells - 1] > 0)) {
        snprintf(errstr, sz, "the areas have no population");
        free(g);
        return -1;
    }
    /* First pass: how many cases make the events. */
    while (events < o->events) {
        simulate(g, g->n_cases++, &g->cur);
        events += g->cur.n;
    }
    g->first_day = o->end_day - o->days + 1;
    g->cur_i = g->cur.n = 0;
    g->dup_rng = case_seed(o->seed ^ UINT64_C(0x5deece66d), -1);
    *out = g;
    return 0;
}

int eqm_synth_custody_next(struct eqm_synth_custody *g, const json_t **event, const char **area) {
    json_t *ev;
    int best = -1;

    json_decref(g->last);
    g->last = NULL;
    /* A duplicate that is due, or, once every event is out, the rest. */
    for (int i = 0; i < g->n_pend; i++)
        if ((g->pend[i].due <= g->serial || g->made >= g->o.events) &&
            (best < 0 || g->pend[i].due < g->pend[best].due))
            best = i;
    if (best >= 0) {
        g->last = g->pend[best].event;
        *area = g->o.areas[g->pend[best].area];
        g->pend[best] = g->pend[--g->n_pend];
        g->dups++;
        g->serial++;
        *event = g->last;
        return 1;
    }
    if (g->made >= g->o.events)
        return 0;

    if (g->cur_i >= g->cur.n) {
        long k = g->next_case++;
        simulate(g, k, &g->cur);
        /* Spread the cases evenly over the days, in case order. */
        g->cur_day =
            g->first_day + (int32_t)(((double)k + g->cur.day_u) * g->o.days / (double)g->n_cases);
        if (g->cur_day > g->o.end_day)
            g->cur_day = g->o.end_day;
        g->cur_i = 0;
    }
    {
        const struct sevent *e = &g->cur.ev[g->cur_i];
        int32_t day = g->cur_day + e->day_off;
        if (day > g->o.end_day)
            day = g->o.end_day;
        ev = build(g, g->next_case - 1, g->cur_i, day);
        if (!ev || count_event(g, &g->cur, e, day) != 0) {
            json_decref(ev);
            return -1;
        }
    }
    g->cur_i++;
    g->made++;
    if (g->o.duplicate_share > 0 && uniform(&g->dup_rng) < g->o.duplicate_share &&
        g->n_pend < MAX_PENDING) {
        struct pending *p = &g->pend[g->n_pend++];
        p->event = json_incref(ev);
        p->area = g->cur.area;
        p->due = g->serial + 1 + pick(&g->dup_rng, 64);
    }
    g->serial++;
    g->last = ev;
    *event = ev;
    *area = g->o.areas[g->cur.area];
    return 1;
}

long eqm_synth_custody_events(const struct eqm_synth_custody *g) {
    return g->made;
}

long eqm_synth_custody_duplicates(const struct eqm_synth_custody *g) {
    return g->dups;
}

void eqm_synth_custody_days(const struct eqm_synth_custody *g, int32_t *first, int32_t *last) {
    *first = g->first_day;
    *last = g->o.end_day;
}

void eqm_synth_custody_free(struct eqm_synth_custody **gp) {
    struct eqm_synth_custody *g;

    if (!gp || !*gp)
        return;
    g = *gp;
    json_decref(g->last);
    for (int i = 0; i < g->n_pend; i++)
        json_decref(g->pend[i].event);
    eqm_keymap_free(&g->counts);
    free(g);
    *gp = NULL;
}
