#include "recruitment.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "eqm/bme.h"
#include "eqm/ethnicity.h"
#include "eqm/timeutil.h"

#define NOT_STATED          "not_stated"
#define ALL_CAMPAIGNS       "*"
#define CAMPAIGN_MAX        64 /* bytes */
#define SNAPSHOT_GROUPS_MAX 64

static const char *const funnel_keys[] = {"role", "campaign", "stage", "dimension", "grp"};
static const char *const funnel_counts[] = {"entered", "passed", "failed", "withdrawn"};
static const char *const wf_keys[] = {"role", "area", "dimension", "grp"};
static const char *const wf_counts[] = {"joiners", "leavers", "leaver_service_days",
                                        "leaver_service_known"};
static const char *const hc_keys[] = {"as_of", "role", "area", "dimension", "grp"};
static const char *const hc_counts[] = {"headcount"};

static const struct eqm_counts_table tables[] = {
    {"equality.recruitment_daily", funnel_keys, 5, funnel_counts, REC__COUNT},
    {"equality.workforce_daily", wf_keys, 4, wf_counts, WF__COUNT},
    {"equality.headcount_snapshots", hc_keys, 5, hc_counts, 1},
};

/* Default reference groups (equality.recruitment_settings may say
 * "highest" instead). Age bands are the producer's own, so no band is a
 * natural reference. The detailed groups of the same ethnicity
 * (eqm_ethnicity_detailed) are compared with White British, as in stop and
 * search, beside which white_minority and all_minority are reported. */
static const struct eqm_dimension dimensions[] = {
    {"ethnicity", "white", true},
    {"sex", "male", false},
    {"age_range", "", false},
    {"disability", "no", false},
    {"ethnicity_detailed", "white_british", true},
};

static const char *const stages[REC_N_FIGURE_STAGES] = {
    "application", "eligibility", "assessment_centre", "interview",  "vetting",   "medical",
    "fitness",     "offer",       "appointment",       "end_to_end", "withdrawal"};

static const char *const roles[] = {"police_officer", "police_staff", "special_constable", "pcso"};

const char *eqm_recruitment_stage_name(int stage) {
    return stage >= 0 && stage < REC_N_FIGURE_STAGES ? stages[stage] : NULL;
}

int eqm_recruitment_stage_index(const char *name) {
    for (int i = 0; name && i < REC_N_FIGURE_STAGES; i++)
        if (!strcmp(stages[i], name))
            return i;
    return -1;
}

/* ---- characteristics --------------------------------------------------- */

/* s without surrounding blanks: *len bytes from the returned pointer. */
static const char *trim(const char *s, size_t *len) {
    size_t n;
    while (*s && isspace((unsigned char)*s))
        s++;
    n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    *len = n;
    return s;
}

static bool is(const char *s, const char *want) {
    size_t n;
    if (!s)
        return false;
    s = trim(s, &n);
    return n == strlen(want) && !strncasecmp(s, want, n);
}

static bool not_stated(const char *s) {
    size_t n;
    if (!s)
        return true;
    trim(s, &n);
    return n == 0 || is(s, "not stated") || is(s, NOT_STATED) || is(s, "unknown") ||
           is(s, "prefer not to say") || is(s, "not known");
}

const char *eqm_recruitment_sex(const char *s) {
    if (not_stated(s))
        return NOT_STATED;
    if (is(s, "male") || is(s, "m") || is(s, "man"))
        return "male";
    if (is(s, "female") || is(s, "f") || is(s, "woman"))
        return "female";
    return "other";
}

const char *eqm_recruitment_disability(const json_t *v) {
    const char *s;
    if (json_is_boolean(v))
        return json_is_true(v) ? "yes" : "no";
    if (!json_is_string(v))
        return NOT_STATED;
    s = json_string_value(v);
    if (is(s, "yes") || is(s, "y") || is(s, "true") || is(s, "disabled"))
        return "yes";
    if (is(s, "no") || is(s, "n") || is(s, "false") || is(s, "not disabled"))
        return "no";
    return NOT_STATED;
}

const char *eqm_recruitment_age(const char *s, char *out) {
    size_t n;
    if (not_stated(s))
        return NOT_STATED;
    s = trim(s, &n);
    if (n > REC_GROUP_MAX)
        return NOT_STATED;
    memcpy(out, s, n);
    out[n] = '\0';
    return out;
}

const char *eqm_recruitment_dimension(const char *name) {
    if (is(name, "gender") || is(name, "sex"))
        return "sex";
    for (int i = 0; name && i < REC_N_DIMENSIONS; i++)
        if (is(name, dimensions[i].name))
            return dimensions[i].name;
    return NULL;
}

static const char *ethnic(const char *s) {
    return eqm_ethnicity_name(eqm_ethnicity_map(s, s ? strlen(s) : 0, NULL));
}

/* The detailed group of a label; a detailed group's own name (a snapshot
 * keyed "white_irish") is itself. */
static const char *ethnic_detailed(const char *s) {
    size_t n;
    char name[40];
    if (s) {
        const char *t = trim(s, &n);
        if (n < sizeof(name)) {
            for (size_t i = 0; i < n; i++)
                name[i] = (char)tolower((unsigned char)t[i]);
            name[n] = '\0';
            for (int i = 0; i < EQM_ETH_CENSUS_CATEGORIES; i++)
                if (!strcmp(name, eqm_ethnicity_census_category(i)))
                    return eqm_ethnicity_census_category(i);
        }
    }
    return eqm_ethnicity_detailed(s, s ? strlen(s) : 0, NULL, NULL);
}

static const char *text(const json_t *event, const char *field) {
    const json_t *v = json_object_get(event, field);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* The group of the event in each dimension, in dimensions[] order. */
static void groups_of(const json_t *event, const char *groups[REC_N_DIMENSIONS],
                      char age_buf[REC_GROUP_MAX + 1]) {
    const char *eth = text(event, "ethnicity");
    const char *sex = text(event, "sex");
    if (!eth)
        eth = text(event, "self_defined_ethnicity");
    if (!sex)
        sex = text(event, "gender");
    groups[0] = ethnic(eth);
    groups[1] = eqm_recruitment_sex(sex);
    groups[2] = eqm_recruitment_age(text(event, "age_range"), age_buf);
    groups[3] = eqm_recruitment_disability(json_object_get(event, "disability"));
    groups[4] = ethnic_detailed(eth);
}

/* ---- the handler ------------------------------------------------------- */

static int reject(struct eqm_reject *rej, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int reject(struct eqm_reject *rej, const char *code, const char *fmt, ...) {
    va_list ap;
    rej->code = code;
    va_start(ap, fmt);
    vsnprintf(rej->reason, sizeof(rej->reason), fmt, ap);
    va_end(ap);
    return -1;
}

enum field_state { F_OK, F_MISSING, F_BAD };

/* A required string field: absent, null or blank is missing; another type
 * is bad. */
static enum field_state field(const json_t *event, const char *name, const char **out) {
    const json_t *v = json_object_get(event, name);
    size_t n;
    if (!v || json_is_null(v))
        return F_MISSING;
    if (!json_is_string(v))
        return F_BAD;
    trim(json_string_value(v), &n);
    if (n == 0)
        return F_MISSING;
    *out = json_string_value(v);
    return F_OK;
}

/* One of a closed list of values (case and surrounding blanks ignored);
 * the canonical spelling, or NULL with *rej filled. */
static const char *one_of(const json_t *event, const char *name, const char *const *values, int n,
                          struct eqm_reject *rej, const char *missing_code, const char *bad_code) {
    const char *s = NULL;
    switch (field(event, name, &s)) {
    case F_MISSING:
        reject(rej, missing_code, "required field \"%s\" is missing", name);
        return NULL;
    case F_BAD:
        reject(rej, bad_code, "field \"%s\" must be a string", name);
        return NULL;
    case F_OK:
        break;
    }
    for (int i = 0; i < n; i++)
        if (is(s, values[i]))
            return values[i];
    reject(rej, bad_code, "field \"%s\" is \"%.48s\", not one of the contract's values", name, s);
    return NULL;
}

/* Out of memory is no fault of the event's: the engine stops without
 * committing, and the event is read again. */
static int oom(struct eqm_reject *rej) {
    (void)rej;
    return EQM_HANDLE_FAILED;
}

static int handle_stage(const struct eqm_envelope *env, const json_t *event, const char *role,
                        struct eqm_sink *sink, struct eqm_reject *rej) {
    static const char *const results[] = {"passed", "failed", "withdrawn"};
    const char *groups[REC_N_DIMENSIONS], *stage, *result, *campaign = NOT_STATED;
    const json_t *cv = json_object_get(event, "campaign");
    char age[REC_GROUP_MAX + 1], camp[CAMPAIGN_MAX + 1];
    int64_t counts[REC__COUNT] = {1, 0, 0, 0};
    size_t n;

    (void)env;
    stage = one_of(event, "stage", stages, REC_N_STAGES, rej, "missing_stage", "bad_stage");
    if (!stage)
        return -1;
    result = one_of(event, "result", results, 3, rej, "missing_result", "bad_result");
    if (!result)
        return -1;
    if (cv && !json_is_null(cv)) {
        const char *s;
        if (!json_is_string(cv))
            return reject(rej, "bad_campaign", "field \"campaign\" must be a string");
        s = trim(json_string_value(cv), &n);
        if (n > CAMPAIGN_MAX)
            return reject(rej, "bad_campaign", "field \"campaign\" is longer than %d bytes",
                          CAMPAIGN_MAX);
        if (n == 1 && *s == '*')
            return reject(rej, "bad_campaign",
                          "campaign \"*\" is reserved for the total of all campaigns");
        if (n > 0) {
            memcpy(camp, s, n);
            camp[n] = '\0';
            campaign = camp;
        }
    }
    counts[REC_PASSED] = result == results[0];
    counts[REC_FAILED] = result == results[1];
    counts[REC_WITHDRAWN] = result == results[2];

    groups_of(event, groups, age);
    for (int d = 0; d < REC_N_DIMENSIONS; d++) {
        const char *parts[5] = {role, campaign, stage, dimensions[d].name, groups[d]};
        if (eqm_sink_add(sink, REC_T_FUNNEL, parts, counts) != 0)
            return oom(rej);
        parts[1] = ALL_CAMPAIGNS;
        if (eqm_sink_add(sink, REC_T_FUNNEL, parts, counts) != 0)
            return oom(rej);
    }
    return 0;
}

/* A date "YYYY-MM-DD" or an RFC 3339 date-time (its local day), as a day
 * number; -1 if s is neither. */
static int parse_day(const char *s, int32_t *day) {
    int64_t us;
    size_t n = strlen(s);
    if (n == 10) {
        int y, m, d;
        char tail;
        if (sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || s[4] != '-' || s[7] != '-')
            return -1;
        for (int i = 0; i < 10; i++)
            if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
                return -1;
        if (m < 1 || m > 12 || d < 1)
            return -1;
        {
            static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
            bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
            if (d > mdays[m - 1] || (m == 2 && d == 29 && !leap))
                return -1;
        }
        *day = eqm_time_days_from_civil(y, (unsigned)m, (unsigned)d);
        /* The same range as event times: a date PostgreSQL takes. */
        return *day >= EQM_TIME_FIRST_DAY && *day <= EQM_TIME_LAST_DAY ? 0 : -1;
    }
    if (eqm_time_parse_rfc3339(s, n, &us) != 0)
        return -1;
    *day = eqm_time_local_day(us);
    return 0;
}

static int handle_flow(const struct eqm_envelope *env, const json_t *event, const char *role,
                       bool joined, const char *force_area, struct eqm_sink *sink,
                       struct eqm_reject *rej) {
    const char *groups[REC_N_DIMENSIONS];
    char age[REC_GROUP_MAX + 1];
    int64_t counts[WF__COUNT] = {0};

    if (joined) {
        counts[WF_JOINERS] = 1;
    } else {
        const json_t *los = json_object_get(event, "length_of_service_days");
        const json_t *start = json_object_get(event, "service_start");
        counts[WF_LEAVERS] = 1;
        if (los && !json_is_null(los)) {
            if (!json_is_integer(los) || json_integer_value(los) < 0 ||
                json_integer_value(los) > 36525)
                return reject(rej, "bad_length_of_service",
                              "length_of_service_days must be a whole number of days from 0 to "
                              "36525");
            counts[WF_SERVICE_DAYS] = json_integer_value(los);
            counts[WF_SERVICE_KNOWN] = 1;
        } else if (start && !json_is_null(start)) {
            int32_t day;
            if (!json_is_string(start) || parse_day(json_string_value(start), &day) != 0)
                return reject(
                    rej, "bad_service_start",
                    "service_start must be a date (YYYY-MM-DD, years 1 to 9999) or an RFC 3339 "
                    "date-time");
            if (day > env->day)
                return reject(rej, "bad_service_start",
                              "service_start is after the day the person left");
            counts[WF_SERVICE_DAYS] = env->day - day;
            counts[WF_SERVICE_KNOWN] = 1;
        }
    }
    groups_of(event, groups, age);
    for (int d = 0; d < REC_N_DIMENSIONS; d++) {
        const char *parts[4] = {role, env->area, dimensions[d].name, groups[d]};
        if (eqm_sink_add_areas(sink, REC_T_WORKFORCE, parts, 1, env->area, force_area, counts) != 0)
            return oom(rej);
    }
    return 0;
}

static const char *snapshot_group(const char *dim, const char *key, char *buf) {
    if (!strcmp(dim, "ethnicity"))
        return ethnic(key);
    if (!strcmp(dim, "ethnicity_detailed"))
        return ethnic_detailed(key);
    if (!strcmp(dim, "sex"))
        return eqm_recruitment_sex(key);
    if (!strcmp(dim, "age_range"))
        return eqm_recruitment_age(key, buf);
    {
        json_t *s = json_string(key);
        const char *g = eqm_recruitment_disability(s);
        json_decref(s);
        return g;
    }
}

static int handle_headcount(const struct eqm_envelope *env, const json_t *event, const char *role,
                            const char *force_area, struct eqm_sink *sink, struct eqm_reject *rej) {
    struct {
        char grp[REC_GROUP_MAX + 1];
        int64_t n;
    } acc[SNAPSHOT_GROUPS_MAX];
    int n_acc = 0;
    const char *dname = NULL, *dim, *key;
    const json_t *counts = json_object_get(event, "counts"), *v, *asv;
    int32_t as_of = env->day;
    char as_of_s[11];

    switch (field(event, "dimension", &dname)) {
    case F_MISSING:
        return reject(rej, "missing_dimension", "required field \"dimension\" is missing");
    case F_BAD:
        return reject(rej, "bad_dimension", "field \"dimension\" must be a string");
    case F_OK:
        break;
    }
    dim = eqm_recruitment_dimension(dname);
    if (!dim)
        return reject(rej, "bad_dimension",
                      "dimension \"%.48s\" is not one of ethnicity, sex, age_range, "
                      "disability, ethnicity_detailed",
                      dname);
    if (!counts || json_is_null(counts))
        return reject(rej, "missing_counts", "required field \"counts\" is missing");
    if (!json_is_object(counts))
        return reject(rej, "bad_counts", "field \"counts\" must be an object {group: n}");
    asv = json_object_get(event, "as_of");
    if (asv && !json_is_null(asv)) {
        if (!json_is_string(asv) || parse_day(json_string_value(asv), &as_of) != 0)
            return reject(rej, "bad_as_of",
                          "as_of must be a date (YYYY-MM-DD, years 1 to 9999) or an RFC 3339 "
                          "date-time");
    }
    eqm_time_day_format(as_of, as_of_s);

    json_object_foreach((json_t *)counts, key, v) {
        char buf[REC_GROUP_MAX + 1];
        const char *g;
        int i;
        if (!json_is_integer(v) || json_integer_value(v) < 0)
            return reject(rej, "bad_counts", "counts[\"%.48s\"] must be a whole number, 0 or more",
                          key);
        g = snapshot_group(dim, key, buf);
        for (i = 0; i < n_acc && strcmp(acc[i].grp, g); i++)
            ;
        if (i == n_acc) {
            if (n_acc == SNAPSHOT_GROUPS_MAX)
                return reject(rej, "bad_counts", "more than %d groups in one snapshot",
                              SNAPSHOT_GROUPS_MAX);
            snprintf(acc[i].grp, sizeof(acc[i].grp), "%s", g);
            acc[i].n = 0;
            n_acc++;
        }
        if (acc[i].n > INT64_MAX / 2 - json_integer_value(v))
            return reject(rej, "bad_counts", "counts too large");
        acc[i].n += json_integer_value(v);
    }
    for (int i = 0; i < n_acc; i++) {
        const char *parts[5] = {as_of_s, role, env->area, dim, acc[i].grp};
        if (eqm_sink_add_areas(sink, REC_T_HEADCOUNT, parts, 2, env->area, force_area, &acc[i].n) !=
            0)
            return oom(rej);
    }
    return 0;
}

static int handle(const struct eqm_envelope *env, const json_t *event, const char *force_area,
                  struct eqm_sink *sink, struct eqm_reject *rej) {
    static const char *const types[] = {"application_stage", "joined", "left", "headcount"};
    const char *role;
    int t;

    for (t = 0; t < 4 && strcmp(env->event_type, types[t]); t++)
        ;
    if (t == 4)
        return reject(rej, "unknown_event_type",
                      "event_type \"%.64s\" is not one this topic carries (expected "
                      "application_stage, joined, left or headcount)",
                      env->event_type);
    /* candidate_ref / employee_ref are never read: nothing personal is
     * counted or stored. */
    role = one_of(event, "role", roles, 4, rej, "missing_role", "bad_role");
    if (!role)
        return -1;
    switch (t) {
    case 0:
        return handle_stage(env, event, role, sink, rej);
    case 1:
    case 2:
        return handle_flow(env, event, role, t == 1, force_area, sink, rej);
    default:
        return handle_headcount(env, event, role, force_area, sink, rej);
    }
}

/* ---- attrition figures ------------------------------------------------- */

struct eqm_rec_cell eqm_recruitment_cell(const struct eqm_rec_group *g, int stage, int64_t *base) {
    struct eqm_rec_cell c = {0, 0, 0, 0};
    int64_t withdrawn = 0;

    if (stage >= 0 && stage < REC_N_STAGES) {
        c = g->stage[stage];
        *base = c.passed + c.failed;
        return c;
    }
    for (int s = 0; s < REC_N_STAGES; s++)
        withdrawn += g->stage[s].withdrawn;
    c.entered = g->stage[0].entered;
    if (stage == REC_STAGE_END_TO_END) {
        c.passed = g->stage[REC_N_STAGES - 1].passed;
        c.withdrawn = withdrawn;
        c.failed = c.entered - c.passed - c.withdrawn;
        if (c.failed < 0)
            c.failed = 0;
    } else {
        /* Within a window, withdrawals can belong to applications made
         * before it; never more withdrawals than applicants. */
        c.withdrawn = withdrawn < c.entered ? withdrawn : c.entered;
        c.passed = c.entered - c.withdrawn;
    }
    *base = c.entered;
    return c;
}

bool eqm_recruitment_is_aggregate(const char *grp) {
    for (int a = 0; a < EQM_AGG__COUNT; a++)
        if (!strcmp(grp, eqm_aggregate_name((enum eqm_aggregate)a)))
            return true;
    return false;
}

int eqm_recruitment_add_aggregate(enum eqm_aggregate a, struct eqm_rec_group *groups, int *n,
                                  int cap) {
    struct eqm_rec_group sum;
    bool any = false;
    if (*n >= cap || !eqm_aggregate_name(a))
        return 0;
    memset(&sum, 0, sizeof(sum));
    sum.grp = eqm_aggregate_name(a);
    for (int i = 0; i < *n; i++) {
        if (eqm_recruitment_is_aggregate(groups[i].grp) || !eqm_aggregate_member(a, groups[i].grp))
            continue;
        any = true;
        for (int s = 0; s < REC_N_STAGES; s++) {
            sum.stage[s].entered += groups[i].stage[s].entered;
            sum.stage[s].passed += groups[i].stage[s].passed;
            sum.stage[s].failed += groups[i].stage[s].failed;
            sum.stage[s].withdrawn += groups[i].stage[s].withdrawn;
        }
    }
    if (!any)
        return 0;
    groups[(*n)++] = sum;
    return 1;
}

int eqm_recruitment_add_bme(struct eqm_rec_group *groups, int *n, int cap) {
    return eqm_recruitment_add_aggregate(EQM_AGG_BME, groups, n, cap);
}

int eqm_recruitment_comparison(const struct eqm_rec_group *groups, int n, int stage,
                               const char *reference) {
    int best = -1;
    int64_t best_p = 0, best_b = 0;

    for (int i = 0; i < n; i++) {
        int64_t base;
        struct eqm_rec_cell c = eqm_recruitment_cell(&groups[i], stage, &base);
        if (reference) {
            if (!strcmp(groups[i].grp, reference))
                return base > 0 ? i : -1;
            continue;
        }
        if (base <= 0 || !strcmp(groups[i].grp, NOT_STATED) ||
            eqm_recruitment_is_aggregate(groups[i].grp))
            continue;
        /* p/b > best_p/best_b, compared exactly in integers (counts are far
         * below 2^31, so the products fit). */
        if (best < 0 || c.passed * best_b > best_p * base ||
            (c.passed * best_b == best_p * base &&
             (base > best_b || (base == best_b && strcmp(groups[i].grp, groups[best].grp) < 0)))) {
            best = i;
            best_p = c.passed;
            best_b = base;
        }
    }
    return best;
}

int eqm_recruitment_stage_figures(const struct eqm_rec_group *groups, int n, int stage,
                                  const char *reference, struct eqm_rec_figure *out) {
    int cmp = eqm_recruitment_comparison(groups, n, stage, reference);
    struct eqm_rec_cell cc = {0, 0, 0, 0};
    int64_t cbase = 0;
    int any = 0;

    if (cmp >= 0)
        cc = eqm_recruitment_cell(&groups[cmp], stage, &cbase);
    for (int i = 0; i < n; i++) {
        struct eqm_rec_figure *f = &out[i];
        memset(f, 0, sizeof(*f));
        f->grp = groups[i].grp;
        f->cell = eqm_recruitment_cell(&groups[i], stage, &f->base);
        f->cmp_passed = f->cmp_base = f->cmp_withdrawn = f->cmp_entered = -1;
        if (f->cell.entered > 0 || f->base > 0)
            any++;
        if (f->base > 0)
            eqm_stats_wilson(f->cell.passed, f->base, EQM_STATS_Z95, &f->pass_rate);
        if (f->cell.entered > 0)
            eqm_stats_wilson(f->cell.withdrawn, f->cell.entered, EQM_STATS_Z95,
                             &f->withdrawal_rate);
        if (cmp >= 0) {
            f->comparison_grp = groups[cmp].grp;
            f->cmp_passed = cc.passed;
            f->cmp_base = cbase;
            f->cmp_withdrawn = cc.withdrawn;
            f->cmp_entered = cc.entered;
            eqm_stats_wilson(cc.passed, cbase, EQM_STATS_Z95, &f->cmp_rate);
        } else if (reference) {
            f->comparison_grp = reference;
        }
        if (f->cell.entered == 0 && f->base == 0) {
            f->note = "no candidates in the window";
            continue;
        }
        if (!strcmp(f->grp, NOT_STATED)) {
            f->note = "not stated: left out of ratios";
            continue;
        }
        if (cmp == i) {
            f->note = "comparison group";
            continue;
        }
        if (cmp < 0) {
            f->note = reference ? "the reference group has no decisions at this stage: no ratio"
                                : "no group has decisions at this stage: no ratio";
            continue;
        }
        if (cc.entered > 0 && f->cell.entered > 0 && cc.withdrawn > 0)
            eqm_stats_ratio_katz(f->cell.withdrawn, f->cell.entered, cc.withdrawn, cc.entered,
                                 EQM_STATS_Z95, &f->withdrawal_ratio);
        if (f->base == 0) {
            f->note = "no decisions (all withdrew): no pass rate";
            continue;
        }
        if (eqm_stats_adverse_impact(f->cell.passed, f->base, cc.passed, cbase, &f->ratio,
                                     &f->p_value) != 0) {
            f->note = "counts inconsistent: no ratio";
            continue;
        }
        f->has_p = true;
        if (!f->ratio.has_value)
            f->note = "the comparison group passed nobody: no ratio";
        else if (!f->ratio.has_ci)
            f->note = "nobody passed: no confidence interval";
    }
    return any;
}

/* ---- workforce figures ------------------------------------------------- */

static bool stated(const char *grp) {
    return strcmp(grp, NOT_STATED) != 0 && !eqm_recruitment_is_aggregate(grp);
}

/* A detailed group whose detail is not known: the Census counts none. */
static bool unspecified(const char *grp) {
    static const char suffix[] = "_unspecified";
    size_t n = strlen(grp), k = sizeof(suffix) - 1;
    return n > k && !strcmp(grp + n - k, suffix) && eqm_ethnicity_detailed_broad(grp, NULL);
}

int eqm_workforce_add_aggregate(enum eqm_aggregate a, struct eqm_wf_group *groups, int *n,
                                int cap) {
    struct eqm_wf_group sum;
    bool any = false;
    if (*n >= cap || !eqm_aggregate_name(a))
        return 0;
    memset(&sum, 0, sizeof(sum));
    sum.grp = eqm_aggregate_name(a);
    for (int i = 0; i < *n; i++) {
        const struct eqm_wf_group *g = &groups[i];
        if (eqm_recruitment_is_aggregate(g->grp) || !eqm_aggregate_member(a, g->grp))
            continue;
        any = true;
        sum.has_snapshot = sum.has_snapshot || g->has_snapshot;
        sum.snapshot += g->snapshot;
        sum.net_since += g->net_since;
        sum.joiners += g->joiners;
        sum.leavers += g->leavers;
        sum.service_days += g->service_days;
        sum.service_known += g->service_known;
        if (unspecified(g->grp))
            continue;
        if (g->population < 0 || sum.population < 0)
            sum.population = -1;
        else
            sum.population += g->population;
    }
    if (!any)
        return 0;
    groups[(*n)++] = sum;
    return 1;
}

int eqm_workforce_add_bme(struct eqm_wf_group *groups, int *n, int cap) {
    return eqm_workforce_add_aggregate(EQM_AGG_BME, groups, n, cap);
}

static int64_t headcount_of(const struct eqm_wf_group *g) {
    int64_t h = g->snapshot + g->net_since;
    return h < 0 ? 0 : h;
}

/* Katz interval for a ratio of rates whose denominators are not whole
 * numbers (average headcounts). */
static void rate_ratio(int64_t a, double n1, int64_t b, double n2, struct eqm_estimate *out) {
    memset(out, 0, sizeof(*out));
    if (n1 <= 0 || n2 <= 0 || b <= 0)
        return;
    out->value = (a / n1) / (b / n2);
    out->has_value = true;
    if (a > 0 && a <= n1 && b <= n2) {
        double se = sqrt(1.0 / a - 1.0 / n1 + 1.0 / b - 1.0 / n2);
        out->low = exp(log(out->value) - EQM_STATS_Z95 * se);
        out->high = exp(log(out->value) + EQM_STATS_Z95 * se);
        out->has_ci = true;
    }
}

void eqm_workforce_figures(const struct eqm_wf_group *groups, int n, const char *reference,
                           struct eqm_wf_figure *out) {
    int64_t hc_total = 0, j_total = 0, pop_total = 0;
    bool pop_known = true;
    const struct eqm_wf_group *ref = NULL;
    double ref_avg = 0;

    for (int i = 0; i < n; i++) {
        const struct eqm_wf_group *g = &groups[i];
        if (reference && *reference && !strcmp(g->grp, reference))
            ref = g;
        if (!stated(g->grp))
            continue;
        hc_total += headcount_of(g);
        j_total += g->joiners;
        if (unspecified(g->grp))
            continue;
        if (g->population < 0)
            pop_known = false;
        else
            pop_total += g->population;
    }
    if (!pop_known || pop_total == 0)
        pop_total = -1;
    if (ref)
        ref_avg = headcount_of(ref) - (ref->joiners - ref->leavers) / 2.0;

    for (int i = 0; i < n; i++) {
        const struct eqm_wf_group *g = &groups[i];
        struct eqm_wf_figure *f = &out[i];
        memset(f, 0, sizeof(*f));
        f->grp = g->grp;
        f->reference_grp = reference ? reference : "";
        f->headcount = headcount_of(g);
        f->headcount_total = hc_total;
        f->population = g->population;
        f->population_total = pop_total;
        f->joiners = g->joiners;
        f->joiners_total = j_total;
        f->leavers = g->leavers;
        f->service_known = g->service_known;
        f->ref_leavers = ref ? ref->leavers : -1;
        f->ref_avg_headcount = ref_avg;
        if (g->snapshot + g->net_since < 0)
            f->note = "more leavers than the snapshot and joiners account for: headcount set to 0";
        if (g->service_known > 0) {
            f->mean_service_years.value = (double)g->service_days / g->service_known / 365.25;
            f->mean_service_years.has_value = true;
        }
        f->avg_headcount = f->headcount - (g->joiners - g->leavers) / 2.0;
        if (f->avg_headcount > 0) {
            f->leaver_rate.value = g->leavers / f->avg_headcount;
            f->leaver_rate.has_value = true;
        }
        if (ref && ref_avg > 0) {
            f->ref_leaver_rate.value = ref->leavers / ref_avg;
            f->ref_leaver_rate.has_value = true;
        }
        if (!strcmp(g->grp, NOT_STATED)) {
            f->note = "not stated: left out of shares and ratios";
            continue;
        }
        if (hc_total > 0 && f->headcount <= hc_total)
            eqm_stats_wilson(f->headcount, hc_total, EQM_STATS_Z95, &f->share);
        if (j_total > 0)
            eqm_stats_wilson(g->joiners, j_total, EQM_STATS_Z95, &f->joiners_share);
        if (pop_total > 0 && g->population >= 0 && g->population <= pop_total)
            eqm_stats_wilson(g->population, pop_total, EQM_STATS_Z95, &f->population_share);
        if (f->share.has_value && f->population_share.has_value && g->population > 0)
            eqm_stats_ratio_katz(f->headcount, hc_total, g->population, pop_total, EQM_STATS_Z95,
                                 &f->representation);
        if (ref && ref != g && f->avg_headcount > 0 && ref_avg > 0)
            rate_ratio(g->leavers, f->avg_headcount, ref->leavers, ref_avg, &f->leaver_ratio);
        if (!f->note) {
            if (ref == g)
                f->note = "reference group";
            else if (unspecified(g->grp))
                f->note = "ethnic group known, its detail not: no Census population of its own";
            else if (!ref && reference && *reference)
                f->note = "no reference group counts: no leaver rate ratio";
            else if (pop_total < 0 && f->share.has_value)
                f->note = "no population figure for this area and dimension";
        }
    }
}

const struct eqm_service eqm_recruitment_service = {
    .name = "recruitment",
    .default_topic = "recruitment.events",
    .default_group = "eqm-recruitment",
    .tables = tables,
    .n_tables = REC_T__COUNT,
    .measures = NULL,
    .n_measures = 0,
    .dimensions = dimensions,
    .n_dimensions = REC_N_DIMENSIONS,
    .handle = handle,
    .recompute = eqm_recruitment_recompute,
};
