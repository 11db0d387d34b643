/*
 * pg.c - eqm-bench's PostgreSQL: the counts a phase left, the offsets the
 * consumer stored (the drain the producer must not outrun), and snapshots
 * of the statistics the report gives per 1,000 events (see bench.h).
 */
#include <stdlib.h>

#include "bench.h"

double bench_pg_num(struct bench *b, const char *sql, int n, const char *const *params) {
    PGresult *res = PQexecParams(b->conn, sql, n, NULL, params, NULL, NULL, 0);
    double v = 0.0 / 0.0;
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 && !PQgetisnull(res, 0, 0))
        v = strtod(PQgetvalue(res, 0, 0), NULL);
    else if (PQresultStatus(res) != PGRES_TUPLES_OK)
        bench_say("query failed: %s", PQerrorMessage(b->conn));
    PQclear(res);
    return v;
}

static int pg_run(struct bench *b, const char *sql) {
    PGresult *res = PQexec(b->conn, sql);
    int ok = PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK;
    if (!ok)
        bench_say("%s: %s", sql, PQerrorMessage(b->conn));
    PQclear(res);
    return ok ? 0 : -1;
}

/* Counts start from nothing in every phase: the tables are shared. */
int bench_pg_clear(struct bench *b) {
    return pg_run(b,
                  "TRUNCATE equality.stop_search_daily, equality.stop_search_ethnicity_agreement, "
                  "equality.event_keys, "
                  "equality.watermarks, equality.figures, equality.dead_letters, "
                  "equality.alert_outbox, equality.alert_state");
}

void bench_pg_snapshot(struct bench *b, struct bench_pg_snap *s) {
    /* A failure is said; the figures read next are then only staler. */
    (void)pg_run(b, "SELECT pg_stat_clear_snapshot()");
    s->rows = bench_pg_num(b,
                           "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) "
                           "FROM pg_stat_user_tables WHERE schemaname = 'equality'",
                           0, NULL);
    s->wal_lsn_bytes =
        bench_pg_num(b, "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')", 0, NULL);
    s->rel_bytes =
        bench_pg_num(b,
                     "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
                     "JOIN pg_namespace n ON n.oid = c.relnamespace "
                     "WHERE n.nspname = 'equality' AND c.relkind IN ('r', 'm')",
                     0, NULL);
}

int64_t bench_pg_committed(struct bench *b, const char *group, const char *topic,
                           int64_t *committed) {
    const char *params[2] = {group, topic};
    PGresult *res = PQexecParams(b->conn,
                                 "SELECT partition, coalesce(next_offset, 0) FROM "
                                 "equality.kafka_offsets WHERE consumer_group = $1 AND topic = $2",
                                 2, NULL, params, NULL, NULL, 0);
    int64_t total = 0;
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        bench_say("reading offsets: %s", PQerrorMessage(b->conn));
        PQclear(res);
        return -1;
    }
    for (int i = 0; i < PQntuples(res); i++) {
        int p = atoi(PQgetvalue(res, i, 0));
        int64_t off = strtoll(PQgetvalue(res, i, 1), NULL, 10);
        if (committed && p >= 0 && p < MAX_PARTITIONS)
            committed[p] = off;
        total += off;
    }
    PQclear(res);
    return total;
}
