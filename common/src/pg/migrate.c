#include "eqm/migrate.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eqm/log.h"
#include "eqm/pg.h"

/* Any constant will do, as long as every program uses the same one. */
#define MIGRATE_LOCK_KEY 0x45514d4d /* "EQMM" */

/*
 * How many of this build's migrations the database lacks, read without
 * writing (a service's role may read schema_migrations, never change the
 * schema); -1 if it cannot be read (no schema yet: the owner's first run).
 */
static int pending(PGconn *conn, int *have) {
    PGresult *res = PQexec(conn, "SELECT version FROM equality.schema_migrations");
    int n = 0;

    *have = 0;
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        PQclear(res);
        return -1;
    }
    for (size_t i = 0; i < eqm_migrations_count; i++) {
        bool found = false;
        for (int r = 0; r < PQntuples(res) && !found; r++)
            found = atoi(PQgetvalue(res, r, 0)) == eqm_migrations[i].version;
        n += !found;
    }
    for (int r = 0; r < PQntuples(res); r++)
        if (atoi(PQgetvalue(res, r, 0)) > *have)
            *have = atoi(PQgetvalue(res, r, 0));
    PQclear(res);
    return n;
}

/* The schema's owner (or a member, or a superuser) may migrate; so may a
 * role that can create the schema when there is none yet. */
static bool may_migrate(PGconn *conn) {
    PGresult *res = PQexec(conn, "SELECT CASE WHEN n.oid IS NULL "
                                 "THEN has_database_privilege(current_database(), 'CREATE') "
                                 "ELSE pg_has_role(current_user, n.nspowner, 'USAGE') END "
                                 "FROM (SELECT 1) AS one "
                                 "LEFT JOIN pg_namespace n ON n.nspname = 'equality'");
    bool ok = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
              !strcmp(PQgetvalue(res, 0, 0), "t");
    PQclear(res);
    return ok;
}

int eqm_migrate_run(PGconn *conn, char *errstr, size_t sz) {
    int applied = 0, have, todo;
    char sql[160];

    /* Nothing to do is the usual case, and needs no right but to read. */
    if ((todo = pending(conn, &have)) == 0)
        return 0;
    if (!may_migrate(conn)) {
        snprintf(errstr, sz,
                 "the schema lacks %d migration%s of this build (it is at %d), and role \"%s\" "
                 "may not apply them: run \"eqm-admin migrate\" as the schema's owner (README "
                 "\"Security\")",
                 todo < 0 ? (int)eqm_migrations_count : todo, todo == 1 ? "" : "s", have,
                 PQuser(conn));
        return -1;
    }
    /* A session lock, so concurrent starters wait for each other. */
    snprintf(sql, sizeof(sql), "SELECT pg_advisory_lock(%d)", MIGRATE_LOCK_KEY);
    if (eqm_pg_exec(conn, sql, errstr, sz) != 0)
        return -1;
    if (eqm_pg_exec(conn,
                    "CREATE SCHEMA IF NOT EXISTS equality;"
                    "CREATE TABLE IF NOT EXISTS equality.schema_migrations ("
                    " version integer PRIMARY KEY, name text NOT NULL,"
                    " applied_at timestamptz NOT NULL DEFAULT now())",
                    errstr, sz) != 0)
        goto fail;

    for (size_t i = 0; i < eqm_migrations_count; i++) {
        const struct eqm_migration *m = &eqm_migrations[i];
        char ver[16];
        const char *params[2] = {ver, m->name};
        PGresult *res;
        int done;

        snprintf(ver, sizeof(ver), "%d", m->version);
        res = PQexecParams(conn, "SELECT 1 FROM equality.schema_migrations WHERE version = $1", 1,
                           NULL, params, NULL, NULL, 0);
        if (PQresultStatus(res) != PGRES_TUPLES_OK) {
            eqm_pg_error(conn, res, "reading schema_migrations", errstr, sz);
            PQclear(res);
            goto fail;
        }
        done = PQntuples(res) > 0;
        PQclear(res);
        if (done)
            continue;

        if (eqm_pg_exec(conn, "BEGIN", errstr, sz) != 0)
            goto fail;
        res = PQexec(conn, m->sql);
        if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK) {
            const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
            char what[96];
            snprintf(what, sizeof(what), "migration %03d_%s", m->version, m->name);
            eqm_pg_error(conn, res, what, errstr, sz);
            /* 42501: insufficient privilege. A service's own role cannot
             * migrate, by design: say who can. */
            if (state && !strcmp(state, "42501")) {
                char detail[256];
                snprintf(detail, sizeof(detail), "%s", errstr);
                snprintf(errstr, sz,
                         "%s; migrations are applied by the schema's owner, which needs "
                         "CREATEROLE for the group roles unless they exist (README \"Security\")",
                         detail);
            }
            PQclear(res);
            PQclear(PQexec(conn, "ROLLBACK"));
            goto fail;
        }
        PQclear(res);
        res = PQexecParams(conn,
                           "INSERT INTO equality.schema_migrations (version, name) VALUES ($1, $2)",
                           2, NULL, params, NULL, NULL, 0);
        if (PQresultStatus(res) != PGRES_COMMAND_OK) {
            eqm_pg_error(conn, res, "recording migration", errstr, sz);
            PQclear(res);
            PQclear(PQexec(conn, "ROLLBACK"));
            goto fail;
        }
        PQclear(res);
        if (eqm_pg_exec(conn, "COMMIT", errstr, sz) != 0)
            goto fail;
        eqm_log_info("schema migration applied", "version=%d name=%s", m->version, m->name);
        applied++;
    }
    snprintf(sql, sizeof(sql), "SELECT pg_advisory_unlock(%d)", MIGRATE_LOCK_KEY);
    if (eqm_pg_exec(conn, sql, errstr, sz) != 0)
        return -1;
    return applied;

fail:
    snprintf(sql, sizeof(sql), "SELECT pg_advisory_unlock(%d)", MIGRATE_LOCK_KEY);
    PQclear(PQexec(conn, sql));
    return -1;
}
