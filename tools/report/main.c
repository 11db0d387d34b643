/*
 * eqm-report: a panel's pack from the command line, the same pages eqm-web
 * serves as /<panel>/pack.html and /<panel>/pack.pdf.
 *
 *   eqm-report --panel stop-search --period 2025-04..2025-06 --pdf FILE
 *
 * Connects with EQM_PG_URL (or pg.url in the file named by EQM_CONFIG);
 * eqm-web's settings (web.chromium, web.min.events, alerts.rules, ...)
 * come from there too.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "eqm/alert_rules.h"
#include "eqm/config.h"
#include "eqm/log.h"
#include "eqm/pg.h"
#include "panel.h"
#include "pdf.h"

static void usage(FILE *out) {
    fprintf(out, "Usage: eqm-report --panel PANEL [options] (--pdf FILE | --html FILE)...\n\n"
                 "Writes a panel's pack: its page, dated, with the period, the population base\n"
                 "and the method notes, as a printable HTML file (style, scripts and data inside)\n"
                 "and as a PDF printed by headless Chromium.\n\nOptions:\n"
                 "  --panel PANEL        one of:");
    for (size_t i = 0; i < eqm_web_n_panels; i++)
        fprintf(out, " %s", eqm_web_panels[i]->path);
    fprintf(out,
            "\n"
            "  --period FROM..TO    months, YYYY-MM..YYYY-MM (or one YYYY-MM); default: all\n"
            "  --area AREA          default: the force (force.area)\n"
            "  --group GROUP        bme (default), black, asian, mixed, other\n"
            "  --span 1|12          months per point: the month alone or rolling 12 (default)\n"
            "  --pdf FILE           write the PDF\n"
            "  --html FILE          write the printable page\n"
            "  -h, --help           this text\n\n"
            "Exit status: 0 written; 1 the database or Chromium failed; 2 bad arguments.\n");
}

static int write_file(const char *path, const char *s, size_t n, char *errstr, size_t sz) {
    FILE *fp = fopen(path, "w");
    if (!fp || fwrite(s, 1, n, fp) != n || fclose(fp) != 0) {
        if (fp)
            fclose(fp);
        snprintf(errstr, sz, "%s: cannot be written", path);
        return -1;
    }
    return 0;
}

/* --period FROM..TO or one month: into from and to (7 bytes each). */
static int period(const char *v, char *from, char *to) {
    const char *dots = strstr(v, "..");
    size_t n = dots ? (size_t)(dots - v) : strlen(v);
    if (n != 7 || (dots && strlen(dots + 2) != 7))
        return -1;
    memcpy(from, v, 7);
    from[7] = '\0';
    snprintf(to, 8, "%s", dots ? dots + 2 : from);
    return 0;
}

int main(int argc, char **argv) {
    static const struct option opts[] = {{"panel", required_argument, NULL, 'p'},
                                         {"period", required_argument, NULL, 'P'},
                                         {"area", required_argument, NULL, 'a'},
                                         {"group", required_argument, NULL, 'g'},
                                         {"span", required_argument, NULL, 's'},
                                         {"pdf", required_argument, NULL, 'f'},
                                         {"html", required_argument, NULL, 'w'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    struct eqm_config cfg = {0};
    struct eqm_web_config wcfg = {0};
    struct eqm_settings settings = eqm_web_settings(&wcfg);
    struct eqm_web_args a = {0};
    struct eqm_alert_rules *rules = NULL;
    struct eqm_web_env e = {NULL, &wcfg, NULL};
    const struct eqm_web_panel *panel = NULL;
    const char *panel_name = NULL, *pdf_path = NULL, *html_path = NULL;
    char from[8] = "", to[8] = "", errstr[512], query[512], *noargs[] = {"eqm-report"}, *html;
    int c, rc = 2;

    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'p':
            panel_name = optarg;
            break;
        case 'P':
            if (period(optarg, from, to) != 0) {
                fprintf(stderr, "eqm-report: --period %s: expected YYYY-MM..YYYY-MM\n", optarg);
                return 2;
            }
            a.from = from;
            a.to = to;
            break;
        case 'a':
            a.area = optarg;
            break;
        case 'g':
            a.group = optarg;
            break;
        case 's':
            a.span = atoi(optarg) == 1 ? 1 : strcmp(optarg, "12") ? -1 : 12;
            break;
        case 'f':
            pdf_path = optarg;
            break;
        case 'w':
            html_path = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    for (size_t i = 0; panel_name && i < eqm_web_n_panels; i++)
        if (!strcmp(eqm_web_panels[i]->path, panel_name))
            panel = eqm_web_panels[i];
    if (optind != argc || !panel || (!pdf_path && !html_path)) {
        fprintf(stderr, "eqm-report: %s\n\n",
                optind != argc ? "unexpected argument"
                : !panel       ? "--panel must name a panel"
                               : "nothing to write: give --pdf FILE or --html FILE");
        usage(stderr);
        return 2;
    }
    if (eqm_web_args_check(&a, errstr, sizeof(errstr)) != 0) {
        fprintf(stderr, "eqm-report: %s\n", errstr);
        return 2;
    }
    /* Settings from the environment and EQM_CONFIG only, as eqm-admin's. */
    if (eqm_config_load(&cfg, &settings, 1, "eqm-report", "--panel PANEL ...", NULL, 1, noargs,
                        stdout, errstr, sizeof(errstr)) != EQM_CONFIG_OK ||
        eqm_alert_rules_load(&rules, &eqm_alert_catalog, wcfg.alerts_rules, errstr,
                             sizeof(errstr)) != 0) {
        fprintf(stderr, "eqm-report: %s\n", errstr);
        goto out;
    }
    eqm_log_init("report", EQM_LOG_WARN);
    rc = 1;
    e.rules = rules;
    if (!(e.conn = eqm_pg_connect(cfg.pg_url, "eqm-report", errstr, sizeof(errstr))) ||
        eqm_pg_exec(e.conn, "SET default_transaction_read_only = on", errstr, sizeof(errstr))) {
        fprintf(stderr, "eqm-report: %s\n", errstr);
        goto out;
    }
    (void)eqm_pg_check_role(e.conn, "eqm-report", "eqm_analyst");
    /* The links in the pack point at eqm-web's API with the same choice. */
    snprintf(query, sizeof(query), "%s%s%s%s%s%s%s%s%s", a.area ? "area=" : "",
             a.area ? a.area : "", a.group ? "&group=" : "", a.group ? a.group : "",
             a.from ? "&from=" : "", a.from ? a.from : "", a.to ? "&to=" : "", a.to ? a.to : "",
             a.span == 1 ? "&span=1" : "");
    html = eqm_web_page(&e, panel, &a, query[0] == '&' ? query + 1 : query, true, errstr,
                        sizeof(errstr));
    if (!html) {
        fprintf(stderr, "eqm-report: %s\n", errstr);
        goto out;
    }
    if (html_path && write_file(html_path, html, strlen(html), errstr, sizeof(errstr)) != 0) {
        fprintf(stderr, "eqm-report: %s\n", errstr);
    } else if (pdf_path) {
        char *doc = NULL;
        size_t len = 0;
        if (eqm_web_pdf(html, wcfg.chromium, wcfg.pdf_timeout_s, &doc, &len, errstr,
                        sizeof(errstr)) != 0 ||
            write_file(pdf_path, doc, len, errstr, sizeof(errstr)) != 0)
            fprintf(stderr, "eqm-report: %s\n", errstr);
        else
            rc = 0;
        free(doc);
    } else {
        rc = 0;
    }
    if (rc == 0)
        printf("eqm-report: %s pack written:%s%s%s%s\n", panel->path, html_path ? " " : "",
               html_path ? html_path : "", pdf_path ? " " : "", pdf_path ? pdf_path : "");
    free(html);
out:
    PQfinish(e.conn);
    eqm_alert_rules_free(&rules);
    eqm_config_free(&cfg);
    return rc;
}
