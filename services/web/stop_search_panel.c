/*
 * stop_search_panel.c - eqm-web's stop and search panel: the rate ratio of
 * a group to White people by month (the month alone or a rolling 12), with
 * the share not stated and the sensitivity bound, and the funnel plot of
 * the areas. Its charts are drawn by static/stop-search.js.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eqm/stats.h"
#include "panel.h"
#include "series.h"

/* Most months one request draws (about 80 years). */
#define MAX_MONTHS 1000
/* Points on each funnel limit line. */
#define FUNNEL_STEPS 40

/* The populations of the group and of White in area: 0, or -1 (errstr). */
static int populations(const struct eqm_web_env *e, const char *area, const char *group,
                       int64_t *pop_a, int64_t *pop_b, char *errstr, size_t sz) {
    const char *p[] = {area, group};
    PGresult *r = eqm_web_query(e, "population",
                                "SELECT coalesce(sum(population) FILTER (WHERE grp = $2), 0),"
                                "       coalesce(sum(population) FILTER (WHERE grp = 'white'), 0)"
                                "  FROM equality.area_population WHERE area = $1",
                                2, p, errstr, sz);
    if (!r)
        return -1;
    *pop_a = eqm_web_num(r, 0, 0);
    *pop_b = eqm_web_num(r, 0, 1);
    PQclear(r);
    return 0;
}

static const char *const trend_columns[] = {
    "month",      "group_events", "reference_events", "months",
    "too_few",    "ratio",        "ci_low",           "ci_high",
    "not_stated", "all_events",   "not_stated_share", "ratio_if_not_stated_in_group",
    NULL};

static json_t *trend(const struct eqm_web_env *e, const struct eqm_web_args *a, char *errstr,
                     size_t sz) {
    const char *area = eqm_web_area(e, a), *group = a->group ? a->group : "bme";
    const char *p[] = {area, eqm_web_group_array(group)};
    int span = a->span ? a->span : 12;
    int64_t pop_a, pop_b;
    struct eqm_month_counts *m = NULL;
    struct eqm_trend_point *t = NULL, *all = NULL;
    PGresult *r;
    json_t *out = NULL, *rows;
    int n;

    if (populations(e, area, group, &pop_a, &pop_b, errstr, sz) != 0)
        return NULL;
    r = eqm_web_query(
        e, "monthly searches",
        "WITH m AS ("
        " SELECT date_trunc('month', day)::date AS month,"
        "        sum(searches) FILTER (WHERE grp = ANY($2::text[])) AS a,"
        "        sum(searches) FILTER (WHERE grp = 'white') AS b,"
        "        sum(searches) FILTER (WHERE grp = 'not_stated') AS ns,"
        "        sum(searches) AS total"
        "   FROM equality.stop_search_daily"
        "  WHERE area = $1 AND dimension = 'ethnicity' GROUP BY 1),"
        " s AS (SELECT generate_series(min(month), max(month), interval '1 month')::date"
        "              AS month FROM m)"
        " SELECT to_char(s.month, 'YYYY-MM'), extract(year FROM s.month)::int,"
        "        extract(month FROM s.month)::int, m.a, m.b, m.ns, m.total"
        "   FROM s LEFT JOIN m USING (month) ORDER BY s.month",
        2, p, errstr, sz);
    if (!r)
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
                                         eqm_web_num(r, i, 3), eqm_web_num(r, i, 4)};
    }
    if (eqm_series_trend(m, (size_t)n, span, pop_a, pop_b, e->cfg->min_events, t) != 0) {
        snprintf(errstr, sz, "counts of %s do not fit its population (group %s)", area, group);
        goto out;
    }
    /* The sensitivity bound: every not-stated search in the group. */
    for (int i = 0; i < n; i++)
        m[i].a += eqm_web_num(r, i, 5);
    if (eqm_series_trend(m, (size_t)n, span, pop_a, pop_b, 0, all) != 0)
        memset(all, 0, sizeof(*all) * (size_t)n);

    out = json_pack(
        "{s:s, s:s, s:s, s:s, s:i, s:I, s:I, s:I, s:o, s:o}", "measure", "stop_search.searches",
        "area", area, "group", group, "reference", "white", "span", span, "group_population",
        (json_int_t)pop_a, "reference_population", (json_int_t)pop_b, "min_events",
        (json_int_t)e->cfg->min_events, "threshold",
        eqm_web_real(true, eqm_web_threshold(e->rules, "stop_search.searches", "ethnicity")),
        "columns", eqm_web_columns(trend_columns));
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
        /* Not stated and all searches over the same span as the point. */
        for (int k = i; k >= 0 && k > i - span; k--) {
            nsum += eqm_web_num(r, k, 5);
            tsum += eqm_web_num(r, k, 6);
        }
        if ((a->from && strcmp(month, a->from) < 0) || (a->to && strcmp(month, a->to) > 0))
            continue;
        json_array_append_new(
            rows,
            json_pack("{s:s, s:I, s:I, s:i, s:b, s:o, s:o, s:o, s:I, s:I, s:o, s:o}", "month",
                      month, "group_events", (json_int_t)t[i].a, "reference_events",
                      (json_int_t)t[i].b, "months", t[i].months, "too_few", t[i].too_few, "ratio",
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

static const char *const funnel_columns[] = {
    "area", "group_events", "reference_events", "events", "too_few", "ratio", NULL};
static const char *const limit_columns[] = {"events", "low95", "high95", "low998", "high998", NULL};

static json_t *funnel(const struct eqm_web_env *e, const struct eqm_web_args *a, char *errstr,
                      size_t sz) {
    const char *group = a->group ? a->group : "bme";
    const char *p[] = {eqm_web_group_array(group), a->to, group};
    PGresult *r;
    json_t *out = NULL, *rows = json_array(), *limits = json_array();
    double theta = NAN, share = NAN;
    int64_t max_n = 0, min_n = INT64_MAX;
    char end[8] = "";

    if (!rows || !limits) {
        r = NULL;
        goto fail;
    }
    /* The 12 months to `to` (or to the newest month counted). */
    r = eqm_web_query(e, "funnel",
                      "WITH last AS (SELECT coalesce(to_date($2, 'YYYY-MM'),"
                      "                      date_trunc('month', max(day))::date) AS m"
                      "                FROM equality.stop_search_daily),"
                      " c AS (SELECT d.area,"
                      "        sum(d.searches) FILTER (WHERE d.grp = ANY($1::text[]))::bigint AS a,"
                      "        sum(d.searches) FILTER (WHERE d.grp = 'white')::bigint AS b"
                      "   FROM equality.stop_search_daily d, last"
                      "  WHERE d.dimension = 'ethnicity' AND d.day >= last.m - interval '11 months'"
                      "    AND d.day < last.m + interval '1 month'"
                      "  GROUP BY d.area)"
                      " SELECT c.area, coalesce(c.a, 0), coalesce(c.b, 0),"
                      "        (SELECT population FROM equality.area_population x"
                      "          WHERE x.area = c.area AND x.grp = $3),"
                      "        (SELECT population FROM equality.area_population x"
                      "          WHERE x.area = c.area AND x.grp = 'white'),"
                      "        (SELECT to_char(m, 'YYYY-MM') FROM last)"
                      "   FROM c ORDER BY c.area",
                      3, p, errstr, sz);
    if (!r)
        goto fail;
    for (int i = 0; i < PQntuples(r); i++) {
        const char *area = PQgetvalue(r, i, 0);
        int64_t ca = eqm_web_num(r, i, 1), cb = eqm_web_num(r, i, 2), pa = eqm_web_num(r, i, 3),
                pb = eqm_web_num(r, i, 4);
        struct eqm_estimate est = {0};
        bool too_few = ca < e->cfg->min_events || cb < e->cfg->min_events;
        snprintf(end, sizeof(end), "%s", PQgetvalue(r, i, 5));
        if (PQgetisnull(r, i, 3) || PQgetisnull(r, i, 4) || ca > pa || cb > pb)
            continue; /* no population for the area: no rate */
        if (eqm_stats_ratio_katz(ca, pa, cb, pb, EQM_STATS_Z95, &est) != 0)
            continue;
        if (!strcmp(area, e->cfg->force_area)) {
            if (est.has_value && ca + cb > 0) {
                theta = est.value;
                share = (double)ca / (double)(ca + cb);
            }
            continue;
        }
        if (ca + cb > max_n)
            max_n = ca + cb;
        if (ca + cb > 0 && ca + cb < min_n)
            min_n = ca + cb;
        json_array_append_new(rows, json_pack("{s:s, s:I, s:I, s:I, s:b, s:o}", "area", area,
                                              "group_events", (json_int_t)ca, "reference_events",
                                              (json_int_t)cb, "events", (json_int_t)(ca + cb),
                                              "too_few", too_few, "ratio",
                                              eqm_web_real(!too_few && est.has_value, est.value)));
    }
    PQclear(r);
    /* The limits from a little below the smallest area to a little above the largest. */
    if (isfinite(theta) && share > 0 && share < 1 && max_n > 0) {
        double lo = (double)min_n / 2 > 1 ? (double)min_n / 2 : 1, hi = (double)max_n * 1.25;
        for (int k = 0; k <= FUNNEL_STEPS; k++) {
            double n = lo * pow(hi / lo, (double)k / FUNNEL_STEPS), l95, h95, l998, h998;
            if (eqm_series_funnel_limits(theta, share, n, EQM_STATS_Z95, &l95, &h95) != 0 ||
                eqm_series_funnel_limits(theta, share, n, EQM_SERIES_Z998, &l998, &h998) != 0)
                break;
            json_array_append_new(limits,
                                  json_pack("{s:f, s:f, s:f, s:f, s:f}", "events", n, "low95", l95,
                                            "high95", h95, "low998", l998, "high998", h998));
        }
    }
    /* json_pack takes rows and limits, also when it fails. */
    out = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:I, s:o, s:o, s:o, s:o}", "measure",
                    "stop_search.searches", "group", group, "reference", "white", "period_end", end,
                    "force_ratio", eqm_web_real(true, theta), "force_group_share",
                    eqm_web_real(true, share), "min_events", (json_int_t)e->cfg->min_events,
                    "columns", eqm_web_columns(funnel_columns), "limit_columns",
                    eqm_web_columns(limit_columns), "limits", limits, "rows", rows);
    if (!out)
        snprintf(errstr, sz, "out of memory");
    return out;
fail:
    if (!r && !*errstr)
        snprintf(errstr, sz, "out of memory");
    json_decref(rows);
    json_decref(limits);
    return NULL;
}

static const struct eqm_web_api apis[] = {{"trend", trend}, {"funnel", funnel}};

static int body(FILE *fp, const struct eqm_web_env *e, const struct eqm_web_args *a,
                const char *query, char *errstr, size_t sz);

const struct eqm_web_panel eqm_web_stop_search_panel = {
    "stop-search",
    "Stop and search",
    "who is searched, against the population, by month and by area",
    "stop-search.js",
    apis,
    sizeof(apis) / sizeof(apis[0]),
    body,
};

/* The chooser: area, group, window, months. */
static int chooser(FILE *fp, const struct eqm_web_env *e, const struct eqm_web_args *a,
                   char *errstr, size_t sz) {
    static const char *const names[] = {"bme", "black", "asian", "mixed", "other"};
    const char *p[] = {e->cfg->force_area};
    char span[8];
    PGresult *r = eqm_web_query(e, "areas",
                                "SELECT DISTINCT area, area = $1 FROM equality.stop_search_daily"
                                " ORDER BY 2 DESC, 1",
                                1, p, errstr, sz);
    if (!r)
        return -1;
    snprintf(span, sizeof(span), "%d", a->span ? a->span : 12);
    fputs("<form class=\"choose\" method=\"get\" action=\"/stop-search\">\n"
          "<label>Area <select name=\"area\">",
          fp);
    for (int i = 0; i < PQntuples(r); i++)
        eqm_web_option(fp, PQgetvalue(r, i, 0), PQgetvalue(r, i, 0), eqm_web_area(e, a));
    PQclear(r);
    fputs("</select></label>\n<label>Group <select name=\"group\">", fp);
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        eqm_web_option(fp, names[i], eqm_web_group_label(names[i]), a->group ? a->group : "bme");
    fputs("</select></label>\n<label>Window <select name=\"span\">", fp);
    eqm_web_option(fp, "12", "rolling 12 months", span);
    eqm_web_option(fp, "1", "the month alone", span);
    fputs("</select></label>\n<label>From <input type=\"month\" name=\"from\" value=\"", fp);
    eqm_web_esc(fp, a->from);
    fputs("\"></label>\n<label>To <input type=\"month\" name=\"to\" value=\"", fp);
    eqm_web_esc(fp, a->to);
    fputs("\"></label>\n<button type=\"submit\">Show</button></form>\n", fp);
    return 0;
}

static int body(FILE *fp, const struct eqm_web_env *e, const struct eqm_web_args *a,
                const char *query, char *errstr, size_t sz) {
    json_t *t = NULL, *f = NULL;
    double thr;
    int rc = -1;

    if (chooser(fp, e, a, errstr, sz) != 0 || !(t = trend(e, a, errstr, sz)) ||
        !(f = funnel(e, a, errstr, sz)))
        goto out;
    thr = json_real_value(json_object_get(t, "threshold"));
    fputs("<p class=\"lead\">How many times more likely ", fp);
    eqm_web_esc(fp, eqm_web_group_label(eqm_web_str(t, "group")));
    fputs(" people in ", fp);
    eqm_web_esc(fp, eqm_web_str(t, "area"));
    fputs(" are to be searched than White people, per head of population (Census 2021), with "
          "its 95% interval (a rolling span is drawn once it is whole). The alert threshold is ",
          fp);
    if (json_is_real(json_object_get(t, "threshold")))
        fprintf(fp, "%.2f", thr);
    else
        fputs("not set", fp);
    fprintf(fp,
            ". A figure on fewer than %" JSON_INTEGER_FORMAT
            " searches of either group is shown as <em>too few to compare</em>.</p>\n",
            json_integer_value(json_object_get(t, "min_events")));

    fputs("<section><h2>Trend of the rate ratio</h2>\n", fp);
    eqm_web_chart(fp, &eqm_web_stop_search_panel, "chart-trend", "trend", "trend", query, t,
                  "rate ratio by month");
    eqm_web_table(fp, "table-trend", "Rate ratio by month", t);
    fputs("</section>\n<section><h2>Data quality: ethnicity not stated</h2>\n", fp);
    eqm_web_chart(fp, &eqm_web_stop_search_panel, "chart-quality", "quality", "trend", query, t,
                  "share not stated by month");
    fputs("<p>The share of searches with no self-defined ethnicity, and the ratio the figure "
          "would take if every one of them belonged to the group (if none did, it is the ratio "
          "shown): the range the not-stated records leave open.</p>\n</section>\n",
          fp);
    fputs("<section><h2>Areas: funnel plot</h2>\n", fp);
    eqm_web_chart(fp, &eqm_web_stop_search_panel, "chart-funnel", "funnel", "funnel", query, f,
                  "funnel plot of areas");
    fputs("<p>Each area's ratio over the 12 months to ", fp);
    eqm_web_esc(fp,
                *eqm_web_str(f, "period_end") ? eqm_web_str(f, "period_end") : "the newest month");
    fputs(" against its number of searches (group and White). The lines are the 95% and 99.8% "
          "limits around the force's ratio: an area inside them is within what chance alone "
          "would give.</p>\n",
          fp);
    eqm_web_table(fp, "table-funnel", "Areas over 12 months", f);
    fputs("</section>\n<section class=\"method\"><h2>Method</h2>\n<p>Rate ratio: the group's "
          "searches per head of its population divided by White people's, both over the same "
          "months (a rolling 12 months, or the month alone). Interval: Katz's log method, 95%. "
          "Funnel limits: the force's ratio times exp(&plusmn;z&middot;&radic;(1/(n&middot;p) + "
          "1/(n&middot;(1&minus;p)))), n the area's searches of both groups and p the group's "
          "share of them force-wide (z 1.96 and 3.09). Population base: Census 2021 (TS021), by "
          "district. Ethnicity: as the person searched defined it.</p></section>\n",
          fp);
    rc = 0;
out:
    json_decref(t);
    json_decref(f);
    return rc;
}
