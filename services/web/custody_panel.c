/*
 * custody_panel.c - eqm-web's use of force and custody panel: the rate
 * ratio of a group to White people for each use-of-force tactic (a forest
 * plot, with Taser drawn beside Taser discharged and the share discharged
 * of drawn), the trend of the use-of-force, arrest, detention and strip
 * search ratios by month, the share of disposals that are out of court by
 * group, and the share not stated. Counts from equality_read.custody_daily
 * (eqm-custody); its charts are drawn by static/custody.js and eqm.js.
 */
#include <string.h>

#include "eqm/stats.h"
#include "panel.h"
#include "trend.h"
#include "years.h"

#define TABLE "equality_read.custody_daily"

extern const struct eqm_web_panel eqm_web_custody_panel; /* at the end, with its body */

/* The trend's measures (measure=, the first is the default), what each
 * counts, and its name on the page. */
static const char *const measures[] = {"use_of_force", "arrests", "detentions", "strip_searches",
                                       NULL};
static const struct eqm_web_counted counted[] = {
    {TABLE, "use_of_force", "custody.use_of_force", "uses of force"},
    {TABLE, "arrests", "custody.arrests", "arrests"},
    {TABLE, "detentions", "custody.detentions", "detentions"},
    {TABLE, "strip_searches", "custody.strip_searches", "strip searches"},
};
static const char *const measure_titles[] = {"Use of force", "Arrests", "Detentions",
                                             "Strip searches in custody"};
#define N_MEASURES (sizeof(counted) / sizeof(counted[0]))

/* The tactics of eqm-custody (one tactic_<code> column each), in the
 * forest plot's order: Taser drawn and Taser discharged side by side, so
 * that the step from one to the other can be read across groups. */
struct tactic {
    const char *code;  /* tactic_<code> */
    const char *label; /* in words */
};
static const struct tactic tactics[] = {
    {"handcuffing", "Handcuffing"},
    {"restraint", "Restraint"},
    {"limb_restraints", "Limb and body restraints"},
    {"unarmed_skills", "Unarmed skills"},
    {"spit_guard", "Spit and bite guard"},
    {"taser_drawn", "Taser drawn"},
    {"taser_discharged", "Taser discharged"},
    {"taser_aimed", "Taser aimed (red dot)"},
    {"baton", "Baton"},
    {"irritant_spray", "Irritant spray"},
    {"dog", "Police dog"},
    {"firearm", "Firearm"},
    {"other", "Other tactic"},
};
#define N_TACTICS 13
_Static_assert(sizeof(tactics) / sizeof(tactics[0]) == N_TACTICS, "13 tactics, as eqm-custody");

/* The columns a period's figures read: uses of force, each tactic, then
 * disposals and the out-of-court ones. */
enum { C_UOF, C_TACTIC, C_DISPOSALS = C_TACTIC + N_TACTICS, C_OUT_OF_COURT, N_COLS };
#define C_T(code) (C_TACTIC + tactic_index(code))

/* The counted groups of the ethnicity dimension. */
static const char *const grps[] = {"white", "asian", "black", "mixed", "other", "not_stated"};
#define N_GRPS (sizeof(grps) / sizeof(grps[0]))

/* The groups the period's tables show, the reference first. */
static const char *const shown[] = {"white", "bme",   "black",     "asian",
                                    "mixed", "other", "not_stated"};
#define N_SHOWN (sizeof(shown) / sizeof(shown[0]))

/* A period's counts: months from..to, each column summed by counted group. */
struct period {
    char from[8], to[8];
    int64_t n[N_GRPS][N_COLS];
};

static int tactic_index(const char *code) {
    for (int i = 0; i < N_TACTICS; i++)
        if (!strcmp(tactics[i].code, code))
            return i;
    return 0; /* not reached: the codes are this file's */
}

static const char *group_label(const char *g) {
    return !strcmp(g, "white")        ? "White"
           : !strcmp(g, "not_stated") ? "Not stated"
                                      : eqm_web_group_label(g);
}

/* The months of the figures: a->from to a->to when both are given; else
 * the 12 months to a->to (or to the newest month counted in the area),
 * or from a->from to the newest. */
static int period_counts(const struct eqm_web_env *e, const struct eqm_web_args *a,
                         struct period *pc, char *errstr, size_t sz) {
    const char *p[] = {eqm_web_area(e, a), a->to, a->from};
    char sql[4096];
    size_t len;
    PGresult *r;

    memset(pc, 0, sizeof(*pc));
    len = (size_t)snprintf(sql, sizeof(sql),
                           "WITH last AS (SELECT coalesce(to_date($2, 'YYYY-MM'),"
                           "                      date_trunc('month', max(day))::date) AS m"
                           "                FROM " TABLE " WHERE area = $1),"
                           " p AS (SELECT coalesce(to_date($3, 'YYYY-MM'),"
                           "                       (m - interval '11 months')::date) AS f, m"
                           "         FROM last)"
                           " SELECT to_char(p.f, 'YYYY-MM'), to_char(p.m, 'YYYY-MM'), d.grp,"
                           "        sum(d.use_of_force)");
    for (int i = 0; i < N_TACTICS; i++)
        len +=
            (size_t)snprintf(sql + len, sizeof(sql) - len, ", sum(d.tactic_%s)", tactics[i].code);
    len += (size_t)snprintf(sql + len, sizeof(sql) - len,
                            ", sum(d.disposals), sum(d.out_of_court)"
                            "   FROM p LEFT JOIN " TABLE " d"
                            "     ON d.area = $1 AND d.dimension = 'ethnicity' AND d.day >= p.f"
                            "    AND d.day < p.m + interval '1 month'"
                            "  GROUP BY 1, 2, 3");
    if (len >= sizeof(sql)) {
        snprintf(errstr, sz, "period query longer than %zu bytes", sizeof(sql));
        return -1;
    }
    if (!(r = eqm_web_query(e, "period counts", sql, 3, p, errstr, sz)))
        return -1;
    for (int i = 0; i < PQntuples(r); i++) {
        snprintf(pc->from, sizeof(pc->from), "%s", PQgetvalue(r, i, 0));
        snprintf(pc->to, sizeof(pc->to), "%s", PQgetvalue(r, i, 1));
        for (size_t g = 0; g < N_GRPS; g++) {
            if (PQgetisnull(r, i, 2) || strcmp(PQgetvalue(r, i, 2), grps[g]))
                continue;
            for (int k = 0; k < N_COLS; k++)
                pc->n[g][k] = eqm_web_num(r, i, 3 + k);
        }
    }
    PQclear(r);
    return 0;
}

/* The counts of group (a shown group: counted, or bme's four). */
static void group_sum(const struct period *pc, const char *group, int64_t out[N_COLS]) {
    memset(out, 0, sizeof(int64_t) * N_COLS);
    for (size_t g = 0; g < N_GRPS; g++) {
        if (strcmp(group, grps[g]) && !eqm_web_group_has(group, grps[g]))
            continue;
        for (int k = 0; k < N_COLS; k++)
            out[k] += pc->n[g][k];
    }
}

/* too_few, ratio and its interval of (a / n1) / (b / n2) into row: too few
 * below min events of either group; a share of 100% has no interval, as
 * the engine's figures (README "Formulas"). A count above its base (no
 * population for the area) has no ratio. */
static void set_ratio(json_t *row, int64_t a, int64_t n1, int64_t b, int64_t n2, int64_t min,
                      bool share) {
    struct eqm_estimate est = {0};
    bool too_few = a < min || b < min;
    if (too_few || eqm_stats_ratio_katz(a, n1, b, n2, EQM_STATS_Z95, &est) != 0)
        est = (struct eqm_estimate){0};
    if (share && (a == n1 || b == n2))
        est.has_ci = false;
    json_object_set_new(row, "too_few", json_boolean(too_few));
    json_object_set_new(row, "ratio", eqm_web_real(est.has_value, est.value));
    json_object_set_new(row, "ci_low", eqm_web_real(est.has_ci, est.low));
    json_object_set_new(row, "ci_high", eqm_web_real(est.has_ci, est.high));
}

/* What every period API says beside its rows (taken, also on failure). */
static json_t *frame(const struct eqm_web_env *e, const struct eqm_web_args *a, const char *measure,
                     const struct period *pc, const char *const *cols, json_t *rows, char *errstr,
                     size_t sz) {
    json_t *out =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:o, s:o}", "measure", measure, "area",
                  eqm_web_area(e, a), "group", a->group ? a->group : "bme", "reference", "white",
                  "period_from", pc->from, "period_to", pc->to, "min_events",
                  (json_int_t)e->cfg->min_events, "columns", eqm_web_columns(cols), "rows", rows);
    if (!out)
        snprintf(errstr, sz, "out of memory");
    return out;
}

static const char *const tactic_columns[] = {
    "tactic", "group_events", "reference_events", "too_few", "ratio", "ci_low", "ci_high", NULL};

/* The forest plot: each tactic's rate ratio per head of population. */
static json_t *tactics_api(const struct eqm_web_env *e, const struct eqm_web_args *a, char *errstr,
                           size_t sz) {
    const char *area = eqm_web_area(e, a), *group = a->group ? a->group : "bme";
    struct period pc;
    int64_t ga[N_COLS], wb[N_COLS], pop_a, pop_b;
    json_t *rows, *out;

    if (eqm_web_populations(e, area, group, &pop_a, &pop_b, errstr, sz) != 0 ||
        period_counts(e, a, &pc, errstr, sz) != 0)
        return NULL;
    group_sum(&pc, group, ga);
    group_sum(&pc, "white", wb);
    rows = json_array();
    /* Any use of force first: the tactics' ratios read against it. */
    for (int k = C_UOF; rows && k < C_DISPOSALS; k++) {
        json_t *row = json_pack("{s:s, s:s, s:I, s:I}", "tactic",
                                k == C_UOF ? "Any use of force" : tactics[k - 1].label, "code",
                                k == C_UOF ? "any" : tactics[k - 1].code, "group_events",
                                (json_int_t)ga[k], "reference_events", (json_int_t)wb[k]);
        if (!row)
            continue;
        set_ratio(row, ga[k], pop_a, wb[k], pop_b, e->cfg->min_events, false);
        json_array_append_new(rows, row);
    }
    if (!(out =
              frame(e, a, "custody.use_of_force_by_tactic", &pc, tactic_columns, rows, errstr, sz)))
        return NULL;
    json_object_set_new(out, "label_column", json_string("tactic"));
    json_object_set_new(out, "group_population", json_integer(pop_a));
    json_object_set_new(out, "reference_population", json_integer(pop_b));
    json_object_set_new(out, "headings",
                        json_pack("{s:s, s:s}", "group_events", "Group's uses of force",
                                  "reference_events", "White people's uses of force"));
    return out;
}

static const char *const taser_columns[] = {
    "group", "drawn", "aimed", "discharged", "share_discharged", NULL};

/* Taser by group: drawn, aimed, discharged, and discharged per drawn. */
static json_t *taser_api(const struct eqm_web_env *e, const struct eqm_web_args *a, char *errstr,
                         size_t sz) {
    struct period pc;
    json_t *rows;

    if (period_counts(e, a, &pc, errstr, sz) != 0)
        return NULL;
    rows = json_array();
    for (size_t i = 0; rows && i < N_SHOWN; i++) {
        int64_t c[N_COLS], drawn, discharged;
        group_sum(&pc, shown[i], c);
        drawn = c[C_T("taser_drawn")];
        discharged = c[C_T("taser_discharged")];
        json_array_append_new(
            rows, json_pack("{s:s, s:s, s:I, s:I, s:I, s:o}", "group", group_label(shown[i]),
                            "code", shown[i], "drawn", (json_int_t)drawn, "aimed",
                            (json_int_t)c[C_T("taser_aimed")], "discharged", (json_int_t)discharged,
                            "share_discharged",
                            eqm_web_real(drawn > 0, drawn > 0 ? (double)discharged / drawn : 0)));
    }
    return frame(e, a, "custody.use_of_force_by_tactic.taser", &pc, taser_columns, rows, errstr,
                 sz);
}

static const char *const ooc_columns[] = {"group", "disposals", "out_of_court", "share", "too_few",
                                          "ratio", "ci_low",    "ci_high",      NULL};

/* Out-of-court disposals: each group's share, its ratio to White's. */
static json_t *out_of_court_api(const struct eqm_web_env *e, const struct eqm_web_args *a,
                                char *errstr, size_t sz) {
    struct period pc;
    int64_t wb[N_COLS];
    json_t *rows, *out;

    if (period_counts(e, a, &pc, errstr, sz) != 0)
        return NULL;
    group_sum(&pc, "white", wb);
    rows = json_array();
    for (size_t i = 0; rows && i < N_SHOWN; i++) {
        int64_t c[N_COLS];
        json_t *row;
        group_sum(&pc, shown[i], c);
        row = json_pack("{s:s, s:s, s:I, s:I, s:o}", "group", group_label(shown[i]), "code",
                        shown[i], "disposals", (json_int_t)c[C_DISPOSALS], "out_of_court",
                        (json_int_t)c[C_OUT_OF_COURT], "share",
                        eqm_web_real(c[C_DISPOSALS] > 0,
                                     c[C_DISPOSALS] > 0
                                         ? (double)c[C_OUT_OF_COURT] / (double)c[C_DISPOSALS]
                                         : 0));
        if (!row)
            continue;
        /* The reference has no ratio, nor has not stated (left out, as in
         * every figure). */
        if (i == 0 || !strcmp(shown[i], "not_stated"))
            set_ratio(row, 0, 0, 0, 0, 0, true);
        else
            set_ratio(row, c[C_OUT_OF_COURT], c[C_DISPOSALS], wb[C_OUT_OF_COURT], wb[C_DISPOSALS],
                      e->cfg->min_events, true);
        json_array_append_new(rows, row);
    }
    if (!(out = frame(e, a, "custody.out_of_court_share", &pc, ooc_columns, rows, errstr, sz)))
        return NULL;
    json_object_set_new(out, "label_column", json_string("group"));
    return out;
}

/* The trend of measure= (default: uses of force). */
static json_t *trend_api(const struct eqm_web_env *e, const struct eqm_web_args *a, char *errstr,
                         size_t sz) {
    for (size_t i = 0; i < N_MEASURES; i++)
        if (!a->measure || !strcmp(a->measure, measures[i]))
            return eqm_web_trend(e, a, &counted[i], errstr, sz);
    snprintf(errstr, sz, "no measure %s", a->measure);
    return NULL;
}

/* The financial years of measure= (default: uses of force). */
static json_t *years_api(const struct eqm_web_env *e, const struct eqm_web_args *a, char *errstr,
                         size_t sz) {
    for (size_t i = 0; i < N_MEASURES; i++)
        if (!a->measure || !strcmp(a->measure, measures[i]))
            return eqm_web_years(e, a, counted[i].measure, counted[i].noun, errstr, sz);
    snprintf(errstr, sz, "no measure %s", a->measure);
    return NULL;
}

/* The query of measure i into q: query's with measure=. query holds only
 * the known arguments (area, group, months, span): short, and without a
 * measure of its own. */
static const char *measure_query(char *q, size_t qsz, const char *query, size_t i) {
    snprintf(q, qsz, "%s%smeasure=%s", query, *query ? "&" : "", measures[i]);
    return q;
}

/* Every measure's financial years, a table each. */
static int years(FILE *fp, const struct eqm_web_env *e, const struct eqm_web_args *a,
                 const char *query, char *errstr, size_t sz) {
    for (size_t i = 0; i < N_MEASURES; i++) {
        char q[1024];
        json_t *y = eqm_web_years(e, a, counted[i].measure, counted[i].noun, errstr, sz);
        if (!y)
            return -1;
        fprintf(fp, "<h3>%s</h3>\n", measure_titles[i]);
        eqm_web_years_rows(fp, y);
        eqm_web_api_links(fp, &eqm_web_custody_panel, "years",
                          measure_query(q, sizeof(q), query, i));
        json_decref(y);
    }
    return 0;
}

static const struct eqm_web_api apis[] = {{"tactics", tactics_api},
                                          {"taser", taser_api},
                                          {"trend", trend_api},
                                          {"out_of_court", out_of_court_api},
                                          {"years", years_api}};

/* The trends of every measure, the first (use of force) large with its
 * table and the others as small multiples; the first is kept in *first
 * for the data quality chart. */
static int trends(FILE *fp, const struct eqm_web_env *e, const struct eqm_web_args *a,
                  const char *query, json_t **first, char *errstr, size_t sz) {
    for (size_t i = 0; i < N_MEASURES; i++) {
        struct eqm_web_args ma = *a;
        char q[1024], id[64];
        json_t *t;
        ma.measure = measures[i];
        if (!(t = trend_api(e, &ma, errstr, sz)))
            return -1;
        measure_query(q, sizeof(q), query, i);
        snprintf(id, sizeof(id), "chart-trend-%s", measures[i]);
        if (i == 1)
            fputs("<div class=\"multiples\">\n", fp);
        fprintf(fp, "<div class=\"multiple\"><h3>%s</h3>\n", measure_titles[i]);
        eqm_web_chart(fp, &eqm_web_custody_panel, id, "trend", "trend", q, t,
                      "rate ratio by month");
        fputs("</div>\n", fp);
        if (i == 0) {
            eqm_web_table(fp, "table-trend", "Rate ratio of uses of force by month", t);
            *first = t;
        } else {
            json_decref(t);
        }
    }
    fputs("</div>\n", fp);
    return 0;
}

static int body(FILE *fp, const struct eqm_web_env *e, const struct eqm_web_args *a,
                const char *query, char *errstr, size_t sz) {
    const struct eqm_web_panel *p = &eqm_web_custody_panel;
    json_t *tac = NULL, *taser = NULL, *ooc = NULL, *uof = NULL;
    int rc = -1;

    if (eqm_web_chooser(fp, e, p, TABLE, a, errstr, sz) != 0 ||
        !(tac = tactics_api(e, a, errstr, sz)) || !(taser = taser_api(e, a, errstr, sz)) ||
        !(ooc = out_of_court_api(e, a, errstr, sz)))
        goto out;
    fputs("<p class=\"lead\">How many times more likely ", fp);
    eqm_web_esc(fp, eqm_web_group_label(eqm_web_str(tac, "group")));
    fputs(" people in ", fp);
    eqm_web_esc(fp, eqm_web_str(tac, "area"));
    fprintf(fp,
            " are than White people to have force used on them, by tactic, and to be arrested, "
            "detained and strip searched, per head of population (Census 2021), with 95%% "
            "intervals; and how often their disposals are out of court. A figure on fewer than "
            "%" JSON_INTEGER_FORMAT
            " events of either group is shown as <em>too few to compare</em>.</p>\n",
            json_integer_value(json_object_get(tac, "min_events")));

    fputs("<section><h2>Use of force by tactic</h2>\n", fp);
    eqm_web_chart(fp, p, "chart-tactics", "forest", "tactics", query, tac,
                  "forest plot of rate ratios by tactic");
    fputs("<p>Each tactic's rate ratio over the months ", fp);
    eqm_web_esc(fp, *eqm_web_str(tac, "period_from") ? eqm_web_str(tac, "period_from") : "none");
    fputs(" to ", fp);
    eqm_web_esc(fp, *eqm_web_str(tac, "period_to") ? eqm_web_str(tac, "period_to") : "none");
    fputs(", the point the ratio and the bar its 95% interval, on a log scale: right of the "
          "line at 1, the group has the tactic used on it more often per head than White "
          "people. A use of force counts once under each tactic it involved.</p>\n",
          fp);
    eqm_web_table(fp, "table-tactics", "Rate ratio by tactic", tac);
    fputs("<h3>Taser: drawn and discharged</h3>\n", fp);
    eqm_web_table(fp, "table-taser",
                  "Taser by group: uses of force in which it was drawn, "
                  "aimed and discharged",
                  taser);
    eqm_web_api_links(fp, p, "taser", query);
    fputs("</section>\n<section><h2>Trend of the rate ratio</h2>\n", fp);
    if (trends(fp, e, a, query, &uof, errstr, sz) != 0)
        goto out;
    fputs("</section>\n<section><h2>By financial year</h2>\n", fp);
    eqm_web_years_intro(fp);
    if (years(fp, e, a, query, errstr, sz) != 0)
        goto out;
    fputs("</section>\n<section><h2>Out-of-court disposals</h2>\n<div class=\"multiples\">\n"
          "<div class=\"multiple\"><h3>Share of disposals out of court</h3>\n",
          fp);
    eqm_web_chart(fp, p, "chart-ooc-share", "shares", "out_of_court", query, ooc,
                  "share of disposals out of court by group");
    fputs("</div>\n<div class=\"multiple\"><h3>Ratio to White people</h3>\n", fp);
    eqm_web_chart(fp, p, "chart-ooc-ratio", "forest", "out_of_court", query, ooc,
                  "ratio of the share out of court to White people's");
    fputs("</div>\n</div>\n<p>Cautions, community resolutions, penalty notices and cannabis "
          "warnings as a share of all disposals, and each group's share against White "
          "people's: below 1, the group is diverted from court less often.</p>\n",
          fp);
    eqm_web_table(fp, "table-ooc", "Out-of-court disposals by group", ooc);
    fputs("</section>\n<section><h2>Data quality: ethnicity not stated</h2>\n", fp);
    eqm_web_chart(fp, p, "chart-quality", "quality", "trend", query, uof,
                  "share of uses of force with ethnicity not stated by month");
    fputs("<p>The share of uses of force with no ethnicity recorded, and the ratio the figure "
          "would take if every one of them belonged to the group (if none did, it is the ratio "
          "shown).</p>\n</section>\n",
          fp);
    fputs("<section class=\"method\"><h2>Method</h2>\n<p>Rate ratio: the group's events per "
          "head of its population divided by White people's, over the same months (by tactic: "
          "the 12 months to the period's end, or the months chosen; by month: a rolling 12 "
          "months, or the month alone). Interval: Katz's log method, 95%. Out of court: the "
          "share of a group's disposals, against White people's share, with the same interval "
          "(none for a share of 100%). Taser discharged per drawn: the uses of force in which "
          "a Taser was discharged over those in which one was drawn, both as recorded. Not "
          "stated: counted and shown, left out of every ratio. Population base: Census 2021 "
          "(TS021), by district; by financial year, the base the rule gives for the year. "
          "Ethnicity: for use of force, the one the officer perceived where the record has it "
          "(as the Home Office's use-of-force tables), else the one the person gave; for the "
          "others, the one the person gave.</p></section>\n",
          fp);
    rc = 0;
out:
    json_decref(tac);
    json_decref(taser);
    json_decref(ooc);
    json_decref(uof);
    return rc;
}

EQM_WEB_PANEL(eqm_web_custody_panel, "custody", "Use of force and custody",
              "force used, by tactic; arrests, detentions, strip searches and out-of-court "
              "disposals",
              "custody.js", apis, body, measures, false);
