#include "eqm/figtable.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eqm/pg.h"
#include "eqm/pgarray.h"

struct eqm_figtable {
    const struct eqm_figtable_def *def;
    struct eqm_buf *arr; /* one per array column, in column order */
    int n_arr;
    int col; /* next array of the current row */
    int rows;
    bool bad_row; /* a row with more or fewer values than arrays */
};

static const char *u_name(const struct eqm_figtable_col *c) {
    return c->as ? c->as : c->name;
}

/* The column list of the keys, names in u (in_u) or in the table. */
static void keys(struct eqm_buf *sql, const struct eqm_figtable_def *def, bool in_u) {
    int k = 0;
    for (int i = 0; i < def->n_cols; i++)
        if (def->cols[i].key)
            eqm_buf_printf(sql, "%s%s", k++ ? ", " : "",
                           in_u ? u_name(&def->cols[i]) : def->cols[i].name);
}

/* The compared columns, each prefixed ("t." or "EXCLUDED."). */
static void compared(struct eqm_buf *sql, const struct eqm_figtable_def *def, const char *prefix) {
    int k = 0;
    if (def->compare) {
        for (int i = 0; i < def->n_compare; i++)
            eqm_buf_printf(sql, "%s%s.%s", i ? ", " : "", prefix, def->compare[i]);
        return;
    }
    for (int i = 0; i < def->n_cols; i++)
        if (!def->cols[i].key)
            eqm_buf_printf(sql, "%s%s.%s", k++ ? ", " : "", prefix, def->cols[i].name);
}

int eqm_figtable_sql(const struct eqm_figtable_def *def, struct eqm_buf *sql) {
    const char *a = def->alias;
    int p = def->n_params, k = 0;

    eqm_buf_reset(sql);
    eqm_buf_printf(sql, "WITH u AS (SELECT * FROM unnest(");
    for (int i = 0; i < def->n_cols; i++)
        if (def->cols[i].type)
            eqm_buf_printf(sql, "%s$%d::%s[]", k++ ? ", " : "", ++p, def->cols[i].type);
    eqm_buf_printf(sql, ") AS u(");
    k = 0;
    for (int i = 0; i < def->n_cols; i++)
        if (def->cols[i].type)
            eqm_buf_printf(sql, "%s%s", k++ ? ", " : "", u_name(&def->cols[i]));
    eqm_buf_printf(sql,
                   ")), gone AS (DELETE FROM %s %s WHERE %s%sNOT EXISTS (SELECT 1 FROM u WHERE ",
                   def->table, a, def->scope ? def->scope : "", def->scope ? " AND " : "");
    k = 0;
    for (int i = 0; i < def->n_cols; i++)
        if (def->cols[i].key)
            eqm_buf_printf(sql, "%su.%s = %s.%s", k++ ? " AND " : "", u_name(&def->cols[i]), a,
                           def->cols[i].name);
    eqm_buf_printf(sql, ")) INSERT INTO %s AS %s (", def->table, a);
    for (int i = 0; i < def->n_cols; i++)
        eqm_buf_printf(sql, "%s%s", i ? ", " : "", def->cols[i].name);
    eqm_buf_printf(sql, ") SELECT ");
    for (int i = 0; i < def->n_cols; i++)
        eqm_buf_printf(sql, "%s%s", i ? ", " : "",
                       def->cols[i].type ? u_name(&def->cols[i]) : def->cols[i].value);
    eqm_buf_printf(sql, " FROM u");
    if (def->ordered) {
        eqm_buf_printf(sql, " ORDER BY ");
        keys(sql, def, true);
    }
    eqm_buf_printf(sql, " ON CONFLICT (");
    keys(sql, def, false);
    eqm_buf_printf(sql, ") DO UPDATE SET ");
    for (int i = 0; i < def->n_cols; i++)
        if (!def->cols[i].key)
            eqm_buf_printf(sql, "%s = EXCLUDED.%s, ", def->cols[i].name, def->cols[i].name);
    /* Only rows whose figures changed are touched. */
    eqm_buf_printf(sql, "computed_at = now() WHERE (");
    compared(sql, def, a);
    eqm_buf_printf(sql, ") IS DISTINCT FROM (");
    compared(sql, def, "EXCLUDED");
    eqm_buf_printf(sql, ")");
    return eqm_buf_ok(sql) ? 0 : -1;
}

int eqm_figtable_new(struct eqm_figtable **out, const struct eqm_figtable_def *def) {
    struct eqm_figtable *w = calloc(1, sizeof(*w));
    if (!w)
        return -1;
    w->def = def;
    for (int i = 0; i < def->n_cols; i++)
        w->n_arr += def->cols[i].type != NULL;
    w->arr = calloc((size_t)w->n_arr + 1, sizeof(*w->arr));
    if (!w->arr) {
        free(w);
        return -1;
    }
    /* A failed begin is sticky like any other append: the write reports it. */
    for (int i = 0; i < w->n_arr; i++)
        (void)eqm_pg_array_begin(&w->arr[i]);
    *out = w;
    return 0;
}

/* The array the next value goes to, or NULL (the row is then bad). */
static struct eqm_buf *next(struct eqm_figtable *w) {
    if (w->col >= w->n_arr) {
        w->bad_row = true;
        return NULL;
    }
    return &w->arr[w->col++];
}

void eqm_figtable_text(struct eqm_figtable *w, const char *s) {
    struct eqm_buf *b = next(w);
    if (b)
        (void)eqm_pg_array_text(b, s, s ? strlen(s) : 0);
}

void eqm_figtable_int(struct eqm_figtable *w, int64_t v) {
    struct eqm_buf *b = next(w);
    if (b)
        (void)eqm_pg_array_int(b, (long long)v);
}

void eqm_figtable_count(struct eqm_figtable *w, int64_t v) {
    struct eqm_buf *b = next(w);
    if (b)
        (void)eqm_pg_array_count(b, v);
}

void eqm_figtable_double(struct eqm_figtable *w, bool has, double v) {
    struct eqm_buf *b = next(w);
    if (b)
        (void)eqm_pg_array_double(b, has, v);
}

void eqm_figtable_estimate(struct eqm_figtable *w, const struct eqm_estimate *e) {
    eqm_figtable_double(w, e->has_value, e->value);
    eqm_figtable_double(w, e->has_ci, e->low);
    eqm_figtable_double(w, e->has_ci, e->high);
}

void eqm_figtable_row_end(struct eqm_figtable *w) {
    if (w->col != w->n_arr)
        w->bad_row = true;
    w->col = 0;
    w->rows++;
}

int eqm_figtable_rows(const struct eqm_figtable *w) {
    return w->rows;
}

int eqm_figtable_write(struct eqm_figtable *w, PGconn *conn, const char *const *params,
                       char *errstr, size_t sz) {
    const struct eqm_figtable_def *def = w->def;
    int n = def->n_params + w->n_arr, ret = -1;
    const char **all = calloc((size_t)n + 1, sizeof(*all));
    struct eqm_buf sql = {0};
    PGresult *res = NULL;

    if (w->bad_row) {
        snprintf(errstr, sz, "writing %s: a row without one value per column", def->table);
        goto out;
    }
    if (!all || eqm_figtable_sql(def, &sql) != 0)
        goto oom;
    for (int i = 0; i < def->n_params; i++)
        all[i] = params[i];
    for (int i = 0; i < w->n_arr; i++) {
        if (eqm_pg_array_end(&w->arr[i]) != 0)
            goto oom;
        all[def->n_params + i] = w->arr[i].data;
    }
    res = PQexecParams(conn, sql.data, n, NULL, all, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        char what[96];
        snprintf(what, sizeof(what), "writing %s", def->table);
        eqm_pg_error(conn, res, what, errstr, sz);
        goto out;
    }
    ret = w->rows;
    goto out;
oom:
    snprintf(errstr, sz, "out of memory writing %s", def->table);
out:
    PQclear(res);
    free(all);
    eqm_buf_free(&sql);
    return ret;
}

void eqm_figtable_free(struct eqm_figtable **w) {
    if (!w || !*w)
        return;
    for (int i = 0; i < (*w)->n_arr; i++)
        eqm_buf_free(&(*w)->arr[i]);
    free((*w)->arr);
    free(*w);
    *w = NULL;
}
