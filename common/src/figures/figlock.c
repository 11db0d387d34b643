#include "eqm/figlock.h"

#include <stdio.h>

#include "eqm/pg.h"

int eqm_figlock_take(PGconn *conn, const char *source, const char *timezone, char *end_day,
                     size_t end_day_size, char *errstr, size_t sz) {
    const char *params[2] = {source, timezone};
    PGresult *res;
    int ret;

    if (end_day_size > 0)
        end_day[0] = '\0';
    res = eqm_pg_query(conn, "SELECT pg_advisory_xact_lock(hashtext('eqm-metrics:' || $1))", 1,
                       params, "locking figures", errstr, sz);
    if (!res)
        return -1;
    PQclear(res);
    /* Read after the lock: a writer before us may have moved it on. */
    res = eqm_pg_query(conn,
                       "SELECT (max_occurred_at AT TIME ZONE $2)::date FROM equality.watermarks "
                       "WHERE source = $1",
                       2, params, "reading watermark", errstr, sz);
    if (!res)
        return -1;
    ret = PQntuples(res) > 0;
    if (ret)
        snprintf(end_day, end_day_size, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    return ret;
}
