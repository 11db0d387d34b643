/*
 * alerts_panel.c - eqm-web's alerts page: every open alert with the
 * force's response, as the panel's RAG list (red: unanswered past
 * web.alerts.overdue.days; amber: awaiting an answer, or still pending;
 * green: answered).
 */
#include <stdlib.h>
#include <string.h>

#include "panel.h"

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

static json_t *open_alerts(const struct eqm_web_env *e, const struct eqm_web_args *a, char *errstr,
                           size_t sz) {
    char overdue[32];
    const char *p[] = {overdue};
    PGresult *r;
    json_t *out, *rows;
    (void)a;
    snprintf(overdue, sizeof(overdue), "%ld", e->cfg->overdue_days);
    r = eqm_web_query(
        e, "alerts",
        "SELECT CASE WHEN responded_at IS NOT NULL THEN 'answered'"
        "            WHEN days_unanswered > $1::int THEN 'overdue'"
        "            WHEN acknowledged_at IS NOT NULL THEN 'acknowledged'"
        "            ELSE 'unanswered' END,"
        "       status, severity, rule, measure, coalesce(area, role || '/' || stage),"
        "       dimension, grp, window_days, last_value,"
        "       to_char(first_breached_at, 'YYYY-MM-DD'),"
        "       to_char(acknowledged_at, 'YYYY-MM-DD'), to_char(responded_at, 'YYYY-MM-DD'),"
        "       days_unanswered, to_char(silenced_until, 'YYYY-MM-DD')"
        "  FROM equality_read.alerts_current"
        " WHERE status IN ('firing', 'pending')"
        " ORDER BY status = 'firing' DESC, days_unanswered DESC NULLS LAST, measure, area,"
        "          grp",
        1, p, errstr, sz);
    if (!r)
        return NULL;
    out = json_pack("{s:o, s:I}", "columns", eqm_web_columns(alert_columns), "overdue_after_days",
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

static const struct eqm_web_api apis[] = {{"open", open_alerts}};

static int body(FILE *fp, const struct eqm_web_env *e, const struct eqm_web_args *a,
                const char *query, char *errstr, size_t sz) {
    json_t *d = open_alerts(e, a, errstr, sz);
    (void)query;
    if (!d)
        return -1;
    fprintf(fp,
            "<p class=\"lead\">Open alerts and the force's response. <span class=\"rag-red\">"
            "Red</span>: no answer after %" JSON_INTEGER_FORMAT
            " days; <span class=\"rag-amber\">amber</span>: awaiting an answer; "
            "<span class=\"rag-green\">green</span>: answered.</p>\n"
            "<p class=\"api\">Data: <a href=\"/api/alerts/open.csv\">CSV</a> "
            "<a href=\"/api/alerts/open.json\">JSON</a></p>\n",
            json_integer_value(json_object_get(d, "overdue_after_days")));
    if (json_array_size(json_object_get(d, "rows")) == 0)
        fputs("<p id=\"no-alerts\">No alert is open.</p>\n", fp);
    else
        eqm_web_table(fp, "table-alerts", "Open alerts", d);
    json_decref(d);
    return 0;
}

EQM_WEB_PANEL(eqm_web_alerts_panel, "alerts", "Alerts", "open alerts and the force's answers", NULL,
              apis, body, NULL, true);
