/*
 * store.h - the engine's PostgreSQL side (internal to common/src/engine/):
 * one connection, the prepared statements, and the transaction that
 * writes a batch (eqm/batch.h) -- event keys, counts, watermark, dead
 * letters and offsets, and the figures when asked -- either the careful
 * way (one statement at a time, duplicates filtered by the server) or
 * pipelined (sent in one go while the next batch is read, committed by
 * eqm_store_collect()).
 *
 * Exactly once rests on one rule: the counts a batch produced and the
 * Kafka offsets that batch consumed are written in the same transaction,
 * and an offset row advances only from the value this consumer last read
 * (fencing: a consumer that lost its partitions cannot commit over the
 * new owner).
 */
#ifndef EQM_ENGINE_STORE_H
#define EQM_ENGINE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "eqm/batch.h"
#include "eqm/service.h"

enum eqm_store_result {
    EQM_STORE_OK = 0,
    EQM_STORE_RETRY,  /* worth trying the whole transaction again */
    EQM_STORE_FAILED, /* not worth it: stop */
    EQM_STORE_FENCED  /* the offsets moved: another consumer owns them */
};

/* An offset row a transaction advances: to next, from expected (-1:
 * NULL, a partition never committed). */
struct eqm_store_offset {
    int32_t partition;
    int64_t next;
    int64_t expected;
};

/* Figures and alerts, run inside the transaction. Returns 0, or -1 with
 * errstr (the transaction is then rolled back). */
typedef int (*eqm_store_figures_fn)(PGconn *conn, void *arg, char *errstr, size_t errstr_size);

/* What one transaction writes. */
struct eqm_store_tx {
    struct eqm_batch *batch; /* its events get is_new */
    const struct eqm_store_offset *offsets;
    int n_offsets;
    eqm_store_figures_fn figures; /* careful path only; NULL: none */
    void *figures_arg;
};

struct eqm_store;

/*
 * Connects (applying migrations first, on a connection of their own),
 * prepares the statements and reads the source's watermark. topic and
 * group name the offset rows; all strings must outlive the store.
 * Returns 0 and *out, or -1 with errstr.
 */
int eqm_store_new(struct eqm_store **out, const struct eqm_service *svc, const char *pg_url,
                  const char *topic, const char *group, char *errstr, size_t errstr_size)
    __attribute__((warn_unused_result));
void eqm_store_free(struct eqm_store **s);

/* The connection (for statements of the engine's own, between batches). */
PGconn *eqm_store_conn(struct eqm_store *s);
bool eqm_store_connected(const struct eqm_store *s);
/* The last error, for the logs. */
const char *eqm_store_error(const struct eqm_store *s);
/* Newest event time committed, microseconds; 0 = none. */
int64_t eqm_store_watermark(const struct eqm_store *s);

/* Reconnects with back-off (200 ms doubling to 5 s) for at most the
 * reconnect budget (default 120 s), once only when a stop is asked for.
 * 0, or -1: the engine then stops without committing. */
int eqm_store_reconnect(struct eqm_store *s) __attribute__((warn_unused_result));

/* The reconnect budget, in milliseconds (pg.reconnect.max.s). */
void eqm_store_set_reconnect_max(struct eqm_store *s, long max_ms);

/*
 * Reads the stored offsets of n partitions, creating the rows that are
 * missing: committed[i] is the next offset to read, or -1 (never
 * committed). 0, or -1 (see eqm_store_error()).
 */
int eqm_store_offsets_load(struct eqm_store *s, const int32_t *partitions, int n,
                           int64_t *committed) __attribute__((warn_unused_result));

/*
 * The careful way: BEGIN, each statement with its result checked, the
 * figures when tx->figures is set, COMMIT. *n_new gets the events counted
 * (not seen before), *rows the count rows written.
 */
enum eqm_store_result eqm_store_commit(struct eqm_store *s, const struct eqm_store_tx *tx,
                                       size_t *n_new, size_t *rows)
    __attribute__((warn_unused_result));

/*
 * Pipelined: sends the transaction up to its offsets without waiting,
 * optimistically (every event new: if one was counted before, the
 * transaction fails and the batch must be read again, the careful way).
 * EQM_STORE_OK when sent (then in flight until eqm_store_collect()),
 * else EQM_STORE_RETRY (the connection is not usable; nothing was
 * committed). *n_new and *rows as for eqm_store_commit(), if it commits.
 */
enum eqm_store_result eqm_store_send(struct eqm_store *s, const struct eqm_store_tx *tx,
                                     size_t *n_new, size_t *rows)
    __attribute__((warn_unused_result));

/* A pipelined transaction is sent and not yet committed or abandoned. */
bool eqm_store_in_flight(const struct eqm_store *s);

/* What became of the transaction in flight. */
enum eqm_store_collected {
    EQM_STORE_BUSY = 0,      /* PostgreSQL is still working (not blocking) */
    EQM_STORE_COMMITTED = 1, /* or nothing was in flight */
    EQM_STORE_ABANDONED = 2  /* not committed: see eqm_store_abandoned_why() */
};

/*
 * Reads the results of the transaction in flight and, if every statement
 * succeeded and every offset row moved, commits it. Without block,
 * returns EQM_STORE_BUSY at once while PostgreSQL works. A lost
 * connection abandons the transaction and leaves the store disconnected
 * (eqm_store_reconnect()).
 */
enum eqm_store_collected eqm_store_collect(struct eqm_store *s, bool block);

/* Why the last pipelined transaction was abandoned: fenced (the offsets
 * moved), duplicate (an event was counted before: SQLSTATE 23505), and
 * the error text. */
struct eqm_store_abandoned {
    bool fenced;
    bool duplicate;
    const char *error;
};
struct eqm_store_abandoned eqm_store_abandoned_why(const struct eqm_store *s);

/* Marks a transaction that could not even be sent as abandoned, dropping
 * the connection (what a lost connection does). */
void eqm_store_drop(struct eqm_store *s, const char *why);

/* A transaction of figures only (the window may have moved, or the
 * consumer is idle). */
enum eqm_store_result eqm_store_figures(struct eqm_store *s, eqm_store_figures_fn fn, void *arg)
    __attribute__((warn_unused_result));

/* Records a stored offset found beyond the end of its log (one statement,
 * between batches). 0, or -1 (see eqm_store_error()). */
int eqm_store_offset_event(struct eqm_store *s, int32_t partition, int64_t stored, int64_t low,
                           int64_t high, const char *action) __attribute__((warn_unused_result));

/*
 * Drops the de-duplication keys of days more than horizon_days before
 * the newest event, and logs what it did. Returns the number dropped, or
 * -1 (expiry is tried again later).
 */
long eqm_store_expire_keys(struct eqm_store *s, long horizon_days);

/*
 * Commit latencies measured but not yet written to equality.consumer_stats
 * (each batch writes those before it, so the last one waits). Flushing
 * writes them alone, when nothing is in flight: 0 (also when there was
 * nothing to write or no connection), or -1 with the error.
 */
bool eqm_store_stats_pending(const struct eqm_store *s);
int eqm_store_stats_flush(struct eqm_store *s) __attribute__((warn_unused_result));

#endif /* EQM_ENGINE_STORE_H */
