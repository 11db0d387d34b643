/* trend.c - the rate ratio's trend by month, shared by the panels (trend.h). */
#include "trend.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "series.h"

/* Most months one request draws (about 80 years). */
#define MAX_MONTHS 1000

static const char *const trend_columns[] = {"month",
                                            "group_events",
                                            "reference_events",
                                            "months",
                                            "population_base",
                                            "group_population",
                                            "reference_population",
                                            "too_few",
                                            "ratio",
                                            "ci_low",
                                            "ci_high",
                                            "not_stated",
                                            "all_events",
                                            "not_stated_share",
                                            "ratio_if_not_stated_in_group",
                                            NULL};

/* The headings that name the events ("Group's searches"). */
static json_t *headings(const char *noun) {
    char g[96], w[96], all[96];
    snprintf(g, sizeof(g), "Group's %s", noun);
    snprintf(w, sizeof(w), "White people's %s", noun);
    snprintf(all, sizeof(all), "All %s", noun);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "group_events", g, "reference_events", w,
                     "all_events", all, "population_base", "Population base", "group_population",
                     "Group's population", "reference_population", "White population");
}

/* Every month from the first counted to the last (months with nothing
 * counted as 0), its group's, White, not-stated and all events, the base
 * the rule gives for the month's last day (as equality.period_figures
 * gives a month, and the engine a window) and the group's and White
 * people's population on it. */
static PGresult *monthly(const struct eqm_web_env *e, const struct eqm_web_counted *c,
                         const char *const *p, char *errstr, size_t sz) {
    char sql[2560];
    snprintf(sql, sizeof(sql),
             "WITH m AS ("
             " SELECT date_trunc('month', day)::date AS month,"
             "        sum(%s) FILTER (WHERE grp = ANY($2::text[])) AS a,"
             "        sum(%s) FILTER (WHERE grp = 'white') AS b,"
             "        sum(%s) FILTER (WHERE grp = 'not_stated') AS ns,"
             "        sum(%s) AS total"
             "   FROM %s"
             "  WHERE area = $1 AND dimension = 'ethnicity' GROUP BY 1),"
             " s AS (SELECT month::date, (month + interval '1 month')::date - 1 AS month_end"
             "         FROM (SELECT generate_series(min(month), max(month), interval '1 month')"
             "                      AS month FROM m) g),"
             " b AS (SELECT s.month,"
             "              (SELECT r.base FROM equality_read.population_base_rule r"
             "                WHERE r.period_from <= s.month_end"
             "                  AND (r.period_to IS NULL OR s.month_end <= r.period_to)"
             "                ORDER BY r.period_from DESC LIMIT 1) AS base"
             "         FROM s)"
             " SELECT to_char(b.month, 'YYYY-MM'), extract(year FROM b.month)::int,"
             "        extract(month FROM b.month)::int, m.a, m.b, m.ns, m.total,"
             "        coalesce((SELECT split_part(d.description, ',', 1)"
             "                    FROM equality_read.population_base d WHERE d.name = b.base),"
             "                 b.base),"
             "        (SELECT sum(p.population) FROM equality_read.area_population_by_base p"
             "          WHERE p.base = b.base AND p.area = $1 AND p.grp = $3),"
             "        (SELECT sum(p.population) FROM equality_read.area_population_by_base p"
             "          WHERE p.base = b.base AND p.area = $1 AND p.grp = 'white')"
             "   FROM b LEFT JOIN m USING (month) ORDER BY b.month",
             c->column, c->column, c->column, c->column, c->table);
    return eqm_web_query(e, "monthly counts", sql, 3, p, errstr, sz);
}

json_t *eqm_web_trend(const struct eqm_web_env *e, const struct eqm_web_args *a,
                      const struct eqm_web_counted *c, char *errstr, size_t sz) {
    const char *area = eqm_web_area(e, a), *group = a->group ? a->group : "bme";
    const char *p[] = {area, eqm_web_group_array(group), group};
    int span = a->span ? a->span : 12;
    int64_t pop_a, pop_b;
    struct eqm_month_counts *m = NULL;
    struct eqm_trend_point *t = NULL, *all = NULL;
    PGresult *r;
    json_t *out = NULL, *rows;
    int n;

    if (eqm_web_populations(e, area, group, &pop_a, &pop_b, errstr, sz) != 0 ||
        !(r = monthly(e, c, p, errstr, sz)))
        return NULL;
    n = PQntuples(r);
    if (n > MAX_MONTHS) {
        snprintf(errstr, sz, "%d months of counts; at most %d are drawn", n, MAX_MONTHS);
        goto out;
    }
    m = calloc((size_t)n + 1, sizeof(*m));
    t = calloc((size_t)n + 1, sizeof(*t));
    all = calloc((size_t)n + 1, sizeof(*all));
    if (!m || !t || !all) {
        snprintf(errstr, sz, "out of memory");
        goto out;
    }
    for (int i = 0; i < n; i++) {
        m[i] = (struct eqm_month_counts){(int)eqm_web_num(r, i, 1), (int)eqm_web_num(r, i, 2),
                                         eqm_web_num(r, i, 3),      eqm_web_num(r, i, 4),
                                         eqm_web_num(r, i, 8),      eqm_web_num(r, i, 9)};
    }
    if (eqm_series_trend(m, (size_t)n, span, e->cfg->min_events, t) != 0) {
        snprintf(errstr, sz, "counts of %s do not fit its population (group %s)", area, group);
        goto out;
    }
    /* The sensitivity bound: every not-stated event in the group. */
    for (int i = 0; i < n; i++)
        m[i].a += eqm_web_num(r, i, 5);
    if (eqm_series_trend(m, (size_t)n, span, 0, all) != 0)
        memset(all, 0, sizeof(*all) * (size_t)n);

    out = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:I, s:I, s:I, s:o, s:o, s:o}", "measure",
                    c->measure, "noun", c->noun, "area", area, "group", group, "reference", "white",
                    "span", span, "group_population", (json_int_t)pop_a, "reference_population",
                    (json_int_t)pop_b, "min_events", (json_int_t)e->cfg->min_events, "threshold",
                    eqm_web_real(true, eqm_web_threshold(e->rules, c->measure, "ethnicity")),
                    "headings", headings(c->noun), "columns", eqm_web_columns(trend_columns));
    rows = json_array();
    if (!out || !rows || json_object_set_new(out, "rows", rows) != 0) {
        json_decref(out);
        out = NULL;
        snprintf(errstr, sz, "out of memory");
        goto out;
    }
    for (int i = 0; i < n; i++) {
        const char *month = PQgetvalue(r, i, 0);
        int64_t nsum = 0, tsum = 0;
        /* Not stated and all events over the same span as the point. */
        for (int k = i; k >= 0 && k > i - span; k--) {
            nsum += eqm_web_num(r, k, 5);
            tsum += eqm_web_num(r, k, 6);
        }
        if ((a->from && strcmp(month, a->from) < 0) || (a->to && strcmp(month, a->to) > 0))
            continue;
        json_array_append_new(
            rows,
            json_pack("{s:s, s:I, s:I, s:i, s:o, s:I, s:I, s:b, s:o, s:o, s:o, s:I, s:I, s:o, s:o}",
                      "month", month, "group_events", (json_int_t)t[i].a, "reference_events",
                      (json_int_t)t[i].b, "months", t[i].months, "population_base",
                      PQgetisnull(r, i, 7) ? json_null() : json_string(PQgetvalue(r, i, 7)),
                      "group_population", (json_int_t)t[i].pop_a, "reference_population",
                      (json_int_t)t[i].pop_b, "too_few", t[i].too_few, "ratio",
                      eqm_web_real(t[i].ratio.has_value, t[i].ratio.value), "ci_low",
                      eqm_web_real(t[i].ratio.has_ci, t[i].ratio.low), "ci_high",
                      eqm_web_real(t[i].ratio.has_ci, t[i].ratio.high), "not_stated",
                      (json_int_t)nsum, "all_events", (json_int_t)tsum, "not_stated_share",
                      eqm_web_real(tsum > 0, tsum > 0 ? (double)nsum / (double)tsum : 0),
                      "ratio_if_not_stated_in_group",
                      eqm_web_real(!t[i].too_few && all[i].ratio.has_value, all[i].ratio.value)));
    }
out:
    PQclear(r);
    free(m);
    free(t);
    free(all);
    return out;
}
