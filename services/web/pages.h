/*
 * pages.h - eqm-web's HTML pages, written from the same JSON the API
 * serves (data.h). Each page holds its tables in the HTML itself (readable
 * and printable without a script) and a <canvas> per chart that
 * static/eqm.js draws with Chart.js from the /api address in the canvas's
 * data-src. Every text from the database is HTML-escaped.
 *
 * Each returns a string to free(), or NULL when out of memory.
 */
#ifndef EQM_WEB_PAGES_H
#define EQM_WEB_PAGES_H

#include <jansson.h>

#include "data.h"

char *eqm_web_page_index(const json_t *areas, const char *force_area);
/* query: the request's own query string, already checked (for the API
 * addresses and the links); areas: the chooser's list. */
char *eqm_web_page_stop_search(const struct eqm_web_args *a, const char *query, const json_t *trend,
                               const json_t *funnel, const json_t *areas);
char *eqm_web_page_alerts(const json_t *alerts);
/* An error page: status text and a sentence. */
char *eqm_web_page_error(const char *title, const char *message);

#endif
