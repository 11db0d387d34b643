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
int eqm_pg_exec(PGconn *conn, const char *sql, char *errstr, size_t errstr_size);

/* Copies the error of res (or of conn if res is NULL) into errstr. */
void eqm_pg_error(PGconn *conn, const PGresult *res, const char *what, char *errstr,
                  size_t errstr_size);

/*
 * True if the failure is worth retrying the whole transaction for:
 * serialization failure, deadlock, or a lost connection.
 */
bool eqm_pg_retryable(PGconn *conn, const PGresult *res);

/*
 * A growing text buffer for building array literals and SQL.
 * eqm_pg_buf_array_* append one element of a PostgreSQL array literal
 * ("{a,b}"), quoting and escaping as needed.
 */
struct eqm_buf {
    char *data;
    size_t len;
    size_t cap;
};

int eqm_buf_append(struct eqm_buf *b, const char *s, size_t n);
int eqm_buf_printf(struct eqm_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void eqm_buf_reset(struct eqm_buf *b);
void eqm_buf_free(struct eqm_buf *b);

/* Starts an array literal: "{". */
int eqm_pg_array_begin(struct eqm_buf *b);
/* Appends one text element (quoted, escaped); NULL appends NULL. */
int eqm_pg_array_text(struct eqm_buf *b, const char *s, size_t n);
/* Appends one integer element. */
int eqm_pg_array_int(struct eqm_buf *b, long long v);
/* Closes the array: "}" and a NUL (len excludes it). */
int eqm_pg_array_end(struct eqm_buf *b);

#endif /* EQM_PG_H */
