#include "eqm/metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eqm/ethnicity.h"
#include "eqm/log.h"
#include "eqm/pg.h"
#include "eqm/pgarray.h"
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

struct pop_entry {
    char *area;
    char *grp;
    int64_t population;
};

static int pop_cmp(const void *a, const void *b) {
    const struct pop_entry *x = a, *y = b;
    int r = strcmp(x->area, y->area);
    return r ? r : strcmp(x->grp, y->grp);
}

/* pops is sorted with pop_cmp: every district of the Census file is an
 * area, so a linear search cost more than the statistics. */
static int64_t pop_lookup(const struct pop_entry *pops, int n, const char *area, const char *grp) {
    struct pop_entry key = {.area = (char *)area, .grp = (char *)grp};
    const struct pop_entry *e = bsearch(&key, pops, (size_t)n, sizeof(*pops), pop_cmp);
    return e ? e->population : -1;
}

static const struct eqm_dimension *dim_find(const struct eqm_service *svc, const char *name) {
    for (int i = 0; i < svc->n_dimensions; i++)
        if (!strcmp(svc->dimensions[i].name, name))
            return &svc->dimensions[i];
    return NULL;
}

struct out_arrays {
    struct eqm_buf col[19];
    int n;
};

enum {
    O_MEASURE,
    O_AREA,
    O_DIM,
    O_GRP,
    O_REF,
    O_WIN,
    O_N,
    O_BASE,
    O_REF_N,
    O_REF_BASE,
    O_RATE,
    O_RATE_LO,
    O_RATE_HI,
    O_REF_RATE,
    O_RATIO,
    O_LO,
    O_HI,
    O_NOTE,
    O__COUNT
};

static void put_count(struct eqm_buf *b, int64_t v) {
    if (v < 0)
        eqm_pg_array_text(b, NULL, 0);
    else
        eqm_pg_array_int(b, v);
}

static void put_double(struct eqm_buf *b, bool has, double v) {
    char num[40];
    if (!has) {
        eqm_pg_array_text(b, NULL, 0);
        return;
    }
    snprintf(num, sizeof(num), "%.17g", v);
    eqm_pg_array_text(b, num, strlen(num));
}

static void emit(struct out_arrays *o, const struct eqm_metrics_row *row,
                 const struct eqm_figure *f) {
    char win[16];
    snprintf(win, sizeof(win), "%d", row->window_days);
    eqm_pg_array_text(&o->col[O_MEASURE], f->measure, strlen(f->measure));
    eqm_pg_array_text(&o->col[O_AREA], row->area, strlen(row->area));
    eqm_pg_array_text(&o->col[O_DIM], row->dimension, strlen(row->dimension));
    eqm_pg_array_text(&o->col[O_GRP], f->grp, strlen(f->grp));
    eqm_pg_array_text(&o->col[O_REF], f->reference_grp, strlen(f->reference_grp));
    eqm_pg_array_text(&o->col[O_WIN], win, strlen(win));
    put_count(&o->col[O_N], f->n);
    put_count(&o->col[O_BASE], f->base);
    put_count(&o->col[O_REF_N], f->ref_n);
    put_count(&o->col[O_REF_BASE], f->ref_base);
    put_double(&o->col[O_RATE], f->rate.has_value, f->rate.value);
    put_double(&o->col[O_RATE_LO], f->rate.has_ci, f->rate.low);
    put_double(&o->col[O_RATE_HI], f->rate.has_ci, f->rate.high);
    put_double(&o->col[O_REF_RATE], f->ref_rate.has_value, f->ref_rate.value);
    put_double(&o->col[O_RATIO], f->ratio.has_value, f->ratio.value);
    put_double(&o->col[O_LO], f->ratio.has_ci, f->ratio.low);
    put_double(&o->col[O_HI], f->ratio.has_ci, f->ratio.high);
    eqm_pg_array_text(&o->col[O_NOTE], f->note, f->note ? strlen(f->note) : 0);
    o->n++;
}

/* Figures of one (area, dimension, window) group of rows [from, to). */
static void compute_group(const struct eqm_service *svc, const struct eqm_dimension *dim,
                          const struct eqm_metrics_row *rows, int from, int to,
                          const struct pop_entry *pops, int n_pops, struct out_arrays *o) {
    const struct eqm_metrics_row *ref = NULL;
    struct eqm_metrics_row bme;
    bool have_bme = false;
    const char *area = rows[from].area;
    int64_t ref_pop = -1;

    for (int i = from; i < to; i++)
        if (!strcmp(rows[i].grp, dim->reference))
            ref = &rows[i];
    if (dim->ethnic) {
        memset(&bme, 0, sizeof(bme));
        bme.area = area;
        bme.dimension = rows[from].dimension;
        bme.grp = EQM_ETH_BME_NAME;
        bme.window_days = rows[from].window_days;
        for (int i = from; i < to; i++) {
            bool known;
            enum eqm_ethnic_group g = eqm_ethnicity_map(rows[i].grp, strlen(rows[i].grp), &known);
            if (!known || !eqm_ethnicity_is_bme(g) || strcmp(rows[i].grp, eqm_ethnicity_name(g)))
                continue;
            for (int c = 0; c < svc->tables[0].n_count_columns; c++)
                bme.counts[c] += rows[i].counts[c];
            have_bme = true;
        }
        ref_pop = pop_lookup(pops, n_pops, area, dim->reference);
    }
    for (int i = from; i <= to; i++) {
        const struct eqm_metrics_row *row = i < to ? &rows[i] : (have_bme ? &bme : NULL);
        int64_t pop = -1;
        if (!row)
            break;
        if (dim->ethnic)
            pop = pop_lookup(pops, n_pops, area, row->grp);
        for (int m = 0; m < svc->n_measures; m++) {
            struct eqm_figure f;
            eqm_metrics_figure(&svc->measures[m], dim, row, ref, pop, ref_pop, &f);
            emit(o, row, &f);
        }
    }
}

int eqm_metrics_recompute(PGconn *conn, const struct eqm_service *svc, const struct eqm_figures_scope *scope,
                          char *errstr, size_t sz) {
    struct eqm_buf sql = {0};
    struct out_arrays o;
    struct pop_entry *pops = NULL;
    struct eqm_metrics_row *rows = NULL;
    PGresult *res = NULL, *sums = NULL, *set = NULL;
    const char *params[20];
    char end_day[16];
    int n_pops = 0, n_rows = 0, n_groups, n_cols, max_window = 0, ret = -1;
    int64_t t_start, t_sum = 0, t_compute = 0, t_write = 0;

    memset(&o, 0, sizeof(o));
    t_start = eqm_time_now_us();
    params[0] = svc->name;
    res = PQexecParams(conn, "SELECT pg_advisory_xact_lock(hashtext('eqm-metrics:' || $1))", 1,
                       NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        eqm_pg_error(conn, res, "locking figures", errstr, sz);
        goto out;
    }
    PQclear(res);

    params[1] = scope->timezone;
    res = PQexecParams(conn,
                       "SELECT (max_occurred_at AT TIME ZONE $2)::date FROM equality.watermarks "
                       "WHERE source = $1",
                       2, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        eqm_pg_error(conn, res, "reading watermark", errstr, sz);
        goto out;
    }
    if (PQntuples(res) == 0) {
        ret = 0; /* nothing counted yet */
        goto out;
    }
    snprintf(end_day, sizeof(end_day), "%s", PQgetvalue(res, 0, 0));
    PQclear(res);

    res = PQexec(conn, "SELECT area, grp, population FROM equality.area_population");
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        eqm_pg_error(conn, res, "reading population", errstr, sz);
        goto out;
    }
    n_pops = PQntuples(res);
    pops = calloc((size_t)n_pops + 1, sizeof(*pops));
    if (!pops)
        goto oom;
    for (int i = 0; i < n_pops; i++) {
        pops[i].area = PQgetvalue(res, i, 0);
        pops[i].grp = PQgetvalue(res, i, 1);
        pops[i].population = strtoll(PQgetvalue(res, i, 2), NULL, 10);
    }
    qsort(pops, (size_t)n_pops, sizeof(*pops), pop_cmp);
    /* res stays alive: pops points into it. */

    /*
     * Every window in one pass over the largest: per (area, dimension,
     * group), a presence count and the column sums of each window, as
     * FILTERed aggregates. (Joining the rows to the list of windows read
     * each row once per window it falls in and then grouped by window too,
     * about twice the time.) A group appears in a window only if it has a
     * daily row there, as before.
     */
    n_cols = svc->tables[0].n_count_columns;
    for (int i = 0; i < scope->n_windows; i++)
        if (scope->window_days[i] > max_window)
            max_window = scope->window_days[i];
    eqm_buf_printf(&sql, "SELECT t.area, t.dimension, t.grp");
    for (int w = 0; w < scope->n_windows; w++) {
        eqm_buf_printf(&sql, ", count(*) FILTER (WHERE t.day > $1::date - %d)",
                       scope->window_days[w]);
        for (int c = 0; c < n_cols; c++)
            eqm_buf_printf(&sql, ", (sum(t.%s) FILTER (WHERE t.day > $1::date - %d))::bigint",
                           svc->tables[0].count_columns[c], scope->window_days[w]);
    }
    eqm_buf_printf(&sql,
                   " FROM %s t WHERE t.day <= $1::date AND t.day > $1::date - %d"
                   " GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
                   svc->tables[0].name, max_window);
    if (!sql.data)
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
    set = PQexec(conn, "SET LOCAL work_mem = '64MB'; SET LOCAL jit = off; "
                       "SET LOCAL enable_mergejoin = off; SET LOCAL enable_sort = off; "
                       "SET LOCAL max_parallel_workers_per_gather = 0");
    if (PQresultStatus(set) != PGRES_COMMAND_OK) {
        eqm_pg_error(conn, set, "setting up figures", errstr, sz);
        goto out;
    }
    params[0] = end_day;
    t_sum = eqm_time_now_us();
    sums = PQexecParams(conn, sql.data, 1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(sums) != PGRES_TUPLES_OK) {
        eqm_pg_error(conn, sums, "summing windows", errstr, sz);
        goto out;
    }
    PQclear(set);
    set = PQexec(conn, "SET LOCAL enable_sort = DEFAULT; "
                       "SET LOCAL max_parallel_workers_per_gather = DEFAULT");
    if (PQresultStatus(set) != PGRES_COMMAND_OK) {
        eqm_pg_error(conn, set, "setting up figures", errstr, sz);
        goto out;
    }
    /* Rows grouped by (area, dimension, window), groups in order within. */
    n_groups = PQntuples(sums);
    rows = calloc((size_t)n_groups * (size_t)scope->n_windows + 1, sizeof(*rows));
    if (!rows)
        goto oom;
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

    t_compute = eqm_time_now_us();
    for (int k = 0; k < O__COUNT; k++)
        eqm_pg_array_begin(&o.col[k]);
    for (int i = 0; i < n_rows;) {
        int j = i + 1;
        const struct eqm_dimension *dim;
        while (j < n_rows && !strcmp(rows[j].area, rows[i].area) &&
               !strcmp(rows[j].dimension, rows[i].dimension) &&
               rows[j].window_days == rows[i].window_days)
            j++;
        dim = dim_find(svc, rows[i].dimension);
        if (dim)
            compute_group(svc, dim, rows, i, j, pops, n_pops, &o);
        i = j;
    }
    for (int k = 0; k < O__COUNT; k++) {
        if (eqm_pg_array_end(&o.col[k]) != 0)
            goto oom;
        params[2 + k] = o.col[k].data;
    }
    params[0] = svc->name;
    params[1] = end_day;

    /* Upsert, touching only rows whose figures changed, then drop the rows
     * of groups that have left every window. */
    PQclear(sums);
    t_write = eqm_time_now_us();
    sums = PQexecParams(
        conn,
        "WITH u AS (SELECT * FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], "
        "$7::text[], $8::int[], $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[], "
        "$13::float8[], $14::float8[], $15::float8[], $16::float8[], $17::float8[], "
        "$18::float8[], $19::float8[], $20::text[]) AS u(measure, area, dimension, grp, ref, "
        "win, n, base, ref_n, ref_base, rate, rate_lo, rate_hi, ref_rate, ratio, lo, hi, note)), "
        "gone AS (DELETE FROM equality.metrics m WHERE m.source = $1 AND NOT EXISTS ("
        "SELECT 1 FROM u WHERE u.measure = m.measure AND u.area = m.area AND "
        "u.dimension = m.dimension AND u.grp = m.grp AND u.win = m.window_days)) "
        "INSERT INTO equality.metrics AS m (source, measure, area, dimension, grp, "
        "reference_grp, window_days, window_end, n, base, ref_n, ref_base, rate, rate_ci_low, "
        "rate_ci_high, ref_rate, ratio, ci_low, ci_high, note) "
        "SELECT $1, measure, area, dimension, grp, ref, win, $2::date, n, base, ref_n, ref_base, "
        "rate, rate_lo, rate_hi, ref_rate, ratio, lo, hi, note FROM u "
        "ON CONFLICT (measure, area, dimension, grp, window_days) DO UPDATE SET "
        "source = EXCLUDED.source, reference_grp = EXCLUDED.reference_grp, "
        "window_end = EXCLUDED.window_end, n = EXCLUDED.n, base = EXCLUDED.base, "
        "ref_n = EXCLUDED.ref_n, ref_base = EXCLUDED.ref_base, rate = EXCLUDED.rate, "
        "rate_ci_low = EXCLUDED.rate_ci_low, rate_ci_high = EXCLUDED.rate_ci_high, "
        "ref_rate = EXCLUDED.ref_rate, ratio = EXCLUDED.ratio, ci_low = EXCLUDED.ci_low, "
        "ci_high = EXCLUDED.ci_high, note = EXCLUDED.note, computed_at = now() "
        "WHERE (m.window_end, m.n, m.base, m.ref_n, m.ref_base, m.note, m.reference_grp) IS "
        "DISTINCT FROM (EXCLUDED.window_end, EXCLUDED.n, EXCLUDED.base, EXCLUDED.ref_n, "
        "EXCLUDED.ref_base, EXCLUDED.note, EXCLUDED.reference_grp)",
        20, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(sums) != PGRES_COMMAND_OK) {
        eqm_pg_error(conn, sums, "writing figures", errstr, sz);
        goto out;
    }
    ret = o.n;
    eqm_log_debug("figures timing", "read_ms=%.1f sum_ms=%.1f compute_ms=%.1f write_ms=%.1f",
                  (double)(t_sum - t_start) / 1e3, (double)(t_compute - t_sum) / 1e3,
                  (double)(t_write - t_compute) / 1e3, (double)(eqm_time_now_us() - t_write) / 1e3);
    goto out;
oom:
    snprintf(errstr, sz, "out of memory computing figures");
out:
    PQclear(res);
    PQclear(sums);
    free(pops);
    free(rows);
    eqm_buf_free(&sql);
    PQclear(set);
    for (int k = 0; k < O__COUNT; k++)
        eqm_buf_free(&o.col[k]);
    return ret;
}
