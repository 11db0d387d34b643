/*
 * recompute.c - the recruitment service's figures hook: window sums from
 * the daily tables, figures from the pure functions in recruitment.c, and
 * one statement per figures table (equality.attrition_figures and
 * equality.workforce_figures) through the shared writer (eqm/figtable.h),
 * all inside the engine's batch transaction. The rows the alerts and
 * analysts read in equality.metrics are derived from these two tables by
 * that view (schemas/sql/010_figures_once.sql), not written again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eqm/bme.h"
#include "eqm/ethnicity.h"
#include "eqm/figlock.h"
#include "eqm/figtable.h"
#include "eqm/pg.h"
#include "eqm/pgarray.h"
#include "eqm/poptable.h"
#include "recruitment.h"

/* ---- the figures tables ------------------------------------------------ */

#define COL(name, type, key)                                                                       \
    { name, type, NULL, NULL, key }

static const struct eqm_figtable_col attrition_cols[] = {
    COL("role", "text", true),
    COL("campaign", "text", true),
    COL("stage", "text", true),
    COL("stage_order", "int", false),
    COL("dimension", "text", true),
    COL("grp", "text", true),
    COL("window_days", "int", true),
    COL("window_end", "date", false),
    COL("comparison_grp", "text", false),
    COL("entered", "bigint", false),
    COL("passed", "bigint", false),
    COL("failed", "bigint", false),
    COL("withdrawn", "bigint", false),
    COL("base", "bigint", false),
    COL("pass_rate", "float8", false),
    COL("pass_rate_ci_low", "float8", false),
    COL("pass_rate_ci_high", "float8", false),
    COL("comparison_passed", "bigint", false),
    COL("comparison_base", "bigint", false),
    COL("comparison_pass_rate", "float8", false),
    COL("adverse_impact_ratio", "float8", false),
    COL("ci_low", "float8", false),
    COL("ci_high", "float8", false),
    COL("p_value", "float8", false),
    COL("withdrawal_rate", "float8", false),
    COL("comparison_withdrawn", "bigint", false),
    COL("comparison_entered", "bigint", false),
    COL("withdrawal_rate_ratio", "float8", false),
    COL("note", "text", false),
    /* The whole force's area name: equality.metrics shows it as the area
     * of the adverse impact measures. */
    COL("force_area", "text", false),
};

static const struct eqm_figtable_col workforce_cols[] = {
    COL("role", "text", true),
    COL("area", "text", true),
    COL("dimension", "text", true),
    COL("grp", "text", true),
    COL("window_days", "int", true),
    COL("window_end", "date", false),
    COL("reference_grp", "text", false),
    COL("snapshot_as_of", "date", false),
    COL("snapshot_headcount", "bigint", false),
    COL("headcount", "bigint", false),
    COL("headcount_total", "bigint", false),
    COL("share", "float8", false),
    COL("share_ci_low", "float8", false),
    COL("share_ci_high", "float8", false),
    COL("population", "bigint", false),
    COL("population_total", "bigint", false),
    COL("population_share", "float8", false),
    COL("representation_ratio", "float8", false),
    COL("representation_ci_low", "float8", false),
    COL("representation_ci_high", "float8", false),
    COL("joiners", "bigint", false),
    COL("joiners_total", "bigint", false),
    COL("joiners_share", "float8", false),
    COL("leavers", "bigint", false),
    COL("avg_headcount", "float8", false),
    COL("leaver_rate", "float8", false),
    COL("ref_leavers", "bigint", false),
    COL("ref_avg_headcount", "float8", false),
    COL("ref_leaver_rate", "float8", false),
    COL("leaver_rate_ratio", "float8", false),
    COL("leaver_rate_ci_low", "float8", false),
    COL("leaver_rate_ci_high", "float8", false),
    COL("leavers_service_known", "bigint", false),
    COL("mean_service_years_of_leavers", "float8", false),
    COL("note", "text", false),
};

#define N_OF(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* Every row of the table is the service's, every column is compared, and
 * rows go in key order, as before the shared writer. */
const struct eqm_figtable_def eqm_recruitment_attrition_table = {
    .table = "equality.attrition_figures",
    .alias = "t",
    .cols = attrition_cols,
    .n_cols = N_OF(attrition_cols),
    .ordered = true,
};

const struct eqm_figtable_def eqm_recruitment_workforce_table = {
    .table = "equality.workforce_figures",
    .alias = "t",
    .cols = workforce_cols,
    .n_cols = N_OF(workforce_cols),
    .ordered = true,
};

/* ---- settings and population ------------------------------------------- */

struct setting {
    char dimension[32];
    bool highest;
    char reference[REC_GROUP_MAX + 1];
};

struct ctx {
    PGconn *conn;
    const struct eqm_figures_scope *scope;
    char end_day[16];
    char *errstr;
    size_t sz;
    struct setting settings[8];
    int n_settings;
    struct eqm_poptable *pop;
    struct eqm_figtable *att, *wf;
};

/* The comparison of a dimension: NULL for "highest pass rate". */
static const char *comparison_of(const struct ctx *c, const char *dim) {
    for (int i = 0; i < c->n_settings; i++)
        if (!strcmp(c->settings[i].dimension, dim))
            return c->settings[i].highest ? NULL : c->settings[i].reference;
    for (int i = 0; i < eqm_recruitment_service.n_dimensions; i++)
        if (!strcmp(eqm_recruitment_service.dimensions[i].name, dim))
            return *eqm_recruitment_service.dimensions[i].reference
                       ? eqm_recruitment_service.dimensions[i].reference
                       : NULL;
    return NULL;
}

static PGresult *query(struct ctx *c, const char *sql, int n, const char *const *params,
                       const char *what) {
    PGresult *res = PQexecParams(c->conn, sql, n, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        eqm_pg_error(c->conn, res, what, c->errstr, c->sz);
        PQclear(res);
        return NULL;
    }
    return res;
}

/* ---- attrition --------------------------------------------------------- */

static void emit_attrition(struct ctx *c, const char *role, const char *campaign, const char *dim,
                           int win, int stage, const struct eqm_rec_figure *f) {
    struct eqm_figtable *w = c->att;

    eqm_figtable_text(w, role);
    eqm_figtable_text(w, campaign);
    eqm_figtable_text(w, eqm_recruitment_stage_name(stage));
    eqm_figtable_int(w, stage + 1);
    eqm_figtable_text(w, dim);
    eqm_figtable_text(w, f->grp);
    eqm_figtable_int(w, win);
    eqm_figtable_text(w, c->end_day);
    eqm_figtable_text(w, f->comparison_grp);
    eqm_figtable_int(w, f->cell.entered);
    eqm_figtable_int(w, f->cell.passed);
    eqm_figtable_int(w, f->cell.failed);
    eqm_figtable_int(w, f->cell.withdrawn);
    eqm_figtable_int(w, f->base);
    eqm_figtable_estimate(w, &f->pass_rate);
    eqm_figtable_count(w, f->cmp_passed);
    eqm_figtable_count(w, f->cmp_base);
    eqm_figtable_double(w, f->cmp_rate.has_value, f->cmp_rate.value);
    eqm_figtable_estimate(w, &f->ratio);
    eqm_figtable_double(w, f->has_p, f->p_value);
    eqm_figtable_double(w, f->withdrawal_rate.has_value, f->withdrawal_rate.value);
    eqm_figtable_count(w, f->cmp_withdrawn);
    eqm_figtable_count(w, f->cmp_entered);
    eqm_figtable_double(w, f->withdrawal_ratio.has_value, f->withdrawal_ratio.value);
    eqm_figtable_text(w, f->note);
    eqm_figtable_text(w, c->scope->force_area);
    eqm_figtable_row_end(w);
}

static int attrition(struct ctx *c) {
    static const char sql[] =
        "SELECT t.role, t.campaign, t.dimension, t.grp, t.stage, w.d, sum(t.entered)::bigint, "
        "sum(t.passed)::bigint, sum(t.failed)::bigint, sum(t.withdrawn)::bigint "
        "FROM equality.recruitment_daily t JOIN unnest($1::int[]) AS w(d) "
        "ON t.day > $2::date - w.d WHERE t.day <= $2::date "
        "GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 6, 3, 4";
    struct eqm_buf wins = {0};
    struct eqm_rec_group *groups = NULL;
    struct eqm_rec_figure *figs = NULL;
    const char *params[2];
    PGresult *res = NULL;
    int n, ret = -1;

    eqm_pg_array_begin(&wins);
    for (int i = 0; i < c->scope->n_windows; i++)
        eqm_pg_array_int(&wins, c->scope->window_days[i]);
    if (eqm_pg_array_end(&wins) != 0)
        goto oom;
    params[0] = wins.data;
    params[1] = c->end_day;
    res = query(c, sql, 2, params, "summing the funnel");
    if (!res)
        goto out;
    n = PQntuples(res);
    groups = calloc((size_t)n + 4, sizeof(*groups));
    figs = calloc((size_t)n + 4, sizeof(*figs));
    if (!groups || !figs)
        goto oom;
    for (int i = 0; i < n;) {
        const char *role = PQgetvalue(res, i, 0), *campaign = PQgetvalue(res, i, 1);
        const char *dim = PQgetvalue(res, i, 2);
        int win = atoi(PQgetvalue(res, i, 5)), ng = 0, j = i;
        const char *reference = comparison_of(c, dim);

        /* One block: role, campaign, window, dimension; rows by group. */
        for (; j < n && !strcmp(PQgetvalue(res, j, 0), role) &&
               !strcmp(PQgetvalue(res, j, 1), campaign) && atoi(PQgetvalue(res, j, 5)) == win &&
               !strcmp(PQgetvalue(res, j, 2), dim);
             j++) {
            const char *grp = PQgetvalue(res, j, 3);
            int s = eqm_recruitment_stage_index(PQgetvalue(res, j, 4));
            if (ng == 0 || strcmp(groups[ng - 1].grp, grp)) {
                memset(&groups[ng], 0, sizeof(groups[ng]));
                groups[ng++].grp = grp;
            }
            if (s < 0 || s >= REC_N_STAGES)
                continue;
            groups[ng - 1].stage[s].entered = strtoll(PQgetvalue(res, j, 6), NULL, 10);
            groups[ng - 1].stage[s].passed = strtoll(PQgetvalue(res, j, 7), NULL, 10);
            groups[ng - 1].stage[s].failed = strtoll(PQgetvalue(res, j, 8), NULL, 10);
            groups[ng - 1].stage[s].withdrawn = strtoll(PQgetvalue(res, j, 9), NULL, 10);
        }
        if (!strcmp(dim, "ethnicity"))
            eqm_recruitment_add_bme(groups, &ng, n + 4);
        else if (!strcmp(dim, "ethnicity_detailed"))
            for (int a = 0; a < EQM_AGG__COUNT; a++)
                eqm_recruitment_add_aggregate((enum eqm_aggregate)a, groups, &ng, n + 4);
        for (int s = 0; s < REC_N_FIGURE_STAGES; s++) {
            eqm_recruitment_stage_figures(groups, ng, s, reference, figs);
            for (int g = 0; g < ng; g++)
                if (figs[g].cell.entered > 0 || figs[g].base > 0)
                    emit_attrition(c, role, campaign, dim, win, s, &figs[g]);
        }
        i = j;
    }
    ret = 0;
    goto out;
oom:
    snprintf(c->errstr, c->sz, "out of memory computing attrition");
out:
    PQclear(res);
    free(groups);
    free(figs);
    eqm_buf_free(&wins);
    return ret;
}

/* ---- workforce --------------------------------------------------------- */

static void emit_workforce(struct ctx *c, const char *role, const char *area, const char *dim,
                           int win, const char *as_of, const struct eqm_wf_group *g,
                           const struct eqm_wf_figure *f) {
    struct eqm_figtable *w = c->wf;

    eqm_figtable_text(w, role);
    eqm_figtable_text(w, area);
    eqm_figtable_text(w, dim);
    eqm_figtable_text(w, f->grp);
    eqm_figtable_int(w, win);
    eqm_figtable_text(w, c->end_day);
    eqm_figtable_text(w, f->reference_grp);
    eqm_figtable_text(w, *as_of ? as_of : NULL);
    eqm_figtable_count(w, g->has_snapshot ? g->snapshot : -1);
    eqm_figtable_int(w, f->headcount);
    eqm_figtable_int(w, f->headcount_total);
    eqm_figtable_estimate(w, &f->share);
    eqm_figtable_count(w, f->population);
    eqm_figtable_count(w, f->population_total);
    eqm_figtable_double(w, f->population_share.has_value, f->population_share.value);
    eqm_figtable_estimate(w, &f->representation);
    eqm_figtable_int(w, f->joiners);
    eqm_figtable_int(w, f->joiners_total);
    eqm_figtable_double(w, f->joiners_share.has_value, f->joiners_share.value);
    eqm_figtable_int(w, f->leavers);
    eqm_figtable_double(w, true, f->avg_headcount);
    eqm_figtable_double(w, f->leaver_rate.has_value, f->leaver_rate.value);
    eqm_figtable_count(w, f->ref_leavers);
    eqm_figtable_double(w, f->ref_leavers >= 0, f->ref_avg_headcount);
    eqm_figtable_double(w, f->ref_leaver_rate.has_value, f->ref_leaver_rate.value);
    eqm_figtable_estimate(w, &f->leaver_ratio);
    eqm_figtable_int(w, f->service_known);
    eqm_figtable_double(w, f->mean_service_years.has_value, f->mean_service_years.value);
    eqm_figtable_text(w, f->note);
    eqm_figtable_row_end(w);
}

/* grp in groups[0..*ng), added with no staff if it is not: every group of
 * the population total is in the table. */
static void with_group(struct eqm_wf_group *groups, int *ng, const char *grp, int64_t population,
                       bool has_snapshot) {
    for (int g = 0; g < *ng; g++)
        if (!strcmp(groups[g].grp, grp))
            return;
    memset(&groups[*ng], 0, sizeof(groups[*ng]));
    groups[*ng].grp = grp;
    groups[*ng].has_snapshot = has_snapshot;
    groups[*ng].population = population;
    (*ng)++;
}

static int workforce(struct ctx *c) {
    static const char sql[] =
        "WITH snap AS (SELECT role, area, dimension, max(as_of::date) AS as_of "
        "  FROM equality.headcount_snapshots WHERE as_of::date <= $2::date GROUP BY 1, 2, 3), "
        "snapc AS (SELECT h.role, h.area, h.dimension, h.grp, sum(h.headcount)::bigint AS hc "
        "  FROM equality.headcount_snapshots h JOIN snap s USING (role, area, dimension) "
        "  WHERE h.as_of::date = s.as_of GROUP BY 1, 2, 3, 4), "
        "keys AS (SELECT role, area, dimension, grp FROM snapc UNION "
        "  SELECT role, area, dimension, grp FROM equality.workforce_daily WHERE day <= $2::date), "
        "k AS (SELECT k.role, k.area, k.dimension, k.grp, s.as_of, coalesce(sc.hc, 0) AS hc, "
        "  coalesce((SELECT sum(f.joiners - f.leavers) FROM equality.workforce_daily f "
        "    WHERE (f.role, f.area, f.dimension, f.grp) = (k.role, k.area, k.dimension, k.grp) "
        "      AND f.day <= $2::date AND (s.as_of IS NULL OR f.day > s.as_of)), 0)::bigint AS net "
        "  FROM keys k LEFT JOIN snap s "
        "    ON (s.role, s.area, s.dimension) = (k.role, k.area, k.dimension) "
        "  LEFT JOIN snapc sc "
        "    ON (sc.role, sc.area, sc.dimension, sc.grp) = (k.role, k.area, k.dimension, k.grp)) "
        "SELECT k.role, k.area, k.dimension, k.grp, w.d, coalesce(k.as_of::text, ''), k.hc, "
        "  k.net, coalesce(sum(f.joiners), 0)::bigint, coalesce(sum(f.leavers), 0)::bigint, "
        "  coalesce(sum(f.leaver_service_days), 0)::bigint, "
        "  coalesce(sum(f.leaver_service_known), 0)::bigint "
        "FROM k CROSS JOIN unnest($1::int[]) AS w(d) "
        "LEFT JOIN equality.workforce_daily f "
        "  ON (f.role, f.area, f.dimension, f.grp) = (k.role, k.area, k.dimension, k.grp) "
        "  AND f.day > $2::date - w.d AND f.day <= $2::date "
        "GROUP BY 1, 2, 3, 4, 5, 6, 7, 8 ORDER BY 1, 2, 5, 3, 4";
    static const char *const broad[] = {"asian", "black", "mixed", "other", "white"};
    struct eqm_buf wins = {0};
    struct eqm_wf_group *groups = NULL;
    struct eqm_wf_figure *figs = NULL;
    const char *params[2];
    PGresult *res = NULL;
    int n, cap, ret = -1;

    eqm_pg_array_begin(&wins);
    for (int i = 0; i < c->scope->n_windows; i++)
        eqm_pg_array_int(&wins, c->scope->window_days[i]);
    if (eqm_pg_array_end(&wins) != 0)
        goto oom;
    params[0] = wins.data;
    params[1] = c->end_day;
    res = query(c, sql, 2, params, "summing the workforce");
    if (!res)
        goto out;
    n = PQntuples(res);
    /* Room for the groups added to a block: the broad groups or the
     * Census categories, and the aggregates. */
    cap = n + EQM_ETH_CENSUS_CATEGORIES + EQM_AGG__COUNT;
    groups = calloc((size_t)cap, sizeof(*groups));
    figs = calloc((size_t)cap, sizeof(*figs));
    if (!groups || !figs)
        goto oom;
    for (int i = 0; i < n;) {
        const char *role = PQgetvalue(res, i, 0), *area = PQgetvalue(res, i, 1);
        const char *dim = PQgetvalue(res, i, 2), *as_of = PQgetvalue(res, i, 5);
        const char *reference = NULL;
        int win = atoi(PQgetvalue(res, i, 4)), ng = 0, j = i;
        bool ethnic = !strcmp(dim, "ethnicity"), detailed = !strcmp(dim, "ethnicity_detailed");

        for (int d = 0; d < eqm_recruitment_service.n_dimensions; d++)
            if (!strcmp(eqm_recruitment_service.dimensions[d].name, dim))
                reference = eqm_recruitment_service.dimensions[d].reference;
        for (; j < n && !strcmp(PQgetvalue(res, j, 0), role) &&
               !strcmp(PQgetvalue(res, j, 1), area) && atoi(PQgetvalue(res, j, 4)) == win &&
               !strcmp(PQgetvalue(res, j, 2), dim);
             j++) {
            struct eqm_wf_group *g = &groups[ng++];
            memset(g, 0, sizeof(*g));
            g->grp = PQgetvalue(res, j, 3);
            g->has_snapshot = *PQgetvalue(res, j, 5) != '\0';
            g->snapshot = strtoll(PQgetvalue(res, j, 6), NULL, 10);
            g->net_since = strtoll(PQgetvalue(res, j, 7), NULL, 10);
            g->joiners = strtoll(PQgetvalue(res, j, 8), NULL, 10);
            g->leavers = strtoll(PQgetvalue(res, j, 9), NULL, 10);
            g->service_days = strtoll(PQgetvalue(res, j, 10), NULL, 10);
            g->service_known = strtoll(PQgetvalue(res, j, 11), NULL, 10);
            g->population = ethnic || detailed ? eqm_poptable_get(c->pop, area, g->grp) : -1;
        }
        if (ethnic) {
            /* Every broad group is in the population total, so every one
             * is in the table, with zero staff if need be. */
            for (int b = 0; b < 5; b++)
                with_group(groups, &ng, broad[b], eqm_poptable_get(c->pop, area, broad[b]),
                           *as_of != '\0');
            eqm_workforce_add_bme(groups, &ng, cap);
        } else if (detailed) {
            /* Likewise every Census category the base counts in the area
             * (Census 2011 has no Roma). */
            for (int k = 0; k < EQM_ETH_CENSUS_CATEGORIES; k++) {
                const char *cat = eqm_ethnicity_census_category(k);
                int64_t p = eqm_poptable_get(c->pop, area, cat);
                if (p >= 0)
                    with_group(groups, &ng, cat, p, *as_of != '\0');
            }
            for (int a = 0; a < EQM_AGG__COUNT; a++)
                eqm_workforce_add_aggregate((enum eqm_aggregate)a, groups, &ng, cap);
        }
        eqm_workforce_figures(groups, ng, reference, figs);
        for (int g = 0; g < ng; g++)
            emit_workforce(c, role, area, dim, win, as_of, &groups[g], &figs[g]);
        i = j;
    }
    ret = 0;
    goto out;
oom:
    snprintf(c->errstr, c->sz, "out of memory computing the workforce");
out:
    PQclear(res);
    free(groups);
    free(figs);
    eqm_buf_free(&wins);
    return ret;
}

int eqm_recruitment_recompute(PGconn *conn, const struct eqm_service *svc,
                              const struct eqm_figures_scope *scope, char *errstr, size_t sz) {
    struct ctx c;
    PGresult *res = NULL;
    int ret = -1, a, b;

    memset(&c, 0, sizeof(c));
    c.conn = conn;
    c.scope = scope;
    c.errstr = errstr;
    c.sz = sz;
    /* Consumers of one service take turns, as in eqm_metrics_recompute. */
    ret = eqm_figlock_take(conn, svc->name, scope->timezone, c.end_day, sizeof(c.end_day), errstr,
                           sz);
    if (ret <= 0)
        return ret; /* 0: nothing counted yet */
    ret = -1;
    res = query(&c,
                "SELECT dimension, comparison, coalesce(reference_grp, '') "
                "FROM equality.recruitment_settings ORDER BY dimension",
                0, NULL, "reading equality.recruitment_settings");
    if (!res)
        goto out;
    for (int i = 0; i < PQntuples(res) && c.n_settings < 8; i++) {
        struct setting *s = &c.settings[c.n_settings++];
        snprintf(s->dimension, sizeof(s->dimension), "%s", PQgetvalue(res, i, 0));
        s->highest = !strcmp(PQgetvalue(res, i, 1), "highest");
        snprintf(s->reference, sizeof(s->reference), "%s", PQgetvalue(res, i, 2));
    }
    if (eqm_poptable_load(conn, c.end_day, &c.pop, errstr, sz) != 0)
        goto out;
    if (eqm_figtable_new(&c.att, &eqm_recruitment_attrition_table) != 0 ||
        eqm_figtable_new(&c.wf, &eqm_recruitment_workforce_table) != 0) {
        snprintf(errstr, sz, "out of memory");
        goto out;
    }
    if (attrition(&c) != 0 || workforce(&c) != 0)
        goto out;
    a = eqm_figtable_write(c.att, conn, NULL, errstr, sz);
    if (a < 0)
        goto out;
    b = eqm_figtable_write(c.wf, conn, NULL, errstr, sz);
    if (b < 0)
        goto out;
    ret = a + b;
out:
    PQclear(res);
    eqm_poptable_free(&c.pop);
    eqm_figtable_free(&c.att);
    eqm_figtable_free(&c.wf);
    return ret;
}
