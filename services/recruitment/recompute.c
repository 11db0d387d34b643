/*
 * recompute.c - the recruitment service's figures hook: window sums from
 * the daily tables, figures from the pure functions in recruitment.c, and
 * one "upsert changed rows, delete vanished rows" statement per figures
 * table (as common/src/metrics.c does for equality.metrics), all inside
 * the engine's batch transaction.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eqm/ethnicity.h"
#include "eqm/pg.h"
#include "eqm/pgarray.h"
#include "recruitment.h"

#define SOURCE "recruitment"

/* ---- a generic figures table writer ------------------------------------ */

struct col {
    const char *name;
    const char *type; /* SQL element type of the unnest array */
    bool key;
};

struct writer {
    const char *table;
    const struct col *cols;
    int n_cols;
    const char *scope; /* extra condition on rows this writer owns, or NULL */
    struct eqm_buf *arr;
    int rows;
    int col; /* next column of the current row */
};

static int writer_init(struct writer *w, const char *table, const struct col *cols, int n,
                       const char *scope) {
    memset(w, 0, sizeof(*w));
    w->table = table;
    w->cols = cols;
    w->n_cols = n;
    w->scope = scope;
    w->arr = calloc((size_t)n, sizeof(*w->arr));
    if (!w->arr)
        return -1;
    for (int i = 0; i < n; i++)
        eqm_pg_array_begin(&w->arr[i]);
    return 0;
}

static void writer_free(struct writer *w) {
    for (int i = 0; w->arr && i < w->n_cols; i++)
        eqm_buf_free(&w->arr[i]);
    free(w->arr);
    w->arr = NULL;
}

static void put_text(struct writer *w, const char *s) {
    eqm_pg_array_text(&w->arr[w->col++], s, s ? strlen(s) : 0);
}

static void put_int(struct writer *w, int64_t v) {
    eqm_pg_array_int(&w->arr[w->col++], v);
}

/* A count, NULL when negative ("not available"). */
static void put_count(struct writer *w, int64_t v) {
    if (v < 0)
        put_text(w, NULL);
    else
        put_int(w, v);
}

static void put_double(struct writer *w, bool has, double v) {
    char num[40];
    if (!has) {
        put_text(w, NULL);
        return;
    }
    snprintf(num, sizeof(num), "%.17g", v);
    put_text(w, num);
}

static void row_end(struct writer *w) {
    w->rows++;
    w->col = 0;
}

static int writer_flush(struct writer *w, PGconn *conn, char *errstr, size_t sz) {
    struct eqm_buf sql = {0};
    const char **params = calloc((size_t)w->n_cols, sizeof(*params));
    PGresult *res = NULL;
    int ret = -1, k;

    if (!params)
        goto oom;
    for (int i = 0; i < w->n_cols; i++) {
        if (eqm_pg_array_end(&w->arr[i]) != 0)
            goto oom;
        params[i] = w->arr[i].data;
    }
    eqm_buf_printf(&sql, "WITH u AS (SELECT * FROM unnest(");
    for (int i = 0; i < w->n_cols; i++)
        eqm_buf_printf(&sql, "%s$%d::%s[]", i ? ", " : "", i + 1, w->cols[i].type);
    eqm_buf_printf(&sql, ") AS u(");
    for (int i = 0; i < w->n_cols; i++)
        eqm_buf_printf(&sql, "%s%s", i ? ", " : "", w->cols[i].name);
    eqm_buf_printf(&sql, ")), gone AS (DELETE FROM %s t WHERE %s%sNOT EXISTS (SELECT 1 FROM u "
                         "WHERE true",
                   w->table, w->scope ? w->scope : "", w->scope ? " AND " : "");
    for (int i = 0; i < w->n_cols; i++)
        if (w->cols[i].key)
            eqm_buf_printf(&sql, " AND u.%s = t.%s", w->cols[i].name, w->cols[i].name);
    eqm_buf_printf(&sql, ")) INSERT INTO %s AS t (", w->table);
    for (int i = 0; i < w->n_cols; i++)
        eqm_buf_printf(&sql, "%s%s", i ? ", " : "", w->cols[i].name);
    eqm_buf_printf(&sql, ") SELECT * FROM u ORDER BY ");
    k = 0;
    for (int i = 0; i < w->n_cols; i++)
        if (w->cols[i].key)
            eqm_buf_printf(&sql, "%s%s", k++ ? ", " : "", w->cols[i].name);
    eqm_buf_printf(&sql, " ON CONFLICT (");
    k = 0;
    for (int i = 0; i < w->n_cols; i++)
        if (w->cols[i].key)
            eqm_buf_printf(&sql, "%s%s", k++ ? ", " : "", w->cols[i].name);
    eqm_buf_printf(&sql, ") DO UPDATE SET computed_at = now()");
    for (int i = 0; i < w->n_cols; i++)
        if (!w->cols[i].key)
            eqm_buf_printf(&sql, ", %s = EXCLUDED.%s", w->cols[i].name, w->cols[i].name);
    /* Only rows whose figures changed are touched. */
    eqm_buf_printf(&sql, " WHERE (");
    k = 0;
    for (int i = 0; i < w->n_cols; i++)
        if (!w->cols[i].key)
            eqm_buf_printf(&sql, "%st.%s", k++ ? ", " : "", w->cols[i].name);
    eqm_buf_printf(&sql, ") IS DISTINCT FROM (");
    k = 0;
    for (int i = 0; i < w->n_cols; i++)
        if (!w->cols[i].key)
            eqm_buf_printf(&sql, "%sEXCLUDED.%s", k++ ? ", " : "", w->cols[i].name);
    eqm_buf_printf(&sql, ")");
    if (!sql.data)
        goto oom;
    res = PQexecParams(conn, sql.data, w->n_cols, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        char what[96];
        snprintf(what, sizeof(what), "writing %s", w->table);
        eqm_pg_error(conn, res, what, errstr, sz);
        goto out;
    }
    ret = w->rows;
    goto out;
oom:
    snprintf(errstr, sz, "out of memory writing %s", w->table);
out:
    PQclear(res);
    free(params);
    eqm_buf_free(&sql);
    return ret;
}

static const struct col attrition_cols[] = {
    {"role", "text", true},           {"campaign", "text", true},
    {"stage", "text", true},          {"stage_order", "int", false},
    {"dimension", "text", true},      {"grp", "text", true},
    {"window_days", "int", true},     {"window_end", "date", false},
    {"comparison_grp", "text", false}, {"entered", "bigint", false},
    {"passed", "bigint", false},      {"failed", "bigint", false},
    {"withdrawn", "bigint", false},   {"base", "bigint", false},
    {"pass_rate", "float8", false},   {"pass_rate_ci_low", "float8", false},
    {"pass_rate_ci_high", "float8", false}, {"comparison_passed", "bigint", false},
    {"comparison_base", "bigint", false},   {"comparison_pass_rate", "float8", false},
    {"adverse_impact_ratio", "float8", false}, {"ci_low", "float8", false},
    {"ci_high", "float8", false},     {"p_value", "float8", false},
    {"withdrawal_rate", "float8", false}, {"comparison_withdrawn", "bigint", false},
    {"comparison_entered", "bigint", false}, {"withdrawal_rate_ratio", "float8", false},
    {"note", "text", false},
};

static const struct col workforce_cols[] = {
    {"role", "text", true},
    {"area", "text", true},
    {"dimension", "text", true},
    {"grp", "text", true},
    {"window_days", "int", true},
    {"window_end", "date", false},
    {"reference_grp", "text", false},
    {"snapshot_as_of", "date", false},
    {"snapshot_headcount", "bigint", false},
    {"headcount", "bigint", false},
    {"headcount_total", "bigint", false},
    {"share", "float8", false},
    {"population", "bigint", false},
    {"population_total", "bigint", false},
    {"population_share", "float8", false},
    {"representation_ratio", "float8", false},
    {"representation_ci_low", "float8", false},
    {"representation_ci_high", "float8", false},
    {"joiners", "bigint", false},
    {"joiners_total", "bigint", false},
    {"joiners_share", "float8", false},
    {"leavers", "bigint", false},
    {"avg_headcount", "float8", false},
    {"leaver_rate", "float8", false},
    {"ref_leavers", "bigint", false},
    {"ref_avg_headcount", "float8", false},
    {"ref_leaver_rate", "float8", false},
    {"leaver_rate_ratio", "float8", false},
    {"leaver_rate_ci_low", "float8", false},
    {"leaver_rate_ci_high", "float8", false},
    {"leavers_service_known", "bigint", false},
    {"mean_service_years_of_leavers", "float8", false},
    {"note", "text", false},
};

static const struct col metrics_cols[] = {
    {"source", "text", false},        {"measure", "text", true},
    {"area", "text", true},           {"dimension", "text", true},
    {"grp", "text", true},            {"reference_grp", "text", false},
    {"window_days", "int", true},     {"window_end", "date", false},
    {"n", "bigint", false},           {"base", "bigint", false},
    {"ref_n", "bigint", false},       {"ref_base", "bigint", false},
    {"rate", "float8", false},        {"rate_ci_low", "float8", false},
    {"rate_ci_high", "float8", false}, {"ref_rate", "float8", false},
    {"ratio", "float8", false},       {"ci_low", "float8", false},
    {"ci_high", "float8", false},     {"note", "text", false},
};

#define N_OF(a) ((int)(sizeof(a) / sizeof((a)[0])))

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
    PGresult *pop;
    struct writer att, wf, met;
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

static int64_t population(const struct ctx *c, const char *area, const char *grp) {
    for (int i = 0; i < PQntuples(c->pop); i++)
        if (!strcmp(PQgetvalue(c->pop, i, 1), grp) && !strcmp(PQgetvalue(c->pop, i, 0), area))
            return strtoll(PQgetvalue(c->pop, i, 2), NULL, 10);
    return -1;
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

static void emit_attrition(struct ctx *c, const char *role, const char *campaign,
                           const char *dim, int win, int stage,
                           const struct eqm_rec_figure *f) {
    struct writer *w = &c->att;
    char measure[96];

    put_text(w, role);
    put_text(w, campaign);
    put_text(w, eqm_recruitment_stage_name(stage));
    put_int(w, stage + 1);
    put_text(w, dim);
    put_text(w, f->grp);
    put_int(w, win);
    put_text(w, c->end_day);
    put_text(w, f->comparison_grp);
    put_int(w, f->cell.entered);
    put_int(w, f->cell.passed);
    put_int(w, f->cell.failed);
    put_int(w, f->cell.withdrawn);
    put_int(w, f->base);
    put_double(w, f->pass_rate.has_value, f->pass_rate.value);
    put_double(w, f->pass_rate.has_ci, f->pass_rate.low);
    put_double(w, f->pass_rate.has_ci, f->pass_rate.high);
    put_count(w, f->cmp_passed);
    put_count(w, f->cmp_base);
    put_double(w, f->cmp_rate.has_value, f->cmp_rate.value);
    put_double(w, f->ratio.has_value, f->ratio.value);
    put_double(w, f->ratio.has_ci, f->ratio.low);
    put_double(w, f->ratio.has_ci, f->ratio.high);
    put_double(w, f->has_p, f->p_value);
    put_double(w, f->withdrawal_rate.has_value, f->withdrawal_rate.value);
    put_count(w, f->cmp_withdrawn);
    put_count(w, f->cmp_entered);
    put_double(w, f->withdrawal_ratio.has_value, f->withdrawal_ratio.value);
    put_text(w, f->note);
    row_end(w);

    if (strcmp(campaign, "*") != 0)
        return;
    /* equality.metrics: the adverse impact for the alerts. Recruitment is
     * force-wide, so the area is the force and the role joins the measure
     * name. */
    w = &c->met;
    snprintf(measure, sizeof(measure), "recruitment.adverse_impact.%s.%s",
             eqm_recruitment_stage_name(stage), role);
    put_text(w, SOURCE);
    put_text(w, measure);
    put_text(w, c->scope->force_area);
    put_text(w, dim);
    put_text(w, f->grp);
    put_text(w, f->comparison_grp ? f->comparison_grp : "");
    put_int(w, win);
    put_text(w, c->end_day);
    put_int(w, f->cell.passed);
    put_int(w, f->base);
    put_count(w, f->cmp_passed);
    put_count(w, f->cmp_base);
    put_double(w, f->pass_rate.has_value, f->pass_rate.value);
    put_double(w, f->pass_rate.has_ci, f->pass_rate.low);
    put_double(w, f->pass_rate.has_ci, f->pass_rate.high);
    put_double(w, f->cmp_rate.has_value, f->cmp_rate.value);
    put_double(w, f->ratio.has_value, f->ratio.value);
    put_double(w, f->ratio.has_ci, f->ratio.low);
    put_double(w, f->ratio.has_ci, f->ratio.high);
    put_text(w, f->note);
    row_end(w);
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
    groups = calloc((size_t)n + 2, sizeof(*groups));
    figs = calloc((size_t)n + 2, sizeof(*figs));
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
            eqm_recruitment_add_bme(groups, &ng, n + 2);
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
    struct writer *w = &c->wf;
    char measure[96];

    put_text(w, role);
    put_text(w, area);
    put_text(w, dim);
    put_text(w, f->grp);
    put_int(w, win);
    put_text(w, c->end_day);
    put_text(w, f->reference_grp);
    put_text(w, *as_of ? as_of : NULL);
    put_count(w, g->has_snapshot ? g->snapshot : -1);
    put_int(w, f->headcount);
    put_int(w, f->headcount_total);
    put_double(w, f->share.has_value, f->share.value);
    put_count(w, f->population);
    put_count(w, f->population_total);
    put_double(w, f->population_share.has_value, f->population_share.value);
    put_double(w, f->representation.has_value, f->representation.value);
    put_double(w, f->representation.has_ci, f->representation.low);
    put_double(w, f->representation.has_ci, f->representation.high);
    put_int(w, f->joiners);
    put_int(w, f->joiners_total);
    put_double(w, f->joiners_share.has_value, f->joiners_share.value);
    put_int(w, f->leavers);
    put_double(w, true, f->avg_headcount);
    put_double(w, f->leaver_rate.has_value, f->leaver_rate.value);
    put_count(w, f->ref_leavers);
    put_double(w, f->ref_leavers >= 0, f->ref_avg_headcount);
    put_double(w, f->ref_leaver_rate.has_value, f->ref_leaver_rate.value);
    put_double(w, f->leaver_ratio.has_value, f->leaver_ratio.value);
    put_double(w, f->leaver_ratio.has_ci, f->leaver_ratio.low);
    put_double(w, f->leaver_ratio.has_ci, f->leaver_ratio.high);
    put_int(w, f->service_known);
    put_double(w, f->mean_service_years.has_value, f->mean_service_years.value);
    put_text(w, f->note);
    row_end(w);

    /* equality.metrics: representation (ethnicity: the only dimension with
     * a population) and the leaver rate ratio. */
    w = &c->met;
    if (!strcmp(dim, "ethnicity")) {
        snprintf(measure, sizeof(measure), "workforce.representation.%s", role);
        put_text(w, SOURCE);
        put_text(w, measure);
        put_text(w, area);
        put_text(w, dim);
        put_text(w, f->grp);
        put_text(w, "population");
        put_int(w, win);
        put_text(w, c->end_day);
        put_int(w, f->headcount);
        put_int(w, f->headcount_total);
        put_count(w, f->population);
        put_count(w, f->population_total);
        put_double(w, f->share.has_value, f->share.value);
        put_double(w, f->share.has_ci, f->share.low);
        put_double(w, f->share.has_ci, f->share.high);
        put_double(w, f->population_share.has_value, f->population_share.value);
        put_double(w, f->representation.has_value, f->representation.value);
        put_double(w, f->representation.has_ci, f->representation.low);
        put_double(w, f->representation.has_ci, f->representation.high);
        put_text(w, f->note);
        row_end(w);
    }
    snprintf(measure, sizeof(measure), "workforce.leaver_rate.%s", role);
    put_text(w, SOURCE);
    put_text(w, measure);
    put_text(w, area);
    put_text(w, dim);
    put_text(w, f->grp);
    put_text(w, f->reference_grp);
    put_int(w, win);
    put_text(w, c->end_day);
    put_int(w, f->leavers);
    put_count(w, f->avg_headcount > 0 ? (int64_t)(f->avg_headcount + 0.5) : -1);
    put_count(w, f->ref_leavers);
    put_count(w, f->ref_leavers >= 0 && f->ref_avg_headcount > 0
                     ? (int64_t)(f->ref_avg_headcount + 0.5)
                     : -1);
    put_double(w, f->leaver_rate.has_value, f->leaver_rate.value);
    put_double(w, false, 0);
    put_double(w, false, 0);
    put_double(w, f->ref_leaver_rate.has_value, f->ref_leaver_rate.value);
    put_double(w, f->leaver_ratio.has_value, f->leaver_ratio.value);
    put_double(w, f->leaver_ratio.has_ci, f->leaver_ratio.low);
    put_double(w, f->leaver_ratio.has_ci, f->leaver_ratio.high);
    put_text(w, f->note);
    row_end(w);
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
    cap = n + 8;
    groups = calloc((size_t)cap, sizeof(*groups));
    figs = calloc((size_t)cap, sizeof(*figs));
    if (!groups || !figs)
        goto oom;
    for (int i = 0; i < n;) {
        const char *role = PQgetvalue(res, i, 0), *area = PQgetvalue(res, i, 1);
        const char *dim = PQgetvalue(res, i, 2), *as_of = PQgetvalue(res, i, 5);
        const char *reference = NULL;
        int win = atoi(PQgetvalue(res, i, 4)), ng = 0, j = i;
        bool ethnic = !strcmp(dim, "ethnicity");

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
            g->population = ethnic ? population(c, area, g->grp) : -1;
        }
        if (ethnic) {
            /* Every broad group is in the population total, so every one
             * is in the table, with zero staff if need be. */
            for (int b = 0; b < 5; b++) {
                bool found = false;
                for (int g = 0; g < ng && !found; g++)
                    found = !strcmp(groups[g].grp, broad[b]);
                if (!found) {
                    memset(&groups[ng], 0, sizeof(groups[ng]));
                    groups[ng].grp = broad[b];
                    groups[ng].has_snapshot = *as_of != '\0';
                    groups[ng].population = population(c, area, broad[b]);
                    ng++;
                }
            }
            eqm_workforce_add_bme(groups, &ng, cap);
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
    const char *params[2];
    int ret = -1, a, b, m;

    memset(&c, 0, sizeof(c));
    c.conn = conn;
    c.scope = scope;
    c.errstr = errstr;
    c.sz = sz;
    params[0] = svc->name;
    params[1] = scope->timezone;
    /* Consumers of one service take turns, as in eqm_metrics_recompute. */
    res = query(&c, "SELECT pg_advisory_xact_lock(hashtext('eqm-metrics:' || $1))", 1, params,
                "locking figures");
    if (!res)
        goto out;
    PQclear(res);
    res = query(&c,
                "SELECT (max_occurred_at AT TIME ZONE $2)::date FROM equality.watermarks "
                "WHERE source = $1",
                2, params, "reading watermark");
    if (!res)
        goto out;
    if (PQntuples(res) == 0) {
        ret = 0;
        goto out;
    }
    snprintf(c.end_day, sizeof(c.end_day), "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
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
    PQclear(res);
    res = NULL;
    c.pop = query(&c, "SELECT area, grp, population FROM equality.area_population", 0, NULL,
                  "reading population");
    if (!c.pop)
        goto out;

    if (writer_init(&c.att, "equality.attrition_figures", attrition_cols, N_OF(attrition_cols),
                    NULL) != 0 ||
        writer_init(&c.wf, "equality.workforce_figures", workforce_cols, N_OF(workforce_cols),
                    NULL) != 0 ||
        writer_init(&c.met, "equality.metrics", metrics_cols, N_OF(metrics_cols),
                    "t.source = 'recruitment'") != 0) {
        snprintf(errstr, sz, "out of memory");
        goto out;
    }
    if (attrition(&c) != 0 || workforce(&c) != 0)
        goto out;
    a = writer_flush(&c.att, conn, errstr, sz);
    if (a < 0)
        goto out;
    b = writer_flush(&c.wf, conn, errstr, sz);
    if (b < 0)
        goto out;
    m = writer_flush(&c.met, conn, errstr, sz);
    if (m < 0)
        goto out;
    ret = a + b + m;
out:
    PQclear(res);
    PQclear(c.pop);
    writer_free(&c.att);
    writer_free(&c.wf);
    writer_free(&c.met);
    return ret;
}
