/*
 * figlock.h - what every recomputation of a source's figures does first,
 * inside the caller's open transaction: take the source's figures lock (a
 * transaction-level advisory lock on 'eqm-metrics:' || source, so that the
 * consumers of one service take turns and never write figures from counts
 * older than the last writer's), then read the day the windows end: the
 * local day, in timezone, of the newest event time the source has seen
 * (equality.watermarks).
 */
#ifndef EQM_FIGLOCK_H
#define EQM_FIGLOCK_H

#include <stddef.h>

#include <libpq-fe.h>

/*
 * Locks source's figures until the transaction ends and writes its
 * watermark's local day ("YYYY-MM-DD") into end_day (end_day_size bytes, 16
 * are enough). Returns 1; 0 when source has counted nothing yet (end_day
 * "", no figures to compute); or -1 with errstr (the caller rolls back).
 */
int eqm_figlock_take(PGconn *conn, const char *source, const char *timezone, char *end_day,
                     size_t end_day_size, char *errstr, size_t errstr_size)
    __attribute__((warn_unused_result));

#endif /* EQM_FIGLOCK_H */
