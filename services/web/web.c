/* web.c - eqm-web's HTTP server, routes, health and metrics (web.h). */
#include "web.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <libpq-fe.h>
#include <microhttpd.h>

#include "eqm/alert_rules.h"
#include "eqm/kafka.h"
#include "eqm/log.h"
#include "eqm/pg.h"
#include "panel.h"
#include "pdf.h"
#include "prom.h"

/* One stored offset and how far behind its partition's end it is. */
struct lag {
    char group[128], topic[250];
    int partition;
    int64_t lag;
    bool known; /* the broker answered */
};

/* Threads answering requests; each takes a PostgreSQL connection from
 * the pool for its request (a PDF keeps one thread for seconds). */
#define THREADS 4

struct eqm_web {
    struct MHD_Daemon *daemon;
    const struct eqm_web_config *cfg;
    struct eqm_alert_rules *rules;
    char *pg_url;
    int role_checked; /* the first connection's role was judged */
    rd_kafka_t *rk;   /* asks the brokers for the partitions' ends (the lag) */
    /* The lag, asked for by a thread of its own every web.lag.interval.ms
     * (a broker that is gone can keep that question waiting for long; the
     * requests read what it last found). Guarded by lag_lock. */
    pthread_t lag_thread;
    bool lag_started, lag_stop, lag_done;
    pthread_mutex_t lag_lock;
    pthread_cond_t lag_wake;
    struct lag *lag_rows;
    int n_lag;
    bool lag_kafka_ok;
    struct timespec lag_at; /* CLOCK_MONOTONIC of the last answer; 0: none yet */
    pthread_mutex_t lock;   /* guards busy[] */
    bool busy[THREADS];
    PGconn *conns[THREADS];
};

/* ---- settings ------------------------------------------------------------------------ */

#define TEXT(...)   EQM_SETTING_TEXT(struct eqm_web_config, __VA_ARGS__)
#define NUMBER(...) EQM_SETTING_NUMBER(struct eqm_web_config, __VA_ARGS__)
static const struct eqm_setting web_settings[] = {
    TEXT("web.listen", listen, "127.0.0.1",
         "address to listen on (IPv4 or IPv6; loopback unless a proxy in front needs more)"),
    NUMBER("web.port", port, "8080", 0, 65535, "TCP port (0: any free port, logged at start)"),
    TEXT("web.static.dir", static_dir, EQM_WEB_STATIC_DIR,
         "folder of the page's own script and style (eqm.js, eqm.css)"),
    TEXT("web.chartjs", chartjs, "/usr/share/javascript/chart.js/chart.min.js",
         "Chart.js, served as /static/chart.min.js (Debian's libjs-chart.js)"),
    TEXT("force.area", force_area, "force",
         "area name of the whole force's figures (as the consumers' force.area)"),
    NUMBER("web.min.events", min_events, "10", 0, 1000000,
           "a ratio on fewer searches than this of either group is shown as too few to compare"),
    TEXT("alerts.rules", alerts_rules, "",
         "alert rules file whose thresholds the charts draw (empty: the built-in defaults)"),
    NUMBER("web.alerts.overdue.days", overdue_days, "28", 1, 3650,
           "a firing alert unanswered for longer is red on the alerts page"),
    /* The lag (a thread of its own asks the brokers). */
    NUMBER("web.kafka.timeout.ms", kafka_timeout_ms, "2000", 100, 60000,
           "longest the brokers may take to say where a partition ends (the lag)"),
    NUMBER("web.lag.interval.ms", lag_interval_ms, "5000", 100, 3600000,
           "how often the lag is asked for (older than three times this, it is unknown)"),
    /* The packs' PDFs. */
    TEXT("web.chromium", chromium, "chromium",
         "the program that prints a pack to PDF (headless Chromium: Debian's chromium)"),
    NUMBER("web.pdf.timeout.s", pdf_timeout_s, "60", 1, 3600, "longest a PDF may take to print"),
};

struct eqm_settings eqm_web_settings(struct eqm_web_config *wcfg) {
    return (struct eqm_settings){web_settings, sizeof(web_settings) / sizeof(web_settings[0]),
                                 wcfg};
}

/* ---- responses ----------------------------------------------------------------------- */

/* Queues r with every response's headers (type, caching, and what the
 * browser may run), and lets it go. */
static enum MHD_Result queue(struct MHD_Connection *c, unsigned status, struct MHD_Response *r,
                             const char *type, const char *cache) {
    enum MHD_Result ret;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, cache);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Content-Security-Policy",
                            "default-src 'self'; style-src 'self'; script-src 'self'");
    ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

/* Queues body (taken over, freed by libmicrohttpd) with status and type. */
static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type,
                             char *body) {
    struct MHD_Response *r;
    if (!body) {
        static const char oom[] = "out of memory\n";
        status = MHD_HTTP_INTERNAL_SERVER_ERROR;
        type = "text/plain; charset=utf-8";
        r = MHD_create_response_from_buffer(sizeof(oom) - 1, (void *)oom, MHD_RESPMEM_PERSISTENT);
    } else {
        r = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
    }
    if (!r) {
        free(body);
        return MHD_NO;
    }
    return queue(c, status, r, type, "no-store");
}

static enum MHD_Result reply_error(struct MHD_Connection *c, unsigned status, const char *title,
                                   const char *msg, bool html) {
    if (html)
        return reply(c, status, "text/html; charset=utf-8", eqm_web_page_error(title, msg));
    {
        size_t n = strlen(title) + strlen(msg) + 4;
        char *s = malloc(n);
        if (s)
            snprintf(s, n, "%s: %s\n", title, msg);
        return reply(c, status, "text/plain; charset=utf-8", s);
    }
}

static enum MHD_Result reply_json(struct MHD_Connection *c, json_t *j) {
    char *s = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(17));
    json_decref(j);
    return reply(c, MHD_HTTP_OK, "application/json", s);
}

/* A file from disk (the static folder, or Chart.js). */
static enum MHD_Result reply_file(struct MHD_Connection *c, const char *path, const char *type) {
    struct MHD_Response *r;
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        eqm_log_warn("static file missing", "path=%s errno=%s", eqm_log_q(path),
                     eqm_log_q(strerror(errno)));
        return reply_error(c, MHD_HTTP_NOT_FOUND, "Not found", "no such file", false);
    }
    r = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
    if (!r) {
        close(fd);
        return MHD_NO;
    }
    return queue(c, MHD_HTTP_OK, r, type, "max-age=300");
}

/* ---- PostgreSQL ---------------------------------------------------------------------- */

/* A connection of the pool, made (again) if it is not up: its slot, or
 * -1 with errstr. Give it back with put(). */
static int take(struct eqm_web *w, PGconn **out, char *errstr, size_t sz) {
    int slot = -1;
    PGconn **c;
    pthread_mutex_lock(&w->lock);
    for (int i = 0; i < THREADS && slot < 0; i++)
        if (!w->busy[i])
            w->busy[slot = i] = true;
    pthread_mutex_unlock(&w->lock);
    if (slot < 0) {
        snprintf(errstr, sz, "every database connection is busy");
        return -1;
    }
    c = &w->conns[slot];
    if (*c && PQstatus(*c) != CONNECTION_OK) {
        PQfinish(*c);
        *c = NULL;
    }
    if (!*c && (*c = eqm_pg_connect(w->pg_url, "eqm-web", errstr, sz)) &&
        eqm_pg_exec(*c,
                    "SET default_transaction_read_only = on;"
                    "SET statement_timeout = '10s'",
                    errstr, sz) != 0) {
        PQfinish(*c);
        *c = NULL;
    }
    if (!*c) {
        pthread_mutex_lock(&w->lock);
        w->busy[slot] = false;
        pthread_mutex_unlock(&w->lock);
        return -1;
    }
    /* Once: an analyst's role, not the owner's (README "Security"). */
    if (!__atomic_exchange_n(&w->role_checked, 1, __ATOMIC_SEQ_CST))
        (void)eqm_pg_check_role(*c, "eqm-web", "eqm_analyst");
    *out = *c;
    return slot;
}

static void put(struct eqm_web *w, int slot) {
    if (slot < 0)
        return;
    pthread_mutex_lock(&w->lock);
    w->busy[slot] = false;
    pthread_mutex_unlock(&w->lock);
}

/* ---- /healthz and /metrics ----------------------------------------------------------- */

/*
 * Each stored offset's lag: the partition's end (its high watermark, from
 * the brokers) less the next offset the group will read (a partition not
 * read yet: from its start). Once the brokers fail to answer, the rest are
 * unknown, so a broker that is down costs one timeout, not one per
 * partition. Returns the number of rows in *out (free it), or -1 with
 * errstr (PostgreSQL).
 */
static int lags(struct eqm_web *w, PGconn *pg, struct lag **out, bool *kafka_ok, char *errstr,
                size_t sz) {
    PGresult *r = PQexec(pg, "SELECT consumer_group, topic, partition, next_offset"
                             "  FROM equality_read.kafka_offsets ORDER BY 1, 2, 3");
    int n;
    *out = NULL;
    *kafka_ok = w->rk != NULL;
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        eqm_pg_error(pg, r, "offsets", errstr, sz);
        PQclear(r);
        return -1;
    }
    n = PQntuples(r);
    if (n > 0 && !(*out = calloc((size_t)n, sizeof(**out)))) {
        PQclear(r);
        snprintf(errstr, sz, "out of memory");
        return -1;
    }
    for (int i = 0; i < n; i++) {
        struct lag *l = &(*out)[i];
        int64_t lo = 0, hi = 0, next;
        snprintf(l->group, sizeof(l->group), "%s", PQgetvalue(r, i, 0));
        snprintf(l->topic, sizeof(l->topic), "%s", PQgetvalue(r, i, 1));
        l->partition = atoi(PQgetvalue(r, i, 2));
        if (!*kafka_ok)
            continue;
        if (rd_kafka_query_watermark_offsets(w->rk, l->topic, l->partition, &lo, &hi,
                                             (int)w->cfg->kafka_timeout_ms) !=
            RD_KAFKA_RESP_ERR_NO_ERROR) {
            *kafka_ok = false;
            continue;
        }
        next = PQgetisnull(r, i, 3) ? lo : strtoll(PQgetvalue(r, i, 3), NULL, 10);
        l->lag = hi > next ? hi - next : 0;
        l->known = true;
    }
    PQclear(r);
    return n;
}

/* The lag thread: asks, publishes, waits; until eqm_web_stop(). */
static void *lag_loop(void *arg) {
    struct eqm_web *w = arg;
    PGconn *pg = NULL;
    char err[512];
    pthread_mutex_lock(&w->lag_lock);
    while (!w->lag_stop) {
        struct lag *rows = NULL;
        struct timespec until;
        bool ok = false;
        int n = -1;
        pthread_mutex_unlock(&w->lag_lock);
        if (pg && PQstatus(pg) != CONNECTION_OK) {
            PQfinish(pg);
            pg = NULL;
        }
        if (pg || (pg = eqm_pg_connect(w->pg_url, "eqm-web lag", err, sizeof(err))))
            n = lags(w, pg, &rows, &ok, err, sizeof(err));
        pthread_mutex_lock(&w->lag_lock);
        if (n >= 0) {
            free(w->lag_rows);
            w->lag_rows = rows;
            w->n_lag = n;
            w->lag_kafka_ok = ok;
            clock_gettime(CLOCK_MONOTONIC, &w->lag_at);
        }
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += w->cfg->lag_interval_ms / 1000;
        until.tv_nsec += (w->cfg->lag_interval_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        if (!w->lag_stop)
            pthread_cond_timedwait(&w->lag_wake, &w->lag_lock, &until);
    }
    w->lag_done = true;
    pthread_mutex_unlock(&w->lag_lock);
    PQfinish(pg);
    return NULL;
}

/* A copy of the lag the thread last found (free *out), and whether the
 * brokers answered it; older than three intervals, it is unknown. */
static int lag_snapshot(struct eqm_web *w, struct lag **out, bool *kafka_ok) {
    struct timespec now;
    int n = 0;
    *out = NULL;
    *kafka_ok = false;
    clock_gettime(CLOCK_MONOTONIC, &now);
    pthread_mutex_lock(&w->lag_lock);
    if (w->lag_at.tv_sec &&
        (now.tv_sec - w->lag_at.tv_sec) * 1000 <= 3 * w->cfg->lag_interval_ms + 1000 &&
        w->n_lag > 0 && (*out = malloc(sizeof(**out) * (size_t)w->n_lag))) {
        memcpy(*out, w->lag_rows, sizeof(**out) * (size_t)w->n_lag);
        n = w->n_lag;
        *kafka_ok = w->lag_kafka_ok;
    } else if (w->lag_at.tv_sec &&
               (now.tv_sec - w->lag_at.tv_sec) * 1000 <= 3 * w->cfg->lag_interval_ms + 1000) {
        *kafka_ok = w->lag_kafka_ok;
    }
    pthread_mutex_unlock(&w->lag_lock);
    return n;
}

static enum MHD_Result healthz(struct eqm_web *w, struct MHD_Connection *c, PGconn *pg,
                               const char *pg_err) {
    char err[512];
    PGresult *r = NULL, *b = NULL;
    json_t *out = json_object(), *consumers = json_array();
    bool ok = pg != NULL, kafka_ok = false;
    struct lag *lag = NULL;
    int n_lag = 0;

    snprintf(err, sizeof(err), "%s", pg_err);
    if (pg) {
        r = PQexec(pg, "SELECT consumer_group, topic, count(*), sum(next_offset),"
                       "       to_char(max(updated_at) AT TIME ZONE 'UTC',"
                       "               'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
                       "       extract(epoch FROM now() - max(updated_at))::bigint"
                       "  FROM equality_read.kafka_offsets GROUP BY 1, 2 ORDER BY 1, 2");
        b = PQexec(pg, "SELECT (SELECT count(*) FROM equality_read.alert_outbox"
                       "         WHERE sent_at IS NULL AND publish),"
                       "       (SELECT count(*) FROM equality_read.notify_deliveries"
                       "         WHERE state = 'pending')");
        if (PQresultStatus(r) != PGRES_TUPLES_OK || PQresultStatus(b) != PGRES_TUPLES_OK) {
            eqm_pg_error(pg, PQresultStatus(r) != PGRES_TUPLES_OK ? r : b, "health", err,
                         sizeof(err));
            ok = false;
        } else {
            n_lag = lag_snapshot(w, &lag, &kafka_ok);
        }
    }
    if (ok) {
        for (int i = 0; i < PQntuples(r); i++) {
            /* The group's lag on the topic: the sum over its partitions, if all are known. */
            int64_t sum = 0;
            int found = 0;
            bool known = true;
            for (int k = 0; k < n_lag; k++) {
                if (!strcmp(lag[k].group, PQgetvalue(r, i, 0)) &&
                    !strcmp(lag[k].topic, PQgetvalue(r, i, 1))) {
                    sum += lag[k].lag;
                    known = known && lag[k].known;
                    found++;
                }
            }
            known = known && found > 0;
            json_array_append_new(
                consumers,
                json_pack("{s:s, s:s, s:I, s:I, s:s, s:I, s:o}", "group", PQgetvalue(r, i, 0),
                          "topic", PQgetvalue(r, i, 1), "partitions",
                          (json_int_t)strtoll(PQgetvalue(r, i, 2), NULL, 10), "next_offsets",
                          (json_int_t)strtoll(PQgetvalue(r, i, 3), NULL, 10), "last_commit",
                          PQgetvalue(r, i, 4), "seconds_since_commit",
                          (json_int_t)strtoll(PQgetvalue(r, i, 5), NULL, 10), "lag",
                          known ? json_integer(sum) : json_null()));
        }
        json_object_set_new(out, "relay_backlog",
                            json_integer(strtoll(PQgetvalue(b, 0, 0), NULL, 10)));
        json_object_set_new(out, "notify_pending",
                            json_integer(strtoll(PQgetvalue(b, 0, 1), NULL, 10)));
    }
    PQclear(r);
    PQclear(b);
    free(lag);
    json_object_set_new(out, "status", json_string(ok ? "ok" : "unhealthy"));
    json_object_set_new(out, "kafka", json_pack("{s:b}", "reachable", kafka_ok));
    json_object_set_new(out, "postgres", json_pack("{s:b, s:s}", "reachable", ok, "error", err));
    json_object_set_new(out, "consumers", consumers);
    {
        char *s = json_dumps(out, JSON_COMPACT);
        json_decref(out);
        return reply(c, ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, "application/json", s);
    }
}

/* eqm_kafka_up and eqm_consumer_lag per partition (where the brokers answered). */
static void lag_metrics(struct eqm_web *w, FILE *fp) {
    static const char *const labels[] = {"group", "topic", "partition"};
    struct lag *lag;
    bool kafka_ok;
    int n = lag_snapshot(w, &lag, &kafka_ok);
    fprintf(fp,
            "# HELP eqm_kafka_up Whether the brokers answered eqm-web's last question.\n"
            "# TYPE eqm_kafka_up gauge\neqm_kafka_up %d\n"
            "# HELP eqm_consumer_lag Messages on each partition the group has not yet "
            "committed (the partition's end less its stored offset).\n"
            "# TYPE eqm_consumer_lag gauge\n",
            kafka_ok ? 1 : 0);
    for (int i = 0; i < n; i++) {
        char part[16], value[32];
        const char *vals[] = {lag[i].group, lag[i].topic, part};
        if (!lag[i].known)
            continue;
        snprintf(part, sizeof(part), "%d", lag[i].partition);
        snprintf(value, sizeof(value), "%lld", (long long)lag[i].lag);
        eqm_web_sample(fp, "eqm_consumer_lag", labels, vals, 3, value);
    }
    free(lag);
}

static enum MHD_Result metrics(struct eqm_web *w, struct MHD_Connection *c, PGconn *pg) {
    char err[512] = "", *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    int rc = 0;
    if (!fp)
        return reply(c, MHD_HTTP_OK, "", NULL);
    fputs("# HELP eqm_postgres_up Whether eqm-web could reach PostgreSQL.\n"
          "# TYPE eqm_postgres_up gauge\n",
          fp);
    fprintf(fp, "eqm_postgres_up %d\n", pg ? 1 : 0);
    if (pg)
        rc = eqm_web_pg_metrics(fp, pg, err, sizeof(err));
    if (pg && rc == 0)
        lag_metrics(w, fp);
    if (rc) {
        fclose(fp);
        free(buf);
        eqm_log_error("metrics query failed", "error=%s", eqm_log_q(err));
        return reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "metrics", err, false);
    }
    if (fclose(fp) != 0) {
        free(buf);
        buf = NULL;
    }
    return reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", buf);
}

/* ---- routes -------------------------------------------------------------------------- */

struct query_collect {
    FILE *fp;
    int n;
};

/* Rebuilds the query string of the arguments the pages know, for the API
 * addresses on the page (escaped again by the page). */
static enum MHD_Result collect(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *value) {
    struct query_collect *q = cls;
    static const char *const known[] = {"area", "group", "from", "to", "span", "role", "window"};
    (void)kind;
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        if (!strcmp(key, known[i]) && value && *value) {
            fprintf(q->fp, "%s%s=", q->n++ ? "&" : "", key);
            for (const unsigned char *s = (const unsigned char *)value; *s; s++) {
                if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
                    (*s >= '0' && *s <= '9') || strchr("-_.~", *s))
                    fputc(*s, q->fp);
                else
                    fprintf(q->fp, "%%%02X", *s);
            }
        }
    }
    return MHD_YES;
}

static const char *arg(struct MHD_Connection *c, const char *k) {
    const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, k);
    return v && *v ? v : NULL;
}

static bool ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

static const struct eqm_web_panel *panel_named(const char *name, size_t n) {
    for (size_t i = 0; i < eqm_web_n_panels; i++)
        if (strlen(eqm_web_panels[i]->path) == n && !strncmp(eqm_web_panels[i]->path, name, n))
            return eqm_web_panels[i];
    return NULL;
}

/* /static/<name>: a name of letters, digits and '-' with .js or .css. */
static enum MHD_Result static_file(struct eqm_web *w, struct MHD_Connection *c, const char *name) {
    char path[4096];
    bool js = ends_with(name, ".js"), css = ends_with(name, ".css");
    if (!strcmp(name, "chart.min.js"))
        return reply_file(c, w->cfg->chartjs, "text/javascript; charset=utf-8");
    if ((!js && !css) || strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-.") != strlen(name) ||
        strstr(name, ".."))
        return reply_error(c, MHD_HTTP_NOT_FOUND, "Not found", "no such file", false);
    snprintf(path, sizeof(path), "%s/%s", w->cfg->static_dir, name);
    return reply_file(c, path, js ? "text/javascript; charset=utf-8" : "text/css; charset=utf-8");
}

/* /api/<panel>/<name>.json or .csv */
static enum MHD_Result api(struct MHD_Connection *c, const struct eqm_web_env *e,
                           const struct eqm_web_args *a, const char *url) {
    const char *slash = strchr(url, '/'), *dot = strrchr(url, '.');
    const struct eqm_web_panel *p = slash ? panel_named(url, (size_t)(slash - url)) : NULL;
    char err[512] = "";
    json_t *d = NULL;
    if (!p || !dot || dot < slash || (strcmp(dot, ".json") && strcmp(dot, ".csv")))
        return reply_error(c, MHD_HTTP_NOT_FOUND, "Not found", "/api/<panel>/<what>.json or .csv",
                           false);
    if (eqm_web_args_check_panel(p, a, err, sizeof(err)) != 0)
        return reply_error(c, MHD_HTTP_BAD_REQUEST, "Bad request", err, false);
    for (size_t i = 0; i < p->n_apis; i++) {
        if (strlen(p->apis[i].name) == (size_t)(dot - slash - 1) &&
            !strncmp(p->apis[i].name, slash + 1, (size_t)(dot - slash - 1))) {
            if (!(d = p->apis[i].get(e, a, err, sizeof(err)))) {
                eqm_log_error("query failed", "url=%s error=%s", eqm_log_q(url), eqm_log_q(err));
                return reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "Query failed", err, false);
            }
            break;
        }
    }
    if (!d)
        return reply_error(c, MHD_HTTP_NOT_FOUND, "Not found", "no such data", false);
    if (!strcmp(dot, ".csv")) {
        char *s = eqm_web_csv(d);
        json_decref(d);
        return reply(c, MHD_HTTP_OK, "text/csv; charset=utf-8", s);
    }
    return reply_json(c, d);
}

/* The pack's page holds its style and scripts inline: a looser policy. */
static enum MHD_Result reply_pack(struct MHD_Connection *c, const char *type, char *body,
                                  size_t len) {
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Content-Security-Policy",
                            "default-src 'none'; script-src 'unsafe-inline'; "
                            "style-src 'unsafe-inline'; img-src data:");
    if (!strcmp(type, "application/pdf"))
        MHD_add_response_header(r, "Content-Disposition", "inline; filename=\"pack.pdf\"");
    {
        enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
        MHD_destroy_response(r);
        return ret;
    }
}

/* /<panel>, /<panel>/pack.html, /<panel>/pack.pdf */
static enum MHD_Result page(struct eqm_web *w, struct MHD_Connection *c,
                            const struct eqm_web_env *e, const struct eqm_web_args *a,
                            const char *url) {
    const char *slash = strchr(url, '/');
    const struct eqm_web_panel *p = panel_named(url, slash ? (size_t)(slash - url) : strlen(url));
    bool html_pack = slash && !strcmp(slash, "/pack.html"),
         pdf = slash && !strcmp(slash, "/pack.pdf");
    char err[512] = "", *q = NULL, *body;
    size_t qlen = 0;
    struct query_collect qc = {open_memstream(&q, &qlen), 0};

    if (!p || (slash && !html_pack && !pdf)) {
        if (qc.fp)
            fclose(qc.fp);
        free(q);
        return reply_error(c, MHD_HTTP_NOT_FOUND, "Not found", "no such page", true);
    }
    /* A page draws every measure of its panel, so measure= (the API's) is
     * not among the arguments its links carry (collect). */
    if (qc.fp) {
        MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect, &qc);
        fclose(qc.fp);
    }
    body = q ? eqm_web_page(e, p, a, q, html_pack || pdf, err, sizeof(err)) : NULL;
    free(q);
    if (!body) {
        eqm_log_error("page failed", "url=%s error=%s", eqm_log_q(url), eqm_log_q(err));
        return reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "The page could not be made",
                           *err ? err : "out of memory", true);
    }
    if (pdf) {
        char *doc;
        size_t len;
        int rc = eqm_web_pdf(body, w->cfg->chromium, w->cfg->pdf_timeout_s, &doc, &len, err,
                             sizeof(err));
        free(body);
        if (rc != 0) {
            eqm_log_error("pack failed", "url=%s error=%s", eqm_log_q(url), eqm_log_q(err));
            return reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "The PDF could not be made", err,
                               true);
        }
        return reply_pack(c, "application/pdf", doc, len);
    }
    if (html_pack)
        return reply_pack(c, "text/html; charset=utf-8", body, strlen(body));
    return reply(c, MHD_HTTP_OK, "text/html; charset=utf-8", body);
}

static enum MHD_Result route(struct eqm_web *w, struct MHD_Connection *c, const char *url) {
    struct eqm_web_args a = {.area = arg(c, "area"),
                             .group = arg(c, "group"),
                             .from = arg(c, "from"),
                             .to = arg(c, "to"),
                             .measure = arg(c, "measure"),
                             .role = arg(c, "role")};
    struct eqm_web_env e = {NULL, w->cfg, w->rules};
    char err[512] = "";
    const char *span = arg(c, "span"), *window = arg(c, "window");
    bool html = strncmp(url, "/api/", 5) != 0;
    enum MHD_Result ret;
    int slot;

    if (!strncmp(url, "/static/", 8))
        return static_file(w, c, url + 8);
    if (span) {
        char *end;
        long v = strtol(span, &end, 10);
        a.span = *end || v < 0 || v > 100 ? -1 : (int)v;
    }
    if (window) {
        char *end;
        long v = strtol(window, &end, 10);
        a.window = *end || v < 1 || v > 3660 ? -1 : (int)v;
    }
    if (eqm_web_args_check(&a, err, sizeof(err)) != 0)
        return reply_error(c, MHD_HTTP_BAD_REQUEST, "Bad request", err, html);
    slot = take(w, &e.conn, err, sizeof(err));
    if (!strcmp(url, "/healthz")) {
        ret = healthz(w, c, e.conn, err);
    } else if (!strcmp(url, "/metrics")) {
        ret = metrics(w, c, e.conn);
    } else if (slot < 0) {
        eqm_log_error("postgres unreachable", "error=%s", eqm_log_q(err));
        ret = reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "PostgreSQL unreachable",
                          "the figures cannot be read just now; try again shortly", html);
    } else if (!strncmp(url, "/api/", 5)) {
        ret = api(c, &e, &a, url + 5);
    } else if (!strcmp(url, "/")) {
        char *body = eqm_web_page_index(&e, err, sizeof(err));
        ret = body ? reply(c, MHD_HTTP_OK, "text/html; charset=utf-8", body)
                   : reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "Query failed", err, true);
    } else {
        ret = page(w, c, &e, &a, url + 1);
    }
    put(w, slot);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls) {
    (void)version;
    (void)upload_data;
    /* The first call only announces the request (headers read). */
    if (!*req_cls) {
        *req_cls = (void *)1;
        return MHD_YES;
    }
    if (*upload_data_size) {
        *upload_data_size = 0; /* a body is never read: GET only */
        return MHD_YES;
    }
    if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
        return reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "Method not allowed",
                           "eqm-web is read-only: GET", false);
    return route(cls, c, url);
}

static void on_log(void *cls, const char *fmt, va_list ap) {
    char msg[512];
    (void)cls;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    msg[strcspn(msg, "\n")] = '\0';
    eqm_log_warn("http server", "error=%s", eqm_log_q(msg));
}

int eqm_web_start(struct eqm_web **out, const struct eqm_config *cfg,
                  const struct eqm_web_config *wcfg, const struct eqm_alert_catalog *catalog,
                  char *errstr, size_t sz) {
    struct sockaddr_storage ss = {0};
    struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
    struct eqm_web *w;

    *out = NULL;
    if (inet_pton(AF_INET, wcfg->listen, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)wcfg->port);
    } else if (inet_pton(AF_INET6, wcfg->listen, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)wcfg->port);
        flags |= MHD_USE_IPv6;
    } else {
        snprintf(errstr, sz, "web.listen \"%s\" is not an IPv4 or IPv6 address", wcfg->listen);
        return -2;
    }
    if (!(w = calloc(1, sizeof(*w))) || !(w->pg_url = strdup(cfg->pg_url))) {
        free(w);
        snprintf(errstr, sz, "out of memory");
        return -1;
    }
    w->cfg = wcfg;
    pthread_mutex_init(&w->lock, NULL);
    if (eqm_alert_rules_load(&w->rules, catalog, wcfg->alerts_rules, errstr, sz) != 0) {
        free(w->pg_url);
        free(w);
        return -2;
    }
    /* A producer handle that sends nothing: it only asks for watermarks. */
    {
        struct eqm_kafka_spec spec = {
            .type = RD_KAFKA_PRODUCER,
            .client_id = "eqm-web",
            .brokers = cfg->kafka_brokers,
            .user_names = cfg->prop_names,
            .user_values = cfg->prop_values,
            .n_user = cfg->n_props,
        };
        char kerr[512];
        if (!(w->rk = eqm_kafka_new(&spec, kerr, sizeof(kerr))))
            eqm_log_warn("no Kafka client: the lag is not shown", "error=%s", eqm_log_q(kerr));
    }
    /* The logger first, so libmicrohttpd's own messages go through it too. */
    w->daemon = MHD_start_daemon(flags, (uint16_t)wcfg->port, NULL, NULL, on_request, w,
                                 MHD_OPTION_EXTERNAL_LOGGER, on_log, NULL, MHD_OPTION_SOCK_ADDR,
                                 (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_TIMEOUT, 30u,
                                 MHD_OPTION_CONNECTION_LIMIT, 64u, MHD_OPTION_THREAD_POOL_SIZE,
                                 (unsigned)THREADS, MHD_OPTION_END);
    pthread_mutex_init(&w->lag_lock, NULL);
    pthread_cond_init(&w->lag_wake, NULL);
    if (w->daemon && w->rk)
        w->lag_started = pthread_create(&w->lag_thread, NULL, lag_loop, w) == 0;
    if (!w->daemon) {
        snprintf(errstr, sz, "cannot listen on %s port %ld: %s", wcfg->listen, wcfg->port,
                 strerror(errno));
        eqm_alert_rules_free(&w->rules);
        if (w->rk)
            rd_kafka_destroy(w->rk);
        free(w->pg_url);
        free(w);
        return -1;
    }
    *out = w;
    return 0;
}

unsigned eqm_web_port(const struct eqm_web *w) {
    const union MHD_DaemonInfo *i = MHD_get_daemon_info(w->daemon, MHD_DAEMON_INFO_BIND_PORT);
    return i ? i->port : 0;
}

void eqm_web_stop(struct eqm_web **wp) {
    struct eqm_web *w = *wp;
    if (!w)
        return;
    MHD_stop_daemon(w->daemon);
    if (w->lag_started) {
        /* The thread may be waiting on a broker that does not answer: a
         * few seconds, then it is left to the exit with what it uses. */
        bool done = false;
        pthread_mutex_lock(&w->lag_lock);
        w->lag_stop = true;
        pthread_cond_signal(&w->lag_wake);
        pthread_mutex_unlock(&w->lag_lock);
        for (int i = 0; i < 50 && !done; i++) {
            struct timespec tick = {0, 100 * 1000 * 1000};
            pthread_mutex_lock(&w->lag_lock);
            done = w->lag_done;
            pthread_mutex_unlock(&w->lag_lock);
            if (!done)
                nanosleep(&tick, NULL);
        }
        if (!done) {
            eqm_log_warn("lag thread still waiting on the brokers; left to the exit", "%s", "");
            *wp = NULL;
            return;
        }
        pthread_join(w->lag_thread, NULL);
    }
    free(w->lag_rows);
    pthread_cond_destroy(&w->lag_wake);
    pthread_mutex_destroy(&w->lag_lock);
    if (w->rk)
        rd_kafka_destroy(w->rk);
    for (int i = 0; i < THREADS; i++)
        PQfinish(w->conns[i]);
    pthread_mutex_destroy(&w->lock);
    eqm_alert_rules_free(&w->rules);
    free(w->pg_url);
    free(w);
    *wp = NULL;
}
