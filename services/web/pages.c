/* pages.c - eqm-web's HTML (pages.h). */
#include "pages.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Writes s with the five characters HTML gives a meaning escaped. */
static void esc(FILE *fp, const char *s) {
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

static void head(FILE *fp, const char *title) {
    fputs("<!DOCTYPE html>\n<html lang=\"en-GB\"><head><meta charset=\"utf-8\">"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
          "<link rel=\"stylesheet\" href=\"/static/eqm.css\"><title>",
          fp);
    esc(fp, title);
    fputs(" - Equality Monitor</title></head><body>\n<header><a href=\"/\">Equality Monitor</a>"
          "<nav><a href=\"/stop-search\">Stop and search</a> <a href=\"/alerts\">Alerts</a>"
          "</nav></header>\n<main>\n<h1>",
          fp);
    esc(fp, title);
    fputs("</h1>\n", fp);
}

static char *finish(FILE *fp, char **buf, bool scripts) {
    if (scripts)
        fputs("<script src=\"/static/chart.min.js\"></script>\n"
              "<script src=\"/static/eqm.js\"></script>\n",
              fp);
    fputs("</main></body></html>\n", fp);
    if (ferror(fp)) {
        fclose(fp);
        free(*buf);
        return NULL;
    }
    fclose(fp);
    return *buf;
}

/* A cell: text, a whole number, or a real to 2 places; null as a dash. */
static void cell(FILE *fp, const json_t *v) {
    fputs("<td>", fp);
    if (json_is_string(v))
        esc(fp, json_string_value(v));
    else if (json_is_integer(v))
        fprintf(fp, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else if (json_is_real(v))
        fprintf(fp, "%.2f", json_real_value(v));
    else if (json_is_boolean(v))
        fputs(json_is_true(v) ? "yes" : "no", fp);
    else
        fputs("&ndash;", fp);
    fputs("</td>", fp);
}

/* The rows of data under its columns, as an HTML table. */
static void table(FILE *fp, const char *id, const char *caption, const json_t *data) {
    const json_t *cols = json_object_get(data, "columns"), *rows = json_object_get(data, "rows");
    const json_t *row, *col;
    size_t i, j;
    fprintf(fp, "<table id=\"%s\"><caption>", id);
    esc(fp, caption);
    fputs("</caption>\n<thead><tr>", fp);
    json_array_foreach(cols, j, col) {
        fputs("<th>", fp);
        esc(fp, json_string_value(col));
        fputs("</th>", fp);
    }
    fputs("</tr></thead>\n<tbody>\n", fp);
    json_array_foreach(rows, i, row) {
        const json_t *rag = json_object_get(row, "rag");
        if (json_is_string(rag)) {
            fputs("<tr class=\"rag-", fp);
            esc(fp, json_string_value(rag));
            fputs("\">", fp);
        } else {
            fputs("<tr>", fp);
        }
        json_array_foreach(cols, j, col) {
            /* A ratio on too few events is withheld, in words. */
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

char *eqm_web_page_index(const json_t *areas, const char *force_area) {
    char *buf = NULL;
    size_t len = 0, i;
    const json_t *a;
    FILE *fp = open_memstream(&buf, &len);
    if (!fp)
        return NULL;
    head(fp, "Panels");
    fputs("<ul class=\"panels\">\n<li><a href=\"/stop-search\">Stop and search</a>: who is "
          "searched, against the population, by month and by area</li>\n"
          "<li><a href=\"/alerts\">Alerts</a>: open alerts and the force's answers</li>\n"
          "</ul>\n<h2>Areas</h2>\n<ul>\n",
          fp);
    json_array_foreach(areas, i, a) {
        fputs("<li><a href=\"/stop-search?area=", fp);
        esc(fp, json_string_value(a));
        fputs("\">", fp);
        esc(fp, json_string_value(a));
        fputs(strcmp(json_string_value(a), force_area) ? "" : " (the force)", fp);
        fputs("</a></li>\n", fp);
    }
    fputs("</ul>\n<p class=\"api\">Service: <a href=\"/healthz\">/healthz</a>, "
          "<a href=\"/metrics\">/metrics</a></p>\n",
          fp);
    return finish(fp, &buf, false);
}

static void option(FILE *fp, const char *value, const char *label, const char *selected) {
    fputs("<option value=\"", fp);
    esc(fp, value);
    fputs(selected && !strcmp(value, selected) ? "\" selected>" : "\">", fp);
    esc(fp, label);
    fputs("</option>", fp);
}

static const char *str(const json_t *o, const char *k) {
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

char *eqm_web_page_stop_search(const struct eqm_web_args *a, const char *query, const json_t *trend,
                               const json_t *funnel, const json_t *areas) {
    static const char *const groups[][2] = {{"bme", "Black and minority ethnic"},
                                            {"black", "Black"},
                                            {"asian", "Asian"},
                                            {"mixed", "Mixed"},
                                            {"other", "Other"}};
    char *buf = NULL;
    char span[8];
    size_t len = 0, i;
    const json_t *v;
    double thr = json_real_value(json_object_get(trend, "threshold"));
    FILE *fp = open_memstream(&buf, &len);
    if (!fp)
        return NULL;
    snprintf(span, sizeof(span), "%d", a->span ? a->span : 12);
    head(fp, "Stop and search");
    fputs("<form class=\"choose\" method=\"get\" action=\"/stop-search\">\n"
          "<label>Area <select name=\"area\">",
          fp);
    json_array_foreach(areas, i, v)
        option(fp, json_string_value(v), json_string_value(v), str(trend, "area"));
    fputs("</select></label>\n<label>Group <select name=\"group\">", fp);
    for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
        option(fp, groups[i][0], groups[i][1], str(trend, "group"));
    fputs("</select></label>\n<label>Window <select name=\"span\">", fp);
    option(fp, "12", "rolling 12 months", span);
    option(fp, "1", "the month alone", span);
    fputs("</select></label>\n<label>From <input type=\"month\" name=\"from\" value=\"", fp);
    esc(fp, a->from);
    fputs("\"></label>\n<label>To <input type=\"month\" name=\"to\" value=\"", fp);
    esc(fp, a->to);
    fputs("\"></label>\n<button type=\"submit\">Show</button></form>\n", fp);

    fputs("<p class=\"lead\">How many times more likely ", fp);
    for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
        if (!strcmp(groups[i][0], str(trend, "group")))
            esc(fp, groups[i][1]);
    fputs(" people in ", fp);
    esc(fp, str(trend, "area"));
    fprintf(fp, " are to be searched than White people, per head of population (Census 2021), "
                "with its 95%% interval (a rolling span is drawn once it is whole). The alert "
                "threshold is ");
    if (isfinite(thr) && json_is_real(json_object_get(trend, "threshold")))
        fprintf(fp, "%.2f", thr);
    else
        fputs("not set", fp);
    fprintf(fp,
            ". A figure on fewer than %" JSON_INTEGER_FORMAT
            " searches of either group is shown as <em>too few to compare</em>.</p>\n",
            json_integer_value(json_object_get(trend, "min_events")));

    fputs("<section><h2>Trend of the rate ratio</h2>\n<canvas id=\"chart-trend\" "
          "data-chart=\"trend\" data-src=\"/api/stop-search/trend.json?",
          fp);
    esc(fp, query);
    fputs("\" role=\"img\" aria-label=\"rate ratio by month\"></canvas>\n<p class=\"api\">Data: "
          "<a href=\"/api/stop-search/trend.csv?",
          fp);
    esc(fp, query);
    fputs("\">CSV</a> <a href=\"/api/stop-search/trend.json?", fp);
    esc(fp, query);
    fputs("\">JSON</a></p>\n", fp);
    table(fp, "table-trend", "Rate ratio by month", trend);
    fputs("</section>\n", fp);

    fputs("<section><h2>Data quality: ethnicity not stated</h2>\n<canvas id=\"chart-quality\" "
          "data-chart=\"quality\" data-src=\"/api/stop-search/trend.json?",
          fp);
    esc(fp, query);
    fputs("\" role=\"img\" aria-label=\"share not stated by month\"></canvas>\n"
          "<p>The share of searches with no self-defined ethnicity, and the ratio the figure "
          "would take if every one of them belonged to the group (if none did, it is the ratio "
          "shown): the range the not-stated records leave open.</p>\n</section>\n",
          fp);

    fputs("<section><h2>Areas: funnel plot</h2>\n<canvas id=\"chart-funnel\" "
          "data-chart=\"funnel\" data-src=\"/api/stop-search/funnel.json?",
          fp);
    esc(fp, query);
    fprintf(fp,
            "\" role=\"img\" aria-label=\"funnel plot of areas\"></canvas>\n"
            "<p>Each area's ratio over the 12 months to %s against its number of "
            "searches (group and White). The lines are the 95%% and 99.8%% limits around the "
            "force's ratio: an area inside them is within what chance alone would give.</p>"
            "\n<p class=\"api\">Data: <a href=\"/api/stop-search/funnel.csv?",
            *str(funnel, "period_end") ? str(funnel, "period_end") : "the newest month");
    esc(fp, query);
    fputs("\">CSV</a> <a href=\"/api/stop-search/funnel.json?", fp);
    esc(fp, query);
    fputs("\">JSON</a></p>\n", fp);
    table(fp, "table-funnel", "Areas over 12 months", funnel);
    fputs("</section>\n", fp);

    fputs("<section class=\"method\"><h2>Method</h2>\n<p>Rate ratio: the group's searches per "
          "head of its population divided by White people's, both over the same months (a "
          "rolling 12 months, or the month alone). Interval: Katz's log method, 95%. Funnel "
          "limits: the force's ratio times exp(&plusmn;z&middot;&radic;(1/(n&middot;p) + "
          "1/(n&middot;(1&minus;p)))), n the area's searches of both groups and p the group's "
          "share of them force-wide (z 1.96 and 3.09). Population: Census 2021 (TS021), by "
          "district.</p></section>\n",
          fp);
    return finish(fp, &buf, true);
}

char *eqm_web_page_alerts(const json_t *alerts) {
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    if (!fp)
        return NULL;
    head(fp, "Alerts");
    fprintf(fp,
            "<p class=\"lead\">Open alerts and the force's response. <span class=\"rag-red\">"
            "Red</span>: no answer after %" JSON_INTEGER_FORMAT
            " days; <span class=\"rag-amber\">amber</span>: awaiting an answer; "
            "<span class=\"rag-green\">green</span>: answered.</p>\n"
            "<p class=\"api\">Data: <a href=\"/api/alerts.csv\">CSV</a> "
            "<a href=\"/api/alerts.json\">JSON</a></p>\n",
            json_integer_value(json_object_get(alerts, "overdue_after_days")));
    if (json_array_size(json_object_get(alerts, "rows")) == 0)
        fputs("<p id=\"no-alerts\">No alert is open.</p>\n", fp);
    else
        table(fp, "table-alerts", "Open alerts", alerts);
    return finish(fp, &buf, false);
}

char *eqm_web_page_error(const char *title, const char *message) {
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    if (!fp)
        return NULL;
    head(fp, title);
    fputs("<p class=\"error\">", fp);
    esc(fp, message);
    fputs("</p>\n", fp);
    return finish(fp, &buf, false);
}
