/*
 * The consumer engine: batch loop, exactly-once counting in PostgreSQL,
 * dead letters, rebalances and shutdown. See eqm/engine.h for the contract.
 *
 * Exactly once rests on one rule: the counts a batch produced and the
 * Kafka offsets that batch consumed are written in the same PostgreSQL
 * transaction, and each partition starts where PostgreSQL says. A crash
 * before COMMIT leaves neither; after COMMIT, both. The event-id table
 * absorbs the other source of double counting: producers that send the
 * same fact twice.
 */
#include "eqm/engine.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "eqm/alert_eval.h"
#include "eqm/alert_rules.h"
#include "eqm/envelope.h"
#include "eqm/kafka.h"
#include "eqm/signals.h"
#include "eqm/sink.h"
#include "eqm/log.h"
#include "eqm/md5.h"
#include "eqm/metrics.h"
#include "eqm/migrate.h"
#include "eqm/pg.h"
#include "eqm/pgarray.h"
#include "eqm/runstats.h"
#include "eqm/timeutil.h"
#include "contract/sink_internal.h"

/* ---- batch memory ---------------------------------------------------- */

/* A bump allocator reset after every batch: no malloc per field. */
struct arena_chunk {
    struct arena_chunk *next;
    size_t used, size;
    char data[];
};

struct arena {
    struct arena_chunk *head;
};

static char *arena_strdup(struct arena *a, const char *s, size_t n) {
    struct arena_chunk *c = a->head;
    char *p;

    if (!c || c->used + n + 1 > c->size) {
        /* Chunks behind the head hold this batch's live strings: never
         * reuse them before arena_reset(). */
        size_t size = n + 1 > 65536 ? n + 1 : 65536;
        struct arena_chunk *nc = malloc(sizeof(*nc) + size);
        if (!nc)
            return NULL;
        nc->next = c;
        nc->used = 0;
        nc->size = size;
        a->head = c = nc;
    }
    p = c->data + c->used;
    memcpy(p, s, n);
    p[n] = '\0';
    c->used += n + 1;
    return p;
}

/* Keeps the largest chunk only, so memory stays flat across batches. */
static void arena_reset(struct arena *a) {
    struct arena_chunk *c = a->head, *keep = NULL;
    while (c) {
        struct arena_chunk *nx = c->next;
        if (!keep || c->size > keep->size) {
            if (keep)
                free(keep);
            keep = c;
        } else {
            free(c);
        }
        c = nx;
    }
    if (keep) {
        keep->next = NULL;
        keep->used = 0;
    }
    a->head = keep;
}

static void arena_free(struct arena *a) {
    struct arena_chunk *c = a->head;
    while (c) {
        struct arena_chunk *nx = c->next;
        free(c);
        c = nx;
    }
    a->head = NULL;
}

static uint64_t fnv1a(uint64_t h, const void *p, size_t n) {
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 1099511628211ULL;
    }
    return h;
}
#define FNV_OFFSET 1469598103934665603ULL

/* One aggregated row: (day, key parts) -> summed counts. Its counts are
 * in slot_counts, at stride (the service's widest table) per slot: a batch
 * of events spread over a year holds hundreds of thousands of slots. */
struct slot {
    int table;
    int32_t day;
    const char *parts[EQM_MAX_KEY_PARTS];
    uint64_t hash;
};

/* One increment of one event, into a slot; its counts are in the pool. */
struct inc {
    uint32_t slot;
    uint32_t pool_off;
};

struct event_rec {
    unsigned char key[16]; /* md5(source ":" event_id), see eqm/md5.h */
    int32_t day;
    int64_t occurred_us;
    uint32_t inc_first, inc_n;
    bool candidate; /* first occurrence of its id in the batch */
    bool is_new;    /* not counted before (set by the de-duplication step) */
};

struct dead_letter {
    int32_t partition;
    int64_t offset;
    const char *code;
    const char *reason;
    int32_t bytes;
};

struct part_state {
    int32_t partition;
    int64_t committed; /* next offset as stored in PostgreSQL; -1 = NULL */
    int64_t next;      /* next offset after this batch; -1 = untouched */
    int64_t dl_sent;   /* dead letters up to this offset are on their topic */
};

/*
 * A batch sent in pipeline mode and not yet committed. Its statements run
 * in PostgreSQL while the next batch is read; what must happen once it
 * commits is kept here, since the batch buffers are reused at once.
 */
struct pipelined {
    bool active;
    int n_sent;    /* statements sent, BEGIN included */
    int n_done;    /* statements whose results have been read */
    int offsets_q; /* which statement advances the offsets; -1 = none */
    int offsets_n; /* partitions it must advance */
    int offsets_matched;
    bool failed;
    char sqlstate[6];
    char err[512];
    size_t n_messages, n_events, n_new, n_dls, rows;
    int64_t max_us;
    int64_t sent_ms;
    struct part_next {
        int32_t partition;
        int64_t next;
    } * parts;
    int n_parts, cap_parts;
    int64_t *ts; /* stats.file only: the batch's message timestamps */
    size_t cap_ts;
};

struct eqm_engine {
    const struct eqm_service *svc;
    const struct eqm_config *cfg;
    const struct eqm_engine_config *ecfg;
    struct eqm_figures_scope scope;
    PGconn *conn;
    rd_kafka_t *rk;  /* consumer */
    rd_kafka_t *dlq; /* dead-letter producer */
    struct eqm_sink *sink;
    struct eqm_alert_rules *rules; /* NULL when alerts are disabled */

    /* The batch. */
    struct arena arena;
    struct slot *slots;
    size_t n_slots, cap_slots;
    int64_t *slot_counts; /* cap_slots * stride */
    int stride;
    uint32_t *slot_index; /* open addressing: slot number + 1, 0 = empty */
    size_t index_cap;
    struct inc *incs;
    size_t n_incs, cap_incs;
    int64_t *pool; /* counts of the increments */
    size_t n_pool, cap_pool;
    struct event_rec *events;
    size_t n_events, cap_events;
    uint32_t *id_index; /* open addressing over events by id */
    size_t id_index_cap;
    struct dead_letter *dls;
    size_t n_dls, cap_dls;
    size_t n_messages;
    int64_t batch_started_ms;
    /* Set when the loop comes back from work that kept it from polling (a
     * commit it waited for, figures, key expiry): messages queued meanwhile
     * have waited since then. Cleared by a poll that finds the queue empty. */
    int64_t stalled_since_ms;
    /* When the batch's first message was read: batch_started_ms unless it
     * is a catch-up batch, which counts its age from the stall. */
    int64_t batch_read_ms;
    /* Figures were due when a full batch was sent without them: they go
     * with the next batch, sent as soon as that one has committed. */
    bool figures_next;

    struct part_state *parts;
    int n_parts, cap_parts;

    int64_t watermark_us; /* newest event time committed; 0 = none */
    bool assigned_once;
    int64_t last_activity_ms;
    int64_t last_metrics_ms;
    int64_t metrics_cost_ms; /* how long the last recomputation took */
    int64_t last_expiry_ms;  /* 0 = not yet this run */
    bool metrics_dirty;
    int dl_failed; /* dead-letter deliveries that failed this batch */
    int fatal;

    struct pipelined pl;
    int64_t careful_until_ms; /* no pipelining before this (after a duplicate) */
    unsigned pl_checks;

    struct eqm_buf a[8]; /* array parameters, reused */
    char errstr[512];

    /* stats.file only: message timestamps of the batch, for latency. */
    struct eqm_runstats *stats;
    int64_t *batch_ts;
    size_t cap_batch_ts;
    int64_t last_stats_ms;
};

/* ---- PostgreSQL statements ------------------------------------------- */

static int prepare(struct eqm_engine *e, const char *name, const char *sql) {
    PGresult *res = PQprepare(e->conn, name, sql, 0, NULL);
    int ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok)
        eqm_pg_error(e->conn, res, name, e->errstr, sizeof(e->errstr));
    PQclear(res);
    return ok ? 0 : -1;
}

static int prepare_all(struct eqm_engine *e) {
    const struct eqm_service *svc = e->svc;
    struct eqm_buf sql = {0};
    int rc = 0;

    /* Keys and days travel as binary arrays (no text to parse). */
    if (prepare(e, "eqm_dedup",
                "INSERT INTO equality.event_keys (key, event_day, source) "
                "SELECT u.k, u.d, $1 FROM unnest($2::uuid[], $3::date[]) AS u(k, d) "
                "ORDER BY u.k ON CONFLICT DO NOTHING RETURNING key") != 0)
        return -1;
    /* The pipelined form: no event of the batch may have been seen, or the
     * statement fails (unique violation) and takes the batch with it. */
    if (prepare(e, "eqm_dedup_new",
                "INSERT INTO equality.event_keys (key, event_day, source) "
                "SELECT u.k, u.d, $1 FROM unnest($2::uuid[], $3::date[]) AS u(k, d) "
                "ORDER BY u.k") != 0)
        return -1;
    if (prepare(e, "eqm_watermark",
                "INSERT INTO equality.watermarks AS w (source, max_occurred_at) "
                "VALUES ($1, to_timestamp($2::double precision / 1e6)) "
                "ON CONFLICT (source) DO UPDATE SET max_occurred_at = "
                "greatest(w.max_occurred_at, EXCLUDED.max_occurred_at), updated_at = now()") != 0)
        return -1;
    if (prepare(e, "eqm_dead_letters",
                "INSERT INTO equality.dead_letters (topic, partition, kafka_offset, source, "
                "reason_code, reason, payload_bytes) "
                "SELECT $1, u.p, u.o, $2, u.c, u.r, u.b FROM unnest($3::int[], $4::bigint[], "
                "$5::text[], $6::text[], $7::int[]) AS u(p, o, c, r, b) "
                "ON CONFLICT DO NOTHING") != 0)
        return -1;
    /* Fencing: a row advances only from the offset this consumer last saw. */
    if (prepare(e, "eqm_offsets",
                "UPDATE equality.kafka_offsets o SET next_offset = u.next, updated_at = now() "
                "FROM unnest($3::int[], $4::bigint[], $5::bigint[]) AS u(p, next, expected) "
                "WHERE o.consumer_group = $1 AND o.topic = $2 AND o.partition = u.p "
                "AND o.next_offset IS NOT DISTINCT FROM u.expected") != 0)
        return -1;

    /* The counts upserts are built from each table's columns; rows are
     * sorted so that concurrent consumers lock them in the same order. */
    for (int t = 0; t < svc->n_tables; t++) {
        const struct eqm_counts_table *tb = &svc->tables[t];
        char name[32];
        int p = 1;

        eqm_buf_reset(&sql);
        eqm_buf_printf(&sql, "INSERT INTO %s AS t (day", tb->name);
        for (int i = 0; i < tb->n_key_columns; i++)
            eqm_buf_printf(&sql, ", %s", tb->key_columns[i]);
        for (int i = 0; i < tb->n_count_columns; i++)
            eqm_buf_printf(&sql, ", %s", tb->count_columns[i]);
        eqm_buf_printf(&sql, ") SELECT * FROM unnest($%d::date[]", p++);
        for (int i = 0; i < tb->n_key_columns; i++)
            eqm_buf_printf(&sql, ", $%d::text[]", p++);
        for (int i = 0; i < tb->n_count_columns; i++)
            eqm_buf_printf(&sql, ", $%d::bigint[]", p++);
        eqm_buf_printf(&sql, ") ORDER BY 1");
        for (int i = 0; i < tb->n_key_columns; i++)
            eqm_buf_printf(&sql, ", %d", i + 2);
        eqm_buf_printf(&sql, " ON CONFLICT (day");
        for (int i = 0; i < tb->n_key_columns; i++)
            eqm_buf_printf(&sql, ", %s", tb->key_columns[i]);
        eqm_buf_printf(&sql, ") DO UPDATE SET ");
        for (int i = 0; i < tb->n_count_columns; i++)
            eqm_buf_printf(&sql, "%s%s = t.%s + EXCLUDED.%s", i ? ", " : "", tb->count_columns[i],
                           tb->count_columns[i], tb->count_columns[i]);
        if (!sql.data) {
            snprintf(e->errstr, sizeof(e->errstr), "out of memory");
            return -1;
        }
        snprintf(name, sizeof(name), "eqm_counts_%d", t);
        rc = prepare(e, name, sql.data);
        if (rc != 0)
            break;
    }
    eqm_buf_free(&sql);
    return rc;
}

static int pg_connect(struct eqm_engine *e) {
    char app[64];
    PGresult *res;
    const char *params[1] = {e->svc->name};

    if (e->conn)
        PQfinish(e->conn);
    snprintf(app, sizeof(app), "eqm-%s", e->svc->name);
    e->conn = eqm_pg_connect(e->cfg->pg_url, app, e->errstr, sizeof(e->errstr));
    if (!e->conn)
        return -1;
    if (prepare_all(e) != 0)
        return -1;
    res = PQexecParams(e->conn,
                       "SELECT (extract(epoch FROM max_occurred_at) * 1e6)::bigint "
                       "FROM equality.watermarks WHERE source = $1",
                       1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        eqm_pg_error(e->conn, res, "reading watermark", e->errstr, sizeof(e->errstr));
        PQclear(res);
        return -1;
    }
    if (PQntuples(res) == 1)
        e->watermark_us = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return 0;
}

/* Reconnects with back-off until it works or the engine is stopping. */
static int pg_reconnect(struct eqm_engine *e) {
    unsigned delay_ms = 200;
    for (int attempt = 1; eqm_signals_running() || attempt == 1; attempt++) {
        if (pg_connect(e) == 0) {
            eqm_log_info("reconnected to PostgreSQL", "attempt=%d", attempt);
            return 0;
        }
        eqm_log_warn("PostgreSQL unavailable, retrying", "attempt=%d error=%s", attempt,
                     eqm_log_q(e->errstr));
        if (attempt >= 30)
            break;
        usleep(delay_ms * 1000);
        if (delay_ms < 5000)
            delay_ms *= 2;
    }
    return -1;
}

/* ---- partitions ------------------------------------------------------- */

static struct part_state *part_find(struct eqm_engine *e, int32_t partition) {
    for (int i = 0; i < e->n_parts; i++)
        if (e->parts[i].partition == partition)
            return &e->parts[i];
    return NULL;
}

/*
 * Reads (creating where missing) the stored offsets of the given
 * partitions and fills list offsets for rd_kafka_assign().
 */
static int load_offsets(struct eqm_engine *e, rd_kafka_topic_partition_list_t *list) {
    const char *params[3];
    PGresult *res = NULL;
    int ret = -1;

    eqm_pg_array_begin(&e->a[0]);
    for (int i = 0; i < list->cnt; i++)
        eqm_pg_array_int(&e->a[0], list->elems[i].partition);
    if (eqm_pg_array_end(&e->a[0]) != 0) {
        snprintf(e->errstr, sizeof(e->errstr), "out of memory");
        goto out;
    }
    params[0] = e->ecfg->group_id;
    params[1] = e->ecfg->topic;
    params[2] = e->a[0].data;

    res = PQexecParams(e->conn,
                       "INSERT INTO equality.kafka_offsets (consumer_group, topic, partition) "
                       "SELECT $1, $2, p FROM unnest($3::int[]) AS p ON CONFLICT DO NOTHING",
                       3, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        eqm_pg_error(e->conn, res, "creating offset rows", e->errstr, sizeof(e->errstr));
        goto out;
    }
    PQclear(res);
    res = PQexecParams(e->conn,
                       "SELECT partition, next_offset FROM equality.kafka_offsets "
                       "WHERE consumer_group = $1 AND topic = $2 AND partition = ANY($3::int[])",
                       3, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        eqm_pg_error(e->conn, res, "reading offsets", e->errstr, sizeof(e->errstr));
        goto out;
    }
    if (e->cap_parts < list->cnt) {
        struct part_state *np = realloc(e->parts, (size_t)list->cnt * sizeof(*np));
        if (!np)
            goto out;
        e->parts = np;
        e->cap_parts = list->cnt;
    }
    e->n_parts = 0;
    for (int i = 0; i < list->cnt; i++) {
        rd_kafka_topic_partition_t *tp = &list->elems[i];
        int64_t committed = -1;
        for (int r = 0; r < PQntuples(res); r++) {
            if (atoi(PQgetvalue(res, r, 0)) == tp->partition && !PQgetisnull(res, r, 1))
                committed = strtoll(PQgetvalue(res, r, 1), NULL, 10);
        }
        tp->offset = committed >= 0 ? committed : RD_KAFKA_OFFSET_BEGINNING;
        e->parts[e->n_parts++] = (struct part_state){tp->partition, committed, -1, -1};
    }
    ret = 0;
out:
    PQclear(res);
    return ret;
}

/* Rereads the stored offsets of the partitions held. */
static int reload_offsets(struct eqm_engine *e) {
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(e->n_parts);
    int rc;
    for (int i = 0; i < e->n_parts; i++)
        rd_kafka_topic_partition_list_add(list, e->ecfg->topic, e->parts[i].partition);
    rc = list->cnt > 0 ? load_offsets(e, list) : 0;
    rd_kafka_topic_partition_list_destroy(list);
    return rc;
}

/* Puts every partition back at its committed offset: used after a batch
 * had to be abandoned, so that its messages are read again. */
static void rewind_partitions(struct eqm_engine *e) {
    rd_kafka_topic_partition_list_t *list;
    rd_kafka_error_t *err;

    if (e->n_parts == 0)
        return;
    list = rd_kafka_topic_partition_list_new(e->n_parts);
    for (int i = 0; i < e->n_parts; i++) {
        rd_kafka_topic_partition_t *tp =
            rd_kafka_topic_partition_list_add(list, e->ecfg->topic, e->parts[i].partition);
        tp->offset = e->parts[i].committed >= 0 ? e->parts[i].committed : RD_KAFKA_OFFSET_BEGINNING;
        e->parts[i].next = -1;
    }
    err = rd_kafka_seek_partitions(e->rk, list, 10000);
    if (err) {
        eqm_log_error("cannot rewind partitions", "error=%s",
                      eqm_log_q(rd_kafka_error_string(err)));
        rd_kafka_error_destroy(err);
        e->fatal = 1;
    }
    rd_kafka_topic_partition_list_destroy(list);
}

/* ---- the batch -------------------------------------------------------- */

static void batch_reset(struct eqm_engine *e) {
    arena_reset(&e->arena);
    e->n_slots = e->n_incs = e->n_pool = e->n_events = e->n_dls = e->n_messages = 0;
    if (e->slot_index)
        memset(e->slot_index, 0, e->index_cap * sizeof(*e->slot_index));
    if (e->id_index)
        memset(e->id_index, 0, e->id_index_cap * sizeof(*e->id_index));
    for (int i = 0; i < e->n_parts; i++)
        e->parts[i].next = -1;
    e->dl_failed = 0;
}

static uint64_t slot_hash(int table, int32_t day, const char *const *parts, int n) {
    uint64_t h = fnv1a(FNV_OFFSET, &table, sizeof(table));
    h = fnv1a(h, &day, sizeof(day));
    for (int i = 0; i < n; i++)
        h = fnv1a(h, parts[i], strlen(parts[i]) + 1);
    return h;
}

static int index_grow(uint32_t **index, size_t *cap, size_t want) {
    size_t ncap = *cap ? *cap : 1024;
    uint32_t *ni;
    while (ncap < want * 2)
        ncap *= 2;
    if (ncap == *cap)
        return 0;
    ni = calloc(ncap, sizeof(*ni));
    if (!ni)
        return -1;
    free(*index);
    *index = ni;
    *cap = ncap;
    return 1; /* rebuilt: caller re-inserts */
}

static void slot_index_put(struct eqm_engine *e, uint32_t s) {
    size_t mask = e->index_cap - 1, i = e->slots[s].hash & mask;
    while (e->slot_index[i])
        i = (i + 1) & mask;
    e->slot_index[i] = s + 1;
}

/* Finds or creates the slot for (table, day, parts). Returns its number
 * or -1. */
static long slot_get(struct eqm_engine *e, int table, int32_t day, const char *const *parts) {
    int n = e->svc->tables[table].n_key_columns;
    uint64_t h = slot_hash(table, day, parts, n);
    size_t mask, i;
    struct slot *s;

    if (e->n_slots + 1 > e->index_cap / 2) {
        int rc = index_grow(&e->slot_index, &e->index_cap, e->n_slots + 1);
        if (rc < 0)
            return -1;
        if (rc > 0)
            for (size_t k = 0; k < e->n_slots; k++)
                slot_index_put(e, (uint32_t)k);
    }
    mask = e->index_cap - 1;
    for (i = h & mask; e->slot_index[i]; i = (i + 1) & mask) {
        struct slot *c = &e->slots[e->slot_index[i] - 1];
        int k;
        if (c->hash != h || c->day != day || c->table != table)
            continue;
        for (k = 0; k < n && !strcmp(c->parts[k], parts[k]); k++)
            ;
        if (k == n)
            return (long)(e->slot_index[i] - 1);
    }
    if (e->n_slots == e->cap_slots) {
        size_t cap = e->cap_slots ? e->cap_slots * 2 : 256;
        struct slot *ns = realloc(e->slots, cap * sizeof(*ns));
        int64_t *nc;
        if (!ns)
            return -1;
        e->slots = ns;
        nc = realloc(e->slot_counts, cap * (size_t)e->stride * sizeof(*nc));
        if (!nc)
            return -1;
        e->slot_counts = nc;
        e->cap_slots = cap;
    }
    s = &e->slots[e->n_slots];
    memset(s, 0, sizeof(*s));
    s->table = table;
    s->day = day;
    s->hash = h;
    for (int k = 0; k < n; k++)
        if (!(s->parts[k] = arena_strdup(&e->arena, parts[k], strlen(parts[k]))))
            return -1;
    e->slot_index[i] = (uint32_t)e->n_slots + 1;
    return (long)e->n_slots++;
}

/* The key is already a good hash: its first 8 bytes will do. */
static uint64_t key_hash(const unsigned char *key) {
    uint64_t h;
    memcpy(&h, key, sizeof(h));
    return h;
}

/* Marks an event the first of its key in the batch (or not). */
static int id_index_add(struct eqm_engine *e, size_t ev) {
    size_t mask, i;
    uint64_t h = key_hash(e->events[ev].key);

    if (e->n_events + 1 > e->id_index_cap / 2) {
        int rc = index_grow(&e->id_index, &e->id_index_cap, e->n_events + 1);
        if (rc < 0)
            return -1;
        if (rc > 0) {
            for (size_t k = 0; k < ev; k++) {
                if (!e->events[k].candidate)
                    continue;
                uint64_t hk = key_hash(e->events[k].key);
                size_t j = hk & (e->id_index_cap - 1);
                while (e->id_index[j])
                    j = (j + 1) & (e->id_index_cap - 1);
                e->id_index[j] = (uint32_t)k + 1;
            }
        }
    }
    mask = e->id_index_cap - 1;
    for (i = h & mask; e->id_index[i]; i = (i + 1) & mask) {
        if (!memcmp(e->events[e->id_index[i] - 1].key, e->events[ev].key, 16)) {
            e->events[ev].candidate = false;
            return 0;
        }
    }
    e->id_index[i] = (uint32_t)ev + 1;
    e->events[ev].candidate = true;
    return 0;
}

static long id_index_find(struct eqm_engine *e, const unsigned char *key) {
    size_t mask, i;
    uint64_t h = key_hash(key);
    if (!e->id_index_cap)
        return -1;
    mask = e->id_index_cap - 1;
    for (i = h & mask; e->id_index[i]; i = (i + 1) & mask)
        if (!memcmp(e->events[e->id_index[i] - 1].key, key, 16))
            return (long)(e->id_index[i] - 1);
    return -1;
}

/* ---- dead letters ----------------------------------------------------- */

static void dlq_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque) {
    struct eqm_engine *e = opaque;
    (void)rk;
    if (rkm->err) {
        e->dl_failed++;
        eqm_log_error("dead letter not delivered", "error=%s",
                      eqm_log_q(rd_kafka_err2str(rkm->err)));
    }
}

/* Producer-side limit for dead letters; larger payloads are cut here and
 * say so in a header (the input topic's own limit is usually lower). */
#define DLQ_MAX_PAYLOAD (9 * 1024 * 1024)

static int dead_letter(struct eqm_engine *e, const rd_kafka_message_t *rkm,
                       const struct eqm_reject *rej) {
    struct dead_letter *d;
    char part[16], off[24], size[24], now[32];
    const char *topic = rd_kafka_topic_name(rkm->rkt);
    size_t len = rkm->len > DLQ_MAX_PAYLOAD ? DLQ_MAX_PAYLOAD : rkm->len;
    const char *truncated = len < rkm->len ? "true" : "false";
    rd_kafka_resp_err_t err;
    struct part_state *ps = part_find(e, rkm->partition);

    /* Read again after an abandoned batch: the row in dead_letters went
     * with that batch, but the message is already on the topic. */
    if (ps && rkm->offset <= ps->dl_sent)
        goto record;
    eqm_log_warn("dead letter", "topic=%s partition=%d offset=%lld code=%s reason=%s", topic,
                 (int)rkm->partition, (long long)rkm->offset, rej->code, eqm_log_q(rej->reason));
    snprintf(part, sizeof(part), "%d", (int)rkm->partition);
    snprintf(off, sizeof(off), "%lld", (long long)rkm->offset);
    snprintf(size, sizeof(size), "%zu", rkm->len);
    snprintf(now, sizeof(now), "%lld", (long long)(eqm_time_now_us() / 1000));

    /* The original bytes travel as the value, untouched; what went wrong
     * and where it came from travel as headers. Keyed by source topic. */
    err = rd_kafka_producev(
        e->dlq, RD_KAFKA_V_TOPIC(e->ecfg->dead_letter_topic), RD_KAFKA_V_KEY(topic, strlen(topic)),
        RD_KAFKA_V_VALUE(rkm->payload, len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_HEADER("eqm-source-topic", topic, -1),
        RD_KAFKA_V_HEADER("eqm-source-partition", part, -1),
        RD_KAFKA_V_HEADER("eqm-source-offset", off, -1),
        RD_KAFKA_V_HEADER("eqm-reason-code", rej->code, -1),
        RD_KAFKA_V_HEADER("eqm-reason", rej->reason, -1),
        RD_KAFKA_V_HEADER("eqm-service", e->svc->name, -1),
        RD_KAFKA_V_HEADER("eqm-original-bytes", size, -1),
        RD_KAFKA_V_HEADER("eqm-rejected-at-ms", now, -1),
        RD_KAFKA_V_HEADER("eqm-truncated", truncated, -1), RD_KAFKA_V_END);
    if (err) {
        eqm_log_error("cannot queue dead letter", "error=%s", eqm_log_q(rd_kafka_err2str(err)));
        e->dl_failed++;
    }
    rd_kafka_poll(e->dlq, 0);

record:
    if (e->n_dls == e->cap_dls) {
        size_t cap = e->cap_dls ? e->cap_dls * 2 : 64;
        struct dead_letter *nd = realloc(e->dls, cap * sizeof(*nd));
        if (!nd)
            return -1;
        e->dls = nd;
        e->cap_dls = cap;
    }
    d = &e->dls[e->n_dls];
    d->partition = rkm->partition;
    d->offset = rkm->offset;
    d->code = rej->code; /* static strings */
    d->reason = arena_strdup(&e->arena, rej->reason, strlen(rej->reason));
    d->bytes = rkm->len > INT32_MAX ? INT32_MAX : (int32_t)rkm->len;
    if (!d->reason)
        return -1;
    e->n_dls++;
    return 0;
}

/* ---- one message ------------------------------------------------------ */

static int add_event(struct eqm_engine *e, const struct eqm_envelope *env) {
    struct event_rec *ev;
    size_t rows = eqm_sink_collect_rows(e->sink);

    if (e->n_events == e->cap_events) {
        size_t cap = e->cap_events ? e->cap_events * 2 : 1024;
        struct event_rec *ne = realloc(e->events, cap * sizeof(*ne));
        if (!ne)
            return -1;
        e->events = ne;
        e->cap_events = cap;
    }
    if (e->n_incs + rows > e->cap_incs) {
        size_t cap = e->cap_incs ? e->cap_incs : 4096;
        struct inc *ni;
        while (cap < e->n_incs + rows)
            cap *= 2;
        ni = realloc(e->incs, cap * sizeof(*ni));
        if (!ni)
            return -1;
        e->incs = ni;
        e->cap_incs = cap;
    }
    ev = &e->events[e->n_events];
    {
        struct eqm_md5 m;
        eqm_md5_init(&m);
        eqm_md5_update(&m, e->svc->name, strlen(e->svc->name));
        eqm_md5_update(&m, ":", 1);
        eqm_md5_update(&m, env->event_id, strlen(env->event_id));
        eqm_md5_final(&m, ev->key);
    }
    ev->day = env->day;
    ev->occurred_us = env->occurred_us;
    ev->inc_first = (uint32_t)e->n_incs;
    ev->inc_n = (uint32_t)rows;
    ev->is_new = false;
    for (size_t r = 0, last_off = 0, last_nc = 0; r < rows; r++) {
        const char *const *parts;
        const int64_t *counts;
        int table = eqm_sink_collect_row(e->sink, r, &parts, &counts);
        size_t nc = (size_t)e->svc->tables[table].n_count_columns;
        long s;

        if (e->n_pool + nc > e->cap_pool) {
            size_t cap = e->cap_pool ? e->cap_pool : 16384;
            int64_t *np;
            while (cap < e->n_pool + nc)
                cap *= 2;
            np = realloc(e->pool, cap * sizeof(*np));
            if (!np)
                return -1;
            e->pool = np;
            e->cap_pool = cap;
        }
        s = slot_get(e, table, env->day, parts);
        if (s < 0)
            return -1;
        e->incs[e->n_incs].slot = (uint32_t)s;
        /* An event usually adds the same counts to all its rows (one per
         * area and dimension): keep them once. */
        if (r > 0 && nc == last_nc && !memcmp(e->pool + last_off, counts, nc * sizeof(int64_t))) {
            e->incs[e->n_incs].pool_off = (uint32_t)last_off;
        } else {
            e->incs[e->n_incs].pool_off = (uint32_t)e->n_pool;
            memcpy(e->pool + e->n_pool, counts, nc * sizeof(int64_t));
            last_off = e->n_pool;
            last_nc = nc;
            e->n_pool += nc;
        }
        e->n_incs++;
    }
    if (id_index_add(e, e->n_events) != 0)
        return -1;
    e->n_events++;
    return 0;
}

/* Too old to de-duplicate: counting it could count it twice. */
static int beyond_horizon(const struct eqm_engine *e, const struct eqm_envelope *env) {
    long h = e->ecfg->dedup_horizon_days;
    if (h <= 0 || e->watermark_us == 0)
        return 0;
    return env->day < eqm_time_local_day(e->watermark_us) - h;
}

/* Keeps the message's producer timestamp for the produce-to-commit latency. */
static int stats_message(struct eqm_engine *e, const rd_kafka_message_t *rkm) {
    if (e->n_messages > e->cap_batch_ts) {
        size_t cap = e->cap_batch_ts ? e->cap_batch_ts * 2 : 1024;
        int64_t *nt = realloc(e->batch_ts, cap * sizeof(*nt));
        if (!nt)
            return -1;
        e->batch_ts = nt;
        e->cap_batch_ts = cap;
    }
    e->batch_ts[e->n_messages - 1] = rd_kafka_message_timestamp(rkm, NULL);
    if (e->stats->first_message_us == 0)
        e->stats->first_message_us = eqm_time_now_us();
    return 0;
}

static void stats_write(struct eqm_engine *e) {
    e->last_stats_ms = eqm_time_mono_ms();
    if (eqm_runstats_write(e->stats, e->ecfg->stats_file) != 0)
        eqm_log_warn("cannot write stats file", "path=%s error=%s", eqm_log_q(e->ecfg->stats_file),
                     eqm_log_q(strerror(errno)));
}

static int handle_message(struct eqm_engine *e, const rd_kafka_message_t *rkm) {
    struct eqm_reject rej = {0};
    struct eqm_envelope env;
    struct part_state *ps = part_find(e, rkm->partition);
    json_t *event = NULL;
    int rc;

    if (!ps) {
        /* A message from a partition we no longer hold: the new owner
         * will read it from the stored offset. */
        eqm_log_debug("message for unassigned partition ignored", "partition=%d offset=%lld",
                      (int)rkm->partition, (long long)rkm->offset);
        return 0;
    }
    if (e->n_messages == 0) {
        int64_t now = eqm_time_mono_ms();
        e->batch_started_ms = e->batch_read_ms = now;
        /* Back from a stall longer than a batch: what is queued is already
         * as old as a batch may get, so take it now (see the loop) rather
         * than make it wait one batch.max.ms more. */
        if (e->stalled_since_ms > 0 && now - e->stalled_since_ms >= e->ecfg->batch_max_ms)
            e->batch_started_ms = e->stalled_since_ms;
        e->stalled_since_ms = 0;
    }
    e->n_messages++;
    ps->next = rkm->offset + 1;
    if (e->stats && stats_message(e, rkm) != 0)
        return -1;

    rc = eqm_message_parse(rkm->payload, rkm->len, e->ecfg->max_message_bytes, eqm_time_now_us(),
                           e->ecfg->max_future_skew_s, &event, &env, &rej);
    if (rc == 0 && beyond_horizon(e, &env)) {
        rej.code = "older_than_dedup_horizon";
        snprintf(rej.reason, sizeof(rej.reason),
                 "event of %.32s is more than %ld days older than the newest event; it cannot "
                 "be de-duplicated (raise dedup.horizon.days to accept it)",
                 json_string_value(json_object_get(event, "occurred_at")),
                 e->ecfg->dedup_horizon_days);
        rc = -1;
    }
    if (rc == 0) {
        eqm_sink_collect_reset(e->sink);
        rc = e->svc->handle(&env, event, e->ecfg->force_area, e->sink, &rej);
        if (rc == 0)
            rc = add_event(e, &env) == 0 ? 0 : -2;
    }
    json_decref(event);
    if (rc == -2) {
        eqm_log_error("out of memory", "%s", "");
        return -1;
    }
    if (rc != 0)
        return dead_letter(e, rkm, &rej);
    return 0;
}

/* ---- commit ----------------------------------------------------------- */

enum commit_result { COMMIT_OK = 0, COMMIT_RETRY = 1, COMMIT_FAILED = 2, COMMIT_FENCED = 3 };

static enum commit_result pg_fail(struct eqm_engine *e, PGresult *res, const char *what) {
    enum commit_result r = eqm_pg_retryable(e->conn, res) ? COMMIT_RETRY : COMMIT_FAILED;
    eqm_pg_error(e->conn, res, what, e->errstr, sizeof(e->errstr));
    PQclear(res);
    if (PQstatus(e->conn) == CONNECTION_OK)
        PQclear(PQexec(e->conn, "ROLLBACK"));
    return r;
}

static bool pipelining(const struct eqm_engine *e) {
    return PQpipelineStatus(e->conn) != PQ_PIPELINE_OFF;
}

/* In pipeline mode, queues the statement (its result is read later, by
 * pipeline_collect()); otherwise runs it. lengths and formats as for
 * PQexecPrepared (NULL: all text); binary asks for a binary result. */
static enum commit_result exec_prepared_fmt(struct eqm_engine *e, const char *name, int n,
                                            const char *const *params, const int *lengths,
                                            const int *formats, int binary, const char *what,
                                            PGresult **out) {
    PGresult *res;
    ExecStatusType st;

    if (pipelining(e)) {
        if (!PQsendQueryPrepared(e->conn, name, n, params, lengths, formats, binary)) {
            eqm_pg_error(e->conn, NULL, what, e->errstr, sizeof(e->errstr));
            return COMMIT_RETRY;
        }
        e->pl.n_sent++;
        if (out)
            *out = NULL;
        return COMMIT_OK;
    }
    res = PQexecPrepared(e->conn, name, n, params, lengths, formats, binary);
    st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        return pg_fail(e, res, what);
    if (out)
        *out = res;
    else
        PQclear(res);
    return COMMIT_OK;
}

static enum commit_result exec_prepared(struct eqm_engine *e, const char *name, int n,
                                        const char *const *params, const char *what,
                                        PGresult **out) {
    return exec_prepared_fmt(e, name, n, params, NULL, NULL, 0, what, out);
}

/* PostgreSQL's binary array format (array_recv): one dimension, no NULLs,
 * big-endian integers; the element count is filled in by bin_array_end(). */
#define OID_INT8 20
#define OID_TEXT 25
#define OID_DATE 1082
#define OID_UUID 2950
/* Days since 1970-01-01 -> PostgreSQL's date: days since 2000-01-01. */
#define PG_DATE_EPOCH_DAYS 10957

static int bin_u32(struct eqm_buf *b, uint32_t v) {
    char be[4] = {(char)(v >> 24), (char)(v >> 16), (char)(v >> 8), (char)v};
    return eqm_buf_append(b, be, sizeof(be));
}

static int bin_array_begin(struct eqm_buf *b, uint32_t elem_oid) {
    eqm_buf_reset(b);
    return bin_u32(b, 1) | bin_u32(b, 0) | bin_u32(b, elem_oid) | bin_u32(b, 0) | bin_u32(b, 1);
}

static int bin_array_elem(struct eqm_buf *b, const void *p, uint32_t n) {
    return bin_u32(b, n) | eqm_buf_append(b, p, n);
}

static void bin_array_end(struct eqm_buf *b, uint32_t count) {
    unsigned char *d = (unsigned char *)b->data + 12;
    d[0] = (unsigned char)(count >> 24);
    d[1] = (unsigned char)(count >> 16);
    d[2] = (unsigned char)(count >> 8);
    d[3] = (unsigned char)count;
}

static enum commit_result run_dedup(struct eqm_engine *e) {
    const char *params[3];
    int lengths[3] = {0}, formats[3] = {0, 1, 1};
    PGresult *res = NULL;
    enum commit_result r;
    uint32_t cand = 0;
    int err;

    err = bin_array_begin(&e->a[0], OID_UUID) | bin_array_begin(&e->a[1], OID_DATE);
    for (size_t i = 0; i < e->n_events; i++) {
        uint32_t day;
        e->events[i].is_new = false;
        if (!e->events[i].candidate)
            continue;
        day = (uint32_t)(e->events[i].day - PG_DATE_EPOCH_DAYS);
        err |= bin_array_elem(&e->a[0], e->events[i].key, 16);
        err |= bin_u32(&e->a[1], 4) | bin_u32(&e->a[1], day);
        cand++;
    }
    if (err) {
        snprintf(e->errstr, sizeof(e->errstr), "out of memory");
        return COMMIT_FAILED;
    }
    if (cand == 0)
        return COMMIT_OK;
    bin_array_end(&e->a[0], cand);
    bin_array_end(&e->a[1], cand);
    params[0] = e->svc->name;
    params[1] = e->a[0].data;
    params[2] = e->a[1].data;
    lengths[1] = (int)e->a[0].len;
    lengths[2] = (int)e->a[1].len;
    if (pipelining(e)) {
        /* Optimistic: every candidate is new, or the transaction fails. */
        for (size_t i = 0; i < e->n_events; i++)
            e->events[i].is_new = e->events[i].candidate;
        return exec_prepared_fmt(e, "eqm_dedup_new", 3, params, lengths, formats, 0,
                                 "recording event keys", NULL);
    }
    r = exec_prepared_fmt(e, "eqm_dedup", 3, params, lengths, formats, 1, "recording event keys",
                          &res);
    if (r != COMMIT_OK)
        return r;
    for (int i = 0; i < PQntuples(res); i++) {
        long ev = PQgetlength(res, i, 0) == 16
                      ? id_index_find(e, (const unsigned char *)PQgetvalue(res, i, 0))
                      : -1;
        if (ev >= 0)
            e->events[ev].is_new = true;
    }
    PQclear(res);
    return COMMIT_OK;
}

static enum commit_result run_counts(struct eqm_engine *e, size_t *rows) {
    const struct eqm_service *svc = e->svc;
    struct eqm_buf bufs[1 + EQM_MAX_KEY_PARTS + EQM_MAX_COUNTS];
    const char *params[1 + EQM_MAX_KEY_PARTS + EQM_MAX_COUNTS];
    int lengths[1 + EQM_MAX_KEY_PARTS + EQM_MAX_COUNTS];
    int formats[1 + EQM_MAX_KEY_PARTS + EQM_MAX_COUNTS];
    enum commit_result r = COMMIT_OK;

    /* Aggregate from scratch: a retried transaction must not add twice. */
    if (e->n_slots > 0)
        memset(e->slot_counts, 0, e->n_slots * (size_t)e->stride * sizeof(*e->slot_counts));
    for (size_t i = 0; i < e->n_events; i++) {
        const struct event_rec *ev = &e->events[i];
        if (!ev->is_new)
            continue;
        for (uint32_t k = 0; k < ev->inc_n; k++) {
            const struct inc *in = &e->incs[ev->inc_first + k];
            const struct slot *sl = &e->slots[in->slot];
            int64_t *sum = e->slot_counts + (size_t)in->slot * (size_t)e->stride;
            const int64_t *c = e->pool + in->pool_off;
            for (int j = 0; j < svc->tables[sl->table].n_count_columns; j++)
                sum[j] += c[j];
        }
    }
    memset(bufs, 0, sizeof(bufs));
    *rows = 0;
    /* One multi-row upsert per table, its columns as binary arrays. */
    for (int t = 0; t < svc->n_tables && r == COMMIT_OK; t++) {
        const struct eqm_counts_table *tb = &svc->tables[t];
        int nk = tb->n_key_columns, np = 1 + nk + tb->n_count_columns;
        uint32_t n = 0;
        char name[32];
        int err = bin_array_begin(&bufs[0], OID_DATE);

        for (int p = 1; p < np; p++)
            err |= bin_array_begin(&bufs[p], p <= nk ? OID_TEXT : OID_INT8);
        for (size_t s = 0; s < e->n_slots; s++) {
            const struct slot *sl = &e->slots[s];
            const int64_t *sum = e->slot_counts + s * (size_t)e->stride;
            bool any = false;
            if (sl->table != t)
                continue;
            for (int c = 0; c < tb->n_count_columns; c++)
                any |= sum[c] != 0;
            if (!any)
                continue;
            err |=
                bin_u32(&bufs[0], 4) | bin_u32(&bufs[0], (uint32_t)(sl->day - PG_DATE_EPOCH_DAYS));
            for (int k = 0; k < nk; k++)
                err |= bin_array_elem(&bufs[1 + k], sl->parts[k], (uint32_t)strlen(sl->parts[k]));
            for (int c = 0; c < tb->n_count_columns; c++) {
                struct eqm_buf *b = &bufs[1 + nk + c];
                uint64_t v = (uint64_t)sum[c];
                err |= bin_u32(b, 8) | bin_u32(b, (uint32_t)(v >> 32)) | bin_u32(b, (uint32_t)v);
            }
            n++;
        }
        if (err) {
            snprintf(e->errstr, sizeof(e->errstr), "out of memory");
            r = COMMIT_FAILED;
            break;
        }
        for (int p = 0; p < np; p++) {
            bin_array_end(&bufs[p], n);
            params[p] = bufs[p].data;
            lengths[p] = (int)bufs[p].len;
            formats[p] = 1;
        }
        snprintf(name, sizeof(name), "eqm_counts_%d", t);
        if (n > 0)
            r = exec_prepared_fmt(e, name, np, params, lengths, formats, 0, "adding counts", NULL);
        *rows += n;
    }
    for (size_t p = 0; p < sizeof(bufs) / sizeof(bufs[0]); p++)
        eqm_buf_free(&bufs[p]);
    return r;
}

static enum commit_result run_dead_letters(struct eqm_engine *e) {
    const char *params[7];
    if (e->n_dls == 0)
        return COMMIT_OK;
    for (int b = 2; b < 7; b++)
        eqm_pg_array_begin(&e->a[b]);
    for (size_t i = 0; i < e->n_dls; i++) {
        const struct dead_letter *d = &e->dls[i];
        eqm_pg_array_int(&e->a[2], d->partition);
        eqm_pg_array_int(&e->a[3], d->offset);
        eqm_pg_array_text(&e->a[4], d->code, strlen(d->code));
        eqm_pg_array_text(&e->a[5], d->reason, strlen(d->reason));
        eqm_pg_array_int(&e->a[6], d->bytes);
    }
    for (int b = 2; b < 7; b++) {
        if (eqm_pg_array_end(&e->a[b]) != 0) {
            snprintf(e->errstr, sizeof(e->errstr), "out of memory");
            return COMMIT_FAILED;
        }
        params[b] = e->a[b].data;
    }
    params[0] = e->ecfg->topic;
    params[1] = e->svc->name;
    return exec_prepared(e, "eqm_dead_letters", 7, params, "recording dead letters", NULL);
}

static enum commit_result run_offsets(struct eqm_engine *e) {
    const char *params[5];
    PGresult *res = NULL;
    enum commit_result r;
    int n = 0;

    eqm_pg_array_begin(&e->a[2]);
    eqm_pg_array_begin(&e->a[3]);
    eqm_pg_array_begin(&e->a[4]);
    for (int i = 0; i < e->n_parts; i++) {
        const struct part_state *ps = &e->parts[i];
        if (ps->next < 0)
            continue;
        eqm_pg_array_int(&e->a[2], ps->partition);
        eqm_pg_array_int(&e->a[3], ps->next);
        if (ps->committed >= 0)
            eqm_pg_array_int(&e->a[4], ps->committed);
        else
            eqm_pg_array_text(&e->a[4], NULL, 0);
        n++;
    }
    if (eqm_pg_array_end(&e->a[2]) | eqm_pg_array_end(&e->a[3]) | eqm_pg_array_end(&e->a[4])) {
        snprintf(e->errstr, sizeof(e->errstr), "out of memory");
        return COMMIT_FAILED;
    }
    if (n == 0)
        return COMMIT_OK;
    params[0] = e->ecfg->group_id;
    params[1] = e->ecfg->topic;
    params[2] = e->a[2].data;
    params[3] = e->a[3].data;
    params[4] = e->a[4].data;
    if (pipelining(e)) {
        /* Checked, before COMMIT, when the results are read. */
        e->pl.offsets_q = e->pl.n_sent;
        e->pl.offsets_n = n;
        return exec_prepared(e, "eqm_offsets", 5, params, "advancing offsets", NULL);
    }
    r = exec_prepared(e, "eqm_offsets", 5, params, "advancing offsets", &res);
    if (r != COMMIT_OK)
        return r;
    if (atoi(PQcmdTuples(res)) != n) {
        snprintf(e->errstr, sizeof(e->errstr),
                 "stored offsets moved under us (%s of %d partitions matched): another consumer "
                 "owns them now",
                 PQcmdTuples(res), n);
        PQclear(res);
        PQclear(PQexec(e->conn, "ROLLBACK"));
        return COMMIT_FENCED;
    }
    PQclear(res);
    return COMMIT_OK;
}

static bool metrics_due(const struct eqm_engine *e, bool force) {
    int64_t interval = e->ecfg->metrics_interval_ms;
    if (e->svc->n_measures == 0 && !e->svc->recompute)
        return false;
    /* Nothing new: only the alert timer (reminders are due by the clock). */
    if (!e->metrics_dirty)
        return e->rules && eqm_time_mono_ms() - e->last_metrics_ms >= EQM_ALERTS_TIMER_MS;
    /* Figures are recomputed over whole windows, which costs more as the
     * count tables grow, and hold up the events behind them: under load,
     * spend at most metrics.max.share of the time on them (an idle or
     * stopping consumer still brings them up to date). */
    double stretch = 1.0 / e->ecfg->metrics_max_share - 1.0;
    if ((double)interval < stretch * (double)e->metrics_cost_ms)
        interval = (int64_t)(stretch * (double)e->metrics_cost_ms);
    return force || eqm_time_mono_ms() - e->last_metrics_ms >= interval;
}

static enum commit_result run_metrics(struct eqm_engine *e) {
    int64_t t0 = eqm_time_mono_ms();
    int rows = e->svc->recompute
                   ? e->svc->recompute(e->conn, e->svc, &e->scope, e->errstr, sizeof(e->errstr))
                   : eqm_metrics_recompute(e->conn, e->svc, &e->scope, e->errstr, sizeof(e->errstr));
    if (rows < 0) {
        enum commit_result r = eqm_pg_retryable(e->conn, NULL) ? COMMIT_RETRY : COMMIT_FAILED;
        if (PQstatus(e->conn) == CONNECTION_OK)
            PQclear(PQexec(e->conn, "ROLLBACK"));
        return r;
    }
    /* Alerts judge the figures just written, in the same transaction: a
     * state change and the figures behind it commit together. */
    if (e->rules) {
        int alerts = eqm_alerts_evaluate(e->conn, e->rules, e->svc->name, eqm_time_now_us(),
                                         e->errstr, sizeof(e->errstr));
        if (alerts < 0) {
            enum commit_result r = eqm_pg_retryable(e->conn, NULL) ? COMMIT_RETRY : COMMIT_FAILED;
            if (PQstatus(e->conn) == CONNECTION_OK)
                PQclear(PQexec(e->conn, "ROLLBACK"));
            return r;
        }
        if (alerts > 0)
            eqm_log_info("alert state changed", "outbox_rows=%d", alerts);
    }
    e->metrics_cost_ms = eqm_time_mono_ms() - t0;
    eqm_log_debug("figures recomputed", "rows=%d ms=%lld", rows, (long long)e->metrics_cost_ms);
    return COMMIT_OK;
}

/* One transaction: ids, counts, watermark, dead letters, offsets, and the
 * figures when they are due. Pipelined (never with the figures), the
 * statements are only sent, up to the offsets: pipeline_collect() reads
 * their results and commits. */
static enum commit_result commit_once(struct eqm_engine *e, bool with_metrics, bool pipelined,
                                      size_t *n_new, size_t *rows) {
    enum commit_result r;
    int64_t max_us = 0;
    PGresult *res;

    *n_new = 0;
    *rows = 0;
    if (pipelined) {
        struct pipelined *pl = &e->pl;
        pl->n_sent = pl->n_done = pl->offsets_n = 0;
        pl->offsets_q = pl->offsets_matched = -1;
        pl->failed = false;
        pl->sqlstate[0] = pl->err[0] = '\0';
        if (!PQenterPipelineMode(e->conn) || PQsetnonblocking(e->conn, 1) != 0 ||
            !PQsendQueryParams(e->conn, "BEGIN", 0, NULL, NULL, NULL, NULL, 0)) {
            eqm_pg_error(e->conn, NULL, "BEGIN", e->errstr, sizeof(e->errstr));
            return COMMIT_RETRY;
        }
        pl->n_sent = 1;
    } else {
        res = PQexec(e->conn, "BEGIN");
        if (PQresultStatus(res) != PGRES_COMMAND_OK)
            return pg_fail(e, res, "BEGIN");
        PQclear(res);
    }
    if ((r = run_dedup(e)) != COMMIT_OK)
        return r;
    for (size_t i = 0; i < e->n_events; i++) {
        if (e->events[i].is_new) {
            (*n_new)++;
            if (e->events[i].occurred_us > max_us)
                max_us = e->events[i].occurred_us;
        }
    }
    if ((r = run_counts(e, rows)) != COMMIT_OK)
        return r;
    if (max_us > e->watermark_us) {
        char src_us[24];
        const char *params[2] = {e->svc->name, src_us};
        snprintf(src_us, sizeof(src_us), "%lld", (long long)max_us);
        if ((r = exec_prepared(e, "eqm_watermark", 2, params, "advancing watermark", NULL)) !=
            COMMIT_OK)
            return r;
    }
    if ((r = run_dead_letters(e)) != COMMIT_OK)
        return r;
    if ((r = run_offsets(e)) != COMMIT_OK)
        return r;
    if (pipelined) {
        if (!PQpipelineSync(e->conn) || PQflush(e->conn) < 0) {
            eqm_pg_error(e->conn, NULL, "sending batch", e->errstr, sizeof(e->errstr));
            return COMMIT_RETRY;
        }
        e->pl.max_us = max_us;
        return COMMIT_OK;
    }
    if (with_metrics && (r = run_metrics(e)) != COMMIT_OK)
        return r;
    res = PQexec(e->conn, "COMMIT");
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        return pg_fail(e, res, "COMMIT");
    PQclear(res);
    if (max_us > e->watermark_us)
        e->watermark_us = max_us;
    return COMMIT_OK;
}

/* Kafka's own committed offsets are only for lag monitoring tools. */
static void commit_to_kafka(struct eqm_engine *e) {
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(e->n_parts);
    for (int i = 0; i < e->n_parts; i++)
        if (e->parts[i].committed >= 0)
            rd_kafka_topic_partition_list_add(list, e->ecfg->topic, e->parts[i].partition)->offset =
                e->parts[i].committed;
    if (list->cnt > 0)
        rd_kafka_commit(e->rk, list, 1);
    rd_kafka_topic_partition_list_destroy(list);
}

/* ---- pipelining -------------------------------------------------------- */

/* How long after a pipelined batch failed to batches go the careful way. */
#define CAREFUL_MS 30000

/* Keeps what the commit of the batch just sent must do, then frees the
 * batch buffers for the next one. */
static int pipeline_stash(struct eqm_engine *e, size_t n_new, size_t rows) {
    struct pipelined *pl = &e->pl;

    if (pl->cap_parts < e->n_parts) {
        struct part_next *np = realloc(pl->parts, (size_t)e->n_parts * sizeof(*np));
        if (!np)
            return -1;
        pl->parts = np;
        pl->cap_parts = e->n_parts;
    }
    pl->n_parts = 0;
    for (int i = 0; i < e->n_parts; i++)
        if (e->parts[i].next >= 0)
            pl->parts[pl->n_parts++] = (struct part_next){e->parts[i].partition, e->parts[i].next};
    if (e->stats) {
        int64_t *ts = pl->ts;
        size_t cap = pl->cap_ts;
        pl->ts = e->batch_ts;
        pl->cap_ts = e->cap_batch_ts;
        e->batch_ts = ts;
        e->cap_batch_ts = cap;
    }
    pl->n_messages = e->n_messages;
    pl->n_events = e->n_events;
    pl->n_dls = e->n_dls;
    pl->n_new = n_new;
    pl->rows = rows;
    pl->sent_ms = eqm_time_mono_ms();
    pl->active = true;
    batch_reset(e);
    return 0;
}

static void pipeline_committed(struct eqm_engine *e) {
    struct pipelined *pl = &e->pl;

    pl->active = false;
    for (int i = 0; i < pl->n_parts; i++) {
        struct part_state *ps = part_find(e, pl->parts[i].partition);
        if (ps)
            ps->committed = pl->parts[i].next;
    }
    if (pl->max_us > e->watermark_us)
        e->watermark_us = pl->max_us;
    if (e->stats) {
        eqm_runstats_batch(e->stats, pl->ts, pl->n_messages, pl->n_new, eqm_time_now_us());
        if (eqm_time_mono_ms() - e->last_stats_ms >= 1000)
            stats_write(e);
    }
    if (pl->n_new > 0)
        e->metrics_dirty = true;
    eqm_log_debug("batch committed",
                  "messages=%zu events=%zu new=%zu duplicates=%zu dead_letters=%zu rows=%zu "
                  "ms=%lld pipelined=yes",
                  pl->n_messages, pl->n_events, pl->n_new, pl->n_events - pl->n_new, pl->n_dls,
                  pl->rows, (long long)(eqm_time_mono_ms() - pl->sent_ms));
    commit_to_kafka(e);
}

/*
 * The pipelined batch did not commit. Nothing of it was counted, and the
 * batch being read since may follow from it: both are dropped and read
 * again from the stored offsets, the careful way (one statement at a time,
 * duplicates filtered), for a while.
 */
static int pipeline_abandon(struct eqm_engine *e, bool fenced) {
    struct pipelined *pl = &e->pl;

    pl->active = false;
    if (fenced)
        eqm_log_warn("batch abandoned: partitions taken over", "error=%s", eqm_log_q(pl->err));
    else if (!strcmp(pl->sqlstate, "23505"))
        eqm_log_info("batch held an event counted before; reading it again the careful way",
                     "messages=%zu", pl->n_messages);
    else
        eqm_log_warn("pipelined batch not committed; reading it again", "messages=%zu error=%s",
                     pl->n_messages, eqm_log_q(pl->err));
    if (!e->conn || PQstatus(e->conn) != CONNECTION_OK) {
        if (pg_reconnect(e) != 0)
            return -1;
    }
    if (fenced && reload_offsets(e) != 0)
        eqm_log_warn("cannot reread stored offsets", "error=%s", eqm_log_q(e->errstr));
    rewind_partitions(e);
    batch_reset(e);
    e->careful_until_ms = eqm_time_mono_ms() + CAREFUL_MS;
    return 2;
}

/*
 * Reads the results of the pipelined batch and, if every statement
 * succeeded and the offsets moved as expected, commits it. Without
 * block, returns 0 at once if PostgreSQL is still working. Returns 1 when
 * committed (or nothing was in flight), 2 when abandoned (see
 * pipeline_abandon()), -1 when PostgreSQL cannot be reached again.
 */
static int pipeline_collect(struct eqm_engine *e, bool block) {
    struct pipelined *pl = &e->pl;
    PGconn *c = e->conn;
    PGresult *res;
    bool fenced = false;
    int nulls = 0;

    if (!pl->active)
        return 1;
    if (block ? PQsetnonblocking(c, 0) != 0 || PQflush(c) != 0
              : PQflush(c) < 0 || !PQconsumeInput(c))
        goto broken;
    for (;;) {
        ExecStatusType st;
        if (!block && PQisBusy(c))
            return 0;
        res = PQgetResult(c);
        if (!res) {
            /* One NULL ends each statement's results; two in a row mean
             * the connection is gone. */
            if (++nulls > 1 || PQstatus(c) != CONNECTION_OK)
                goto broken;
            pl->n_done++;
            continue;
        }
        nulls = 0;
        st = PQresultStatus(res);
        if (st == PGRES_PIPELINE_SYNC) {
            PQclear(res);
            break;
        }
        if (st == PGRES_FATAL_ERROR && !pl->failed) {
            const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
            pl->failed = true;
            snprintf(pl->sqlstate, sizeof(pl->sqlstate), "%s", state ? state : "");
            eqm_pg_error(c, res, "pipelined batch", pl->err, sizeof(pl->err));
        } else if (st == PGRES_COMMAND_OK && pl->n_done == pl->offsets_q) {
            pl->offsets_matched = atoi(PQcmdTuples(res));
        }
        PQclear(res);
    }
    if (!PQexitPipelineMode(c) || PQsetnonblocking(c, 0) != 0)
        goto broken;
    if (!pl->failed && pl->offsets_q >= 0 && pl->offsets_matched != pl->offsets_n) {
        fenced = true;
        snprintf(pl->err, sizeof(pl->err),
                 "stored offsets moved under us (%d of %d partitions matched): another consumer "
                 "owns them now",
                 pl->offsets_matched, pl->offsets_n);
    }
    if (!pl->failed && !fenced) {
        res = PQexec(c, "COMMIT");
        if (PQresultStatus(res) == PGRES_COMMAND_OK) {
            PQclear(res);
            pipeline_committed(e);
            return 1;
        }
        eqm_pg_error(c, res, "COMMIT", pl->err, sizeof(pl->err));
        PQclear(res);
    }
    if (PQstatus(c) == CONNECTION_OK && PQtransactionStatus(c) != PQTRANS_IDLE)
        PQclear(PQexec(c, "ROLLBACK"));
    return pipeline_abandon(e, fenced);
broken:
    eqm_pg_error(c, NULL, "pipelined batch", pl->err, sizeof(pl->err));
    PQfinish(e->conn);
    e->conn = NULL;
    return pipeline_abandon(e, false);
}

/*
 * Commits the batch (and the figures when due, or when force_metrics).
 * With may_pipeline, a batch without figures is sent in pipeline mode and
 * commits later (pipeline_collect()), while the next one is read.
 * Returns 0 when committed, sent, or safely abandoned (its messages will
 * be read again), -1 on a fatal error.
 */
static int flush_batch(struct eqm_engine *e, bool force_metrics, bool may_pipeline) {
    unsigned delay_ms = 100;
    bool with_metrics, pipelinable;
    size_t n_new = 0, rows = 0;
    int64_t t0 = eqm_time_mono_ms();

    /* The batch before this one commits first: this one's offsets follow
     * from its offsets. If it failed, this one went with it. */
    if (e->pl.active) {
        int r = pipeline_collect(e, true);
        if (r < 0)
            return -1;
        if (r == 2)
            return 0;
        eqm_log_debug("waited for the previous batch", "ms=%lld read_ms=%lld messages=%zu",
                      (long long)(eqm_time_mono_ms() - t0), (long long)(t0 - e->batch_started_ms),
                      e->n_messages);
    }
    if (e->n_messages == 0) {
        if (metrics_due(e, force_metrics)) {
            /* Figures only: the window may have moved, or we are idle. */
            for (int attempt = 0; attempt < 5; attempt++) {
                PGresult *res = PQexec(e->conn, "BEGIN");
                enum commit_result r;
                if (PQresultStatus(res) != PGRES_COMMAND_OK) {
                    r = pg_fail(e, res, "BEGIN");
                } else {
                    PQclear(res);
                    r = run_metrics(e);
                    if (r == COMMIT_OK) {
                        res = PQexec(e->conn, "COMMIT");
                        r = PQresultStatus(res) == PGRES_COMMAND_OK ? COMMIT_OK
                                                                    : pg_fail(e, res, "COMMIT");
                        if (r == COMMIT_OK)
                            PQclear(res);
                    }
                }
                if (r == COMMIT_OK) {
                    e->figures_next = false;
                    e->metrics_dirty = false;
                    e->last_metrics_ms = eqm_time_mono_ms();
                    return 0;
                }
                eqm_log_warn("cannot recompute figures", "error=%s", eqm_log_q(e->errstr));
                if (r != COMMIT_RETRY ||
                    (PQstatus(e->conn) != CONNECTION_OK && pg_reconnect(e) != 0))
                    return -1;
            }
        }
        return 0;
    }

    /* Dead letters must be on their topic before their offsets commit. */
    if (e->n_dls > 0) {
        rd_kafka_flush(e->dlq, 30000);
        if (e->dl_failed || rd_kafka_outq_len(e->dlq) > 0) {
            eqm_log_error("dead letters not delivered; batch will be read again", "failed=%d",
                          e->dl_failed);
            rewind_partitions(e);
            batch_reset(e);
            usleep(1000 * 1000);
            return 0;
        }
        for (size_t i = 0; i < e->n_dls; i++) {
            struct part_state *ps = part_find(e, e->dls[i].partition);
            if (ps && e->dls[i].offset > ps->dl_sent)
                ps->dl_sent = e->dls[i].offset;
        }
    }

    with_metrics = metrics_due(e, force_metrics);
    /*
     * Figures hold up every event of the batch they commit with, and every
     * event behind it. So when they fall due on a full batch, that batch
     * goes now without them, and they go with the next one, sent the
     * moment this one has committed: a batch of only what arrived during
     * that commit. The figures still commit with the counts they judge.
     */
    pipelinable = may_pipeline && e->ecfg->pipeline && !e->ecfg->naive &&
                  eqm_time_mono_ms() >= e->careful_until_ms;
    if (with_metrics && pipelinable && !force_metrics && !e->figures_next) {
        e->figures_next = true;
        with_metrics = false;
    }
    if (pipelinable && !with_metrics) {
        enum commit_result r;
        eqm_log_debug("batch sending", "messages=%zu read_ms=%lld", e->n_messages,
                      (long long)(t0 - e->batch_started_ms));
        r = commit_once(e, false, true, &n_new, &rows);
        if (r == COMMIT_OK)
            return pipeline_stash(e, n_new, rows);
        /* Could not even send it: treat as a lost connection. */
        e->pl.active = true;
        snprintf(e->pl.err, sizeof(e->pl.err), "%s", e->errstr);
        PQfinish(e->conn);
        e->conn = NULL;
        return pipeline_abandon(e, false) < 0 ? -1 : 0;
    }
    for (int attempt = 1;; attempt++) {
        enum commit_result r = commit_once(e, with_metrics, false, &n_new, &rows);
        if (r == COMMIT_OK)
            break;
        if (r == COMMIT_FENCED) {
            eqm_log_warn("batch abandoned: partitions taken over", "error=%s",
                         eqm_log_q(e->errstr));
            /* Resume from where the new owner stored its offsets, not from
             * what this consumer last believed; a rebalance will follow. */
            if (reload_offsets(e) != 0)
                eqm_log_warn("cannot reread stored offsets", "error=%s", eqm_log_q(e->errstr));
            rewind_partitions(e);
            batch_reset(e);
            return 0;
        }
        eqm_log_warn("batch commit failed", "attempt=%d error=%s retryable=%s", attempt,
                     eqm_log_q(e->errstr), r == COMMIT_RETRY ? "yes" : "no");
        if (r == COMMIT_FAILED || attempt >= 8) {
            eqm_log_error("cannot commit batch; stopping (nothing was counted)",
                          "messages=%zu error=%s", e->n_messages, eqm_log_q(e->errstr));
            return -1;
        }
        if (PQstatus(e->conn) != CONNECTION_OK && pg_reconnect(e) != 0)
            return -1;
        usleep(delay_ms * 1000);
        delay_ms *= 2;
    }

    for (int i = 0; i < e->n_parts; i++)
        if (e->parts[i].next >= 0)
            e->parts[i].committed = e->parts[i].next;
    if (e->stats) {
        eqm_runstats_batch(e->stats, e->batch_ts, e->n_messages, n_new, eqm_time_now_us());
        if (eqm_time_mono_ms() - e->last_stats_ms >= 1000)
            stats_write(e);
    }
    if (n_new > 0)
        e->metrics_dirty = true;
    if (with_metrics) {
        e->figures_next = false;
        e->metrics_dirty = false;
        e->last_metrics_ms = eqm_time_mono_ms();
    }
    eqm_log_debug("batch committed",
                  "messages=%zu events=%zu new=%zu duplicates=%zu dead_letters=%zu rows=%zu "
                  "ms=%lld",
                  e->n_messages, e->n_events, n_new, e->n_events - n_new, e->n_dls, rows,
                  (long long)(eqm_time_mono_ms() - t0));
    commit_to_kafka(e);
    batch_reset(e);
    return 0;
}

/*
 * Drops de-duplication keys of days older than the horizon behind the
 * newest event. Safe because such events are refused at intake
 * (older_than_dedup_horizon) once the watermark is known, and the
 * watermark only moves forward: a key is dropped only when no copy of its
 * event can be counted again. One statement, so no explicit transaction.
 */
static void expire_keys(struct eqm_engine *e) {
    char cutoff[11], days[24];
    const char *params[2] = {e->svc->name, cutoff};
    PGresult *res;

    e->last_expiry_ms = eqm_time_mono_ms();
    if (e->ecfg->dedup_horizon_days <= 0 || e->watermark_us == 0)
        return;
    eqm_time_day_format(eqm_time_local_day(e->watermark_us) - (int32_t)e->ecfg->dedup_horizon_days,
                        cutoff);
    res = PQexecParams(e->conn,
                       "DELETE FROM equality.event_keys WHERE source = $1 AND event_day < $2", 2,
                       NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        eqm_pg_error(e->conn, res, "expiring de-duplication keys", e->errstr, sizeof(e->errstr));
        eqm_log_warn("cannot expire de-duplication keys", "error=%s", eqm_log_q(e->errstr));
    } else if (atoll(PQcmdTuples(res)) > 0) {
        snprintf(days, sizeof(days), "%ld", e->ecfg->dedup_horizon_days);
        eqm_log_info("de-duplication keys expired", "keys=%s before=%s horizon_days=%s",
                     PQcmdTuples(res), cutoff, days);
    }
    PQclear(res);
}

/* Keys are expired once at start and then hourly, between batches. */
#define EXPIRY_INTERVAL_MS (3600 * 1000)

/* ---- Kafka ------------------------------------------------------------ */

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *list, void *opaque) {
    struct eqm_engine *e = opaque;

    /* A pipelined batch commits (or is abandoned) while the partitions
     * are still ours. */
    if (e->pl.active && pipeline_collect(e, true) < 0)
        e->fatal = 1;

    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        unsigned delay_ms = 200;
        /* Start where PostgreSQL says; without it we must not consume. */
        while (load_offsets(e, list) != 0) {
            eqm_log_warn("cannot read stored offsets, retrying", "error=%s", eqm_log_q(e->errstr));
            if (!eqm_signals_running() || e->fatal) {
                rd_kafka_assign(rk, NULL);
                return;
            }
            if (PQstatus(e->conn) != CONNECTION_OK)
                pg_reconnect(e);
            usleep(delay_ms * 1000);
            if (delay_ms < 5000)
                delay_ms *= 2;
        }
        for (int i = 0; i < list->cnt; i++)
            eqm_log_info("partition assigned", "topic=%s partition=%d offset=%lld",
                         list->elems[i].topic, (int)list->elems[i].partition,
                         (long long)list->elems[i].offset);
        rd_kafka_assign(rk, list);
        e->assigned_once = true;
        e->last_activity_ms = eqm_time_mono_ms();
    } else {
        /* Eager revoke: finish the in-flight batch while we still own the
         * partitions; if it cannot commit, the next owner reads it. */
        if (e->n_messages > 0 && flush_batch(e, false, false) != 0)
            e->fatal = 1;
        batch_reset(e);
        eqm_log_info("partitions revoked", "count=%d", list->cnt);
        rd_kafka_assign(rk, NULL);
        e->n_parts = 0;
    }
}

static int kafka_new(struct eqm_engine *e, char *errstr, size_t sz) {
    /* Dead-letter producer: idempotent, so retries never duplicate. */
    static const char *const dlq_props[] = {"enable.idempotence", "true", "message.max.bytes",
                                            "10000000", "linger.ms", "5", NULL};
    /* Consumer. Offsets live in PostgreSQL; eager range assignment (the
     * cooperative assignor of librdkafka 2.0 has known rebalance bugs). A
     * short session timeout lets a restarted consumer get its partitions
     * back soon after a crash. Prefetch: once the queue holds
     * queued.max.messages.kbytes, librdkafka 2.0 stops fetching and looks
     * again only about once a second (later versions have
     * fetch.queue.backoff.ms): under load the consumer reads about this
     * much per second. eqm-bench: 16 MB gave 30-35k events/s, 32 MB about
     * 50k; librdkafka's 64 MB default would be most of our memory. */
    static const char *const consumer_props[] = {"enable.auto.commit",
                                                 "false",
                                                 "enable.auto.offset.store",
                                                 "false",
                                                 "auto.offset.reset",
                                                 "earliest",
                                                 "partition.assignment.strategy",
                                                 "range",
                                                 "session.timeout.ms",
                                                 "10000",
                                                 "heartbeat.interval.ms",
                                                 "1000",
                                                 "queued.max.messages.kbytes",
                                                 "32768",
                                                 NULL};
    const char *props[3 + sizeof(consumer_props) / sizeof(consumer_props[0])];
    struct eqm_kafka_spec spec = {
        .brokers = e->cfg->kafka_brokers,
        .user_names = e->cfg->prop_names,
        .user_values = e->cfg->prop_values,
        .n_user = e->cfg->n_props,
        .opaque = e,
        .route_logs = true,
    };
    rd_kafka_topic_partition_list_t *topics;
    rd_kafka_resp_err_t err;
    char client_id[96];
    size_t n = 0;

    snprintf(client_id, sizeof(client_id), "eqm-%s-dlq", e->svc->name);
    spec.type = RD_KAFKA_PRODUCER;
    spec.client_id = client_id;
    spec.props = dlq_props;
    spec.dr_msg_cb = dlq_dr_cb;
    if (!(e->dlq = eqm_kafka_new(&spec, errstr, sz)))
        return -1;

    snprintf(client_id, sizeof(client_id), "eqm-%s-consumer", e->svc->name);
    props[n++] = "group.id";
    props[n++] = e->ecfg->group_id;
    for (size_t i = 0; consumer_props[i]; i++)
        props[n++] = consumer_props[i];
    props[n] = NULL;
    spec.type = RD_KAFKA_CONSUMER;
    spec.client_id = client_id;
    spec.props = props;
    spec.dr_msg_cb = NULL;
    spec.rebalance_cb = rebalance_cb;
    if (!(e->rk = eqm_kafka_new(&spec, errstr, sz)))
        return -1;

    topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, e->ecfg->topic, RD_KAFKA_PARTITION_UA);
    err = rd_kafka_subscribe(e->rk, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (err) {
        snprintf(errstr, sz, "cannot subscribe to %s: %s", e->ecfg->topic, rd_kafka_err2str(err));
        return -1;
    }
    return 0;
}

int eqm_engine_new(struct eqm_engine **out, const struct eqm_service *svc,
                   const struct eqm_alert_catalog *catalog, const struct eqm_config *cfg,
                   const struct eqm_engine_config *ecfg, char *errstr, size_t sz) {
    struct eqm_engine *e = calloc(1, sizeof(*e));
    int applied;

    if (!e) {
        snprintf(errstr, sz, "out of memory");
        return -1;
    }
    e->svc = svc;
    e->stride = 1;
    for (int t = 0; t < svc->n_tables; t++)
        if (svc->tables[t].n_count_columns > e->stride)
            e->stride = svc->tables[t].n_count_columns;
    e->cfg = cfg;
    e->ecfg = ecfg;
    e->scope.timezone = ecfg->timezone;
    e->scope.force_area = ecfg->force_area;
    e->scope.n_windows = ecfg->n_windows;
    memcpy(e->scope.window_days, ecfg->window_days, sizeof(e->scope.window_days));
    e->sink = eqm_sink_collect_new(svc->tables, svc->n_tables);
    if (!e->sink) {
        snprintf(errstr, sz, "service %s: bad table definitions", svc->name);
        goto fail;
    }
    if (!*ecfg->topic || !*ecfg->group_id) {
        snprintf(errstr, sz, "topic and group.id must not be empty");
        goto fail;
    }
    /* Migrations first, then the prepared statements that depend on them. */
    e->conn = eqm_pg_connect(cfg->pg_url, "eqm-migrate", errstr, sz);
    if (!e->conn)
        goto fail;
    applied = eqm_migrate_run(e->conn, errstr, sz);
    if (applied < 0)
        goto fail;
    if (pg_connect(e) != 0) {
        snprintf(errstr, sz, "%s", e->errstr);
        goto fail;
    }
    if (ecfg->alerts_enabled) {
        if (eqm_alert_rules_load(&e->rules, catalog, ecfg->alerts_rules, errstr, sz) != 0 ||
            eqm_alert_rules_check_windows(e->rules, ecfg->alerts_rules, svc->name, ecfg->window_days,
                                          ecfg->n_windows, errstr, sz) != 0)
            goto fail;
        eqm_log_info("alert rules loaded", "rules=%d file=%s",
                     eqm_alert_rules_count(e->rules, svc->name),
                     eqm_log_q(*ecfg->alerts_rules ? ecfg->alerts_rules : "(built-in defaults)"));
    }
    if (kafka_new(e, errstr, sz) != 0)
        goto fail;
    e->metrics_dirty = true; /* figures are brought up to date once at start */
    if (*ecfg->stats_file) {
        if (!(e->stats = malloc(sizeof(*e->stats)))) {
            snprintf(errstr, sz, "out of memory");
            goto fail;
        }
        eqm_runstats_init(e->stats);
    }
    *out = e;
    return 0;
fail:
    eqm_engine_free(&e);
    return -1;
}

int eqm_engine_run(struct eqm_engine *e) {
    const struct eqm_engine_config *ecfg = e->ecfg;
    int64_t idle_ms = (int64_t)(ecfg->exit_when_idle * 1000.0);
    long max_messages = ecfg->naive ? 1 : ecfg->batch_max_messages;
    int rc = 0;

    eqm_log_info("consumer started", "topic=%s group=%s batch.max.messages=%ld naive=%s",
                 ecfg->topic, ecfg->group_id, max_messages, ecfg->naive ? "true" : "false");
    e->last_activity_ms = eqm_time_mono_ms();
    while (eqm_signals_running() && !e->fatal) {
        int64_t now = eqm_time_mono_ms();
        int timeout = 100;
        rd_kafka_message_t *rkm;

        if (e->n_messages > 0) {
            int64_t left = e->batch_started_ms + ecfg->batch_max_ms - now;
            timeout = left < 0 ? 0 : left < timeout ? (int)left : timeout;
        }
        if (e->pl.active && timeout > 1)
            timeout = 1; /* commit it as soon as PostgreSQL is done */
        rkm = rd_kafka_consumer_poll(e->rk, timeout);
        if (!rkm)
            e->stalled_since_ms = 0;
        if (e->pl.active && (!rkm || ++e->pl_checks % 256 == 0) && pipeline_collect(e, false) < 0)
            e->fatal = 1;
        if (rkm) {
            if (rkm->err) {
                if (rkm->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                    eqm_log_warn("consumer error", "error=%s",
                                 eqm_log_q(rd_kafka_message_errstr(rkm)));
            } else {
                e->last_activity_ms = eqm_time_mono_ms();
                if (handle_message(e, rkm) != 0)
                    e->fatal = 1;
            }
            rd_kafka_message_destroy(rkm);
        }
        now = eqm_time_mono_ms();
        /* While PostgreSQL still works on the batch before, this one keeps
         * growing past batch.max.ms (up to batch.max.messages): batches
         * grow to what PostgreSQL can take, and each costs less per event.
         * A catch-up batch (begun after a stall) is already due: it takes
         * what was queued, up to an empty poll or batch.max.ms of reading
         * (for any other batch, reading that long is the age test itself). */
        if (e->n_messages >= (size_t)max_messages || e->n_slots >= (size_t)ecfg->batch_max_rows ||
            (e->n_messages > 0 && now - e->batch_started_ms >= ecfg->batch_max_ms && !e->pl.active &&
             (!rkm || now - e->batch_read_ms >= ecfg->batch_max_ms)) ||
            (e->n_messages > 0 && e->figures_next && !e->pl.active) ||
            (e->n_messages == 0 && !e->pl.active && metrics_due(e, false) && e->assigned_once)) {
            if (flush_batch(e, false, true) != 0)
                e->fatal = 1;
            e->stalled_since_ms = now;
        }
        if (e->n_messages == 0 && e->assigned_once && !e->pl.active &&
            (e->last_expiry_ms == 0 || now - e->last_expiry_ms >= EXPIRY_INTERVAL_MS)) {
            expire_keys(e);
            e->stalled_since_ms = now;
        }
        if (idle_ms > 0 && e->assigned_once && e->n_messages == 0 && !e->pl.active &&
            now - e->last_activity_ms >= idle_ms) {
            eqm_log_info("idle: stopping", "idle_s=%.1f", ecfg->exit_when_idle);
            break;
        }
    }
    if (e->fatal)
        rc = 1;
    /* Graceful stop: commit what we hold, then bring the figures up to
     * date, then leave the group (close) before anything is freed. */
    if (!e->fatal && flush_batch(e, true, false) != 0)
        rc = 1;
    if (e->stats)
        stats_write(e);
    eqm_log_info("consumer stopping", "exit=%d", rc);
    return rc;
}

void eqm_engine_free(struct eqm_engine **ep) {
    struct eqm_engine *e;
    if (!ep || !*ep)
        return;
    e = *ep;
    if (e->rk) {
        rd_kafka_consumer_close(e->rk);
        rd_kafka_destroy(e->rk);
    }
    if (e->dlq) {
        rd_kafka_flush(e->dlq, 10000);
        rd_kafka_destroy(e->dlq);
    }
    if (e->conn)
        PQfinish(e->conn);
    eqm_sink_collect_free(&e->sink);
    eqm_alert_rules_free(&e->rules);
    arena_free(&e->arena);
    free(e->slots);
    free(e->slot_counts);
    free(e->slot_index);
    free(e->incs);
    free(e->pool);
    free(e->events);
    free(e->id_index);
    free(e->dls);
    free(e->parts);
    free(e->stats);
    free(e->batch_ts);
    free(e->pl.parts);
    free(e->pl.ts);
    for (size_t i = 0; i < sizeof(e->a) / sizeof(e->a[0]); i++)
        eqm_buf_free(&e->a[i]);
    free(e);
    *ep = NULL;
}
