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

#include "eqm/tools/census.h"
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
 * line each was first given on, the distinct area codes with the sum of
 * their categories, the areas' totals and the lines they were given on,
 * and the layout the categories so far fix (or EQM_CENSUS_ANY). */
struct seen {
    struct eqm_keymap keys, codes, totals, total_lines;
    enum eqm_census_layout layout;
    unsigned long layout_line; /* the row that fixed it */
};

/*
 * Checks one data row and appends its COPY line. Returns 0, or -1 with a
 * message (no position: the caller adds it).
 */
static int add_row(const char *const *f, size_t n, unsigned long line, struct seen *seen,
                   struct eqm_buf *copy, int64_t *population, bool *skip, char *msg, size_t sz) {
    size_t code_len, name_len, cat_len, pop_len;
    const char *code, *name, *cat, *pop;
    const struct eqm_census_category *cc = NULL;
    enum eqm_census_layout row_layout = EQM_CENSUS_ANY;
    enum eqm_ethnic_group g = EQM_ETH_NOT_STATED;
    enum eqm_census_row kind;
    bool added = false;
    uint64_t *first, *sum;
    char key[512];

    *skip = false;

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
    kind = eqm_census_classify(cat, cat_len, &cc, &row_layout, &g);
    if (kind == EQM_CENSUS_ROW_UNKNOWN) {
        snprintf(msg, sz,
                 "unknown census_category \"%.*s\" (not a %s ethnic group category, total "
                 "or broad group)",
                 (int)(cat_len > 200 ? 200 : cat_len), cat,
                 seen->layout == EQM_CENSUS_ANY ? "Census 2011 or 2021"
                                                : eqm_census_layout_name(seen->layout));
        return -1;
    }
    if (row_layout != EQM_CENSUS_ANY && seen->layout != EQM_CENSUS_ANY &&
        row_layout != seen->layout) {
        snprintf(msg, sz, "census_category \"%.*s\" is worded as in %s, not %s as %s",
                 (int)(cat_len > 200 ? 200 : cat_len), cat, eqm_census_layout_name(row_layout),
                 eqm_census_layout_name(seen->layout),
                 seen->layout_line ? "the earlier rows are" : "the base needs");
        return -1;
    }
    if (row_layout != EQM_CENSUS_ANY && seen->layout == EQM_CENSUS_ANY) {
        seen->layout = row_layout;
        seen->layout_line = line;
    }
    if (kind == EQM_CENSUS_ROW_CATEGORY)
        g = cc->broad;
    if (parse_count(pop, pop_len, population) != 0) {
        snprintf(msg, sz, "population \"%.*s\" is not a whole number (0 or more)",
                 (int)(pop_len > 40 ? 40 : pop_len), pop);
        return -1;
    }
    if (kind == EQM_CENSUS_ROW_DOES_NOT_APPLY && *population != 0) {
        snprintf(msg, sz, "\"Does not apply\" counts %lld usual residents (it must be 0)",
                 (long long)*population);
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
    if (!first || !(sum = eqm_keymap_get(&seen->codes, code, code_len, 0, NULL)))
        goto nomem;
    if (kind == EQM_CENSUS_ROW_TOTAL) {
        /* Checked against the area's categories once the file is read. */
        if (!eqm_keymap_get(&seen->totals, code, code_len, (uint64_t)*population, NULL) ||
            !eqm_keymap_get(&seen->total_lines, code, code_len, line, NULL))
            goto nomem;
    } else {
        *sum += (uint64_t)*population;
    }
    if (kind == EQM_CENSUS_ROW_TOTAL || kind == EQM_CENSUS_ROW_DOES_NOT_APPLY) {
        *skip = true;
        *population = 0;
        return 0;
    }
    eqm_buf_reset(copy);
    if (copy_field(copy, code, code_len, '\t') || copy_field(copy, name, name_len, '\t') ||
        copy_field(copy, cat, cat_len, '\t') ||
        (cc ? copy_field(copy, cc->detailed, strlen(cc->detailed), '\t')
            : eqm_buf_append(copy, "\\N\t", 3)) ||
        copy_field(copy, eqm_ethnicity_name(g), strlen(eqm_ethnicity_name(g)), '\t') ||
        copy_field(copy, pop, pop_len, '\n'))
        goto nomem;
    return 0;
nomem:
    snprintf(msg, sz, "out of memory");
    return -1;
}

/* Every total given must be the sum of its area's categories. */
static int check_totals(const struct seen *seen, const char *path, char *errstr, size_t sz) {
    const char *code;
    size_t pos = 0, len;
    uint64_t total;

    while (eqm_keymap_next(&seen->totals, &pos, &code, &len, &total)) {
        /* Both keymaps hold the code: the lookups find it, adding nothing. */
        uint64_t *sum = eqm_keymap_get((struct eqm_keymap *)&seen->codes, code, len, 0, NULL);
        uint64_t *line =
            eqm_keymap_get((struct eqm_keymap *)&seen->total_lines, code, len, 0, NULL);
        if (!sum || !line) {
            snprintf(errstr, sz, "%s: out of memory", path);
            return -1;
        }
        if (*sum != total) {
            snprintf(errstr, sz,
                     "%s:%lu: the total of %.*s, %llu, is not the sum of its categories, %llu",
                     path, (unsigned long)*line, (int)len, code, (unsigned long long)total,
                     (unsigned long long)*sum);
            return -1;
        }
    }
    return 0;
}

int eqm_population_read(FILE *fp, const char *path, eqm_population_row_fn *row, void *arg,
                        struct eqm_population_load_stats *st, char *errstr, size_t sz) {
    return eqm_population_read_layout(fp, path, EQM_CENSUS_ANY, row, arg, st, errstr, sz);
}

int eqm_population_read_layout(FILE *fp, const char *path, enum eqm_census_layout layout,
                               eqm_population_row_fn *row, void *arg,
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
    seen.layout = layout;
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
        bool skip = false;

        if (rc < 0) {
            snprintf(errstr, sz, "%s:%lu: %s", path, line, eqm_csv_reader_error(r));
            goto out;
        }
        if (add_row(f, n, line, &seen, &copy, &pop, &skip, msg, sizeof(msg)) != 0) {
            snprintf(errstr, sz, "%s:%lu: %s", path, line, msg);
            goto out;
        }
        if (skip) {
            s.checks++;
            continue;
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
    if (check_totals(&seen, path, errstr, sz) != 0)
        goto out;
    s.districts = seen.codes.used;
    s.layout = seen.layout;
    if (st)
        *st = s;
    ret = 0;
out:
    eqm_keymap_free(&seen.keys);
    eqm_keymap_free(&seen.codes);
    eqm_keymap_free(&seen.totals);
    eqm_keymap_free(&seen.total_lines);
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

static int exec_params(PGconn *conn, const char *sql, int nparams, const char *const *values,
                       ExecStatusType want, PGresult **keep, const char *what, char *errstr,
                       size_t sz);

int eqm_population_load_csv(PGconn *conn, FILE *fp, const char *path,
                            struct eqm_population_load_stats *st, char *errstr, size_t sz) {
    return eqm_population_load_base(conn, fp, path, EQM_POPULATION_DEFAULT_BASE, st, errstr, sz);
}

/* The base's layout (equality.population_base.census_layout), in the
 * transaction; -1 with errstr if the base is unknown. */
static int base_layout(PGconn *conn, const char *path, const char *base,
                       enum eqm_census_layout *layout, char *errstr, size_t sz) {
    PGresult *res = NULL;
    char msg[384];
    int ret = -1;

    if (exec_params(conn,
                    "SELECT coalesce(census_layout, 0) FROM equality.population_base"
                    " WHERE name = $1",
                    1, &base, PGRES_TUPLES_OK, &res, "reading the population base", msg,
                    sizeof(msg)) != 0) {
        snprintf(errstr, sz, "%s: %s", path, msg);
        return -1;
    }
    if (PQntuples(res) == 0) {
        PGresult *names = PQexec(conn, "SELECT coalesce(string_agg(name, ', ' ORDER BY name),"
                                       " 'none') FROM equality.population_base");
        snprintf(errstr, sz,
                 "%s: unknown population base \"%s\" (known: %s; a new base is a row of "
                 "equality.population_base)",
                 path, base,
                 PQresultStatus(names) == PGRES_TUPLES_OK ? PQgetvalue(names, 0, 0) : "?");
        PQclear(names);
    } else {
        *layout = (enum eqm_census_layout)atoi(PQgetvalue(res, 0, 0));
        ret = 0;
    }
    PQclear(res);
    return ret;
}

int eqm_population_load_base(PGconn *conn, FILE *fp, const char *path, const char *base,
                             struct eqm_population_load_stats *st, char *errstr, size_t sz) {
    struct eqm_population_load_stats s = {0};
    enum eqm_census_layout layout = EQM_CENSUS_ANY;
    PGresult *res = NULL;
    bool in_tx = false, in_copy = false;
    char msg[384];
    int ret = -1, rc;

    if (!path)
        path = "population file";
    if (!base || !*base) {
        snprintf(errstr, sz, "%s: no population base named", path);
        return -1;
    }
    if (!conn_idle(conn, path, errstr, sz))
        return -1;
    if (exec(conn, path, "BEGIN", errstr, sz) != 0)
        goto out;
    in_tx = true;
    if (base_layout(conn, path, base, &layout, errstr, sz) != 0)
        goto out;
    /* Dropped at commit, and with the transaction if it rolls back. */
    if (exec(conn, path,
             "CREATE TEMPORARY TABLE eqm_population_load ("
             " area_code text NOT NULL, area_name text NOT NULL,"
             " census_category text NOT NULL, detailed_group text,"
             " broad_group text NOT NULL, population bigint NOT NULL) ON COMMIT DROP",
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
    if (eqm_population_read_layout(fp, path, layout, put_copy, conn, &s, errstr, sz) != 0)
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

    if (exec_params(conn,
                    "DELETE FROM equality.population_district p"
                    " USING (SELECT DISTINCT area_code FROM eqm_population_load) l"
                    " WHERE p.base = $1 AND p.area_code = l.area_code",
                    1, &base, PGRES_COMMAND_OK, NULL, "replacing the districts", msg,
                    sizeof(msg)) != 0 ||
        exec_params(conn,
                    "INSERT INTO equality.population_district (base, area_code, area_name,"
                    " census_category, detailed_group, broad_group, population)"
                    " SELECT $1, area_code, area_name, census_category, detailed_group,"
                    " broad_group, population FROM eqm_population_load",
                    1, &base, PGRES_COMMAND_OK, NULL, "loading the districts", msg,
                    sizeof(msg)) != 0) {
        snprintf(errstr, sz, "%s: %s", path, msg);
        goto out;
    }
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
