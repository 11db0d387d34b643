/*
 * pg.h - small libpq helpers shared by the services and tools.
 */
#ifndef EQM_PG_H
#define EQM_PG_H

#include <stdbool.h>
#include <stddef.h>

#include <libpq-fe.h>

/*
 * Connects with a conninfo or URI (application_name set to app). Returns
 * the connection, or NULL with errstr (the password is never echoed).
 */
PGconn *eqm_pg_connect(const char *url, const char *app, char *errstr, size_t errstr_size);

/*
 * Runs sql (no parameters) and checks the status. Returns 0, or -1 with
 * errstr naming what failed. The result is cleared.
 */
int eqm_pg_exec(PGconn *conn, const char *sql, char *errstr, size_t errstr_size)
    __attribute__((warn_unused_result));

/*
 * Runs a parameterised query (text parameters, text results) that returns
 * rows. Returns the result for the caller to PQclear, or NULL with errstr
 * saying "what: <server message>" (the failed result is cleared).
 */
PGresult *eqm_pg_query(PGconn *conn, const char *sql, int nparams, const char *const *params,
                       const char *what, char *errstr, size_t errstr_size)
    __attribute__((warn_unused_result));

/* Copies the error of res (or of conn if res is NULL) into errstr. */
void eqm_pg_error(PGconn *conn, const PGresult *res, const char *what, char *errstr,
                  size_t errstr_size);

/*
 * True if the failure is worth retrying the whole transaction for:
 * serialization failure, deadlock, or a lost connection.
 */
bool eqm_pg_retryable(PGconn *conn, const PGresult *res);

/*
 * Least privilege (README "Security"): logs a warning when the session's
 * role has more rights than program needs -- a superuser, or the schema's
 * owner -- or is not a member of group_role (e.g. "eqm_stop_search"), whose
 * rights it needs. Returns 1 if it warned, 0 if not, -1 if it could not tell.
 */
int eqm_pg_check_role(PGconn *conn, const char *program, const char *group_role);

#endif /* EQM_PG_H */
