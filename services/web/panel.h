/*
 * panel.h - what one page of eqm-web is made of, and the helpers every
 * panel shares.
 *
 * A panel (stop and search, alerts, ...) has an address (/stop-search),
 * its API (/api/stop-search/<name>.json and .csv: each a function that
 * reads PostgreSQL and returns {"columns": [...], "rows": [{...}], and what
 * the chart needs beside}), and a body writer that puts sections, charts
 * and tables on the page. A chart's data is embedded in the page as JSON
 * (the same object the API serves), so the page draws without a second
 * request and a printed pack is the page itself: the panel's pack is its
 * page with the style and scripts inlined, dated, for printing or PDF.
 */
#ifndef EQM_WEB_PANEL_H
#define EQM_WEB_PANEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "web.h"

struct eqm_alert_rules;

/* What a request asks for (query parameters; NULL or 0: the default). */
struct eqm_web_args {
    const char *area;    /* default: the force */
    const char *group;   /* default: bme */
    const char *from;    /* YYYY-MM, first month shown */
    const char *to;      /* YYYY-MM, last month shown */
    int span;            /* months per point: 1 (the month alone) or 12 (rolling) */
    const char *measure; /* one of the panel's measures (its API; default: its first) */
    const char *role;    /* recruitment: the role (default: the first the figures hold) */
    int window;          /* recruitment: the figures' window in days (default: the longest) */
};

struct eqm_web_env {
    PGconn *conn;
    const struct eqm_web_config *cfg;
    const struct eqm_alert_rules *rules;
};

typedef json_t *(*eqm_web_get_fn)(const struct eqm_web_env *e, const struct eqm_web_args *a,
                                  char *errstr, size_t errstr_size);

struct eqm_web_api {
    const char *name; /* /api/<panel>/<name>.json */
    eqm_web_get_fn get;
};

struct eqm_web_panel {
    const char *path;   /* "stop-search" */
    const char *title;  /* "Stop and search" */
    const char *blurb;  /* one line on the index page */
    const char *script; /* its chart kinds: static/<script> (NULL: none) */
    const struct eqm_web_api *apis;
    size_t n_apis;
    /* Writes the page's sections. 0, or -1 with errstr (a query failed). */
    int (*body)(FILE *fp, const struct eqm_web_env *e, const struct eqm_web_args *a,
                const char *query, char *errstr, size_t errstr_size);
    /* The page covers every area and all months (no chooser): its heading
     * says only when it was produced. */
    bool all_areas;
    /* The values its API's measure= may take, NULL-terminated (NULL: none). */
    const char *const *measures;
    /* Its figures are over windows of days, not chosen months (the page
     * says its own period): the heading names the area only. */
    bool own_period;
};

/* Defines panel `var`: its address, title, index line, script (or NULL),
 * API table (an array), body writer, measures (or NULL) and whether it
 * covers all areas. */
#define EQM_WEB_PANEL(var, path, title, blurb, script, apis, body, measures, all_areas)            \
    const struct eqm_web_panel var = {                                                             \
        path, title,     blurb,    script, apis, sizeof(apis) / sizeof((apis)[0]),                 \
        body, all_areas, measures, false}

/* Every panel, in the order of the index page and the menu. */
extern const struct eqm_web_panel *const eqm_web_panels[];
extern const size_t eqm_web_n_panels;

/* ---- requests ------------------------------------------------------------------------ */

/* Checks args (known group, months YYYY-MM in order, span 1 or 12, a
 * role of 1 to 64 bytes, a window of 1 to 3660 days); 0, or
 * -1 with errstr (a 400). */
int eqm_web_args_check(const struct eqm_web_args *a, char *errstr, size_t errstr_size);

/* Checks args against the panel: a measure it has. 0, or -1 with errstr
 * (a 400). */
int eqm_web_args_check_panel(const struct eqm_web_panel *p, const struct eqm_web_args *a,
                             char *errstr, size_t errstr_size);

/* The area asked for, or the force's. */
const char *eqm_web_area(const struct eqm_web_env *e, const struct eqm_web_args *a);

/* The counted groups making up group, as a text[] literal ("{asian,...}"),
 * or NULL for a group that is not known. */
const char *eqm_web_group_array(const char *group);
/* A group's name in words ("Black and minority ethnic"; a detailed group's
 * as the Census names it, "White Irish"); the name itself when unknown. */
const char *eqm_web_group_label(const char *group);
/* Whether the counted group grp ("black") is one of group's ("bme"). */
bool eqm_web_group_has(const char *group, const char *grp);

/* ---- data ---------------------------------------------------------------------------- */

/* Runs a query that returns rows; NULL with errstr ("what: ..."). */
PGresult *eqm_web_query(const struct eqm_web_env *e, const char *what, const char *sql, int n,
                        const char *const *params, char *errstr, size_t errstr_size);
/* A column as a number (NULL: 0). */
int64_t eqm_web_num(const PGresult *r, int row, int col);
/* A JSON number, or null where there is none (JSON has no NaN). */
json_t *eqm_web_real(bool has, double v);
/* The string under key in o, or "" (none, or not a string). */
const char *eqm_web_str(const json_t *o, const char *key);
/* A JSON array of the names, NULL-terminated. */
json_t *eqm_web_columns(const char *const *names);
/* The populations of group and of White in area (Census, area_population):
 * 0, or -1 with errstr. */
int eqm_web_populations(const struct eqm_web_env *e, const char *area, const char *group,
                        int64_t *pop_group, int64_t *pop_white, char *errstr, size_t errstr_size);
/* The threshold of the first alert rule on measure and dimension (a rule
 * measure may end in ".*"), or NaN. */
double eqm_web_threshold(const struct eqm_alert_rules *rules, const char *measure,
                         const char *dimension);

/* The rows of data under its columns as CSV (RFC 4180: quoted where
 * needed, CRLF). NULL when out of memory. Free with free(). */
char *eqm_web_csv(const json_t *data);

/* ---- HTML ---------------------------------------------------------------------------- */

/* s with < > & " ' escaped. */
void eqm_web_esc(FILE *fp, const char *s);

/* One <option> of a chooser's <select>, selected when value is selected. */
void eqm_web_option(FILE *fp, const char *value, const char *label, const char *selected);

/* A chart: its <canvas> (drawn by the kind's function in the panel's
 * script), its data embedded as JSON, and links to the same data as CSV
 * and JSON at /api/<panel>/<api>. */
void eqm_web_chart(FILE *fp, const struct eqm_web_panel *p, const char *id, const char *kind,
                   const char *api, const char *query, const json_t *data, const char *label);

/* The links to /api/<panel>/<api>.csv and .json with the query. */
void eqm_web_api_links(FILE *fp, const struct eqm_web_panel *p, const char *api, const char *query);

/* The form that chooses area, group, window and months: its areas are
 * those of table (the panel's counts), its action the panel's page.
 * 0, or -1 with errstr. */
int eqm_web_chooser(FILE *fp, const struct eqm_web_env *e, const struct eqm_web_panel *p,
                    const char *table, const struct eqm_web_args *a, char *errstr,
                    size_t errstr_size);

/* The rows of data under its columns as an HTML table; a ratio on too few
 * events is written in words; a row with "rag" is coloured by it. A
 * column's heading is data's "headings" entry for it, if any, else its
 * name in words. */
void eqm_web_table(FILE *fp, const char *id, const char *caption, const json_t *data);

/* The whole page of a panel (pack: for printing, style and scripts
 * inlined, the date and period on it). Free with free(); NULL with errstr. */
char *eqm_web_page(const struct eqm_web_env *e, const struct eqm_web_panel *p,
                   const struct eqm_web_args *a, const char *query, bool pack, char *errstr,
                   size_t errstr_size);
/* The index page and an error page. */
char *eqm_web_page_index(const struct eqm_web_env *e, char *errstr, size_t errstr_size);
char *eqm_web_page_error(const char *title, const char *message);

#endif
