/*
 * migrate.h - versioned schema migrations.
 *
 * Migrations are the files schemas/sql/NNN_name.sql, compiled into the
 * library in version order. Each is applied once, in its own transaction,
 * under an advisory lock so that services starting together do not race;
 * applied versions are recorded in equality.schema_migrations.
 */
#ifndef EQM_MIGRATE_H
#define EQM_MIGRATE_H

#include <stddef.h>

#include <libpq-fe.h>

struct eqm_migration {
    int version;
    const char *name;
    const char *sql;
};

extern const struct eqm_migration eqm_migrations[];
extern const size_t eqm_migrations_count;

/*
 * Applies every migration not yet applied. Returns the number applied
 * (0 when the schema is current), or -1 with errstr; a failed migration is
 * rolled back whole.
 */
int eqm_migrate_run(PGconn *conn, char *errstr, size_t errstr_size)
    __attribute__((warn_unused_result));

#endif /* EQM_MIGRATE_H */
