/* panel.c - what every panel of eqm-web shares (panel.h). */
#include "panel.h"
#include "series.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "eqm/alert_rules.h"
#include "eqm/pg.h"

/* ---- requests ------------------------------------------------------------------------ */

/* The groups a figure may be asked for, the counted groups each is, and
 * its name in words. */
static const struct {
    const char *name, *grps, *label;
} groups[] = {{"bme", "{asian,black,mixed,other}", "Black and minority ethnic"},
              {"black", "{black}", "Black"},
              {"asian", "{asian}", "Asian"},
              {"mixed", "{mixed}", "Mixed"},
              {"other", "{other}", "Other"}};

const char *eqm_web_group_array(const char *g) {
    for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
        if (!strcmp(g, groups[i].name))
            return groups[i].grps;
    return NULL;
}

/* White, and the detailed groups (eqm_ethnicity_detailed) and their
 * aggregates in words, as the Census 2021 names its categories. */
static const char *const detailed_labels[][2] = {
    {"white", "White"},
    {"white_british", "White British"},
    {"white_minority", "White minorities (White but not White British)"},
    {"all_minority", "All minority groups (all but White British)"},
    {"white_irish", "White Irish"},
    {"white_gypsy_irish_traveller", "Gypsy or Irish Traveller"},
    {"white_roma", "Roma"},
    {"white_other", "Any other White background"},
    {"mixed_white_black_caribbean", "Mixed: White and Black Caribbean"},
    {"mixed_white_black_african", "Mixed: White and Black African"},
    {"mixed_white_asian", "Mixed: White and Asian"},
    {"mixed_other", "Any other Mixed background"},
    {"asian_indian", "Indian"},
    {"asian_pakistani", "Pakistani"},
    {"asian_bangladeshi", "Bangladeshi"},
    {"asian_chinese", "Chinese"},
    {"asian_other", "Any other Asian background"},
    {"black_african", "African"},
    {"black_caribbean", "Caribbean"},
    {"black_other", "Any other Black background"},
    {"other_arab", "Arab"},
    {"other_any", "Any other ethnic group"},
    {"white_unspecified", "White, detail not given"},
    {"mixed_unspecified", "Mixed, detail not given"},
    {"asian_unspecified", "Asian, detail not given"},
    {"black_unspecified", "Black, detail not given"},
    {"other_unspecified", "Other, detail not given"},
    {"not_stated", "Not stated"},
};

const char *eqm_web_group_label(const char *g) {
    for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
        if (!strcmp(g, groups[i].name))
            return groups[i].label;
    for (size_t i = 0; i < sizeof(detailed_labels) / sizeof(detailed_labels[0]); i++)
        if (!strcmp(g, detailed_labels[i][0]))
            return detailed_labels[i][1];
    return g;
}

bool eqm_web_group_has(const char *group, const char *grp) {
    const char *s = eqm_web_group_array(group);
    return s && eqm_series_in_literal(s, grp);
}

static bool is_month(const char *s) {
    int y, m;
    char end;
    return strlen(s) == 7 && s[4] == '-' && sscanf(s, "%4d-%2d%c", &y, &m, &end) == 2 && y >= 1 &&
           m >= 1 && m <= 12;
}

int eqm_web_args_check(const struct eqm_web_args *a, char *errstr, size_t sz) {
    if (a->group && !eqm_web_group_array(a->group)) {
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
    if (a->measure && strlen(a->measure) > 64) {
        snprintf(errstr, sz, "measure must be at most 64 bytes");
        return -1;
    }
    if (a->span != 0 && a->span != 1 && a->span != 12) {
        snprintf(errstr, sz, "span must be 1 (the month alone) or 12 (rolling 12 months)");
        return -1;
    }
    if (a->role && (!*a->role || strlen(a->role) > 64)) {
        snprintf(errstr, sz, "role must be 1 to 64 bytes");
        return -1;
    }
    if (a->window < 0 || a->window > 3660) {
        snprintf(errstr, sz, "window must be a number of days, 1 to 3660");
        return -1;
    }
    return 0;
}

int eqm_web_args_check_panel(const struct eqm_web_panel *p, const struct eqm_web_args *a,
                             char *errstr, size_t sz) {
    size_t len = 0;
    if (!a->measure)
        return 0;
    for (const char *const *m = p->measures; m && *m; m++)
        if (!strcmp(*m, a->measure))
            return 0;
    /* The reason names what it could have been. */
    len = (size_t)snprintf(errstr, sz, "measure must be one of:");
    for (const char *const *m = p->measures; m && *m && len < sz; m++)
        len += (size_t)snprintf(errstr + len, sz - len, " %s", *m);
    if (!p->measures)
        snprintf(errstr, sz, "/%s takes no measure", p->path);
    return -1;
}

const char *eqm_web_area(const struct eqm_web_env *e, const struct eqm_web_args *a) {
    return a->area ? a->area : e->cfg->force_area;
}

/* ---- data ---------------------------------------------------------------------------- */

PGresult *eqm_web_query(const struct eqm_web_env *e, const char *what, const char *sql, int n,
                        const char *const *params, char *errstr, size_t sz) {
    PGresult *r = PQexecParams(e->conn, sql, n, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        eqm_pg_error(e->conn, r, what, errstr, sz);
        PQclear(r);
        return NULL;
    }
    return r;
}

int64_t eqm_web_num(const PGresult *r, int row, int col) {
    return PQgetisnull(r, row, col) ? 0 : strtoll(PQgetvalue(r, row, col), NULL, 10);
}

json_t *eqm_web_real(bool has, double v) {
    return has && isfinite(v) ? json_real(v) : json_null();
}

const char *eqm_web_str(const json_t *o, const char *key) {
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

json_t *eqm_web_columns(const char *const *names) {
    json_t *a = json_array();
    for (; a && *names; names++)
        json_array_append_new(a, json_string(*names));
    return a;
}

int eqm_web_populations(const struct eqm_web_env *e, const char *area, const char *group,
                        int64_t *pop_a, int64_t *pop_b, char *errstr, size_t sz) {
    const char *p[] = {area, group};
    PGresult *r = eqm_web_query(e, "population",
                                "SELECT coalesce(sum(population) FILTER (WHERE grp = $2), 0),"
                                "       coalesce(sum(population) FILTER (WHERE grp = 'white'), 0)"
                                "  FROM equality_read.area_population WHERE area = $1",
                                2, p, errstr, sz);
    if (!r)
        return -1;
    *pop_a = eqm_web_num(r, 0, 0);
    *pop_b = eqm_web_num(r, 0, 1);
    PQclear(r);
    return 0;
}

double eqm_web_threshold(const struct eqm_alert_rules *rules, const char *measure,
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

/* One value as text: a number in full, true/false, null as nothing. */
static const char *text_of(const json_t *v, char *num, size_t sz) {
    if (json_is_string(v))
        return json_string_value(v);
    if (json_is_integer(v))
        snprintf(num, sz, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else if (json_is_real(v))
        snprintf(num, sz, "%.17g", json_real_value(v));
    else
        return json_is_true(v) ? "true" : json_is_false(v) ? "false" : "";
    return num;
}

static void csv_field(FILE *fp, const json_t *v) {
    char num[64];
    const char *s = text_of(v, num, sizeof(num));
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, fp);
        return;
    }
    fputc('"', fp);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', fp);
        fputc(*s, fp);
    }
    fputc('"', fp);
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
        fputs(j ? "," : "", fp);
        csv_field(fp, col);
    }
    fputs("\r\n", fp);
    json_array_foreach(rows, i, row) {
        json_array_foreach(cols, j, col) {
            fputs(j ? "," : "", fp);
            csv_field(fp, json_object_get(row, json_string_value(col)));
        }
        fputs("\r\n", fp);
    }
    if (ferror(fp) | fclose(fp)) {
        free(buf);
        return NULL;
    }
    return buf; /* read after fclose, which sets it */
}

/* ---- HTML ---------------------------------------------------------------------------- */

void eqm_web_esc(FILE *fp, const char *s) {
    static const char *const ents[] = {
        ['<'] = "&lt;", ['>'] = "&gt;", ['&'] = "&amp;", ['"'] = "&quot;", ['\''] = "&#39;"};
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < sizeof(ents) / sizeof(ents[0]) && ents[c])
            fputs(ents[c], fp);
        else
            fputc(c, fp);
    }
}

void eqm_web_option(FILE *fp, const char *value, const char *label, const char *selected) {
    fputs("<option value=\"", fp);
    eqm_web_esc(fp, value);
    fputs(selected && !strcmp(value, selected) ? "\" selected>" : "\">", fp);
    eqm_web_esc(fp, label);
    fputs("</option>", fp);
}

/* JSON inside <script type="application/json">: "</" written "<\/" (the
 * same string to a JSON reader), so no value can close the element. */
static void embed_json(FILE *fp, const json_t *data) {
    char *s = json_dumps(data, JSON_COMPACT | JSON_REAL_PRECISION(17));
    for (const char *c = s ? s : "null"; *c; c++) {
        if (c[0] == '<' && c[1] == '/')
            fputs("<\\", fp);
        else
            fputc(*c, fp);
    }
    free(s);
}

static void api_link(FILE *fp, const struct eqm_web_panel *p, const char *api, const char *ext,
                     const char *query) {
    fprintf(fp, "<a href=\"/api/%s/%s.%s", p->path, api, ext);
    if (*query) {
        fputc('?', fp);
        eqm_web_esc(fp, query);
    }
    fprintf(fp, "\">%s</a>", !strcmp(ext, "csv") ? "CSV" : "JSON");
}

void eqm_web_api_links(FILE *fp, const struct eqm_web_panel *p, const char *api,
                       const char *query) {
    fputs("<p class=\"api\">Data: ", fp);
    api_link(fp, p, api, "csv", query);
    fputc(' ', fp);
    api_link(fp, p, api, "json", query);
    fputs("</p>\n", fp);
}

void eqm_web_chart(FILE *fp, const struct eqm_web_panel *p, const char *id, const char *kind,
                   const char *api, const char *query, const json_t *data, const char *label) {
    fprintf(fp,
            "<div class=\"chart\"><canvas id=\"%s\" data-chart=\"%s\" data-json=\"data-%s\" "
            "role=\"img\" aria-label=\"",
            id, kind, id);
    eqm_web_esc(fp, label);
    fprintf(fp, "\"></canvas></div>\n<script type=\"application/json\" id=\"data-%s\">", id);
    embed_json(fp, data);
    fputs("</script>\n", fp);
    eqm_web_api_links(fp, p, api, query);
}

static void cell(FILE *fp, const json_t *v) {
    fputs(json_is_number(v) ? "<td class=\"n\">" : "<td>", fp);
    if (json_is_real(v))
        fprintf(fp, "%.2f", json_real_value(v));
    else if (json_is_boolean(v))
        fputs(json_is_true(v) ? "yes" : "no", fp);
    else if (json_is_null(v) || !v)
        fputs("&ndash;", fp);
    else {
        char num[64];
        eqm_web_esc(fp, text_of(v, num, sizeof(num)));
    }
    fputs("</td>", fp);
}

/* A column's heading in words (the CSV keeps the names). */
static const char *heading(const char *col) {
    static const char *const words[][2] = {
        {"month", "Month"},
        {"group_events", "Group's searches"},
        {"reference_events", "White people's searches"},
        {"months", "Months"},
        {"too_few", "Too few"},
        {"ratio", "Ratio"},
        {"ci_low", "95% low"},
        {"ci_high", "95% high"},
        {"not_stated", "Not stated"},
        {"all_events", "All searches"},
        {"not_stated_share", "Share not stated"},
        {"ratio_if_not_stated_in_group", "Ratio if not stated were the group"},
        {"area", "Area"},
        {"events", "Searches (both)"},
        {"rag", "RAG"},
        {"response_state", "Response"},
        {"status", "State"},
        {"severity", "Severity"},
        {"rule", "Rule"},
        {"measure", "Measure"},
        {"dimension", "Dimension"},
        {"group", "Group"},
        {"window_days", "Window (days)"},
        {"value", "Value"},
        {"since", "Since"},
        {"acknowledged_at", "Acknowledged"},
        {"responded_at", "Answered"},
        {"days_unanswered", "Days unanswered"},
        {"silenced_until", "Silenced until"},
        {"searches", "Searches"},
        {"pace_s1_share", "PACE s1"},
        {"mda_s23_share", "Drugs s23"},
        {"section_60_share", "s60"},
        {"other_power_share", "Other powers"},
        {"nfa_share", "No further action"},
        {"arrest_share", "Arrest"},
        {"other_outcome_share", "Other outcomes"},
        {"find_rate", "Find rate"},
        {"children", "Children"},
        {"children_share", "Share children"},
        {"children_ci_low", "95% low"},
        {"children_ci_high", "95% high"},
        {"strip", "More than outer clothing"},
        {"strip_share", "Share"},
        {"strip_ci_low", "95% low"},
        {"strip_ci_high", "95% high"},
        {"tactic", "Tactic"},
        {"disposals", "Disposals"},
        {"out_of_court", "Out of court"},
        {"share", "Share"},
        {"drawn", "Taser drawn"},
        {"aimed", "Taser aimed"},
        {"discharged", "Taser discharged"},
        {"share_discharged", "Discharged per drawn"},
        {"stage", "Stage"},
        {"group_entered", "Group entered"},
        {"group_passed", "Passed"},
        {"group_failed", "Failed"},
        {"group_withdrawn", "Withdrew"},
        {"group_base", "Decided"},
        {"group_pass_rate", "Pass rate"},
        {"comparison_group", "Compared with"},
        {"comparison_passed", "Their passed"},
        {"comparison_base", "Their decided"},
        {"comparison_pass_rate", "Their pass rate"},
        {"p_value", "Fisher p"},
        {"white", "White"},
        {"bme", "BME"},
        {"asian", "Asian"},
        {"black", "Black"},
        {"mixed", "Mixed"},
        {"other", "Other"},
        {"all", "All"},
        {"role", "Role"},
        {"date", "Date"},
        {"source", "From"},
        {"group_headcount", "Group's headcount"},
        {"stated_headcount", "Stated headcount"},
        {"share_ci_low", "Share 95% low"},
        {"share_ci_high", "Share 95% high"},
        {"population_share", "Population share"},
        {"headcount", "Headcount"},
        {"leavers", "Leavers"},
        {"average_headcount", "Average headcount"},
        {"leaver_rate", "Leaver rate"},
        {"reference_group", "Reference"},
        {"reference_leavers", "Reference's leavers"},
        {"reference_leaver_rate", "Reference's rate"},
        {"leavers_service_known", "Service known"},
        {"mean_service_years", "Mean service (years)"},
        {"records", "Records"},
        {"all_records", "All records"},
        {"label", "Group"},
        {"population", "Population"},
        {"joiners", "Joiners"},
        {"leaver_rate_ratio", "Leaver rate ratio"},
    };
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (!strcmp(words[i][0], col))
            return words[i][1];
    return col;
}

static void option(FILE *fp, const char *value, const char *label, const char *selected) {
    fputs("<option value=\"", fp);
    eqm_web_esc(fp, value);
    fputs(selected && !strcmp(value, selected) ? "\" selected>" : "\">", fp);
    eqm_web_esc(fp, label);
    fputs("</option>", fp);
}

int eqm_web_chooser(FILE *fp, const struct eqm_web_env *e, const struct eqm_web_panel *p,
                    const char *table, const struct eqm_web_args *a, char *errstr, size_t sz) {
    static const char *const names[] = {"bme", "black", "asian", "mixed", "other"};
    const char *params[] = {e->cfg->force_area};
    char span[8], sql[256];
    PGresult *r;

    snprintf(sql, sizeof(sql), "SELECT DISTINCT area, area = $1 FROM %s ORDER BY 2 DESC, 1", table);
    if (!(r = eqm_web_query(e, "areas", sql, 1, params, errstr, sz)))
        return -1;
    snprintf(span, sizeof(span), "%d", a->span ? a->span : 12);
    fprintf(fp, "<form class=\"choose\" method=\"get\" action=\"/%s\">\n", p->path);
    fputs("<label>Area <select name=\"area\">", fp);
    for (int i = 0; i < PQntuples(r); i++)
        option(fp, PQgetvalue(r, i, 0), PQgetvalue(r, i, 0), eqm_web_area(e, a));
    PQclear(r);
    fputs("</select></label>\n<label>Group <select name=\"group\">", fp);
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        option(fp, names[i], eqm_web_group_label(names[i]), a->group ? a->group : "bme");
    fputs("</select></label>\n<label>Window <select name=\"span\">", fp);
    option(fp, "12", "rolling 12 months", span);
    option(fp, "1", "the month alone", span);
    fputs("</select></label>\n<label>From <input type=\"month\" name=\"from\" value=\"", fp);
    eqm_web_esc(fp, a->from);
    fputs("\"></label>\n<label>To <input type=\"month\" name=\"to\" value=\"", fp);
    eqm_web_esc(fp, a->to);
    fputs("\"></label>\n<button type=\"submit\">Show</button></form>\n", fp);
    return 0;
}

void eqm_web_table(FILE *fp, const char *id, const char *caption, const json_t *data) {
    const json_t *cols = json_object_get(data, "columns"), *rows = json_object_get(data, "rows");
    const json_t *words = json_object_get(data, "headings");
    const json_t *row, *col;
    size_t i, j;
    fprintf(fp, "<table id=\"%s\"><caption>", id);
    eqm_web_esc(fp, caption);
    fputs("</caption>\n<thead><tr>", fp);
    json_array_foreach(cols, j, col) {
        const char *own = json_string_value(json_object_get(words, json_string_value(col)));
        fputs("<th>", fp);
        eqm_web_esc(fp, own ? own : heading(json_string_value(col)));
        fputs("</th>", fp);
    }
    fputs("</tr></thead>\n<tbody>\n", fp);
    json_array_foreach(rows, i, row) {
        const char *rag = json_string_value(json_object_get(row, "rag"));
        fputs("<tr", fp);
        if (rag) {
            fputs(" class=\"rag-", fp);
            eqm_web_esc(fp, rag);
            fputc('"', fp);
        }
        fputc('>', fp);
        json_array_foreach(cols, j, col) {
            if (!strcmp(json_string_value(col), "ratio") &&
                json_is_true(json_object_get(row, "too_few")))
                fputs("<td class=\"too-few\">too few to compare</td>", fp);
            else
                cell(fp, json_object_get(row, json_string_value(col)));
        }
        fputs("</tr>\n", fp);
    }
    fputs("</tbody></table>\n", fp);
}

/* A file's bytes into the page (the pack's style and scripts). */
static int inline_file(FILE *fp, const char *path, char *errstr, size_t sz) {
    char buf[8192];
    size_t n;
    FILE *in = fopen(path, "r");
    if (!in) {
        snprintf(errstr, sz, "%s: cannot be read for the pack", path);
        return -1;
    }
    while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
        fwrite(buf, 1, n, fp);
    fclose(in);
    return 0;
}

static int static_file(FILE *fp, const struct eqm_web_env *e, const char *name, bool pack,
                       bool script, char *errstr, size_t sz) {
    char path[4096];
    if (!strcmp(name, "chart.min.js"))
        snprintf(path, sizeof(path), "%s", e->cfg->chartjs);
    else
        snprintf(path, sizeof(path), "%s/%s", e->cfg->static_dir, name);
    if (!pack) {
        fprintf(fp,
                script ? "<script src=\"/static/%s\"></script>\n"
                       : "<link rel=\"stylesheet\" href=\"/static/%s\">\n",
                name);
        return 0;
    }
    fputs(script ? "<script>\n" : "<style>\n", fp);
    if (inline_file(fp, path, errstr, sz) != 0)
        return -1;
    fputs(script ? "\n</script>\n" : "\n</style>\n", fp);
    return 0;
}

static void head(FILE *fp, const char *title) {
    fputs("<!DOCTYPE html>\n<html lang=\"en-GB\"><head><meta charset=\"utf-8\">"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>",
          fp);
    eqm_web_esc(fp, title);
    fputs(" - Equality Monitor</title>\n", fp);
}

static void menu(FILE *fp) {
    fputs("<header><a href=\"/\">Equality Monitor</a><nav>", fp);
    for (size_t i = 0; i < eqm_web_n_panels; i++) {
        fprintf(fp, "<a href=\"/%s\">", eqm_web_panels[i]->path);
        eqm_web_esc(fp, eqm_web_panels[i]->title);
        fputs("</a> ", fp);
    }
    fputs("</nav></header>\n", fp);
}

/* Closes the page's stream; *buf is only final once it is closed. */
static char *done(FILE *fp, char **buf, char *errstr, size_t sz) {
    if (ferror(fp) | fclose(fp)) {
        free(*buf);
        snprintf(errstr, sz, "out of memory writing the page");
        return NULL;
    }
    return *buf;
}

char *eqm_web_page(const struct eqm_web_env *e, const struct eqm_web_panel *p,
                   const struct eqm_web_args *a, const char *query, bool pack, char *errstr,
                   size_t sz) {
    char *buf = NULL, day[32];
    size_t len = 0;
    time_t now = time(NULL);
    struct tm tm;
    FILE *fp = open_memstream(&buf, &len);
    if (!fp) {
        snprintf(errstr, sz, "out of memory");
        return NULL;
    }
    strftime(day, sizeof(day), "%d %B %Y", localtime_r(&now, &tm));
    head(fp, p->title);
    if (static_file(fp, e, "eqm.css", pack, false, errstr, sz) != 0)
        goto fail;
    fprintf(fp, "</head><body class=\"%s\">\n", pack ? "pack" : "screen");
    if (!pack)
        menu(fp);
    fputs("<main>\n<h1>", fp);
    eqm_web_esc(fp, p->title);
    fputs("</h1>\n", fp);
    /* What the pack is: where, which months, when it was made. */
    fputs("<p class=\"meta\">", fp);
    if (!p->all_areas) {
        fputs("Area: <strong>", fp);
        eqm_web_esc(fp, eqm_web_area(e, a));
        fputs("</strong>. ", fp);
    }
    if (!p->all_areas && !p->own_period) {
        fputs("Months: <strong>", fp);
        eqm_web_esc(fp, a->from ? a->from : "the first counted");
        fputs("</strong> to <strong>", fp);
        eqm_web_esc(fp, a->to ? a->to : "the newest counted");
        fputs("</strong>. ", fp);
    }
    fprintf(fp, "Produced %s by Equality Monitor from the figures in its database.", day);
    if (!pack) {
        fprintf(fp, " <a class=\"pack-link\" href=\"/%s/pack.pdf%s", p->path, *query ? "?" : "");
        eqm_web_esc(fp, query);
        fprintf(fp, "\">The pack as PDF</a> <a class=\"pack-link\" href=\"/%s/pack.html%s", p->path,
                *query ? "?" : "");
        eqm_web_esc(fp, query);
        fputs("\">(printable page)</a>", fp);
    }
    fputs("</p>\n", fp);
    if (p->body(fp, e, a, query, errstr, sz) != 0)
        goto fail;
    fputs("</main>\n", fp);
    if (p->script && (static_file(fp, e, "chart.min.js", pack, true, errstr, sz) != 0 ||
                      static_file(fp, e, "eqm.js", pack, true, errstr, sz) != 0 ||
                      static_file(fp, e, p->script, pack, true, errstr, sz) != 0))
        goto fail;
    fputs("</body></html>\n", fp);
    return done(fp, &buf, errstr, sz);
fail:
    fclose(fp);
    free(buf);
    return NULL;
}

char *eqm_web_page_index(const struct eqm_web_env *e, char *errstr, size_t sz) {
    const char *p[] = {e->cfg->force_area};
    char *buf = NULL;
    size_t len = 0;
    PGresult *r =
        eqm_web_query(e, "areas",
                      "SELECT DISTINCT area, area = $1 FROM equality_read.stop_search_daily"
                      " ORDER BY 2 DESC, 1",
                      1, p, errstr, sz);
    FILE *fp;
    if (!r)
        return NULL;
    if (!(fp = open_memstream(&buf, &len))) {
        PQclear(r);
        snprintf(errstr, sz, "out of memory");
        return NULL;
    }
    head(fp, "Panels");
    fputs("<link rel=\"stylesheet\" href=\"/static/eqm.css\"></head><body>\n", fp);
    menu(fp);
    fputs("<main>\n<h1>Panels</h1>\n<ul class=\"panels\">\n", fp);
    for (size_t i = 0; i < eqm_web_n_panels; i++) {
        fprintf(fp, "<li><a href=\"/%s\">", eqm_web_panels[i]->path);
        eqm_web_esc(fp, eqm_web_panels[i]->title);
        fputs("</a>: ", fp);
        eqm_web_esc(fp, eqm_web_panels[i]->blurb);
        fputs("</li>\n", fp);
    }
    fputs("</ul>\n<h2>Stop and search by area</h2>\n<ul>\n", fp);
    for (int i = 0; i < PQntuples(r); i++) {
        fputs("<li><a href=\"/stop-search?area=", fp);
        eqm_web_esc(fp, PQgetvalue(r, i, 0));
        fputs("\">", fp);
        eqm_web_esc(fp, PQgetvalue(r, i, 0));
        fputs(*PQgetvalue(r, i, 1) == 't' ? " (the force)</a></li>\n" : "</a></li>\n", fp);
    }
    PQclear(r);
    fputs("</ul>\n<p class=\"api\">Service: <a href=\"/healthz\">/healthz</a>, "
          "<a href=\"/metrics\">/metrics</a></p>\n</main></body></html>\n",
          fp);
    return done(fp, &buf, errstr, sz);
}

char *eqm_web_page_error(const char *title, const char *message) {
    char *buf = NULL, err[64];
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    if (!fp)
        return NULL;
    head(fp, title);
    fputs("<link rel=\"stylesheet\" href=\"/static/eqm.css\"></head><body>\n", fp);
    menu(fp);
    fputs("<main>\n<h1>", fp);
    eqm_web_esc(fp, title);
    fputs("</h1>\n<p class=\"error\">", fp);
    eqm_web_esc(fp, message);
    fputs("</p>\n</main></body></html>\n", fp);
    return done(fp, &buf, err, sizeof(err));
}
