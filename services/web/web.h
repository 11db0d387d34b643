/*
 * web.h - eqm-web: the read-only dashboard over PostgreSQL (README
 * "Dashboard"). One libmicrohttpd daemon on one internal thread, so the
 * requests are answered one at a time over one PostgreSQL connection,
 * which is made again when it drops.
 *
 *   GET /                       the panels
 *   GET /stop-search            the stop and search panel (charts + tables)
 *   GET /recruitment            recruitment and workforce (funnel, representation,
 *                               leavers, not stated)
 *   GET /alerts                 open alerts as the panel's RAG list
 *   GET /api/<what>.json|.csv   every chart's data (data.h)
 *   GET /healthz                PostgreSQL reachable, each consumer's last commit
 *   GET /metrics                Prometheus text format
 *   GET /static/<file>          the page's script and style; Chart.js
 */
#ifndef EQM_WEB_H
#define EQM_WEB_H

#include <stddef.h>

#include "eqm/config.h"

struct eqm_web_config {
    char *listen;          /* web.listen: an IPv4 or IPv6 address */
    long port;             /* web.port */
    char *static_dir;      /* web.static.dir: eqm.js, eqm.css */
    char *chartjs;         /* web.chartjs: Chart.js's chart.min.js (Debian's libjs-chart.js) */
    char *force_area;      /* force.area: the whole force's area name */
    long min_events;       /* web.min.events: below this, "too few to compare" */
    char *alerts_rules;    /* alerts.rules: where the thresholds come from */
    long overdue_days;     /* web.alerts.overdue.days: unanswered longer is red */
    long kafka_timeout_ms; /* web.kafka.timeout.ms: watermark queries (the lag) */
    long lag_interval_ms;  /* web.lag.interval.ms: how often the lag is asked for */
    char *chromium;        /* web.chromium: the program that prints a pack to PDF */
    long pdf_timeout_s;    /* web.pdf.timeout.s */
};

struct eqm_settings eqm_web_settings(struct eqm_web_config *wcfg);

struct eqm_web;
struct eqm_alert_catalog;

/* Reads the rules file (alerts.rules, checked against catalog) and starts
 * listening. 0; -2 with errstr for a bad setting (the rules file, the
 * address); -1 with errstr when it cannot start (the port is taken). */
int eqm_web_start(struct eqm_web **out, const struct eqm_config *cfg,
                  const struct eqm_web_config *wcfg, const struct eqm_alert_catalog *catalog,
                  char *errstr, size_t errstr_size) __attribute__((warn_unused_result));

/* The port it listens on (web.port 0: the one the kernel chose). */
unsigned eqm_web_port(const struct eqm_web *w);

void eqm_web_stop(struct eqm_web **w);

#endif
