/*
 * figtable.h - the one writer of figures tables.
 *
 * A figures table holds one row per key (e.g. measure, area, dimension,
 * group, window) and a computed_at column. A recomputation produces every
 * row the table should hold; the writer sends them as one statement, in
 * the caller's transaction:
 *
 *   WITH u AS (SELECT * FROM unnest($k::type[], ...) AS u(...)),
 *   gone AS (DELETE FROM table a WHERE [scope AND] NOT EXISTS
 *            (SELECT 1 FROM u WHERE u.key = a.key AND ...))
 *   INSERT INTO table AS a (columns) SELECT values FROM u [ORDER BY keys]
 *   ON CONFLICT (keys) DO UPDATE SET column = EXCLUDED.column, ...,
 *     computed_at = now()
 *   WHERE (a.compared, ...) IS DISTINCT FROM (EXCLUDED.compared, ...)
 *
 * so only the rows whose figures changed are rewritten, and the rows of
 * keys that left every window (within scope) are deleted; the DELETE is an
 * anti-join PostgreSQL can hash. Columns come from one text array each
 * (eqm/pgarray.h), or from an expression of the statement's own
 * parameters, $1..$n_params (e.g. the source, the window end).
 *
 * Errors: eqm_figtable_new() and eqm_figtable_write() return -1; a value
 * that cannot be added (out of memory, or more values than a row has) is
 * remembered and makes eqm_figtable_write() fail, so the put functions
 * need no check.
 */
#ifndef EQM_FIGTABLE_H
#define EQM_FIGTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "eqm/buf.h"
#include "eqm/stats.h"

struct eqm_figtable_col {
    const char *name; /* the table's column */
    /* SQL element type of its array ("text", "int", "bigint", "float8",
     * "date"), or NULL when every row gets value. */
    const char *type;
    const char *value; /* type NULL: an SQL expression, e.g. "$1" or "$2::date" */
    const char *as;    /* its name in u, when not name */
    bool key;          /* in the primary key */
};

struct eqm_figtable_def {
    const char *table; /* e.g. "equality.figures" */
    const char *alias; /* the table's name in the statement, e.g. "t" */
    const struct eqm_figtable_col *cols;
    int n_cols;
    int n_params; /* parameters before the arrays, which are $n_params+1... */
    /* Condition on the rows this writer owns (only those can be "gone"),
     * in terms of alias and the parameters, or NULL: the whole table. */
    const char *scope;
    /* The columns whose change rewrites a row, in this order; NULL: every
     * column not in the key, in column order. */
    const char *const *compare;
    int n_compare;
    /* Insert in key order, so that writers lock rows in the same order. */
    bool ordered;
};

struct eqm_figtable;

/*
 * The statement for def, into sql (reset first). 0, or -1 out of memory.
 * def must outlive every writer made from it.
 */
int eqm_figtable_sql(const struct eqm_figtable_def *def, struct eqm_buf *sql)
    __attribute__((warn_unused_result));

/* A writer with no rows. 0 with *out set, or -1 out of memory (*out untouched). */
int eqm_figtable_new(struct eqm_figtable **out, const struct eqm_figtable_def *def)
    __attribute__((warn_unused_result));

/*
 * The next value of the current row, one per array column in column
 * order: text (NULL: NULL), an integer, a count (NULL when negative: "not
 * available"), a float8 in full precision (NULL when !has).
 */
void eqm_figtable_text(struct eqm_figtable *w, const char *s);
void eqm_figtable_int(struct eqm_figtable *w, int64_t v);
void eqm_figtable_count(struct eqm_figtable *w, int64_t v);
void eqm_figtable_double(struct eqm_figtable *w, bool has, double v);
/* Three values: e's value (NULL when !has_value), low and high (NULL when
 * !has_ci). */
void eqm_figtable_estimate(struct eqm_figtable *w, const struct eqm_estimate *e);
/* Ends the current row (a row with too few values makes the write fail). */
void eqm_figtable_row_end(struct eqm_figtable *w);

/* Rows ended so far. */
int eqm_figtable_rows(const struct eqm_figtable *w);

/*
 * Sends the statement with params ($1..$n_params of def) and the rows.
 * Returns the number of rows sent, or -1 with errstr (a failed value, or
 * PostgreSQL's error: the caller rolls back). Send once per writer.
 */
int eqm_figtable_write(struct eqm_figtable *w, PGconn *conn, const char *const *params,
                       char *errstr, size_t errstr_size) __attribute__((warn_unused_result));

/* Frees *w and sets it to NULL; NULL-safe. */
void eqm_figtable_free(struct eqm_figtable **w);

#endif /* EQM_FIGTABLE_H */
