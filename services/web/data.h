/*
 * data.h - the data behind each chart and table of eqm-web, read from
 * PostgreSQL and shaped as JSON: {"columns": [...], "rows": [{...}, ...],
 * and the figures the chart needs beside the rows}. The same object is
 * served as /api/<what>.json, as CSV (its rows under its columns) and is
 * what the page's script draws, so a chart never shows what the CSV does
 * not hold.
 */
#ifndef EQM_WEB_DATA_H
#define EQM_WEB_DATA_H

#include <stddef.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "web.h"

struct eqm_alert_rules;

/* What a request asks for (query parameters; NULL or 0: the default). */
struct eqm_web_args {
    const char *area;  /* default: the force */
    const char *group; /* default: bme */
    const char *from;  /* YYYY-MM, first month shown */
    const char *to;    /* YYYY-MM, last month shown */
    int span;          /* months per point: 1 (the month alone) or 12 (rolling) */
};

struct eqm_web_env {
    PGconn *conn;
    const struct eqm_web_config *cfg;
    const struct eqm_alert_rules *rules;
};

/* Checks args (area and group known words, months YYYY-MM, span 1..12);
 * 0, or -1 with errstr (a 400 for the caller). */
int eqm_web_args_check(const struct eqm_web_args *a, char *errstr, size_t errstr_size);

/* Stop and search rate ratio of the group to White, by month. */
json_t *eqm_web_trend(const struct eqm_web_env *e, const struct eqm_web_args *a, char *errstr,
                      size_t errstr_size);
/* Each area's ratio over the 12 months to the last month shown, against the
 * number of searches, with the funnel's limits around the force's ratio. */
json_t *eqm_web_funnel(const struct eqm_web_env *e, const struct eqm_web_args *a, char *errstr,
                       size_t errstr_size);
/* Every alert that is firing, pending or silenced, with its response state. */
json_t *eqm_web_alerts(const struct eqm_web_env *e, const struct eqm_web_args *a, char *errstr,
                       size_t errstr_size);
/* The areas that have stop and search counts (the force first). */
json_t *eqm_web_areas(const struct eqm_web_env *e, char *errstr, size_t errstr_size);

/* The rows of data as CSV (RFC 4180: quoted where needed, CRLF). NULL on
 * failure (out of memory). Free with free(). */
char *eqm_web_csv(const json_t *data);

#endif
