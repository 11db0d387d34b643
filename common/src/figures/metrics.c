#include "eqm/metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eqm/bme.h"
#include "eqm/figlock.h"
#include "eqm/log.h"
#include "eqm/pg.h"
#include "eqm/poptable.h"
#include "eqm/timeutil.h"

#define NOT_STATED "not_stated"

void eqm_metrics_figure(const struct eqm_measure *m, const struct eqm_dimension *dim,
                        const struct eqm_metrics_row *row, const struct eqm_metrics_row *ref,
                        int64_t pop, int64_t ref_pop, struct eqm_figure *f) {
    bool by_population = m->base == EQM_BASE_POPULATION;

    memset(f, 0, sizeof(*f));
    f->measure = m->name;
    f->grp = row->grp;
    f->reference_grp = dim->reference;
    f->n = row->counts[m->numerator];
    f->ref_n = ref ? ref->counts[m->numerator] : 0;
    if (by_population) {
        f->base = pop;
        f->ref_base = ref_pop;
    } else {
        f->base = row->counts[m->base];
        f->ref_base = ref ? ref->counts[m->base] : 0;
    }

    if (by_population) {
        if (f->base > 0 && f->n <= f->base)
            eqm_stats_rate_per_1000(f->n, f->base, &f->rate);
        if (f->ref_base > 0 && f->ref_n <= f->ref_base)
            eqm_stats_rate_per_1000(f->ref_n, f->ref_base, &f->ref_rate);
    } else {
        if (f->base > 0)
            eqm_stats_wilson(f->n, f->base, EQM_STATS_Z95, &f->rate);
        if (f->ref_base > 0)
            eqm_stats_wilson(f->ref_n, f->ref_base, EQM_STATS_Z95, &f->ref_rate);
    }

    if (!strcmp(row->grp, NOT_STATED)) {
        f->note = "not stated: left out of ratios";
        return;
    }
    if (!strcmp(row->grp, dim->reference)) {
        f->note = "reference group";
        return;
    }
    if (by_population && f->base < 0) {
        f->note = "no population figure for this area and group";
        return;
    }
    if (by_population && f->ref_base < 0) {
        f->note = "no population figure for the reference group";
        return;
    }
    if (f->base == 0) {
        f->note = "no base: nothing to divide by";
        return;
    }
    if (f->ref_base == 0) {
        f->note = "reference group has no events in the window: no ratio";
        return;
    }
    if (f->ref_n == 0) {
        f->note = "reference group's count is zero: no ratio";
        return;
    }
    if (f->n > f->base || f->ref_n > f->ref_base) {
        /* A share's numerator and base are counted from separate events
         * (a strip search and its detention), so a window can hold more of
         * the first: say so rather than blame the population. */
        f->note = by_population ? "more events than population: check the area's population"
                                : "more events than their base (a share above 100%): no ratio";
        return;
    }
    eqm_stats_ratio_katz(f->n, f->base, f->ref_n, f->ref_base, EQM_STATS_Z95, &f->ratio);
    if (f->ratio.has_value && !f->ratio.has_ci)
        f->note = "zero count: no confidence interval";
    /* A share of 100% has no failures: the Katz variance term 1/a - 1/n is
     * zero, and the interval would look far surer than 10 out of 10 can
     * make anyone. No interval, said plainly. */
    if (!by_population && f->ratio.has_ci && (f->n == f->base || f->ref_n == f->ref_base)) {
        f->ratio.has_ci = false;
        f->ratio.low = f->ratio.high = 0;
        f->note = "a share of 100%: no confidence interval";
    }
}

/* ---- recompute -------------------------------------------------------- */

/* The columns of equality.figures; the source ($1) and the window end ($2)
 * are the same for every row. A figure's rates and ratios follow from its
 * counts, so a row is rewritten only when its counts, window end, note or
 * reference group changed. */
static const struct eqm_figtable_col figure_cols[] = {
    {"source", NULL, "$1", NULL, false},
    {"measure", "text", NULL, NULL, true},
    {"area", "text", NULL, NULL, true},
    {"dimension", "text", NULL, NULL, true},
    {"grp", "text", NULL, NULL, true},
    {"reference_grp", "text", NULL, "ref", false},
    {"window_days", "int", NULL, "win", true},
    {"window_end", NULL, "$2::date", NULL, false},
    {"n", "bigint", NULL, NULL, false},
    {"base", "bigint", NULL, NULL, false},
    {"ref_n", "bigint", NULL, NULL, false},
    {"ref_base", "bigint", NULL, NULL, false},
    {"rate", "float8", NULL, NULL, false},
    {"rate_ci_low", "float8", NULL, "rate_lo", false},
    {"rate_ci_high", "float8", NULL, "rate_hi", false},
    {"ref_rate", "float8", NULL, NULL, false},
    {"ratio", "float8", NULL, NULL, false},
    {"ci_low", "float8", NULL, "lo", false},
    {"ci_high", "float8", NULL, "hi", false},
    {"note", "text", NULL, NULL, false},
    {"population_base", "text", NULL, "pbase", false},
};

static const char *const figure_compare[] = {
    "window_end", "n", "base", "ref_n", "ref_base", "note", "reference_grp", "population_base"};

const struct eqm_figtable_def eqm_metrics_table = {
    .table = "equality.figures",
    .alias = "m",
    .cols = figure_cols,
    .n_cols = (int)(sizeof(figure_cols) / sizeof(figure_cols[0])),
    .n_params = 2,
    .scope = "m.source = $1",
    .compare = figure_compare,
    .n_compare = (int)(sizeof(figure_compare) / sizeof(figure_compare[0])),
    /* Not sorted before the upsert (the sort was a good part of the
     * figures' time, README "Performance"): the figures lock keeps the
     * writers of one source apart, so their row locks cannot cross. */
    .ordered = false,
};

int eqm_metrics_note_base(PGconn *conn, const char *source, const char *base, char *errstr,
                          size_t sz) {
    const char *params[2] = {source, base};
    PGresult *res = PQexecParams(
        conn,
        "INSERT INTO equality.figure_bases AS b (source, population_base) VALUES ($1, $2)"
        " ON CONFLICT (source) DO UPDATE SET population_base = EXCLUDED.population_base,"
        "   previous_base = b.population_base, changed_at = now()"
        " WHERE b.population_base IS DISTINCT FROM EXCLUDED.population_base",
        2, NULL, params, NULL, NULL, 0);
    int ret = 0;

    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        eqm_pg_error(conn, res, "noting the population base", errstr, sz);
        ret = -1;
    } else if (strcmp(PQcmdTuples(res), "0") != 0 && base) {
        eqm_log_info("population base", "source=%s base=%s", source, base);
    }
    PQclear(res);
    return ret;
}

static const struct eqm_dimension *dim_find(const struct eqm_service *svc, const char *name) {
    for (int i = 0; i < svc->n_dimensions; i++)
        if (!strcmp(svc->dimensions[i].name, name))
            return &svc->dimensions[i];
    return NULL;
}

/* pbase: the population base of a population measure's figure, else NULL. */
static void emit(struct eqm_figtable *w, const struct eqm_metrics_row *row,
                 const struct eqm_figure *f, const char *pbase) {
    eqm_figtable_text(w, f->measure);
    eqm_figtable_text(w, row->area);
    eqm_figtable_text(w, row->dimension);
    eqm_figtable_text(w, f->grp);
    eqm_figtable_text(w, f->reference_grp);
    eqm_figtable_int(w, row->window_days);
    eqm_figtable_count(w, f->n);
    eqm_figtable_count(w, f->base);
    eqm_figtable_count(w, f->ref_n);
    eqm_figtable_count(w, f->ref_base);
    eqm_figtable_estimate(w, &f->rate);
    eqm_figtable_double(w, f->ref_rate.has_value, f->ref_rate.value);
    eqm_figtable_estimate(w, &f->ratio);
    eqm_figtable_text(w, f->note);
    eqm_figtable_text(w, pbase);
    eqm_figtable_row_end(w);
}

/* Figures of one (area, dimension, window) group of rows [from, to), then
 * of each aggregate (eqm/bme.h) that has a member among them. */
static void compute_group(const struct eqm_service *svc, const struct eqm_dimension *dim,
                          const struct eqm_metrics_row *rows, int from, int to,
                          const struct eqm_poptable *pops, struct eqm_figtable *w) {
    const struct eqm_metrics_row *ref = NULL;
    struct eqm_metrics_row agg[EQM_AGG__COUNT];
    bool have_agg[EQM_AGG__COUNT] = {false};
    const char *area = rows[from].area;
    int64_t ref_pop = -1;
    int n_agg = dim->ethnic ? EQM_AGG__COUNT : 0;

    for (int i = from; i < to; i++)
        if (!strcmp(rows[i].grp, dim->reference))
            ref = &rows[i];
    for (int a = 0; a < n_agg; a++) {
        memset(&agg[a], 0, sizeof(agg[a]));
        agg[a].area = area;
        agg[a].dimension = rows[from].dimension;
        agg[a].grp = eqm_aggregate_name((enum eqm_aggregate)a);
        agg[a].window_days = rows[from].window_days;
        for (int i = from; i < to; i++)
            have_agg[a] |= eqm_aggregate_add((enum eqm_aggregate)a, rows[i].grp, rows[i].counts,
                                             svc->tables[0].n_count_columns, agg[a].counts) != 0;
    }
    if (dim->ethnic)
        ref_pop = eqm_poptable_get(pops, area, dim->reference);
    for (int i = from; i < to + n_agg; i++) {
        const struct eqm_metrics_row *row = i < to ? &rows[i] : &agg[i - to];
        int64_t pop = -1;
        if (i >= to && !have_agg[i - to])
            continue;
        if (dim->ethnic)
            pop = eqm_poptable_get(pops, area, row->grp);
        for (int m = 0; m < svc->n_measures; m++) {
            struct eqm_figure f;
            eqm_metrics_figure(&svc->measures[m], dim, row, ref, pop, ref_pop, &f);
            emit(w, row, &f,
                 svc->measures[m].base == EQM_BASE_POPULATION ? eqm_poptable_base(pops) : NULL);
        }
    }
}

/* The sums of every window in one pass over the largest: per (area,
 * dimension, group), a presence count and the column sums of each window,
 * as FILTERed aggregates. (Joining the rows to the list of windows read
 * each row once per window it falls in and then grouped by window too,
 * about twice the time.) A group appears in a window only if it has a
 * daily row there, as before. */
static int sums_sql(const struct eqm_service *svc, const struct eqm_figures_scope *scope,
                    struct eqm_buf *sql) {
    int n_cols = svc->tables[0].n_count_columns, max_window = 0;

    for (int i = 0; i < scope->n_windows; i++)
        if (scope->window_days[i] > max_window)
            max_window = scope->window_days[i];
    eqm_buf_printf(sql, "SELECT t.area, t.dimension, t.grp");
    for (int w = 0; w < scope->n_windows; w++) {
        eqm_buf_printf(sql, ", count(*) FILTER (WHERE t.day > $1::date - %d)",
                       scope->window_days[w]);
        for (int c = 0; c < n_cols; c++)
            eqm_buf_printf(sql, ", (sum(t.%s) FILTER (WHERE t.day > $1::date - %d))::bigint",
                           svc->tables[0].count_columns[c], scope->window_days[w]);
    }
    eqm_buf_printf(sql,
                   " FROM %s t WHERE t.day <= $1::date AND t.day > $1::date - %d"
                   " GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
                   svc->tables[0].name, max_window);
    return eqm_buf_ok(sql) ? 0 : -1;
}

/* The sums as rows grouped by (area, dimension, window), groups in order
 * within; they point into sums. Returns the number of rows. */
static int sums_rows(const PGresult *sums, const struct eqm_figures_scope *scope, int n_cols,
                     struct eqm_metrics_row *rows) {
    int n_groups = PQntuples(sums), n_rows = 0;

    for (int i = 0; i < n_groups;) {
        int j = i + 1;
        while (j < n_groups && !strcmp(PQgetvalue(sums, j, 0), PQgetvalue(sums, i, 0)) &&
               !strcmp(PQgetvalue(sums, j, 1), PQgetvalue(sums, i, 1)))
            j++;
        for (int w = 0; w < scope->n_windows; w++) {
            int base = 3 + w * (1 + n_cols);
            for (int g = i; g < j; g++) {
                struct eqm_metrics_row *r;
                if (strtoll(PQgetvalue(sums, g, base), NULL, 10) == 0)
                    continue; /* no daily row in this window */
                r = &rows[n_rows++];
                r->area = PQgetvalue(sums, g, 0);
                r->dimension = PQgetvalue(sums, g, 1);
                r->grp = PQgetvalue(sums, g, 2);
                r->window_days = scope->window_days[w];
                for (int c = 0; c < n_cols; c++)
                    r->counts[c] = strtoll(PQgetvalue(sums, g, base + 1 + c), NULL, 10);
            }
        }
        i = j;
    }
    return n_rows;
}

int eqm_metrics_recompute(PGconn *conn, const struct eqm_service *svc,
                          const struct eqm_figures_scope *scope, char *errstr, size_t sz) {
    struct eqm_buf sql = {0};
    struct eqm_figtable *w = NULL;
    struct eqm_poptable *pops = NULL;
    struct eqm_metrics_row *rows = NULL;
    PGresult *sums = NULL;
    const char *params[2];
    char end_day[16];
    int n_rows, ret = -1, rc;
    int64_t t_start, t_sum = 0, t_compute = 0, t_write = 0;

    t_start = eqm_time_now_us();
    rc = eqm_figlock_take(conn, svc->name, scope->timezone, end_day, sizeof(end_day), errstr, sz);
    if (rc <= 0)
        return rc; /* 0: nothing counted yet */
    if (eqm_poptable_load(conn, end_day, &pops, errstr, sz) != 0 ||
        eqm_metrics_note_base(conn, svc->name, eqm_poptable_base(pops), errstr, sz) != 0)
        goto out;
    if (sums_sql(svc, scope, &sql) != 0)
        goto oom;
    /* The figures' statements hash a few hundred thousand daily rows and
     * tens of thousands of figures: in memory, without JIT compilation,
     * which costs more than it saves here, and with the hash anti-join for
     * the figures that left every window (the merge join it chose sorted
     * both sides, three times as long). The sums are grouped by hashing,
     * never by sorting the daily rows: the groups are few (areas x groups)
     * but the count table's statistics lag while it grows (autovacuum
     * analyzes it a minute or more later), and the planner, expecting a
     * thousand rows, sorted two hundred thousand (219 ms against 104);
     * with fresh statistics, it still chose a parallel plan whose workers
     * sort (208 ms against 101). The settings end with the transaction;
     * the last two only with the sums. */
    if (eqm_pg_exec(conn,
                    "SET LOCAL work_mem = '64MB'; SET LOCAL jit = off; "
                    "SET LOCAL enable_mergejoin = off; SET LOCAL enable_sort = off; "
                    "SET LOCAL max_parallel_workers_per_gather = 0",
                    errstr, sz) != 0)
        goto out;
    params[0] = end_day;
    t_sum = eqm_time_now_us();
    sums = PQexecParams(conn, sql.data, 1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(sums) != PGRES_TUPLES_OK) {
        eqm_pg_error(conn, sums, "summing windows", errstr, sz);
        goto out;
    }
    if (eqm_pg_exec(conn,
                    "SET LOCAL enable_sort = DEFAULT; "
                    "SET LOCAL max_parallel_workers_per_gather = DEFAULT",
                    errstr, sz) != 0)
        goto out;
    rows = calloc((size_t)PQntuples(sums) * (size_t)scope->n_windows + 1, sizeof(*rows));
    if (!rows || eqm_figtable_new(&w, &eqm_metrics_table) != 0)
        goto oom;
    n_rows = sums_rows(sums, scope, svc->tables[0].n_count_columns, rows);

    t_compute = eqm_time_now_us();
    for (int i = 0; i < n_rows;) {
        int j = i + 1;
        const struct eqm_dimension *dim;
        while (j < n_rows && !strcmp(rows[j].area, rows[i].area) &&
               !strcmp(rows[j].dimension, rows[i].dimension) &&
               rows[j].window_days == rows[i].window_days)
            j++;
        dim = dim_find(svc, rows[i].dimension);
        if (dim)
            compute_group(svc, dim, rows, i, j, pops, w);
        i = j;
    }
    PQclear(sums); /* the rows point into it; the figures are copied */
    sums = NULL;

    /* Upsert, touching only rows whose figures changed, then drop the rows
     * of groups that have left every window. */
    params[0] = svc->name;
    params[1] = end_day;
    t_write = eqm_time_now_us();
    ret = eqm_figtable_write(w, conn, params, errstr, sz);
    if (ret >= 0)
        eqm_log_debug("figures timing", "read_ms=%.1f sum_ms=%.1f compute_ms=%.1f write_ms=%.1f",
                      (double)(t_sum - t_start) / 1e3, (double)(t_compute - t_sum) / 1e3,
                      (double)(t_write - t_compute) / 1e3,
                      (double)(eqm_time_now_us() - t_write) / 1e3);
    goto out;
oom:
    snprintf(errstr, sz, "out of memory computing figures");
out:
    PQclear(sums);
    free(rows);
    eqm_buf_free(&sql);
    eqm_figtable_free(&w);
    eqm_poptable_free(&pops);
    return ret;
}
