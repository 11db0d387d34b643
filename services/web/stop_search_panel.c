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
#include "trend.h"
/* Points on each funnel limit line. */
#define FUNNEL_STEPS 40

/* What its trend counts. */
static const struct eqm_web_counted searches = {"equality.stop_search_daily", "searches",
                                                "stop_search.searches", "searches"};

static json_t *trend(const struct eqm_web_env *e, const struct eqm_web_args *a, char *errstr,
                     size_t sz) {
    return eqm_web_trend(e, a, &searches, errstr, sz);
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
    NULL,
};

static int body(FILE *fp, const struct eqm_web_env *e, const struct eqm_web_args *a,
                const char *query, char *errstr, size_t sz) {
    json_t *t = NULL, *f = NULL;
    double thr;
    int rc = -1;

    if (eqm_web_chooser(fp, e, &eqm_web_stop_search_panel, "equality.stop_search_daily", a, errstr,
                        sz) != 0 ||
        !(t = trend(e, a, errstr, sz)) || !(f = funnel(e, a, errstr, sz)))
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
