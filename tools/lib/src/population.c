/*
 * population.c - Census reference population into PostgreSQL.
 *
 * The loader streams the file into a temporary table with COPY while it
 * checks each row, then replaces the districts' rows from it in the same
 * transaction: one round trip per 64 KiB or so instead of one per row, no
 * statement built from file data, and a bad row found anywhere in the file
 * rolls everything back. Duplicate (area_code, census_category) pairs are
 * caught here rather than by the primary key, so that the message can name
 * the line.
 */
#include "eqm/tools/population.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "eqm/tools/csv.h"
#include "eqm/tools/keymap.h"
#include "eqm/ethnicity.h"
#include "eqm/pg.h"
#include "eqm/pgarray.h"
#include "eqm/utf8.h"

#define AREA_MAX 64

static const char *const header[] = {"area_code", "area_name", "census_category", "population"};

static const char *trim(const char *s, size_t *len) {
    size_t n = strlen(s);
    while (n && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    *len = n;
    return s;
}

/* Appends s to a COPY text-format line, escaping what the format needs. */
static int copy_field(struct eqm_buf *b, const char *s, size_t n, char end) {
    for (size_t i = 0; i < n; i++) {
        const char *esc = NULL;
        switch (s[i]) {
        case '\\':
            esc = "\\\\";
            break;
        case '\t':
            esc = "\\t";
            break;
        case '\n':
            esc = "\\n";
            break;
        case '\r':
            esc = "\\r";
            break;
        default:
            break;
        }
        if (esc ? eqm_buf_append(b, esc, 2) : eqm_buf_append(b, s + i, 1))
            return -1;
    }
    return eqm_buf_append(b, &end, 1);
}

static int parse_count(const char *s, size_t len, int64_t *out) {
    int64_t v = 0;

    /* 18 digits cannot overflow an int64. */
    if (len == 0 || len > 18)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

static bool conn_idle(PGconn *conn, const char *what, char *errstr, size_t sz) {
    if (PQstatus(conn) != CONNECTION_OK) {
        snprintf(errstr, sz, "%s: not connected to PostgreSQL", what);
        return false;
    }
    if (PQtransactionStatus(conn) != PQTRANS_IDLE) {
        snprintf(errstr, sz, "%s: the connection is inside a transaction", what);
        return false;
    }
    return true;
}

/* Ends an unfinished COPY and throws away what the server says about it. */
static void copy_abort(PGconn *conn) {
    PGresult *res;

    PQputCopyEnd(conn, "population load aborted");
    while ((res = PQgetResult(conn)) != NULL)
        PQclear(res);
}

static void rollback(PGconn *conn) {
    PQclear(PQexec(conn, "ROLLBACK"));
}

/* Runs a statement with no parameters; errors are prefixed by path. */
static int exec(PGconn *conn, const char *path, const char *sql, char *errstr, size_t sz) {
    char msg[512];

    if (eqm_pg_exec(conn, sql, msg, sizeof(msg)) == 0)
        return 0;
    snprintf(errstr, sz, "%s: %s", path, msg);
    return -1;
}

/* What the rows so far held: (area_code, census_category) pairs with the
 * line each was first given on, and the distinct area codes. */
struct seen {
    struct eqm_keymap keys, codes;
};

/*
 * Checks one data row and appends its COPY line. Returns 0, or -1 with a
 * message (no position: the caller adds it).
 */
static int add_row(const char *const *f, size_t n, unsigned long line, struct seen *seen,
                   struct eqm_buf *copy, int64_t *population, char *msg, size_t sz) {
    size_t code_len, name_len, cat_len, pop_len;
    const char *code, *name, *cat, *pop;
    enum eqm_ethnic_group g;
    bool recognised = false, added = false;
    uint64_t *first;
    char key[512];

    if (n != 4) {
        snprintf(msg, sz, "expected 4 fields, found %zu", n);
        return -1;
    }
    code = trim(f[0], &code_len);
    name = trim(f[1], &name_len);
    cat = trim(f[2], &cat_len);
    pop = trim(f[3], &pop_len);
    if (code_len == 0 || name_len == 0 || cat_len == 0) {
        snprintf(msg, sz, "%s is blank",
                 code_len == 0   ? "area_code"
                 : name_len == 0 ? "area_name"
                                 : "census_category");
        return -1;
    }
    /* What COPY would refuse, said here with its line. */
    if (!eqm_utf8_valid(code, code_len) || !eqm_utf8_valid(name, name_len) ||
        !eqm_utf8_valid(cat, cat_len)) {
        snprintf(msg, sz, "%s is not valid UTF-8",
                 !eqm_utf8_valid(code, code_len)   ? "area_code"
                 : !eqm_utf8_valid(name, name_len) ? "area_name"
                                                   : "census_category");
        return -1;
    }
    g = eqm_ethnicity_map(cat, cat_len, &recognised);
    if (!recognised) {
        snprintf(msg, sz, "unknown census_category \"%.*s\" (not a Census 2021 ethnic group)",
                 (int)(cat_len > 200 ? 200 : cat_len), cat);
        return -1;
    }
    if (parse_count(pop, pop_len, population) != 0) {
        snprintf(msg, sz, "population \"%.*s\" is not a whole number (0 or more)",
                 (int)(pop_len > 40 ? 40 : pop_len), pop);
        return -1;
    }
    if (code_len + cat_len + 2 > sizeof(key)) {
        snprintf(msg, sz, "area_code and census_category too long");
        return -1;
    }
    memcpy(key, code, code_len);
    key[code_len] = '\x1f';
    memcpy(key + code_len + 1, cat, cat_len);
    /* The line a key was first given on, so that a repeat can name it. */
    first = eqm_keymap_get(&seen->keys, key, code_len + 1 + cat_len, line, &added);
    if (first && !added) {
        snprintf(msg, sz, "%.*s \"%.*s\" given twice (first on line %lu)", (int)code_len, code,
                 (int)cat_len, cat, (unsigned long)*first);
        return -1;
    }
    eqm_buf_reset(copy);
    if (!first || !eqm_keymap_get(&seen->codes, code, code_len, 0, NULL) ||
        copy_field(copy, code, code_len, '\t') || copy_field(copy, name, name_len, '\t') ||
        copy_field(copy, cat, cat_len, '\t') ||
        copy_field(copy, eqm_ethnicity_name(g), strlen(eqm_ethnicity_name(g)), '\t') ||
        copy_field(copy, pop, pop_len, '\n')) {
        snprintf(msg, sz, "out of memory");
        return -1;
    }
    return 0;
}

int eqm_population_read(FILE *fp, const char *path, eqm_population_row_fn *row, void *arg,
                        struct eqm_population_load_stats *st, char *errstr, size_t sz) {
    struct eqm_csv_reader *r = NULL;
    struct eqm_buf copy = {0};
    struct seen seen;
    struct eqm_population_load_stats s = {0};
    const char *const *f;
    char msg[384];
    size_t n;
    int ret = -1, rc;

    memset(&seen, 0, sizeof(seen));
    if (!path)
        path = "population file";
    if (eqm_csv_reader_new(&r, fp) != 0) {
        snprintf(errstr, sz, "%s: cannot read (out of memory or no file)", path);
        return -1;
    }
    rc = eqm_csv_reader_next(r, &f, &n);
    if (rc <= 0) {
        if (rc == 0)
            snprintf(errstr, sz, "%s: empty file (no header)", path);
        else
            snprintf(errstr, sz, "%s:%lu: %s", path, eqm_csv_reader_line(r),
                     eqm_csv_reader_error(r));
        goto out;
    }
    rc = n == 4;
    for (size_t i = 0; rc && i < n; i++)
        rc = !strcmp(f[i], header[i]);
    if (!rc) {
        snprintf(errstr, sz, "%s:%lu: the header must be exactly %s,%s,%s,%s", path,
                 eqm_csv_reader_line(r), header[0], header[1], header[2], header[3]);
        goto out;
    }
    while ((rc = eqm_csv_reader_next(r, &f, &n)) != 0) {
        unsigned long line = eqm_csv_reader_line(r);
        int64_t pop = 0;

        if (rc < 0) {
            snprintf(errstr, sz, "%s:%lu: %s", path, line, eqm_csv_reader_error(r));
            goto out;
        }
        if (add_row(f, n, line, &seen, &copy, &pop, msg, sizeof(msg)) != 0) {
            snprintf(errstr, sz, "%s:%lu: %s", path, line, msg);
            goto out;
        }
        if (row(arg, copy.data, copy.len, msg, sizeof(msg)) != 0) {
            snprintf(errstr, sz, "%s: %s", path, msg);
            goto out;
        }
        s.rows++;
        s.population += pop;
    }
    if (s.rows == 0) {
        snprintf(errstr, sz, "%s: no data rows after the header", path);
        goto out;
    }
    s.districts = seen.codes.used;
    if (st)
        *st = s;
    ret = 0;
out:
    eqm_keymap_free(&seen.keys);
    eqm_keymap_free(&seen.codes);
    eqm_buf_free(&copy);
    eqm_csv_reader_free(&r);
    return ret;
}

/* eqm_population_read()'s row callback for the load: one COPY line. */
static int put_copy(void *arg, const char *line, size_t len, char *msg, size_t sz) {
    PGconn *conn = arg;
    if (PQputCopyData(conn, line, (int)len) != 1) {
        eqm_pg_error(conn, NULL, "COPY", msg, sz);
        return -1;
    }
    return 0;
}

int eqm_population_load_csv(PGconn *conn, FILE *fp, const char *path,
                            struct eqm_population_load_stats *st, char *errstr, size_t sz) {
    struct eqm_population_load_stats s = {0};
    PGresult *res = NULL;
    bool in_tx = false, in_copy = false;
    char msg[384];
    int ret = -1, rc;

    if (!path)
        path = "population file";
    if (!conn_idle(conn, path, errstr, sz))
        return -1;
    if (exec(conn, path, "BEGIN", errstr, sz) != 0)
        goto out;
    in_tx = true;
    /* Dropped at commit, and with the transaction if it rolls back. */
    if (exec(conn, path,
             "CREATE TEMPORARY TABLE eqm_population_load ("
             " area_code text NOT NULL, area_name text NOT NULL,"
             " census_category text NOT NULL, broad_group text NOT NULL,"
             " population bigint NOT NULL) ON COMMIT DROP",
             errstr, sz) != 0)
        goto out;
    res = PQexec(conn, "COPY eqm_population_load FROM STDIN");
    if (PQresultStatus(res) != PGRES_COPY_IN) {
        eqm_pg_error(conn, res, "COPY", msg, sizeof(msg));
        snprintf(errstr, sz, "%s: %s", path, msg);
        goto out;
    }
    PQclear(res);
    res = NULL;
    in_copy = true;
    /* Every row checked (file:line messages) as it streams into COPY. */
    if (eqm_population_read(fp, path, put_copy, conn, &s, errstr, sz) != 0)
        goto out;
    in_copy = false;
    if (PQputCopyEnd(conn, NULL) != 1) {
        eqm_pg_error(conn, NULL, "COPY", msg, sizeof(msg));
        snprintf(errstr, sz, "%s: %s", path, msg);
        goto out;
    }
    /* The COPY's own result, then the NULL that ends the command. */
    rc = 0;
    while ((res = PQgetResult(conn)) != NULL) {
        if (PQresultStatus(res) != PGRES_COMMAND_OK && rc == 0) {
            eqm_pg_error(conn, res, "COPY", msg, sizeof(msg));
            snprintf(errstr, sz, "%s: %s", path, msg);
            rc = -1;
        }
        PQclear(res);
    }
    if (rc != 0)
        goto out;

    if (exec(conn, path,
             "DELETE FROM equality.population_district p"
             " USING (SELECT DISTINCT area_code FROM eqm_population_load) l"
             " WHERE p.area_code = l.area_code",
             errstr, sz) != 0 ||
        exec(conn, path,
             "INSERT INTO equality.population_district"
             " (area_code, area_name, census_category, broad_group, population)"
             " SELECT area_code, area_name, census_category, broad_group, population"
             " FROM eqm_population_load",
             errstr, sz) != 0)
        goto out;
    if (exec(conn, path, "COMMIT", errstr, sz) != 0)
        goto out;
    in_tx = false;
    if (st)
        *st = s;
    ret = 0;

out:
    PQclear(res);
    if (in_copy)
        copy_abort(conn);
    if (in_tx)
        rollback(conn);
    return ret;
}

/* Runs a parameterised statement expecting status want; errors name what. */
static int exec_params(PGconn *conn, const char *sql, int nparams, const char *const *values,
                       ExecStatusType want, PGresult **keep, const char *what, char *errstr,
                       size_t sz) {
    PGresult *res = PQexecParams(conn, sql, nparams, NULL, values, NULL, NULL, 0);

    if (PQresultStatus(res) != want) {
        eqm_pg_error(conn, res, what, errstr, sz);
        PQclear(res);
        return -1;
    }
    if (keep)
        *keep = res;
    else
        PQclear(res);
    return 0;
}

int eqm_population_define_area(PGconn *conn, const char *area, const char *const *codes,
                               size_t ncodes, char *errstr, size_t sz) {
    struct eqm_buf arr = {0};
    PGresult *res = NULL;
    const char *params[2];
    bool in_tx = false;
    size_t len;
    int ret = -1;

    if (!area || strlen(area) > AREA_MAX || (trim(area, &len), len == 0)) {
        snprintf(errstr, sz, "area name must be 1 to %d bytes and not blank", AREA_MAX);
        return -1;
    }
    if (ncodes == 0 || !codes) {
        snprintf(errstr, sz, "area \"%s\": no district codes given", area);
        return -1;
    }
    if (!conn_idle(conn, "defining an area", errstr, sz))
        return -1;
    if (eqm_pg_array_begin(&arr) != 0)
        goto nomem;
    for (size_t i = 0; i < ncodes; i++) {
        const char *code = codes[i] ? trim(codes[i], &len) : NULL;
        if (!code || len == 0) {
            snprintf(errstr, sz, "area \"%s\": district code %zu is blank", area, i + 1);
            goto out;
        }
        if (eqm_pg_array_text(&arr, code, len) != 0)
            goto nomem;
    }
    if (eqm_pg_array_end(&arr) != 0)
        goto nomem;
    params[0] = area;
    params[1] = arr.data;

    if (eqm_pg_exec(conn, "BEGIN", errstr, sz) != 0)
        goto out;
    in_tx = true;
    if (exec_params(conn,
                    "SELECT c FROM (SELECT DISTINCT unnest($1::text[]) AS c) u"
                    " WHERE NOT EXISTS (SELECT 1 FROM equality.population_district p"
                    "                    WHERE p.area_code = u.c) ORDER BY c",
                    1, params + 1, PGRES_TUPLES_OK, &res, "checking district codes", errstr,
                    sz) != 0)
        goto out;
    if (PQntuples(res) > 0) {
        int off = snprintf(errstr, sz,
                           "area \"%s\": %d district code%s not in equality.population_district "
                           "(load the Census file first, or check the codes):",
                           area, PQntuples(res), PQntuples(res) == 1 ? " is" : "s are");
        for (int i = 0; i < PQntuples(res) && off >= 0 && (size_t)off < sz; i++)
            off += snprintf(errstr + off, sz - (size_t)off, "%s %s", i ? "," : "",
                            PQgetvalue(res, i, 0));
        goto out;
    }
    PQclear(res);
    res = NULL;
    if (exec_params(conn, "DELETE FROM equality.area_districts WHERE area = $1", 1, params,
                    PGRES_COMMAND_OK, NULL, "replacing the area", errstr, sz) != 0 ||
        exec_params(conn,
                    "INSERT INTO equality.area_districts (area, district_code)"
                    " SELECT DISTINCT $1::text, unnest($2::text[])",
                    2, params, PGRES_COMMAND_OK, NULL, "defining the area", errstr, sz) != 0)
        goto out;
    if (eqm_pg_exec(conn, "COMMIT", errstr, sz) != 0)
        goto out;
    in_tx = false;
    ret = 0;
    goto out;

nomem:
    snprintf(errstr, sz, "out of memory");
out:
    PQclear(res);
    if (in_tx)
        rollback(conn);
    eqm_buf_free(&arr);
    return ret;
}
