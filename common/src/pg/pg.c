#include "eqm/pg.h"

#include "eqm/log.h"
#include "eqm/secret.h"

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
    char why[300];

    if (!url || !*url) {
        snprintf(errstr, sz,
                 "no PostgreSQL connection string: set EQM_PG_URL (or pg.url in "
                 "the config file)");
        return NULL;
    }
    /* libpq would read pieces of such a password as a host or port and
     * repeat them in its error. */
    if (eqm_secret_uri_check(url, why, sizeof(why)) != 0) {
        snprintf(errstr, sz, "PostgreSQL connection string: %s", why);
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

PGresult *eqm_pg_query(PGconn *conn, const char *sql, int nparams, const char *const *params,
                       const char *what, char *errstr, size_t sz) {
    PGresult *res = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);

    if (PQresultStatus(res) == PGRES_TUPLES_OK)
        return res;
    eqm_pg_error(conn, res, what, errstr, sz);
    PQclear(res);
    return NULL;
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

int eqm_pg_check_role(PGconn *conn, const char *program, const char *group_role) {
    const char *params[1] = {group_role};
    PGresult *res =
        PQexecParams(conn,
                     "SELECT current_user, r.rolsuper, "
                     "coalesce(pg_has_role(current_user, n.nspowner, 'USAGE'), false), "
                     "coalesce((SELECT pg_has_role(current_user, g.oid, 'USAGE') FROM pg_roles g "
                     "WHERE g.rolname = $1), false) "
                     "FROM pg_roles r LEFT JOIN pg_namespace n ON n.nspname = 'equality' "
                     "WHERE r.rolname = current_user",
                     1, NULL, params, NULL, NULL, 0);
    int warned = 0;

    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        PQclear(res);
        return -1;
    }
    if (!strcmp(PQgetvalue(res, 0, 1), "t")) {
        eqm_log_warn("connected to PostgreSQL as a superuser: more rights than needed",
                     "program=%s role=%s want=%s", program, eqm_log_q(PQgetvalue(res, 0, 0)),
                     group_role);
        warned = 1;
    } else if (!strcmp(PQgetvalue(res, 0, 2), "t")) {
        eqm_log_warn("connected to PostgreSQL as the schema's owner: more rights than needed",
                     "program=%s role=%s want=%s", program, eqm_log_q(PQgetvalue(res, 0, 0)),
                     group_role);
        warned = 1;
    } else if (strcmp(PQgetvalue(res, 0, 3), "t") != 0) {
        eqm_log_warn("the PostgreSQL role is not a member of the program's group role: it may "
                     "lack the rights it needs",
                     "program=%s role=%s want=%s", program, eqm_log_q(PQgetvalue(res, 0, 0)),
                     group_role);
        warned = 1;
    }
    PQclear(res);
    return warned;
}
