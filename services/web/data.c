/* data.c - the data of eqm-web's charts and tables (data.h). */
#include "data.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eqm/alert_rules.h"
#include "eqm/pg.h"
#include "eqm/stats.h"
#include "series.h"

/* Most months one request draws (about 80 years). */
#define MAX_MONTHS 1000
/* Points on each funnel limit line. */
#define FUNNEL_STEPS 40

/* The groups a trend may be asked for, and the counted groups each is. */
static const struct {
    const char *name, *grps;
} groups[] = {{"bme", "{asian,black,mixed,other}"},
              {"asian", "{asian}"},
              {"black", "{black}"},
              {"mixed", "{mixed}"},
              {"other", "{other}"}};

static const char *group_array(const char *g) {
    for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
        if (!strcmp(g, groups[i].name))
            return groups[i].grps;
    return NULL;
}

static bool is_month(const char *s) {
    int y, m;
    char end;
    return strlen(s) == 7 && sscanf(s, "%4d-%2d%c", &y, &m, &end) == 2 && s[4] == '-' && y >= 1 &&
           m >= 1 && m <= 12;
}

int eqm_web_args_check(const struct eqm_web_args *a, char *errstr, size_t sz) {
    if (a->group && !group_array(a->group)) {
        snprintf(errstr, sz, "group must be one of bme, asian, black, mixed, other");
        return -1;
    }
    if (a->area && (!*a->area || strlen(a->area) > 64)) {
        snprintf(errstr, sz, "area must be 1 to 64 bytes");
        return -1;
    }
    if ((a->from && !is_month(a->from)) || (a->to && !is_month(a->to))) {
        snprintf(errstr, sz, "from and to must be months, YYYY-MM");
        return -1;
    }
    if (a->from && a->to && strcmp(a->from, a->to) > 0) {
        snprintf(errstr, sz, "from (%s) is after to (%s)", a->from, a->to);
        return -1;
    }
    if (a->span != 0 && a->span != 1 && a->span != 12) {
        snprintf(errstr, sz, "span must be 1 (the month alone) or 12 (rolling 12 months)");
        return -1;
    }
    return 0;
}

static PGresult *query(const struct eqm_web_env *e, const char *what, const char *sql, int n,
                       const char *const *params, char *errstr, size_t sz) {
    PGresult *r = PQexecParams(e->conn, sql, n, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        eqm_pg_error(e->conn, r, what, errstr, sz);
        PQclear(r);
        return NULL;
    }
    return r;
}

static int64_t num(const PGresult *r, int row, int col) {
    return PQgetisnull(r, row, col) ? 0 : strtoll(PQgetvalue(r, row, col), NULL, 10);
}

/* A number, or null where there is none (JSON has no NaN). */
static json_t *real_or_null(bool has, double v) {
    return has && isfinite(v) ? json_real(v) : json_null();
}

/* The alert threshold of the first rule on measure and dimension (a rule's
 * measure may end in ".*"), or NaN. */
static double threshold(const struct eqm_alert_rules *rules, const char *measure,
                        const char *dimension) {
    for (int i = 0; rules && i < eqm_alert_rules_total(rules); i++) {
        const struct eqm_alert_rule *r = eqm_alert_rules_get(rules, i);
        size_t n = strlen(r->measure);
        bool match = n >= 2 && !strcmp(r->measure + n - 2, ".*")
                         ? !strncmp(r->measure, measure, n - 1)
                         : !strcmp(r->measure, measure);
        if (match && (!r->dimension || !strcmp(r->dimension, dimension)))
            return r->threshold;
    }
    return NAN;
}

static json_t *columns(const char *const *names) {
    json_t *a = json_array();
    for (; a && *names; names++)
        json_array_append_new(a, json_string(*names));
    return a;
}

static const char *area_of(const struct eqm_web_env *e, const struct eqm_web_args *a) {
    return a->area ? a->area : e->cfg->force_area;
}

/* The populations of the group and of White in area: 0, or -1 (errstr). */
static int populations(const struct eqm_web_env *e, const char *area, const char *group,
                       int64_t *pop_a, int64_t *pop_b, char *errstr, size_t sz) {
    const char *p[] = {area, group};
    PGresult *r = query(e, "population",
                        "SELECT coalesce(sum(population) FILTER (WHERE grp = $2), 0),"
                        "       coalesce(sum(population) FILTER (WHERE grp = 'white'), 0)"
                        "  FROM equality.area_population WHERE area = $1",
                        2, p, errstr, sz);
    if (!r)
        return -1;
    *pop_a = num(r, 0, 0);
    *pop_b = num(r, 0, 1);
    PQclear(r);
    return 0;
}

static const char *const trend_columns[] = {
    "month",      "group_events", "reference_events", "months",
    "too_few",    "ratio",        "ci_low",           "ci_high",
    "not_stated", "all_events",   "not_stated_share", "ratio_if_not_stated_in_group",
    NULL};

json_t *eqm_web_trend(const struct eqm_web_env *e, const struct eqm_web_args *a, char *errstr,
                      size_t sz) {
    const char *area = area_of(e, a), *group = a->group ? a->group : "bme";
    const char *p[] = {area, group_array(group)};
    int span = a->span ? a->span : 12;
    int64_t pop_a, pop_b;
    struct eqm_month_counts *m = NULL;
    struct eqm_trend_point *t = NULL, *all = NULL;
    PGresult *r;
    json_t *out = NULL, *rows;
    int n;

    if (populations(e, area, group, &pop_a, &pop_b, errstr, sz) != 0)
        return NULL;
    r = query(e, "monthly searches",
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
        m[i] = (struct eqm_month_counts){(int)num(r, i, 1), (int)num(r, i, 2), num(r, i, 3),
                                         num(r, i, 4)};
    }
    if (eqm_series_trend(m, (size_t)n, span, pop_a, pop_b, e->cfg->min_events, t) != 0) {
        snprintf(errstr, sz, "counts of %s do not fit its population (group %s)", area, group);
        goto out;
    }
    /* The sensitivity bound: every not-stated search in the group. */
    for (int i = 0; i < n; i++)
        m[i].a += num(r, i, 5);
    if (eqm_series_trend(m, (size_t)n, span, pop_a, pop_b, 0, all) != 0)
        memset(all, 0, sizeof(*all) * (size_t)n);

    out = json_pack("{s:s, s:s, s:s, s:s, s:i, s:I, s:I, s:I, s:o, s:o}", "measure",
                    "stop_search.searches", "area", area, "group", group, "reference", "white",
                    "span", span, "group_population", (json_int_t)pop_a, "reference_population",
                    (json_int_t)pop_b, "min_events", (json_int_t)e->cfg->min_events, "threshold",
                    real_or_null(true, threshold(e->rules, "stop_search.searches", "ethnicity")),
                    "columns", columns(trend_columns));
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
            nsum += num(r, k, 5);
            tsum += num(r, k, 6);
        }
        if ((a->from && strcmp(month, a->from) < 0) || (a->to && strcmp(month, a->to) > 0))
            continue;
        json_array_append_new(
            rows,
            json_pack("{s:s, s:I, s:I, s:i, s:b, s:o, s:o, s:o, s:I, s:I, s:o, s:o}", "month",
                      month, "group_events", (json_int_t)t[i].a, "reference_events",
                      (json_int_t)t[i].b, "months", t[i].months, "too_few", t[i].too_few, "ratio",
                      real_or_null(t[i].ratio.has_value, t[i].ratio.value), "ci_low",
                      real_or_null(t[i].ratio.has_ci, t[i].ratio.low), "ci_high",
                      real_or_null(t[i].ratio.has_ci, t[i].ratio.high), "not_stated",
                      (json_int_t)nsum, "all_events", (json_int_t)tsum, "not_stated_share",
                      real_or_null(tsum > 0, tsum > 0 ? (double)nsum / (double)tsum : 0),
                      "ratio_if_not_stated_in_group",
                      real_or_null(!t[i].too_few && all[i].ratio.has_value, all[i].ratio.value)));
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

json_t *eqm_web_funnel(const struct eqm_web_env *e, const struct eqm_web_args *a, char *errstr,
                       size_t sz) {
    const char *group = a->group ? a->group : "bme";
    const char *p[] = {group_array(group), a->to, group};
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
    r = query(e, "funnel",
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
        int64_t ca = num(r, i, 1), cb = num(r, i, 2), pa = num(r, i, 3), pb = num(r, i, 4);
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
                                              real_or_null(!too_few && est.has_value, est.value)));
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
                    "force_ratio", real_or_null(true, theta), "force_group_share",
                    real_or_null(true, share), "min_events", (json_int_t)e->cfg->min_events,
                    "columns", columns(funnel_columns), "limit_columns", columns(limit_columns),
                    "limits", limits, "rows", rows);
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

static const char *const alert_columns[] = {"rag",
                                            "response_state",
                                            "status",
                                            "severity",
                                            "rule",
                                            "measure",
                                            "area",
                                            "dimension",
                                            "group",
                                            "window_days",
                                            "value",
                                            "since",
                                            "acknowledged_at",
                                            "responded_at",
                                            "days_unanswered",
                                            "silenced_until",
                                            NULL};

json_t *eqm_web_alerts(const struct eqm_web_env *e, const struct eqm_web_args *a, char *errstr,
                       size_t sz) {
    char overdue[32];
    const char *p[] = {overdue};
    PGresult *r;
    json_t *out, *rows;
    (void)a;
    snprintf(overdue, sizeof(overdue), "%ld", e->cfg->overdue_days);
    r = query(e, "alerts",
              "SELECT CASE WHEN responded_at IS NOT NULL THEN 'answered'"
              "            WHEN days_unanswered > $1::int THEN 'overdue'"
              "            WHEN acknowledged_at IS NOT NULL THEN 'acknowledged'"
              "            ELSE 'unanswered' END,"
              "       status, severity, rule, measure, coalesce(area, role || '/' || stage),"
              "       dimension, grp, window_days, last_value,"
              "       to_char(first_breached_at, 'YYYY-MM-DD'),"
              "       to_char(acknowledged_at, 'YYYY-MM-DD'), to_char(responded_at, 'YYYY-MM-DD'),"
              "       days_unanswered, to_char(silenced_until, 'YYYY-MM-DD')"
              "  FROM equality.alerts_current"
              " WHERE status IN ('firing', 'pending')"
              " ORDER BY status = 'firing' DESC, days_unanswered DESC NULLS LAST, measure, area,"
              "          grp",
              1, p, errstr, sz);
    if (!r)
        return NULL;
    out = json_pack("{s:o, s:I}", "columns", columns(alert_columns), "overdue_after_days",
                    (json_int_t)e->cfg->overdue_days);
    rows = json_array();
    if (!out || !rows || json_object_set_new(out, "rows", rows) != 0) {
        json_decref(out);
        PQclear(r);
        snprintf(errstr, sz, "out of memory");
        return NULL;
    }
    for (int i = 0; i < PQntuples(r); i++) {
        const char *state = PQgetvalue(r, i, 0);
        /* Red: no answer past the days allowed; amber: awaiting one (or still
         * pending); green: answered. */
        const char *rag = !strcmp(state, "answered")  ? "green"
                          : !strcmp(state, "overdue") ? "red"
                                                      : "amber";
        json_t *row = json_object();
        const char *names[] = {"response_state", "status",          "severity",
                               "rule",           "measure",         "area",
                               "dimension",      "group",           "window_days",
                               "value",          "since",           "acknowledged_at",
                               "responded_at",   "days_unanswered", "silenced_until"};
        json_object_set_new(row, "rag", json_string(rag));
        for (int c = 0; c < 15; c++) {
            json_t *v;
            if (PQgetisnull(r, i, c))
                v = json_null();
            else if (c == 8 || c == 13)
                v = json_integer(strtoll(PQgetvalue(r, i, c), NULL, 10));
            else if (c == 9)
                v = json_real(strtod(PQgetvalue(r, i, c), NULL));
            else
                v = json_string(PQgetvalue(r, i, c));
            json_object_set_new(row, names[c], v);
        }
        json_array_append_new(rows, row);
    }
    PQclear(r);
    return out;
}

json_t *eqm_web_areas(const struct eqm_web_env *e, char *errstr, size_t sz) {
    const char *p[] = {e->cfg->force_area};
    PGresult *r = query(e, "areas",
                        "SELECT DISTINCT area, area = $1 FROM equality.stop_search_daily"
                        " ORDER BY 2 DESC, 1",
                        1, p, errstr, sz);
    json_t *out = json_array();
    if (!r || !out) {
        PQclear(r);
        json_decref(out);
        return NULL;
    }
    for (int i = 0; i < PQntuples(r); i++)
        json_array_append_new(out, json_string(PQgetvalue(r, i, 0)));
    PQclear(r);
    return out;
}

/* ---- CSV ----------------------------------------------------------------------------- */

static int csv_field(FILE *fp, const json_t *v) {
    char num[64];
    const char *s = num;
    if (json_is_string(v))
        s = json_string_value(v);
    else if (json_is_integer(v))
        snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else if (json_is_real(v))
        snprintf(num, sizeof(num), "%.17g", json_real_value(v));
    else if (json_is_true(v))
        s = "true";
    else if (json_is_false(v))
        s = "false";
    else
        s = "";
    if (strpbrk(s, ",\"\r\n")) {
        fputc('"', fp);
        for (; *s; s++) {
            if (*s == '"')
                fputc('"', fp);
            fputc(*s, fp);
        }
        return fputc('"', fp) == EOF ? -1 : 0;
    }
    return fputs(s, fp) == EOF ? -1 : 0;
}

char *eqm_web_csv(const json_t *data) {
    const json_t *cols = json_object_get(data, "columns"), *rows = json_object_get(data, "rows");
    char *buf = NULL;
    size_t len = 0, i, j;
    const json_t *row, *col;
    FILE *fp = open_memstream(&buf, &len);
    if (!fp)
        return NULL;
    json_array_foreach(cols, j, col) {
        if (j)
            fputc(',', fp);
        csv_field(fp, col);
    }
    fputs("\r\n", fp);
    json_array_foreach(rows, i, row) {
        json_array_foreach(cols, j, col) {
            if (j)
                fputc(',', fp);
            csv_field(fp, json_object_get(row, json_string_value(col)));
        }
        fputs("\r\n", fp);
    }
    if (ferror(fp)) {
        fclose(fp);
        free(buf);
        return NULL;
    }
    fclose(fp);
    return buf;
}
