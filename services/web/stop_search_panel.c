/*
 * stop_search_panel.c - eqm-web's stop and search panel: the rate ratio of
 * a group to White people by month (the month alone or a rolling 12), with
 * the share not stated and the sensitivity bound, self-defined against
 * officer-defined ethnicity, and the funnel plot of the areas. Its charts are drawn by
 * static/stop-search.js.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eqm/stats.h"
#include "panel.h"
#include "series.h"
#include "trend.h"
#include "years.h"
/* Points on each funnel limit line. */
#define FUNNEL_STEPS 40

/* What its trend counts. */
static const struct eqm_web_counted searches = {"equality_read.stop_search_daily", "searches",
                                                "stop_search.searches", "searches"};

static json_t *trend(const struct eqm_web_env *e, const struct eqm_web_args *a, char *errstr,
                     size_t sz) {
    return eqm_web_trend(e, a, &searches, errstr, sz);
}

static json_t *years(const struct eqm_web_env *e, const struct eqm_web_args *a, char *errstr,
                     size_t sz) {
    return eqm_web_years(e, a, searches.measure, searches.noun, errstr, sz);
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
                      "                FROM equality_read.stop_search_daily),"
                      " c AS (SELECT d.area,"
                      "        sum(d.searches) FILTER (WHERE d.grp = ANY($1::text[]))::bigint AS a,"
                      "        sum(d.searches) FILTER (WHERE d.grp = 'white')::bigint AS b"
                      "   FROM equality_read.stop_search_daily d, last"
                      "  WHERE d.dimension = 'ethnicity' AND d.day >= last.m - interval '11 months'"
                      "    AND d.day < last.m + interval '1 month'"
                      "  GROUP BY d.area)"
                      " SELECT c.area, coalesce(c.a, 0), coalesce(c.b, 0),"
                      "        (SELECT population FROM equality_read.area_population x"
                      "          WHERE x.area = c.area AND x.grp = $3),"
                      "        (SELECT population FROM equality_read.area_population x"
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

/* ---- by power, by outcome, children, strip searches ---------------------------------- */

/* The months a breakdown covers, as the CTE span for area $1: f the first
 * day of `from` ($2; default 11 months before the last), t the day after
 * the month `to` ($3; default the newest month counted in the area). */
#define SPAN_CTE                                                                                   \
    "WITH last AS (SELECT coalesce(to_date($3, 'YYYY-MM'),"                                        \
    "                              date_trunc('month', max(day))::date) AS m"                      \
    "                FROM equality_read.stop_search_daily WHERE area = $1),"                       \
    " span AS (SELECT coalesce(to_date($2, 'YYYY-MM'), m - interval '11 months')::date AS f,"      \
    "                 (m + interval '1 month')::date AS t FROM last)"

/* The months a span covers, YYYY-MM ("" when the query gave no row). */
struct span {
    char first[8], last[8];
};

/* Runs sql (SPAN_CTE and a query over it whose last two columns are the
 * span's first and last months) for the area and months asked for, once
 * rows is made, with *months from its first row. NULL with errstr, rows
 * then freed. */
static PGresult *span_query(const struct eqm_web_env *e, const struct eqm_web_args *a,
                            const char *what, json_t *rows, const char *sql, struct span *months,
                            char *errstr, size_t sz) {
    const char *p[] = {eqm_web_area(e, a), a->from, a->to};
    PGresult *r = rows ? eqm_web_query(e, what, sql, 3, p, errstr, sz) : NULL;
    int nf;
    *months = (struct span){"", ""};
    if (!r) {
        if (!*errstr)
            snprintf(errstr, sz, "out of memory");
        json_decref(rows);
        return NULL;
    }
    nf = PQnfields(r);
    if (PQntuples(r) > 0 && nf >= 2) {
        snprintf(months->first, sizeof(months->first), "%s", PQgetvalue(r, 0, nf - 2));
        snprintf(months->last, sizeof(months->last), "%s", PQgetvalue(r, 0, nf - 1));
    }
    return r;
}

/* The count columns summed per group, in this order. */
enum {
    B_SEARCHES,
    B_PACE,
    B_MDA,
    B_S60,
    B_OTHER_POWER,
    B_NFA,
    B_ARREST,
    B_OTHER_OUTCOME,
    B_LINKED,
    B_LINK_KNOWN,
    B_CHILDREN,
    B_STRIP,
    B__N
};

static const char *const breakdown_columns[] = {"group",
                                                "searches",
                                                "too_few",
                                                "pace_s1_share",
                                                "mda_s23_share",
                                                "section_60_share",
                                                "other_power_share",
                                                "nfa_share",
                                                "arrest_share",
                                                "other_outcome_share",
                                                "find_rate",
                                                "children",
                                                "children_share",
                                                "children_ci_low",
                                                "children_ci_high",
                                                "strip",
                                                "strip_share",
                                                "strip_ci_low",
                                                "strip_ci_high",
                                                NULL};

/* The groups of the breakdown in the order drawn; bme is summed here. */
static const char *const breakdown_groups[] = {"white", "bme",   "black",     "asian",
                                               "mixed", "other", "not_stated"};

static json_t *share(int64_t k, int64_t n, bool too_few) {
    return eqm_web_real(!too_few && n > 0, n > 0 ? (double)k / (double)n : 0);
}

/* One group's row: each share of its searches, with a Wilson interval for
 * children and strip searches. */
static json_t *breakdown_row(const char *grp, const int64_t *c, int64_t min_events) {
    struct eqm_estimate ch = {0}, st = {0};
    bool few = c[B_SEARCHES] < min_events;
    if (!few && (eqm_stats_wilson(c[B_CHILDREN], c[B_SEARCHES], EQM_STATS_Z95, &ch) != 0 ||
                 eqm_stats_wilson(c[B_STRIP], c[B_SEARCHES], EQM_STATS_Z95, &st) != 0))
        return NULL;
    return json_pack(
        "{s:s, s:I, s:b, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:o, s:o, s:o, s:I, s:o, "
        "s:o, s:o}",
        "group", grp, "searches", (json_int_t)c[B_SEARCHES], "too_few", few, "pace_s1_share",
        share(c[B_PACE], c[B_SEARCHES], few), "mda_s23_share", share(c[B_MDA], c[B_SEARCHES], few),
        "section_60_share", share(c[B_S60], c[B_SEARCHES], few), "other_power_share",
        share(c[B_OTHER_POWER], c[B_SEARCHES], few), "nfa_share",
        share(c[B_NFA], c[B_SEARCHES], few), "arrest_share", share(c[B_ARREST], c[B_SEARCHES], few),
        "other_outcome_share", share(c[B_OTHER_OUTCOME], c[B_SEARCHES], few), "find_rate",
        share(c[B_LINKED], c[B_LINK_KNOWN], few), "children", (json_int_t)c[B_CHILDREN],
        "children_share", eqm_web_real(ch.has_value, ch.value), "children_ci_low",
        eqm_web_real(ch.has_ci, ch.low), "children_ci_high", eqm_web_real(ch.has_ci, ch.high),
        "strip", (json_int_t)c[B_STRIP], "strip_share", eqm_web_real(st.has_value, st.value),
        "strip_ci_low", eqm_web_real(st.has_ci, st.low), "strip_ci_high",
        eqm_web_real(st.has_ci, st.high));
}

/* By group over the months asked for (default: the 12 months to the
 * newest month counted). */
static json_t *breakdown(const struct eqm_web_env *e, const struct eqm_web_args *a, char *errstr,
                         size_t sz) {
    int64_t counts[sizeof(breakdown_groups) / sizeof(breakdown_groups[0])][B__N] = {{0}};
    json_t *out, *rows = json_array();
    PGresult *r;
    struct span months;

    r = span_query(
        e, a, "stop and search by power and outcome", rows,
        SPAN_CTE
        " SELECT grp, sum(searches), sum(pace_s1), sum(mda_s23), sum(section_60),"
        "        sum(other_power), sum(nfa), sum(arrests), sum(other_outcome), sum(linked),"
        "        sum(link_known), sum(children), sum(strip),"
        "        (SELECT to_char(f, 'YYYY-MM') FROM span),"
        "        (SELECT to_char(t - interval '1 month', 'YYYY-MM') FROM span)"
        "   FROM equality_read.stop_search_daily, span"
        "  WHERE area = $1 AND dimension = 'ethnicity' AND day >= span.f AND day < span.t"
        "  GROUP BY grp",
        &months, errstr, sz);
    if (!r)
        return NULL;
    for (int i = 0; i < PQntuples(r); i++) {
        const char *grp = PQgetvalue(r, i, 0);
        bool in_bme = eqm_web_group_array(grp) && strcmp(grp, "bme") != 0;
        for (size_t g = 0; g < sizeof(breakdown_groups) / sizeof(breakdown_groups[0]); g++)
            if (!strcmp(grp, breakdown_groups[g]) ||
                (in_bme && !strcmp("bme", breakdown_groups[g])))
                for (int k = 0; k < B__N; k++)
                    counts[g][k] += eqm_web_num(r, i, k + 1);
    }
    PQclear(r);
    for (size_t g = 0; g < sizeof(breakdown_groups) / sizeof(breakdown_groups[0]); g++) {
        json_t *row = breakdown_row(breakdown_groups[g], counts[g], e->cfg->min_events);
        if (!row || json_array_append_new(rows, row) != 0) {
            json_decref(rows);
            snprintf(errstr, sz, "out of memory");
            return NULL;
        }
    }
    out = json_pack("{s:s, s:s, s:s, s:I, s:o, s:o}", "area", eqm_web_area(e, a), "first_month",
                    months.first, "last_month", months.last, "min_events",
                    (json_int_t)e->cfg->min_events, "columns", eqm_web_columns(breakdown_columns),
                    "rows", rows);
    if (!out)
        snprintf(errstr, sz, "out of memory");
    return out;
}

/* ---- self-defined against officer-defined ethnicity ---------------------------------- */

/* The table's columns: the self-defined group (a row), the officer-defined
 * groups (eqm_series_agreement_groups), the row's total and the share of
 * it the officer put in the same group. */
static const char *const agreement_columns[] = {"self_defined",    "white", "black",      "asian",
                                                "mixed",           "other", "not_stated", "total",
                                                "agreement_share", NULL};

static json_t *agreement_headings(void) {
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "self_defined",
                     "Self-defined / officer-defined", "white", "White", "black", "Black", "asian",
                     "Asian", "mixed", "Mixed", "other", "Other", "not_stated", "Not stated",
                     "total", "Total", "agreement_share", "Same group (share)");
}

/* A row of the table: self-defined group g (or "all", g < 0: the columns' totals). */
static json_t *agreement_row(const struct eqm_agreement *t, int g) {
    json_t *row =
        json_pack("{s:s}", "self_defined", g < 0 ? "all" : eqm_series_agreement_groups[g]);
    for (int o = 0; row && o < EQM_SERIES_N_AGREEMENT; o++)
        if (json_object_set_new(row, eqm_series_agreement_groups[o],
                                json_integer(g < 0 ? t->officer_total[o] : t->cell[g][o])) != 0) {
            json_decref(row);
            return NULL;
        }
    if (row &&
        (json_object_set_new(row, "total", json_integer(g < 0 ? t->total : t->self_total[g])) !=
             0 ||
         json_object_set_new(row, "agreement_share",
                             g < 0 ? eqm_web_real(t->has_share, t->share)
                                   : eqm_web_real(t->has_row_share[g], t->row_share[g])) != 0)) {
        json_decref(row);
        return NULL;
    }
    return row;
}

/* The table from the query's rows (self-defined, officer-defined,
 * searches; a row of nulls when the span holds none). 0, or -1 (a group
 * the table does not know). */
static int read_agreement(const PGresult *r, struct eqm_agreement *t) {
    struct eqm_agreement_row in[EQM_SERIES_N_AGREEMENT * EQM_SERIES_N_AGREEMENT];
    size_t n = 0;
    for (int i = 0; i < PQntuples(r); i++) {
        if (PQgetisnull(r, i, 0))
            continue;
        if (n == sizeof(in) / sizeof(in[0]))
            return -1; /* more pairs than groups make: a group it does not know */
        in[n++] = (struct eqm_agreement_row){PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
                                             eqm_web_num(r, i, 2)};
    }
    return eqm_series_agreement(in, n, t);
}

/* Self-defined against officer-defined broad group over the months asked
 * for (default, as the breakdown: the 12 months to the newest month
 * counted), for the searches whose events carry both. */
static json_t *agreement(const struct eqm_web_env *e, const struct eqm_web_args *a, char *errstr,
                         size_t sz) {
    struct eqm_agreement t;
    json_t *out, *rows = json_array();
    struct span months;
    PGresult *r = span_query(
        e, a, "self-defined against officer-defined ethnicity", rows,
        SPAN_CTE
        " SELECT x.self_defined, x.officer_defined, x.searches,"
        "        to_char(span.f, 'YYYY-MM'), to_char(span.t - interval '1 month', 'YYYY-MM')"
        "   FROM span LEFT JOIN"
        "        (SELECT self_defined, officer_defined, sum(searches)::bigint AS searches"
        "           FROM equality_read.stop_search_ethnicity_agreement, span"
        "          WHERE area = $1 AND day >= span.f AND day < span.t"
        "          GROUP BY self_defined, officer_defined) x ON true"
        "  ORDER BY 1, 2",
        &months, errstr, sz);
    int rc = r ? read_agreement(r, &t) : -1;

    PQclear(r);
    if (!r)
        return NULL;
    if (rc != 0) {
        snprintf(errstr, sz,
                 "self-defined against officer-defined ethnicity: a group not one of white, "
                 "black, asian, mixed, other, not_stated in "
                 "equality.stop_search_ethnicity_agreement");
        json_decref(rows);
        return NULL;
    }
    for (int g = 0; g <= EQM_SERIES_N_AGREEMENT; g++) {
        json_t *row = agreement_row(&t, g < EQM_SERIES_N_AGREEMENT ? g : -1);
        if (!row || json_array_append_new(rows, row) != 0) {
            json_decref(rows);
            snprintf(errstr, sz, "out of memory");
            return NULL;
        }
    }
    out = json_pack(
        "{s:s, s:s, s:s, s:I, s:I, s:o, s:I, s:I, s:o, s:o, s:o, s:o}", "area", eqm_web_area(e, a),
        "first_month", months.first, "last_month", months.last, "searches", (json_int_t)t.total,
        "agreed", (json_int_t)t.agreed, "agreement_share", eqm_web_real(t.has_share, t.share),
        "stated", (json_int_t)t.stated, "stated_agreed", (json_int_t)t.stated_agreed,
        "stated_agreement_share", eqm_web_real(t.has_stated_share, t.stated_share), "headings",
        agreement_headings(), "columns", eqm_web_columns(agreement_columns), "rows", rows);
    if (!out)
        snprintf(errstr, sz, "out of memory");
    return out;
}

/* Words before, then "K of N" (ag's members k and n), words mid, the share
 * (ag's member share) as a percentage in brackets, words end; nothing
 * (false) when there is no share. */
static bool k_of_n(FILE *fp, const json_t *ag, const char *before, const char *k, const char *n,
                   const char *mid, const char *share, const char *end) {
    const json_t *v = json_object_get(ag, share);
    if (!json_is_real(v))
        return false;
    fprintf(fp, "%s%" JSON_INTEGER_FORMAT " of %" JSON_INTEGER_FORMAT "%s (%.1f%%)%s", before,
            json_integer_value(json_object_get(ag, k)), json_integer_value(json_object_get(ag, n)),
            mid, 100 * json_real_value(v), end);
    return true;
}

static const struct eqm_web_api apis[] = {{"trend", trend},
                                          {"funnel", funnel},
                                          {"breakdown", breakdown},
                                          {"agreement", agreement},
                                          {"years", years}};

static int body(FILE *fp, const struct eqm_web_env *e, const struct eqm_web_args *a,
                const char *query, char *errstr, size_t sz);

EQM_WEB_PANEL(eqm_web_stop_search_panel, "stop-search", "Stop and search",
              "who is searched, against the population, by month and by area", "stop-search.js",
              apis, body, NULL, false);

static int body(FILE *fp, const struct eqm_web_env *e, const struct eqm_web_args *a,
                const char *query, char *errstr, size_t sz) {
    json_t *t = NULL, *f = NULL, *b = NULL, *ag = NULL, *y = NULL;
    double thr;
    int rc = -1;

    if (eqm_web_chooser(fp, e, &eqm_web_stop_search_panel, "equality_read.stop_search_daily", a,
                        errstr, sz) != 0 ||
        !(t = trend(e, a, errstr, sz)) || !(f = funnel(e, a, errstr, sz)) ||
        !(b = breakdown(e, a, errstr, sz)) || !(ag = agreement(e, a, errstr, sz)) ||
        !(y = years(e, a, errstr, sz)))
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
    fputs("</section>\n<section><h2>By financial year</h2>\n", fp);
    eqm_web_years_intro(fp);
    eqm_web_years_rows(fp, y);
    eqm_web_api_links(fp, &eqm_web_stop_search_panel, "years", query);
    fputs("</section>\n<section><h2>Data quality: ethnicity not stated</h2>\n", fp);
    eqm_web_chart(fp, &eqm_web_stop_search_panel, "chart-quality", "quality", "trend", query, t,
                  "share not stated by month");
    fputs("<p>The share of searches with no self-defined ethnicity, and the ratio the figure "
          "would take if every one of them belonged to the group (if none did, it is the ratio "
          "shown): the range the not-stated records leave open.</p>\n",
          fp);
    fputs("<h3>Self-defined against officer-defined ethnicity</h3>\n<p>The searches over the "
          "months ",
          fp);
    eqm_web_esc(fp, eqm_web_str(ag, "first_month"));
    fputs(" to ", fp);
    eqm_web_esc(fp, eqm_web_str(ag, "last_month"));
    fputs(" whose record has both the ethnicity the person searched gave and the one the officer "
          "saw, by broad group (not stated on either side included).",
          fp);
    if (!k_of_n(fp, ag, " Agreement: ", "agreed", "searches", " searches", "agreement_share",
                " have the same group on both sides"))
        fputs(" No search in these months has both.", fp);
    else {
        (void)k_of_n(fp, ag, "; ", "stated_agreed", "stated", " with a group stated on both",
                     "stated_agreement_share", "");
        fputc('.', fp);
    }
    fputs("</p>\n", fp);
    eqm_web_chart(fp, &eqm_web_stop_search_panel, "chart-agreement", "agreement", "agreement",
                  query, ag, "officer-defined group by self-defined group");
    eqm_web_table(fp, "table-agreement", "Self-defined (rows) against officer-defined (columns)",
                  ag);
    fputs("</section>\n", fp);
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
    fputs("</section>\n<section><h2>By power, by outcome, children and strip searches</h2>\n<p>",
          fp);
    fputs("Each group's searches over the months ", fp);
    eqm_web_esc(fp, eqm_web_str(b, "first_month"));
    fputs(" to ", fp);
    eqm_web_esc(fp, eqm_web_str(b, "last_month"));
    fputs(": the power used (PACE s1, Misuse of Drugs Act s23, section 60, other), the outcome "
          "(no further action, arrest, other outcomes; the find rate is the share where the "
          "outcome was linked to the object of the search, of those where that is known), and "
          "the share of searches that were of children (under 18) and that removed more than "
          "outer clothing, with 95% intervals (Wilson).</p>\n",
          fp);
    eqm_web_chart(fp, &eqm_web_stop_search_panel, "chart-powers", "powers", "breakdown", query, b,
                  "searches by power and group");
    eqm_web_chart(fp, &eqm_web_stop_search_panel, "chart-outcomes", "outcomes", "breakdown", query,
                  b, "searches by outcome and group");
    eqm_web_chart(fp, &eqm_web_stop_search_panel, "chart-children", "children", "breakdown", query,
                  b, "share of searches of children by group");
    eqm_web_chart(fp, &eqm_web_stop_search_panel, "chart-strip", "strip", "breakdown", query, b,
                  "share of searches removing more than outer clothing by group");
    eqm_web_table(fp, "table-breakdown", "By group", b);
    fputs("</section>\n<section class=\"method\"><h2>Method</h2>\n<p>Rate ratio: the group's "
          "searches per head of its population divided by White people's, both over the same "
          "months (a rolling 12 months, or the month alone). Interval: Katz's log method, 95%. "
          "Funnel limits: the force's ratio times exp(&plusmn;z&middot;&radic;(1/(n&middot;p) + "
          "1/(n&middot;(1&minus;p)))), n the area's searches of both groups and p the group's "
          "share of them force-wide (z 1.96 and 3.09). Population base: Census 2021 (TS021), by "
          "district; by financial year, the base the rule gives for the year. Ethnicity: as the "
          "person searched defined it.</p></section>\n",
          fp);
    rc = 0;
out:
    json_decref(t);
    json_decref(f);
    json_decref(b);
    json_decref(ag);
    json_decref(y);
    return rc;
}
