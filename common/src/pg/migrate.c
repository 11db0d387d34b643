#include "eqm/migrate.h"

#include <stdio.h>
#include <stdlib.h>

#include "eqm/log.h"
#include "eqm/pg.h"

/* Any constant will do, as long as every program uses the same one. */
#define MIGRATE_LOCK_KEY 0x45514d4d /* "EQMM" */

int eqm_migrate_run(PGconn *conn, char *errstr, size_t sz) {
    int applied = 0;
    char sql[160];

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
            char what[96];
            snprintf(what, sizeof(what), "migration %03d_%s", m->version, m->name);
            eqm_pg_error(conn, res, what, errstr, sz);
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
