/* years.c - the figures by financial year (years.h). */
#include "years.h"

#include <stdlib.h>
#include <string.h>

static const char *const year_columns[] = {"year",
                                           "group",
                                           "group_events",
                                           "reference_events",
                                           "population_base",
                                           "group_population",
                                           "reference_population",
                                           "rate",
                                           "reference_rate",
                                           "too_few",
                                           "ratio",
                                           "ci_low",
                                           "ci_high",
                                           "complete",
                                           NULL};

/* The headings that name the events and the rates. */
static json_t *headings(const char *noun) {
    char g[96], w[96];
    snprintf(g, sizeof(g), "Group's %s", noun);
    snprintf(w, sizeof(w), "White people's %s", noun);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "year", "Year",
                     "group_events", g, "reference_events", w, "population_base", "Population base",
                     "group_population", "Group's population", "reference_population",
                     "White population", "rate", "Group's rate per 1,000", "reference_rate",
                     "White rate per 1,000", "complete", "Whole year");
}

static json_t *num_or_null(const PGresult *r, int row, int col) {
    return PQgetisnull(r, row, col) ? json_null() : json_integer(eqm_web_num(r, row, col));
}

static json_t *real_or_null(const PGresult *r, int row, int col) {
    return eqm_web_real(!PQgetisnull(r, row, col), strtod(PQgetvalue(r, row, col), NULL));
}

json_t *eqm_web_years(const struct eqm_web_env *e, const struct eqm_web_args *a,
                      const char *measure, const char *noun, char *errstr, size_t sz) {
    const char *area = eqm_web_area(e, a);
    const char *p[] = {measure, area, a->from, a->to};
    json_t *out, *rows;
    PGresult *r;

    /* The base's name in words is the first part of its description
     * ("Census 2021, TS021 ..."), as the alerts' sentences name it. */
    r = eqm_web_query(e, "financial years",
                      "SELECT f.period_label, f.grp, f.events, coalesce(f.ref_events, 0),"
                      "       coalesce((SELECT split_part(b.description, ',', 1)"
                      "                   FROM equality_read.population_base b"
                      "                  WHERE b.name = f.population_base), f.population_base),"
                      "       f.population, f.ref_population, f.rate, f.ref_rate, f.ratio,"
                      "       f.ci_low, f.ci_high, f.complete"
                      "  FROM equality_read.period_figures f"
                      " WHERE f.measure = $1 AND f.area = $2 AND f.period_kind = 'financial_year'"
                      "   AND f.dimension = 'ethnicity'"
                      "   AND f.grp IN ('bme', 'asian', 'black', 'mixed', 'other')"
                      "   AND ($3::text IS NULL OR f.period_end >= to_date($3, 'YYYY-MM'))"
                      "   AND ($4::text IS NULL OR f.period_start <= to_date($4, 'YYYY-MM'))"
                      " ORDER BY f.period_start, f.grp <> 'bme', f.grp",
                      4, p, errstr, sz);
    if (!r)
        return NULL;
    out = json_pack("{s:s, s:s, s:s, s:s, s:I, s:o, s:o}", "measure", measure, "noun", noun, "area",
                    area, "reference", "white", "min_events", (json_int_t)e->cfg->min_events,
                    "headings", headings(noun), "columns", eqm_web_columns(year_columns));
    rows = json_array();
    if (!out || !rows || json_object_set_new(out, "rows", rows) != 0)
        goto oom;
    for (int i = 0; i < PQntuples(r); i++) {
        int64_t n = eqm_web_num(r, i, 2), ref_n = eqm_web_num(r, i, 3);
        json_t *row = json_pack(
            "{s:s, s:s, s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:b, s:o, s:o, s:o, s:b}", "year",
            PQgetvalue(r, i, 0), "group", eqm_web_group_label(PQgetvalue(r, i, 1)), "group_events",
            (json_int_t)n, "reference_events", (json_int_t)ref_n, "population_base",
            PQgetisnull(r, i, 4) ? json_null() : json_string(PQgetvalue(r, i, 4)),
            "group_population", num_or_null(r, i, 5), "reference_population", num_or_null(r, i, 6),
            "rate", real_or_null(r, i, 7), "reference_rate", real_or_null(r, i, 8), "too_few",
            n < e->cfg->min_events || ref_n < e->cfg->min_events, "ratio", real_or_null(r, i, 9),
            "ci_low", real_or_null(r, i, 10), "ci_high", real_or_null(r, i, 11), "complete",
            !strcmp(PQgetvalue(r, i, 12), "t"));
        if (!row || json_array_append_new(rows, row) != 0)
            goto oom;
    }
    PQclear(r);
    return out;
oom:
    PQclear(r);
    json_decref(out);
    snprintf(errstr, sz, "out of memory");
    return NULL;
}

void eqm_web_years_intro(FILE *fp) {
    fputs("<p>The same events by financial year (April to March), as the Home Office publishes "
          "them: each year divided by the population base the rule gives for it (by default "
          "Census 2011 up to the year ending March 2021, Census 2021 after), so that a row can "
          "be held against a published table. A year still running says so under "
          "<em>Whole year</em>.</p>\n",
          fp);
}

void eqm_web_years_rows(FILE *fp, const json_t *years) {
    char id[96];
    const char *m = eqm_web_str(years, "measure"), *dot = strrchr(m, '.');

    if (json_array_size(json_object_get(years, "rows")) == 0) {
        fputs("<p class=\"empty\">No events counted in any financial year yet.</p>\n", fp);
        return;
    }
    snprintf(id, sizeof(id), "table-years-%s", dot ? dot + 1 : m);
    eqm_web_table(fp, id, "Rate ratio by financial year", years);
}
