#include "eqm/pg.h"

#include "eqm/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Server notices ("schema already exists, skipping") are routine: keep
 * them out of the logs unless debugging. */
static void notice_processor(void *arg, const char *message) {
    size_t n = strlen(message);
    (void)arg;
    while (n && message[n - 1] == '\n')
        n--;
    eqm_log_debug("PostgreSQL notice", "detail=\"%.*s\"", (int)n, message);
}

PGconn *eqm_pg_connect(const char *url, const char *app, char *errstr, size_t sz) {
    const char *keys[] = {"dbname", "application_name", "connect_timeout", NULL};
    const char *vals[] = {url, app, "10", NULL};
    PGconn *conn;

    if (!url || !*url) {
        snprintf(errstr, sz,
                 "no PostgreSQL connection string: set EQM_PG_URL (or pg.url in "
                 "the config file)");
        return NULL;
    }
    /* expand_dbname lets url be either a URI or a conninfo string. */
    conn = PQconnectdbParams(keys, vals, 1);
    if (!conn) {
        snprintf(errstr, sz, "out of memory connecting to PostgreSQL");
        return NULL;
    }
    if (PQstatus(conn) != CONNECTION_OK) {
        const char *m = PQerrorMessage(conn);
        size_t n = strlen(m);
        while (n && (m[n - 1] == '\n' || m[n - 1] == ' '))
            n--;
        snprintf(errstr, sz, "cannot connect to PostgreSQL: %.*s", (int)n, m);
        PQfinish(conn);
        return NULL;
    }
    PQsetNoticeProcessor(conn, notice_processor, NULL);
    return conn;
}

void eqm_pg_error(PGconn *conn, const PGresult *res, const char *what, char *errstr, size_t sz) {
    const char *m = res ? PQresultErrorMessage(res) : NULL;
    size_t n;

    if (!m || !*m)
        m = PQerrorMessage(conn);
    n = strlen(m);
    while (n && (m[n - 1] == '\n' || m[n - 1] == ' '))
        n--;
    snprintf(errstr, sz, "%s: %.*s", what, (int)n, m);
}

int eqm_pg_exec(PGconn *conn, const char *sql, char *errstr, size_t sz) {
    PGresult *res = PQexec(conn, sql);
    ExecStatusType st = PQresultStatus(res);
    int ret = 0;

    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        char what[96];
        snprintf(what, sizeof(what), "%.80s", sql);
        eqm_pg_error(conn, res, what, errstr, sz);
        ret = -1;
    }
    PQclear(res);
    return ret;
}

bool eqm_pg_retryable(PGconn *conn, const PGresult *res) {
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

    if (PQstatus(conn) != CONNECTION_OK)
        return true;
    if (!state)
        return false;
    /* 40001 serialization_failure, 40P01 deadlock_detected, class 08
     * connection exceptions, 57P01 admin_shutdown. */
    return !strcmp(state, "40001") || !strcmp(state, "40P01") || !strncmp(state, "08", 2) ||
           !strcmp(state, "57P01");
}

static int buf_grow(struct eqm_buf *b, size_t extra) {
    size_t need = b->len + extra + 1;
    size_t cap;
    char *p;

    if (need <= b->cap)
        return 0;
    cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    p = realloc(b->data, cap);
    if (!p)
        return -1;
    b->data = p;
    b->cap = cap;
    return 0;
}

int eqm_buf_append(struct eqm_buf *b, const char *s, size_t n) {
    if (buf_grow(b, n) != 0)
        return -1;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int eqm_buf_printf(struct eqm_buf *b, const char *fmt, ...) {
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || buf_grow(b, (size_t)n) != 0)
        return -1;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

void eqm_buf_reset(struct eqm_buf *b) {
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void eqm_buf_free(struct eqm_buf *b) {
    free(b->data);
    memset(b, 0, sizeof(*b));
}

int eqm_pg_array_begin(struct eqm_buf *b) {
    eqm_buf_reset(b);
    return eqm_buf_append(b, "{", 1);
}

static int array_sep(struct eqm_buf *b) {
    if (b->len > 1)
        return eqm_buf_append(b, ",", 1);
    return 0;
}

int eqm_pg_array_text(struct eqm_buf *b, const char *s, size_t n) {
    if (array_sep(b) != 0)
        return -1;
    if (!s)
        return eqm_buf_append(b, "NULL", 4);
    /* Worst case every byte is escaped, plus the two quotes. */
    if (buf_grow(b, 2 * n + 2) != 0)
        return -1;
    b->data[b->len++] = '"';
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"' || s[i] == '\\')
            b->data[b->len++] = '\\';
        b->data[b->len++] = s[i];
    }
    b->data[b->len++] = '"';
    b->data[b->len] = '\0';
    return 0;
}

int eqm_pg_array_int(struct eqm_buf *b, long long v) {
    if (array_sep(b) != 0)
        return -1;
    return eqm_buf_printf(b, "%lld", v);
}

int eqm_pg_array_end(struct eqm_buf *b) {
    return eqm_buf_append(b, "}", 1);
}
