/*
 * recruitment_panel.c - eqm-web's recruitment and workforce panel: the
 * funnel's adverse impact by stage with the four-fifths line, workforce
 * representation against the population (each headcount snapshot and the
 * current figure), leaver rates and the leavers' length of service, and
 * the share not stated. Every figure is the one eqm-recruitment stored
 * (equality_read.attrition, equality_read.workforce); only the shares at each
 * snapshot date, which no table holds, are made here (series.c). Its
 * charts are drawn by static/recruitment.js.
 */
#include <stdlib.h>
#include <string.h>

#include "panel.h"
#include "series.h"

/* Defined at the end; its charts link to its own API. */
extern const struct eqm_web_panel eqm_web_recruitment_panel;

/* The four-fifths rule: a pass rate below 0.8 of the comparison group's. */
#define FOUR_FIFTHS 0.8

/* The ethnic groups in the order of the tables, the aggregate after the
 * comparison group. */
static const char *const eth_groups[] = {"white", "bme",   "asian",     "black",
                                         "mixed", "other", "not_stated"};
#define N_ETH ((int)(sizeof(eth_groups) / sizeof(eth_groups[0])))

/* The contract's stages in order (stage_order 1..9), then the derived
 * end-to-end figure, in words. */
static const char *const stage_words[] = {"Application",       "Eligibility",
                                          "Assessment centre", "Interview",
                                          "Vetting",           "Medical",
                                          "Fitness",           "Offer",
                                          "Appointment",       "Application to appointment"};
#define N_STAGE_WORDS ((int)(sizeof(stage_words) / sizeof(stage_words[0])))

/* What every request reads: the role, window and area, and the end of the
 * window the figures were computed to. */
struct scope {
    char role[72];
    char window[16];
    char end[16];
    const char *area;
    const char *group;
};

/* The role asked for or the first the figures hold; the window asked for
 * or the longest. 0 (role "" when nothing is computed yet), or -1. */
static int scope_of(const struct eqm_web_env *e, const struct eqm_web_args *a, struct scope *s,
                    char *errstr, size_t sz) {
    char win[16];
    const char *p[] = {a->role, NULL};
    PGresult *r;

    if (a->window > 0) {
        snprintf(win, sizeof(win), "%d", a->window);
        p[1] = win;
    }
    r = eqm_web_query(
        e, "recruitment scope",
        "WITH f AS (SELECT role, window_days, window_end"
        "             FROM equality_read.attrition_figures"
        "           UNION ALL SELECT role, window_days, window_end"
        "             FROM equality_read.workforce_figures)"
        " SELECT coalesce($1, (SELECT min(role) FROM f), ''),"
        "        coalesce($2::int, (SELECT max(window_days) FROM f), 0),"
        "        coalesce((SELECT to_char(max(window_end), 'YYYY-MM-DD') FROM f), '')",
        2, p, errstr, sz);
    if (!r)
        return -1;
    snprintf(s->role, sizeof(s->role), "%s", PQgetvalue(r, 0, 0));
    snprintf(s->window, sizeof(s->window), "%s", PQgetvalue(r, 0, 1));
    snprintf(s->end, sizeof(s->end), "%s", PQgetvalue(r, 0, 2));
    PQclear(r);
    s->area = eqm_web_area(e, a);
    s->group = a->group ? a->group : "bme";
    return 0;
}

/* A column's value: a number, text, or null where it is NULL. */
static json_t *col_int(const PGresult *r, int i, int c) {
    return PQgetisnull(r, i, c) ? json_null() : json_integer(eqm_web_num(r, i, c));
}

static json_t *col_real(const PGresult *r, int i, int c) {
    return eqm_web_real(!PQgetisnull(r, i, c), strtod(PQgetvalue(r, i, c), NULL));
}

static json_t *col_text(const PGresult *r, int i, int c) {
    return PQgetisnull(r, i, c) ? json_null() : json_string(PQgetvalue(r, i, c));
}

/* A column's value, but null when the figure is too few to compare. */
static json_t *col_shown(const PGresult *r, int i, int c, bool too_few) {
    return too_few ? json_null() : col_real(r, i, c);
}

/* Too few to compare: either count below the minimum, or no comparison. */
static bool too_few(const struct eqm_web_env *e, const PGresult *r, int i, int c_a, int c_b) {
    if (c_a < 0)
        return false; /* a share, not a comparison */
    return PQgetisnull(r, i, c_a) || PQgetisnull(r, i, c_b) ||
           eqm_web_num(r, i, c_a) < e->cfg->min_events ||
           eqm_web_num(r, i, c_b) < e->cfg->min_events;
}

/* Row i of r with "too_few": column c under its name in the query (the
 * API's name, given by AS), as kinds[c] says: 'i' a count, 'r' a number,
 * 't' text, 's' a number withheld (null) when the row is too few to
 * compare, 'b' a boolean, '-' not at all (kinds as long as the columns). NULL is null in
 * every kind. NULL when out of memory. */
static json_t *row_of(const PGresult *r, int i, const char *kinds, bool few) {
    json_t *row = json_pack("{s:b}", "too_few", few);
    for (int c = 0; row && c < PQnfields(r) && kinds[c]; c++) {
        char k = kinds[c];
        json_t *v = k == 'i'   ? col_int(r, i, c)
                    : k == 't' ? col_text(r, i, c)
                    : k == 's' ? col_shown(r, i, c, few)
                    : k == 'r' ? col_real(r, i, c)
                    : k == 'b' ? (PQgetisnull(r, i, c) ? json_null()
                                                       : json_boolean(*PQgetvalue(r, i, c) == 't'))
                               : NULL;
        if (v)
            json_object_set_new(row, PQfname(r, c), v);
    }
    return row;
}

/* The object every API returns: the scope, the columns, and an empty
 * "rows" to fill (json_object_get(out, "rows")). NULL when out of memory. */
static json_t *out_new(const struct eqm_web_env *e, const struct scope *s,
                       const char *const *columns, char *errstr, size_t sz) {
    json_t *out =
        json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:I, s:o, s:[]}", "role", s->role, "window_days",
                  atoi(s->window), "window_end", s->end, "area", s->area, "dimension", "ethnicity",
                  "group", s->group, "min_events", (json_int_t)e->cfg->min_events, "columns",
                  eqm_web_columns(columns), "rows");
    if (!out)
        snprintf(errstr, sz, "out of memory");
    return out;
}

/* Runs sql with the scope's parameters ($1 role, $2 window, $3 area, $4
 * group), and makes the API's object; NULL with errstr. The types of the
 * parameters are PostgreSQL's to infer, so sql names each of them, a
 * query that needs no area or group with "$3::text IS NOT NULL". */
static PGresult *scoped_query(const struct eqm_web_env *e, const struct eqm_web_args *a,
                              const char *what, const char *sql, const char *const *columns,
                              struct scope *s, json_t **out, char *errstr, size_t sz) {
    const char *p[4];
    PGresult *r;

    if (scope_of(e, a, s, errstr, sz) != 0)
        return NULL;
    p[0] = s->role;
    p[1] = s->window;
    p[2] = s->area;
    p[3] = s->group;
    if (!(r = eqm_web_query(e, what, sql, 4, p, errstr, sz)))
        return NULL;
    if (!(*out = out_new(e, s, columns, errstr, sz))) {
        PQclear(r);
        return NULL;
    }
    return r;
}

static const char *stage_word(int order) {
    return order >= 1 && order <= N_STAGE_WORDS ? stage_words[order - 1] : "?";
}

/* ---- the funnel: adverse impact by stage --------------------------------------------- */

static const char *const funnel_columns[] = {"stage",
                                             "group_entered",
                                             "group_passed",
                                             "group_failed",
                                             "group_withdrawn",
                                             "group_base",
                                             "group_pass_rate",
                                             "comparison_group",
                                             "comparison_passed",
                                             "comparison_base",
                                             "comparison_pass_rate",
                                             "too_few",
                                             "ratio",
                                             "ci_low",
                                             "ci_high",
                                             "p_value",
                                             NULL};

/* The rows of a query of stored figures, one a row (row_of with kinds),
 * too few to compare where column few_a or few_b is below the minimum
 * (few_a -1: never). */
static json_t *figure_rows(const struct eqm_web_env *e, const struct eqm_web_args *a,
                           const char *what, const char *sql, const char *const *columns,
                           const char *kinds, int few_a, int few_b, char *errstr, size_t sz) {
    struct scope s;
    json_t *out = NULL, *rows;
    PGresult *r = scoped_query(e, a, what, sql, columns, &s, &out, errstr, sz);
    if (!r)
        return NULL;
    rows = json_object_get(out, "rows");
    for (int i = 0; i < PQntuples(r); i++)
        json_array_append_new(rows, row_of(r, i, kinds, too_few(e, r, i, few_a, few_b)));
    PQclear(r);
    return out;
}

static json_t *funnel(const struct eqm_web_env *e, const struct eqm_web_args *a, char *errstr,
                      size_t sz) {
    size_t i;
    json_t *row,
        *out = figure_rows(
            e, a, "adverse impact",
            "SELECT stage_order, entered AS group_entered, passed AS group_passed,"
            "       failed AS group_failed, withdrawn AS group_withdrawn, base AS group_base,"
            "       pass_rate AS group_pass_rate, comparison_grp AS comparison_group,"
            "       comparison_passed, comparison_base, comparison_pass_rate,"
            "       adverse_impact_ratio AS ratio, ci_low, ci_high, p_value"
            "  FROM equality_read.attrition"
            " WHERE role = $1 AND window_days = $2::int AND dimension = 'ethnicity' AND grp = $4"
            "   AND stage <> 'withdrawal' AND $3::text IS NOT NULL"
            " ORDER BY stage_order",
            funnel_columns, "iiiiiirtiirssss", 5, 9, errstr, sz);
    if (!out)
        return NULL;
    json_object_set_new(out, "four_fifths", json_real(FOUR_FIFTHS));
    /* The stage in words, in place of its number. */
    json_array_foreach(json_object_get(out, "rows"), i, row) {
        json_int_t order = json_integer_value(json_object_get(row, "stage_order"));
        json_object_set_new(row, "stage", json_string(stage_word((int)order)));
        json_object_del(row, "stage_order");
    }
    return out;
}

/* ---- the funnel's counts: candidates at each stage by group -------------------------- */

static const char *const count_columns[] = {"stage", "white", "bme",        "asian", "black",
                                            "mixed", "other", "not_stated", "all",   NULL};

/* The contract's stages of every ethnic group (the area and group are not
 * asked: the counts are the force's, of every group). */
static const char counts_sql[] =
    "SELECT stage_order, grp, entered, passed FROM equality_read.attrition"
    " WHERE role = $1 AND window_days = $2::int"
    "   AND dimension = 'ethnicity' AND stage_order <= 9"
    "   AND $3::text IS NOT NULL AND $4::text IS NOT NULL";

static json_t *counts(const struct eqm_web_env *e, const struct eqm_web_args *a, char *errstr,
                      size_t sz) {
    /* Nine stages entered, then appointed (passed at the appointment). */
    int64_t n[10][N_ETH + 1] = {{0}};
    bool any;
    struct scope s;
    json_t *out = NULL, *rows;
    PGresult *r =
        scoped_query(e, a, "funnel counts", counts_sql, count_columns, &s, &out, errstr, sz);
    if (!r)
        return NULL;
    rows = json_object_get(out, "rows");
    for (int i = 0; i < PQntuples(r); i++) {
        int st = (int)eqm_web_num(r, i, 0) - 1, g = 0;
        while (g < N_ETH && strcmp(eth_groups[g], PQgetvalue(r, i, 1)))
            g++;
        if (st < 0 || st > 8 || g == N_ETH)
            continue;
        n[st][g] += eqm_web_num(r, i, 2);
        if (st == 8)
            n[9][g] += eqm_web_num(r, i, 3);
    }
    any = PQntuples(r) > 0;
    PQclear(r);
    for (int st = 0; st < 10 && any; st++) {
        json_t *row = json_pack("{s:s}", "stage", st < 9 ? stage_words[st] : "Appointed");
        int64_t all = 0;
        for (int g = 0; g < N_ETH; g++) {
            json_object_set_new(row, eth_groups[g], json_integer(n[st][g]));
            all += strcmp(eth_groups[g], "bme") ? n[st][g] : 0; /* bme: its parts again */
        }
        json_object_set_new(row, "all", json_integer(all));
        json_array_append_new(rows, row);
    }
    return out;
}

/* ---- representation: each snapshot, and the current figure --------------------------- */

static const char *const rep_columns[] = {"role",
                                          "date",
                                          "source",
                                          "group_headcount",
                                          "stated_headcount",
                                          "not_stated",
                                          "too_few",
                                          "share",
                                          "share_ci_low",
                                          "share_ci_high",
                                          "population_share",
                                          "ratio",
                                          "ci_low",
                                          "ci_high",
                                          NULL};

/* One point of a snapshot series as a row. */
static json_t *snapshot_row(const char *role, const struct eqm_share_point *p) {
    return json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:b, s:o, s:o, s:o, s:n, s:n, s:n, s:n}",
                     "role", role, "date", p->as_of, "source", "snapshot", "group_headcount",
                     (json_int_t)p->group, "stated_headcount", (json_int_t)p->stated, "not_stated",
                     (json_int_t)p->not_stated, "too_few", p->too_few, "share",
                     eqm_web_real(p->share.has_value, p->share.value), "share_ci_low",
                     eqm_web_real(p->share.has_ci, p->share.low), "share_ci_high",
                     eqm_web_real(p->share.has_ci, p->share.high), "population_share", "ratio",
                     "ci_low", "ci_high");
}

/* The snapshots of one role (rows first..last-1 of r) as rows. */
static int snapshot_rows(const struct eqm_web_env *e, const PGresult *r, int first, int last,
                         const char *group, json_t *rows) {
    struct eqm_headcount_row *h = calloc((size_t)(last - first) + 1, sizeof(*h));
    struct eqm_share_point *pt = calloc((size_t)(last - first) + 1, sizeof(*pt));
    int n = -1;
    if (h && pt) {
        for (int i = first; i < last; i++)
            h[i - first] = (struct eqm_headcount_row){PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
                                                      eqm_web_num(r, i, 3)};
        n = eqm_series_headcount(h, (size_t)(last - first), eqm_web_group_array(group),
                                 e->cfg->min_events, pt);
        for (int k = 0; k < n; k++)
            json_array_append_new(rows, snapshot_row(PQgetvalue(r, first, 0), &pt[k]));
    }
    free(h);
    free(pt);
    return n < 0 ? -1 : 0;
}

static json_t *representation(const struct eqm_web_env *e, const struct eqm_web_args *a,
                              char *errstr, size_t sz) {
    const char *p[4];
    struct scope s;
    json_t *out = NULL, *rows;
    PGresult *snap = NULL,
             *r = scoped_query(
                 e, a, "representation",
                 "SELECT w.role, to_char(w.window_end, 'YYYY-MM-DD') AS date,"
                 "       w.headcount AS group_headcount, w.headcount_total AS stated_headcount,"
                 "       coalesce(n.headcount, 0) AS not_stated, w.share, w.share_ci_low,"
                 "       w.share_ci_high, w.population_share, w.representation_ratio AS ratio,"
                 "       w.representation_ci_low AS ci_low, w.representation_ci_high AS ci_high"
                 "  FROM equality_read.workforce_figures w"
                 "  LEFT JOIN equality_read.workforce_figures n"
                 "    ON (n.role, n.area, n.dimension, n.window_days, n.grp)"
                 "       = (w.role, w.area, w.dimension, w.window_days, 'not_stated')"
                 " WHERE w.area = $3 AND w.dimension = 'ethnicity' AND w.grp = $4"
                 "   AND w.window_days = $2::int AND $1::text IS NOT NULL"
                 " ORDER BY w.role COLLATE \"C\"",
                 rep_columns, &s, &out, errstr, sz);
    if (!r)
        return NULL;
    rows = json_object_get(out, "rows");
    p[0] = s.area;
    snap = eqm_web_query(e, "headcount snapshots",
                         "SELECT role, as_of::date::text, grp, sum(headcount)::bigint"
                         "  FROM equality_read.headcount_snapshots"
                         " WHERE area = $1 AND dimension = 'ethnicity'"
                         " GROUP BY 1, 2, 3 ORDER BY role COLLATE \"C\", 2, 3",
                         1, p, errstr, sz);
    if (!snap)
        goto fail;
    /* Per role (both in C order, as strcmp): its snapshots, then the figure now (the latest
     * snapshot with the joiners and leavers since), as eqm-recruitment stored it. */
    for (int i = 0, k = 0; i < PQntuples(r); i++) {
        const char *role = PQgetvalue(r, i, 0);
        int64_t hc = eqm_web_num(r, i, 2), total = eqm_web_num(r, i, 3);
        json_t *row;
        bool few = hc < e->cfg->min_events || total - hc < e->cfg->min_events;
        int first;
        while (k < PQntuples(snap) && strcmp(PQgetvalue(snap, k, 0), role) < 0)
            k++;
        for (first = k; k < PQntuples(snap) && !strcmp(PQgetvalue(snap, k, 0), role); k++)
            ;
        if (snapshot_rows(e, snap, first, k, s.group, rows) != 0) {
            snprintf(errstr, sz, "headcount snapshots of %s: bad counts, or out of memory", role);
            goto fail;
        }
        json_object_set_new(out, "population_share", col_real(r, i, 8));
        row = row_of(r, i, "ttiiisssrsss", few);
        json_object_set_new(row, "source", json_string("current"));
        json_array_append_new(rows, row);
    }
    if (!json_object_get(out, "population_share"))
        json_object_set_new(out, "population_share", json_null());
    PQclear(r);
    PQclear(snap);
    return out;
fail:
    PQclear(r);
    PQclear(snap);
    json_decref(out);
    return NULL;
}

/* ---- leavers: rate, ratio to the reference group, length of service ------------------ */

static const char *const leaver_columns[] = {"group",
                                             "headcount",
                                             "leavers",
                                             "average_headcount",
                                             "leaver_rate",
                                             "reference_group",
                                             "reference_leavers",
                                             "reference_leaver_rate",
                                             "too_few",
                                             "ratio",
                                             "ci_low",
                                             "ci_high",
                                             "leavers_service_known",
                                             "mean_service_years",
                                             NULL};

/* The reference group first, the aggregate after it, then its parts. */
static const char leavers_sql[] =
    "SELECT grp AS \"group\", headcount, leavers, avg_headcount AS average_headcount,"
    "       leaver_rate, reference_grp AS reference_group, ref_leavers AS reference_leavers,"
    "       ref_leaver_rate AS reference_leaver_rate, leaver_rate_ratio AS ratio,"
    "       leaver_rate_ci_low AS ci_low, leaver_rate_ci_high AS ci_high,"
    "       leavers_service_known, mean_service_years_of_leavers AS mean_service_years"
    "  FROM equality_read.workforce"
    " WHERE role = $1 AND area = $3 AND dimension = 'ethnicity' AND window_days = $2::int"
    "   AND $4::text IS NOT NULL"
    " ORDER BY array_position(ARRAY['white', 'bme', 'asian', 'black', 'mixed', 'other',"
    "                                'not_stated'], grp), grp";

static json_t *leavers(const struct eqm_web_env *e, const struct eqm_web_args *a, char *errstr,
                       size_t sz) {
    return figure_rows(e, a, "leavers", leavers_sql, leaver_columns, "tiirrtirsssir", 2, 6, errstr,
                       sz);
}

/* ---- the workforce by detailed group -------------------------------------------------- */

/* Each row's group in words ("label") beside its name ("group"). */
static void label_groups(json_t *out) {
    size_t i;
    json_t *row;
    json_array_foreach(json_object_get(out, "rows"), i, row) {
        const char *g = json_string_value(json_object_get(row, "group"));
        json_object_set_new(row, "label", json_string(eqm_web_group_label(g ? g : "")));
    }
}

static const char *const detailed_columns[] = {
    "label",       "headcount", "share",   "population", "population_share",
    "ratio",       "ci_low",    "ci_high", "joiners",    "leavers",
    "leaver_rate", "group",     NULL};

/* White British (the reference), the aggregates, then the Census categories
 * in the Census's order, those whose detail is not known, not stated. */
static const char detailed_sql[] =
    "SELECT grp AS \"group\", headcount, share, population, population_share,"
    "       representation_ratio AS ratio, representation_ci_low AS ci_low,"
    "       representation_ci_high AS ci_high, joiners, leavers, leaver_rate,"
    "       headcount_total - headcount AS others"
    "  FROM equality_read.workforce"
    " WHERE role = $1 AND area = $3 AND dimension = 'ethnicity_detailed'"
    "   AND window_days = $2::int AND $4::text IS NOT NULL"
    " ORDER BY array_position(ARRAY['white_british', 'white_minority', 'all_minority', 'bme',"
    "   'white_irish', 'white_gypsy_irish_traveller', 'white_roma', 'white_other',"
    "   'mixed_white_black_caribbean', 'mixed_white_black_african', 'mixed_white_asian',"
    "   'mixed_other', 'asian_indian', 'asian_pakistani', 'asian_bangladeshi', 'asian_chinese',"
    "   'asian_other', 'black_african', 'black_caribbean', 'black_other', 'other_arab',"
    "   'other_any'], grp), grp = 'not_stated', grp";

static json_t *detailed(const struct eqm_web_env *e, const struct eqm_web_args *a, char *errstr,
                        size_t sz) {
    json_t *out = figure_rows(e, a, "workforce by detailed group", detailed_sql, detailed_columns,
                              "tirirsssiir-", 1, 11, errstr, sz);
    if (!out)
        return NULL;
    json_object_set_new(out, "dimension", json_string("ethnicity_detailed"));
    label_groups(out);
    return out;
}

/* ---- the workforce by financial year, as at 31 March ----------------------------------- */

static const char *const year_columns[] = {
    "year",        "label",           "headcount", "share",   "population_share",
    "ratio",       "ci_low",          "ci_high",   "joiners", "leavers",
    "leaver_rate", "population_base", "complete",  "group",   NULL};

/* Each year ending March (equality_read.workforce_period_figures): White,
 * BME, then each minority broad group, then not stated. */
static const char years_sql[] =
    "SELECT period_label AS year, grp AS \"group\", headcount, share, population_share,"
    "       representation_ratio AS ratio, representation_ci_low AS ci_low,"
    "       representation_ci_high AS ci_high, joiners, leavers, leaver_rate,"
    "       coalesce((SELECT split_part(b.description, ',', 1)"
    "                   FROM equality_read.population_base b"
    "                  WHERE b.name = w.population_base), w.population_base) AS population_base,"
    "       complete, headcount_total - headcount AS others"
    "  FROM equality_read.workforce_period_figures w"
    " WHERE role = $1 AND area = $3 AND dimension = 'ethnicity'"
    "   AND $2::text IS NOT NULL AND $4::text IS NOT NULL"
    " ORDER BY period_start, array_position(ARRAY['white', 'bme', 'asian', 'black', 'mixed',"
    "                                             'other', 'not_stated'], grp), grp";

static json_t *years(const struct eqm_web_env *e, const struct eqm_web_args *a, char *errstr,
                     size_t sz) {
    json_t *out = figure_rows(e, a, "workforce by year", years_sql, year_columns, "ttirrsssiirtb-",
                              2, 13, errstr, sz);
    if (!out)
        return NULL;
    label_groups(out);
    json_object_set_new(out, "headings",
                        json_pack("{s:s, s:s, s:s}", "year", "Year", "population_base",
                                  "Population base", "complete", "Whole year"));
    return out;
}

/* ---- data quality: not stated -------------------------------------------------------- */

static const char *const quality_columns[] = {"records",     "dimension",        "not_stated",
                                              "all_records", "not_stated_share", NULL};

static json_t *quality(const struct eqm_web_env *e, const struct eqm_web_args *a, char *errstr,
                       size_t sz) {
    /* Every group but the aggregate, which counts its parts again. Headcount
     * only where a snapshot was sent: elsewhere it is joiners less leavers.
     * The detailed groups' dimension is the same ethnicity, not stated by
     * the same records: not repeated. */
    return figure_rows(
        e, a, "not stated",
        "WITH q AS ("
        " SELECT 'applications' AS records, dimension,"
        "        coalesce(sum(entered) FILTER (WHERE grp = 'not_stated'), 0) AS ns,"
        "        sum(entered) FILTER (WHERE grp <> 'bme') AS n"
        "   FROM equality_read.attrition"
        "  WHERE role = $1 AND window_days = $2::int AND stage = 'application'"
        "    AND dimension <> 'ethnicity_detailed'"
        "  GROUP BY dimension"
        " UNION ALL"
        " SELECT 'headcount', dimension,"
        "        coalesce(sum(headcount) FILTER (WHERE grp = 'not_stated'), 0),"
        "        sum(headcount) FILTER (WHERE grp <> 'bme')"
        "   FROM equality_read.workforce"
        "  WHERE role = $1 AND area = $3 AND window_days = $2::int"
        "    AND snapshot_as_of IS NOT NULL AND dimension <> 'ethnicity_detailed'"
        "  GROUP BY dimension)"
        " SELECT records, dimension, ns AS not_stated, n AS all_records,"
        "        ns::float8 / nullif(n, 0) AS not_stated_share"
        "   FROM q WHERE $4::text IS NOT NULL"
        " ORDER BY array_position(ARRAY['ethnicity', 'sex', 'age_range', 'disability'],"
        "                         dimension), dimension, records",
        quality_columns, "ttiir", -1, -1, errstr, sz);
}

static const struct eqm_web_api apis[] = {
    {"funnel", funnel},   {"counts", counts},   {"representation", representation},
    {"leavers", leavers}, {"quality", quality}, {"detailed", detailed},
    {"years", years}};
#define N_APIS (sizeof(apis) / sizeof(apis[0]))

/* The page's sections: a chart of one API's data, the words under it,
 * and the tables of the APIs listed (-1 ends the list). */
static const struct section {
    const char *heading, *chart_id, *kind, *label, *words;
    int chart;
    struct {
        int api;
        const char *id, *caption;
    } tables[2];
} sections[] = {
    {"Recruitment funnel: adverse impact by stage",
     "chart-funnel",
     "adverse",
     "adverse impact ratio by stage with the four-fifths line",
     "At each stage, the group's pass rate (passed of those decided; withdrawals are not "
     "decisions) divided by the comparison group's, with its 95% interval. Below the "
     "four-fifths line (0.8) the stage has an adverse impact under the four-fifths rule.",
     0,
     {{0, "table-funnel", "Adverse impact by stage"},
      {1, "table-counts", "Candidates entering each stage, by group"}}},
    {"Workforce representation against the population",
     "chart-representation",
     "representation",
     "share of headcount by role against the population share",
     "The group's share of the headcount whose ethnicity is stated, per role: at each headcount "
     "snapshot, and now (the latest snapshot with the joiners and leavers since); the line is "
     "the group's share of the area's population (Census 2021).",
     2,
     {{2, "table-representation", "Share of headcount by role"}, {-1, NULL, NULL}}},
    {"Leavers: rate and length of service",
     "chart-leavers",
     "leavers",
     "leaver rate and leavers' length of service by group",
     "Leavers in the period over the average headcount, by group, against the White group's "
     "rate (the ratio and its 95% interval in the table), and the mean length of service of "
     "those leavers who gave it. Length of service is stored for leavers only, not for the "
     "staff in post.",
     3,
     {{3, "table-leavers", "Leavers by group"}, {-1, NULL, NULL}}},
    {"Data quality: not stated",
     "chart-quality",
     "notstated",
     "share not stated in applications and headcount",
     "The share of applications, and of the headcount in a snapshot, with no stated value of "
     "each characteristic. Those records are in no group's rate.",
     4,
     {{4, "table-quality", "Not stated"}, {-1, NULL, NULL}}},
};

/* The chooser: role, area, group, window, from the figures there are. */
static int chooser(FILE *fp, const struct eqm_web_env *e, const struct scope *s, char *errstr,
                   size_t sz) {
    static const char *const names[] = {"bme", "black", "asian", "mixed", "other"};
    static const char *const what[] = {"Role", "role", "Area", "area", "Window", "window"};
    PGresult *r =
        eqm_web_query(e, "roles, areas and windows",
                      "SELECT DISTINCT 0, role FROM equality_read.attrition_figures"
                      " UNION SELECT 0, role FROM equality_read.workforce_figures"
                      " UNION SELECT 1, area FROM equality_read.workforce_figures"
                      " UNION SELECT 2, window_days::text FROM equality_read.workforce_figures"
                      " UNION SELECT 2, window_days::text FROM equality_read.attrition_figures"
                      " ORDER BY 1, 2",
                      0, NULL, errstr, sz);
    const char *selected[] = {s->role, s->area, s->window};
    if (!r)
        return -1;
    fputs("<form class=\"choose\" method=\"get\" action=\"/recruitment\">\n", fp);
    for (int k = 0; k < 3; k++) {
        fprintf(fp, "<label>%s <select name=\"%s\">", what[2 * k], what[2 * k + 1]);
        for (int i = 0; i < PQntuples(r); i++)
            if (eqm_web_num(r, i, 0) == k)
                eqm_web_option(fp, PQgetvalue(r, i, 1), PQgetvalue(r, i, 1), selected[k]);
        fputs("</select></label>\n", fp);
        if (k == 1) {
            fputs("<label>Group <select name=\"group\">", fp);
            for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                eqm_web_option(fp, names[i], eqm_web_group_label(names[i]), s->group);
            fputs("</select></label>\n", fp);
        }
    }
    PQclear(r);
    fputs("<button type=\"submit\">Show</button></form>\n", fp);
    return 0;
}

static int body(FILE *fp, const struct eqm_web_env *e, const struct eqm_web_args *a,
                const char *query, char *errstr, size_t sz) {
    struct scope s;
    json_t *d[N_APIS] = {NULL};
    const char *label;
    int rc = -1;

    if (scope_of(e, a, &s, errstr, sz) != 0 || chooser(fp, e, &s, errstr, sz) != 0)
        goto out;
    for (size_t i = 0; i < N_APIS; i++)
        if (!(d[i] = apis[i].get(e, a, errstr, sz)))
            goto out;
    label = eqm_web_group_label(s.group);
    fputs("<p class=\"lead\">Role: <strong>", fp);
    eqm_web_esc(fp, *s.role ? s.role : "none counted yet");
    fprintf(fp, "</strong>. Period: <strong>the %s days to ", s.window);
    eqm_web_esc(fp, *s.end ? s.end : "the newest day counted");
    fputs("</strong>. Group: <strong>", fp);
    eqm_web_esc(fp, label);
    fprintf(fp,
            "</strong>. Figures as eqm-recruitment computed them; a comparison on fewer than "
            "%ld of either group is shown as <em>too few to compare</em>.</p>\n",
            e->cfg->min_events);

    for (size_t k = 0; k < sizeof(sections) / sizeof(sections[0]); k++) {
        const struct section *c = &sections[k];
        fprintf(fp, "<section><h2>%s</h2>\n", c->heading);
        eqm_web_chart(fp, &eqm_web_recruitment_panel, c->chart_id, c->kind, apis[c->chart].name,
                      query, d[c->chart], c->label);
        fprintf(fp, "<p>%s</p>\n", c->words);
        for (int t = 0; t < 2 && c->tables[t].api >= 0; t++)
            eqm_web_table(fp, c->tables[t].id, c->tables[t].caption, d[c->tables[t].api]);
        fputs("</section>\n", fp);
    }
    fputs("<section><h2>Workforce by Census group: the minorities that are not visible</h2>\n"
          "<p>The same workforce in the Census's own categories, from the ethnicity staff gave "
          "in detail (a snapshot by detailed group sets the headcount; without one it is the "
          "joiners less the leavers counted). White minorities are the White groups other than "
          "White British (White Irish, Gypsy or Irish Traveller, Roma, any other White "
          "background); all minority groups are those and the Black and minority ethnic groups "
          "together. Representation is the share of the stated headcount over the share of the "
          "area's population, on the Census base of the period's end. Staff who gave only a "
          "heading (\"White\") are in the headcount but have no population of their "
          "own.</p>\n",
          fp);
    eqm_web_table(fp, "table-detailed", "Headcount and representation by Census group",
                  d[N_APIS - 2]);
    eqm_web_api_links(fp, &eqm_web_recruitment_panel, "detailed", query);
    fputs("</section>\n", fp);
    fputs("<section><h2>By financial year, as at 31 March</h2>\n"
          "<p>As the Home Office publishes the police workforce: the headcount on 31 March of "
          "each year (the latest snapshot on or before it, with the joiners and leavers since), "
          "each group's share of the stated headcount against its share of the area's "
          "population on that year's Census base, and the joiners and leavers of the year "
          "ending March. A year is whole once the newest event is past its end.</p>\n",
          fp);
    eqm_web_table(fp, "table-years", "Workforce by financial year", d[N_APIS - 1]);
    eqm_web_api_links(fp, &eqm_web_recruitment_panel, "years", query);
    fputs("</section>\n", fp);
    fputs("<section class=\"method\"><h2>Method</h2>\n<p>Adverse impact ratio: the "
          "group's pass rate over the comparison group's (White; the group with the highest "
          "pass rate where so configured), Katz's log interval, 95%; Fisher's exact p. "
          "Representation: the group's share of the stated headcount over its share of the "
          "area's stated population (Census 2021, TS021), Wilson interval for the share. "
          "Leaver rate: leavers over the average headcount (headcount less half the net "
          "joiners); its ratio to the White group's with a Katz interval. Black and minority "
          "ethnic: Asian, Black, Mixed and Other together.</p></section>\n",
          fp);
    rc = 0;
out:
    for (size_t i = 0; i < N_APIS; i++)
        json_decref(d[i]);
    return rc;
}

const struct eqm_web_panel eqm_web_recruitment_panel = {
    .path = "recruitment",
    .title = "Recruitment and workforce",
    .blurb = "the recruitment funnel's adverse impact, representation against the population, "
             "leavers",
    .script = "recruitment.js",
    .apis = apis,
    .n_apis = N_APIS,
    .body = body,
    .own_period = true,
};
