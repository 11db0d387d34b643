/*
 * The engine's PostgreSQL side (store.h): statements, the batch
 * transaction, the pipeline.
 *
 * A batch's keys, days and counts travel as binary arrays (eqm/pgarray.h):
 * no number formatting here and no array parsing in the server. Rows are
 * sorted in the statements so that consumers sharing a table lock them in
 * the same order.
 */
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eqm/commitstats.h"
#include "eqm/log.h"
#include "eqm/migrate.h"
#include "eqm/pg.h"
#include "eqm/pgarray.h"
#include "eqm/signals.h"
#include "eqm/timeutil.h"

/* The state of the pipelined transaction in flight. */
struct pipeline {
    bool active;
    int n_sent;    /* statements sent, BEGIN included */
    int n_done;    /* statements whose results have been read */
    int offsets_q; /* which statement advances the offsets; -1 = none */
    int offsets_n; /* partitions it must advance */
    int offsets_matched;
    bool failed, fenced;
    char sqlstate[6];
    char err[512];
    int64_t max_us;  /* the watermark once it commits */
    int64_t sent_us; /* BEGIN sent: the commit's latency runs from here */
};

struct eqm_store {
    const struct eqm_service *svc;
    const char *pg_url, *topic, *group;
    PGconn *conn;
    int64_t reconnect_max_ms; /* give up reconnecting after this */
    int64_t watermark_us;
    struct pipeline pl;
    struct eqm_buf a[8]; /* array parameters, reused */
    char errstr[512];
    /* equality.consumer_stats: this process's row, the commit latencies
     * not yet written, and those the transaction in flight writes. */
    char member[160];
    struct eqm_commit_stats lat_pending, lat_sent;
    bool flush_failed; /* no flush alone again until a batch commits */
};

PGconn *eqm_store_conn(struct eqm_store *s) {
    return s->conn;
}

bool eqm_store_connected(const struct eqm_store *s) {
    return s->conn && PQstatus(s->conn) == CONNECTION_OK;
}

const char *eqm_store_error(const struct eqm_store *s) {
    return s->errstr;
}

int64_t eqm_store_watermark(const struct eqm_store *s) {
    return s->watermark_us;
}

bool eqm_store_in_flight(const struct eqm_store *s) {
    return s->pl.active;
}

/* Runs sql with text parameters; the result when its status is want, else
 * NULL with the error (naming what) in s->errstr. */
static PGresult *query(struct eqm_store *s, const char *what, ExecStatusType want, const char *sql,
                       int n, const char *const *params) {
    PGresult *res = PQexecParams(s->conn, sql, n, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) == want)
        return res;
    eqm_pg_error(s->conn, res, what, s->errstr, sizeof(s->errstr));
    PQclear(res);
    return NULL;
}

/* ---- connecting ------------------------------------------------------------ */

static int prepare(struct eqm_store *s, const char *name, const char *sql) {
    PGresult *res = PQprepare(s->conn, name, sql, 0, NULL);
    int ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok)
        eqm_pg_error(s->conn, res, name, s->errstr, sizeof(s->errstr));
    PQclear(res);
    return ok ? 0 : -1;
}

/* The counts upsert of table t: every column as an array. */
static int prepare_counts(struct eqm_store *s, int t, struct eqm_buf *sql) {
    const struct eqm_counts_table *tb = &s->svc->tables[t];
    char name[32];
    int p = 1;

    eqm_buf_reset(sql);
    eqm_buf_printf(sql, "INSERT INTO %s AS t (day", tb->name);
    for (int i = 0; i < tb->n_key_columns; i++)
        eqm_buf_printf(sql, ", %s", tb->key_columns[i]);
    for (int i = 0; i < tb->n_count_columns; i++)
        eqm_buf_printf(sql, ", %s", tb->count_columns[i]);
    eqm_buf_printf(sql, ") SELECT * FROM unnest($%d::date[]", p++);
    for (int i = 0; i < tb->n_key_columns; i++)
        eqm_buf_printf(sql, ", $%d::text[]", p++);
    for (int i = 0; i < tb->n_count_columns; i++)
        eqm_buf_printf(sql, ", $%d::bigint[]", p++);
    eqm_buf_printf(sql, ") ORDER BY 1");
    for (int i = 0; i < tb->n_key_columns; i++)
        eqm_buf_printf(sql, ", %d", i + 2);
    eqm_buf_printf(sql, " ON CONFLICT (day");
    for (int i = 0; i < tb->n_key_columns; i++)
        eqm_buf_printf(sql, ", %s", tb->key_columns[i]);
    eqm_buf_printf(sql, ") DO UPDATE SET ");
    for (int i = 0; i < tb->n_count_columns; i++)
        eqm_buf_printf(sql, "%s%s = t.%s + EXCLUDED.%s", i ? ", " : "", tb->count_columns[i],
                       tb->count_columns[i], tb->count_columns[i]);
    if (!eqm_buf_ok(sql)) {
        snprintf(s->errstr, sizeof(s->errstr), "out of memory");
        return -1;
    }
    snprintf(name, sizeof(name), "eqm_counts_%d", t);
    return prepare(s, name, sql->data);
}

static int prepare_all(struct eqm_store *s) {
    struct eqm_buf sql = {0};
    int rc = 0;

    if (prepare(s, "eqm_dedup",
                "INSERT INTO equality.event_keys (key, event_day, source) "
                "SELECT u.k, u.d, $1 FROM unnest($2::uuid[], $3::date[]) AS u(k, d) "
                "ORDER BY u.k ON CONFLICT DO NOTHING RETURNING key") != 0)
        return -1;
    /* The pipelined form: no event of the batch may have been seen, or the
     * statement fails (unique violation) and takes the batch with it. */
    if (prepare(s, "eqm_dedup_new",
                "INSERT INTO equality.event_keys (key, event_day, source) "
                "SELECT u.k, u.d, $1 FROM unnest($2::uuid[], $3::date[]) AS u(k, d) "
                "ORDER BY u.k") != 0)
        return -1;
    if (prepare(s, "eqm_watermark",
                "INSERT INTO equality.watermarks AS w (source, max_occurred_at) "
                "VALUES ($1, to_timestamp($2::double precision / 1e6)) "
                "ON CONFLICT (source) DO UPDATE SET max_occurred_at = "
                "greatest(w.max_occurred_at, EXCLUDED.max_occurred_at), updated_at = now()") != 0)
        return -1;
    if (prepare(s, "eqm_dead_letters",
                "INSERT INTO equality.dead_letters (topic, partition, kafka_offset, source, "
                "reason_code, reason, payload_bytes) "
                "SELECT $1, u.p, u.o, $2, u.c, u.r, u.b FROM unnest($3::int[], $4::bigint[], "
                "$5::text[], $6::text[], $7::int[]) AS u(p, o, c, r, b) "
                "ON CONFLICT DO NOTHING") != 0)
        return -1;
    /* Fencing: a row advances only from the offset this consumer last saw. */
    if (prepare(s, "eqm_offsets",
                "UPDATE equality.kafka_offsets o SET next_offset = u.next, updated_at = now() "
                "FROM unnest($3::int[], $4::bigint[], $5::bigint[]) AS u(p, next, expected) "
                "WHERE o.consumer_group = $1 AND o.topic = $2 AND o.partition = u.p "
                "AND o.next_offset IS NOT DISTINCT FROM u.expected") != 0)
        return -1;
    /* This process's totals: each batch adds its own (migration 017). */
    if (prepare(s, "eqm_stats",
                "INSERT INTO equality.consumer_stats AS c (consumer_group, topic, member, source, "
                "messages, events, duplicates, dead_letters, batches, commit_seconds_sum, "
                "commit_count, commit_buckets) "
                "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::bigint[]) "
                "ON CONFLICT (consumer_group, topic, member) DO UPDATE SET "
                "messages = c.messages + EXCLUDED.messages, events = c.events + EXCLUDED.events, "
                "duplicates = c.duplicates + EXCLUDED.duplicates, "
                "dead_letters = c.dead_letters + EXCLUDED.dead_letters, "
                "batches = c.batches + EXCLUDED.batches, "
                "commit_seconds_sum = c.commit_seconds_sum + EXCLUDED.commit_seconds_sum, "
                "commit_count = c.commit_count + EXCLUDED.commit_count, "
                "commit_buckets = (SELECT array_agg(u.a + u.b ORDER BY u.i) FROM "
                "unnest(c.commit_buckets, EXCLUDED.commit_buckets) WITH ORDINALITY AS u(a, b, i)), "
                "updated_at = now()") != 0)
        return -1;
    for (int t = 0; t < s->svc->n_tables && rc == 0; t++)
        rc = prepare_counts(s, t, &sql);
    eqm_buf_free(&sql);
    return rc;
}

static int connect_once(struct eqm_store *s) {
    char app[64];
    PGresult *res;
    const char *params[1] = {s->svc->name};

    if (s->conn)
        PQfinish(s->conn);
    snprintf(app, sizeof(app), "eqm-%s", s->svc->name);
    s->conn = eqm_pg_connect(s->pg_url, app, s->errstr, sizeof(s->errstr));
    if (!s->conn)
        return -1;
    if (prepare_all(s) != 0)
        return -1;
    if (!(res = query(s, "reading watermark", PGRES_TUPLES_OK,
                      "SELECT (extract(epoch FROM max_occurred_at) * 1e6)::bigint "
                      "FROM equality.watermarks WHERE source = $1",
                      1, params)))
        return -1;
    if (PQntuples(res) == 1)
        s->watermark_us = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return 0;
}

int eqm_store_reconnect(struct eqm_store *s) {
    unsigned delay_ms = 200;
    int64_t deadline = eqm_time_mono_ms() + s->reconnect_max_ms;
    for (int attempt = 1; eqm_signals_running() || attempt == 1; attempt++) {
        if (connect_once(s) == 0) {
            eqm_log_info("reconnected to PostgreSQL", "attempt=%d", attempt);
            return 0;
        }
        eqm_log_warn("PostgreSQL unavailable, retrying", "attempt=%d error=%s", attempt,
                     eqm_log_q(s->errstr));
        if (eqm_time_mono_ms() + (int64_t)delay_ms > deadline) {
            eqm_log_error("PostgreSQL unavailable for longer than pg.reconnect.max.s",
                          "attempts=%d error=%s", attempt, eqm_log_q(s->errstr));
            break;
        }
        usleep(delay_ms * 1000);
        if (delay_ms < 5000)
            delay_ms *= 2;
    }
    return -1;
}

void eqm_store_set_reconnect_max(struct eqm_store *s, long max_ms) {
    s->reconnect_max_ms = max_ms;
}

int eqm_store_new(struct eqm_store **out, const struct eqm_service *svc, const char *pg_url,
                  const char *topic, const char *group, char *errstr, size_t sz) {
    struct eqm_store *s = calloc(1, sizeof(*s));
    PGconn *mig;
    int applied;

    if (!s) {
        snprintf(errstr, sz, "out of memory");
        return -1;
    }
    s->svc = svc;
    s->reconnect_max_ms = 120000;
    s->pg_url = pg_url;
    s->topic = topic;
    s->group = group;
    {
        char host[64] = "";
        if (gethostname(host, sizeof(host) - 1) != 0)
            snprintf(host, sizeof(host), "unknown");
        snprintf(s->member, sizeof(s->member), "%s/%ld/%lld", host, (long)getpid(),
                 (long long)(eqm_time_now_us() / 1000000));
    }
    /* Migrations first, then the prepared statements that depend on them. */
    if (!(mig = eqm_pg_connect(pg_url, "eqm-migrate", errstr, sz)))
        goto fail;
    applied = eqm_migrate_run(mig, errstr, sz);
    if (applied >= 0) {
        char program[64], role[64];
        snprintf(program, sizeof(program), "eqm-%s", svc->name);
        snprintf(role, sizeof(role), "eqm_%s", svc->name);
        for (char *c = role; *c; c++)
            if (*c == '-')
                *c = '_';
        (void)eqm_pg_check_role(mig, program, role);
    }
    PQfinish(mig);
    if (applied < 0)
        goto fail;
    if (connect_once(s) != 0) {
        snprintf(errstr, sz, "%s", s->errstr);
        goto fail;
    }
    *out = s;
    return 0;
fail:
    eqm_store_free(&s);
    return -1;
}

void eqm_store_free(struct eqm_store **sp) {
    struct eqm_store *s;
    if (!sp || !*sp)
        return;
    s = *sp;
    if (s->conn)
        PQfinish(s->conn);
    for (size_t i = 0; i < sizeof(s->a) / sizeof(s->a[0]); i++)
        eqm_buf_free(&s->a[i]);
    free(s);
    *sp = NULL;
}

/* ---- offsets --------------------------------------------------------------- */

int eqm_store_offsets_load(struct eqm_store *s, const int32_t *partitions, int n,
                           int64_t *committed) {
    const char *params[4];
    PGresult *res = NULL;
    int ret = -1;

    eqm_pg_array_begin(&s->a[0]);
    for (int i = 0; i < n; i++)
        eqm_pg_array_int(&s->a[0], partitions[i]);
    if (eqm_pg_array_end(&s->a[0]) != 0) {
        snprintf(s->errstr, sizeof(s->errstr), "out of memory");
        return -1;
    }
    params[0] = s->group;
    params[1] = s->topic;
    params[2] = s->a[0].data;
    params[3] = s->svc->name;
    /* The rows are this service's (source): no other service's role may
     * see or move them (migration 018). */
    if (!(res =
              query(s, "creating offset rows", PGRES_COMMAND_OK,
                    "INSERT INTO equality.kafka_offsets (consumer_group, topic, partition, source) "
                    "SELECT $1, $2, p, $4 FROM unnest($3::int[]) AS p ON CONFLICT DO NOTHING",
                    4, params)))
        goto out;
    PQclear(res);
    if (!(res = query(s, "reading offsets", PGRES_TUPLES_OK,
                      "SELECT partition, next_offset FROM equality.kafka_offsets "
                      "WHERE consumer_group = $1 AND topic = $2 AND partition = ANY($3::int[])",
                      3, params)))
        goto out;
    for (int i = 0; i < n; i++) {
        committed[i] = -1;
        for (int r = 0; r < PQntuples(res); r++)
            if (atoi(PQgetvalue(res, r, 0)) == partitions[i] && !PQgetisnull(res, r, 1))
                committed[i] = strtoll(PQgetvalue(res, r, 1), NULL, 10);
    }
    ret = 0;
out:
    PQclear(res);
    return ret;
}

/* ---- the statements of a batch ------------------------------------------------- */

static enum eqm_store_result fail(struct eqm_store *s, PGresult *res, const char *what) {
    enum eqm_store_result r = eqm_pg_retryable(s->conn, res) ? EQM_STORE_RETRY : EQM_STORE_FAILED;
    eqm_pg_error(s->conn, res, what, s->errstr, sizeof(s->errstr));
    PQclear(res);
    if (PQstatus(s->conn) == CONNECTION_OK)
        PQclear(PQexec(s->conn, "ROLLBACK"));
    return r;
}

static enum eqm_store_result oom(struct eqm_store *s) {
    snprintf(s->errstr, sizeof(s->errstr), "out of memory");
    return EQM_STORE_FAILED;
}

static bool pipelining(const struct eqm_store *s) {
    return PQpipelineStatus(s->conn) != PQ_PIPELINE_OFF;
}

/* In pipeline mode, queues the statement (its result is read later, by
 * eqm_store_collect()); otherwise runs it. lengths and formats as for
 * PQexecPrepared (NULL: all text); binary asks for a binary result. */
static enum eqm_store_result run(struct eqm_store *s, const char *name, int n,
                                 const char *const *params, const int *lengths, const int *formats,
                                 int binary, const char *what, PGresult **out) {
    PGresult *res;
    ExecStatusType st;

    if (pipelining(s)) {
        if (!PQsendQueryPrepared(s->conn, name, n, params, lengths, formats, binary)) {
            eqm_pg_error(s->conn, NULL, what, s->errstr, sizeof(s->errstr));
            return EQM_STORE_RETRY;
        }
        s->pl.n_sent++;
        if (out)
            *out = NULL;
        return EQM_STORE_OK;
    }
    res = PQexecPrepared(s->conn, name, n, params, lengths, formats, binary);
    st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        return fail(s, res, what);
    if (out)
        *out = res;
    else
        PQclear(res);
    return EQM_STORE_OK;
}

static enum eqm_store_result run_dedup(struct eqm_store *s, struct eqm_batch *b) {
    const char *params[3];
    int lengths[3] = {0}, formats[3] = {0, 1, 1};
    PGresult *res = NULL;
    enum eqm_store_result r;
    size_t n = eqm_batch_n_events(b);
    uint32_t cand = 0;

    eqm_pgbin_begin(&s->a[0], EQM_PG_OID_UUID);
    eqm_pgbin_begin(&s->a[1], EQM_PG_OID_DATE);
    for (size_t i = 0; i < n; i++) {
        struct eqm_batch_event *ev = eqm_batch_event(b, i);
        ev->is_new = false;
        if (!ev->candidate)
            continue;
        eqm_pgbin_bytes(&s->a[0], ev->key, 16);
        eqm_pgbin_date(&s->a[1], ev->day);
        cand++;
    }
    if (eqm_pgbin_end(&s->a[0], cand) | eqm_pgbin_end(&s->a[1], cand))
        return oom(s);
    if (cand == 0)
        return EQM_STORE_OK;
    params[0] = s->svc->name;
    params[1] = s->a[0].data;
    params[2] = s->a[1].data;
    lengths[1] = (int)s->a[0].len;
    lengths[2] = (int)s->a[1].len;
    if (pipelining(s)) {
        /* Optimistic: every candidate is new, or the transaction fails. */
        for (size_t i = 0; i < n; i++)
            eqm_batch_event(b, i)->is_new = eqm_batch_event(b, i)->candidate;
        return run(s, "eqm_dedup_new", 3, params, lengths, formats, 0, "recording event keys",
                   NULL);
    }
    r = run(s, "eqm_dedup", 3, params, lengths, formats, 1, "recording event keys", &res);
    if (r != EQM_STORE_OK)
        return r;
    for (int i = 0; i < PQntuples(res); i++) {
        struct eqm_batch_event *ev =
            PQgetlength(res, i, 0) == 16
                ? eqm_batch_find(b, (const unsigned char *)PQgetvalue(res, i, 0))
                : NULL;
        if (ev)
            ev->is_new = true;
    }
    PQclear(res);
    return EQM_STORE_OK;
}

/* One multi-row upsert per table, its columns as binary arrays. */
static enum eqm_store_result run_counts(struct eqm_store *s, struct eqm_batch *b, size_t *rows) {
    struct eqm_buf bufs[1 + EQM_MAX_KEY_PARTS + EQM_MAX_COUNTS];
    const char *params[1 + EQM_MAX_KEY_PARTS + EQM_MAX_COUNTS];
    int lengths[1 + EQM_MAX_KEY_PARTS + EQM_MAX_COUNTS];
    int formats[1 + EQM_MAX_KEY_PARTS + EQM_MAX_COUNTS];
    enum eqm_store_result r = EQM_STORE_OK;
    size_t n_slots = eqm_batch_n_slots(b);

    eqm_batch_sum(b);
    memset(bufs, 0, sizeof(bufs));
    *rows = 0;
    for (int t = 0; t < s->svc->n_tables && r == EQM_STORE_OK; t++) {
        const struct eqm_counts_table *tb = &s->svc->tables[t];
        int nk = tb->n_key_columns, np = 1 + nk + tb->n_count_columns, err = 0;
        uint32_t n = 0;
        char name[32];

        eqm_pgbin_begin(&bufs[0], EQM_PG_OID_DATE);
        for (int p = 1; p < np; p++)
            eqm_pgbin_begin(&bufs[p], p <= nk ? EQM_PG_OID_TEXT : EQM_PG_OID_INT8);
        for (size_t i = 0; i < n_slots; i++) {
            const char *const *parts;
            const int64_t *sum;
            int table;
            int32_t day;
            bool any = false;

            eqm_batch_slot(b, i, &table, &day, &parts, &sum);
            if (table != t)
                continue;
            for (int c = 0; c < tb->n_count_columns; c++)
                any |= sum[c] != 0;
            if (!any)
                continue;
            eqm_pgbin_date(&bufs[0], day);
            for (int k = 0; k < nk; k++)
                eqm_pgbin_bytes(&bufs[1 + k], parts[k], (uint32_t)strlen(parts[k]));
            for (int c = 0; c < tb->n_count_columns; c++)
                eqm_pgbin_int8(&bufs[1 + nk + c], sum[c]);
            n++;
        }
        for (int p = 0; p < np; p++) {
            err |= eqm_pgbin_end(&bufs[p], n);
            params[p] = bufs[p].data;
            lengths[p] = (int)bufs[p].len;
            formats[p] = 1;
        }
        if (err) {
            r = oom(s);
            break;
        }
        snprintf(name, sizeof(name), "eqm_counts_%d", t);
        if (n > 0)
            r = run(s, name, np, params, lengths, formats, 0, "adding counts", NULL);
        *rows += n;
    }
    for (size_t p = 0; p < sizeof(bufs) / sizeof(bufs[0]); p++)
        eqm_buf_free(&bufs[p]);
    return r;
}

static enum eqm_store_result run_dead_letters(struct eqm_store *s, const struct eqm_batch *b) {
    const char *params[7];
    size_t n = eqm_batch_n_dead_letters(b);
    int err = 0;

    if (n == 0)
        return EQM_STORE_OK;
    for (int k = 2; k < 7; k++)
        eqm_pg_array_begin(&s->a[k]);
    for (size_t i = 0; i < n; i++) {
        const struct eqm_batch_dead_letter *d = eqm_batch_dead_letter(b, i);
        eqm_pg_array_int(&s->a[2], d->partition);
        eqm_pg_array_int(&s->a[3], d->offset);
        eqm_pg_array_text(&s->a[4], d->code, strlen(d->code));
        eqm_pg_array_text(&s->a[5], d->reason, strlen(d->reason));
        eqm_pg_array_int(&s->a[6], d->bytes);
    }
    for (int k = 2; k < 7; k++) {
        err |= eqm_pg_array_end(&s->a[k]);
        params[k] = s->a[k].data;
    }
    if (err)
        return oom(s);
    params[0] = s->topic;
    params[1] = s->svc->name;
    return run(s, "eqm_dead_letters", 7, params, NULL, NULL, 0, "recording dead letters", NULL);
}

static enum eqm_store_result run_offsets(struct eqm_store *s, const struct eqm_store_tx *tx) {
    const char *params[5];
    PGresult *res = NULL;
    enum eqm_store_result r;

    if (tx->n_offsets == 0)
        return EQM_STORE_OK;
    eqm_pg_array_begin(&s->a[2]);
    eqm_pg_array_begin(&s->a[3]);
    eqm_pg_array_begin(&s->a[4]);
    for (int i = 0; i < tx->n_offsets; i++) {
        const struct eqm_store_offset *o = &tx->offsets[i];
        eqm_pg_array_int(&s->a[2], o->partition);
        eqm_pg_array_int(&s->a[3], o->next);
        if (o->expected >= 0)
            eqm_pg_array_int(&s->a[4], o->expected);
        else
            eqm_pg_array_text(&s->a[4], NULL, 0);
    }
    if (eqm_pg_array_end(&s->a[2]) | eqm_pg_array_end(&s->a[3]) | eqm_pg_array_end(&s->a[4]))
        return oom(s);
    params[0] = s->group;
    params[1] = s->topic;
    params[2] = s->a[2].data;
    params[3] = s->a[3].data;
    params[4] = s->a[4].data;
    if (pipelining(s)) {
        /* Checked, before COMMIT, when the results are read. */
        s->pl.offsets_q = s->pl.n_sent;
        s->pl.offsets_n = tx->n_offsets;
        return run(s, "eqm_offsets", 5, params, NULL, NULL, 0, "advancing offsets", NULL);
    }
    r = run(s, "eqm_offsets", 5, params, NULL, NULL, 0, "advancing offsets", &res);
    if (r != EQM_STORE_OK)
        return r;
    if (atoi(PQcmdTuples(res)) != tx->n_offsets) {
        snprintf(s->errstr, sizeof(s->errstr),
                 "stored offsets moved under us (%s of %d partitions matched): another consumer "
                 "owns them now",
                 PQcmdTuples(res), tx->n_offsets);
        PQclear(res);
        PQclear(PQexec(s->conn, "ROLLBACK"));
        return EQM_STORE_FENCED;
    }
    PQclear(res);
    return EQM_STORE_OK;
}

/* This batch's numbers and the commit latencies measured since the last
 * ones written, into this process's row of equality.consumer_stats. */
static enum eqm_store_result run_stats(struct eqm_store *s, const struct eqm_batch *b,
                                       size_t n_new) {
    char v[8][24], buckets[EQM_COMMIT_BUCKETS * 21 + 2];
    const char *params[12];
    size_t n_events = b ? eqm_batch_n_events(b) : 0, n_dead = b ? eqm_batch_n_dead_letters(b) : 0;
    const struct eqm_commit_stats *lat = &s->lat_pending;

    if (eqm_commit_stats_buckets_text(lat, buckets, sizeof(buckets)) != 0)
        return oom(s);
    snprintf(v[0], sizeof(v[0]), "%zu", n_events + n_dead);
    snprintf(v[1], sizeof(v[1]), "%zu", n_new);
    snprintf(v[2], sizeof(v[2]), "%zu", n_events - n_new);
    snprintf(v[3], sizeof(v[3]), "%zu", n_dead);
    snprintf(v[4], sizeof(v[4]), "%d", n_events + n_dead > 0);
    snprintf(v[5], sizeof(v[5]), "%.9g", lat->sum_s);
    snprintf(v[6], sizeof(v[6]), "%lld", (long long)lat->count);
    params[0] = s->group;
    params[1] = s->topic;
    params[2] = s->member;
    params[3] = s->svc->name;
    for (int i = 0; i < 7; i++)
        params[4 + i] = v[i];
    params[11] = buckets;
    s->lat_sent = *lat;
    return run(s, "eqm_stats", 12, params, NULL, NULL, 0, "adding consumer stats", NULL);
}

/* The transaction that wrote lat_sent committed after `since`. */
static void stats_committed(struct eqm_store *s, int64_t since_us) {
    eqm_commit_stats_sub(&s->lat_pending, &s->lat_sent);
    memset(&s->lat_sent, 0, sizeof(s->lat_sent));
    s->flush_failed = false;
    if (since_us > 0)
        eqm_commit_stats_add(&s->lat_pending, (double)(eqm_time_now_us() - since_us) / 1e6);
}

bool eqm_store_stats_pending(const struct eqm_store *s) {
    return s->lat_pending.count > 0;
}

int eqm_store_stats_flush(struct eqm_store *s) {
    if (!s->conn || s->pl.active || s->flush_failed || s->lat_pending.count == 0)
        return 0;
    if (run_stats(s, NULL, 0) != EQM_STORE_OK) {
        s->flush_failed = true;
        return -1;
    }
    stats_committed(s, 0);
    return 0;
}

/* Runs the figures callback inside the open transaction. */
static enum eqm_store_result run_figures(struct eqm_store *s, eqm_store_figures_fn fn, void *arg) {
    if (fn(s->conn, arg, s->errstr, sizeof(s->errstr)) == 0)
        return EQM_STORE_OK;
    {
        enum eqm_store_result r =
            eqm_pg_retryable(s->conn, NULL) ? EQM_STORE_RETRY : EQM_STORE_FAILED;
        if (PQstatus(s->conn) == CONNECTION_OK)
            PQclear(PQexec(s->conn, "ROLLBACK"));
        return r;
    }
}

/* The statements of the batch, after BEGIN: ids, counts, watermark, dead
 * letters, offsets. *max_us gets the newest event time counted. */
static enum eqm_store_result write_batch(struct eqm_store *s, const struct eqm_store_tx *tx,
                                         size_t *n_new, size_t *rows, int64_t *max_us) {
    enum eqm_store_result r;
    size_t n = eqm_batch_n_events(tx->batch);

    *n_new = 0;
    *max_us = 0;
    if ((r = run_dedup(s, tx->batch)) != EQM_STORE_OK)
        return r;
    for (size_t i = 0; i < n; i++) {
        const struct eqm_batch_event *ev = eqm_batch_event(tx->batch, i);
        if (ev->is_new) {
            (*n_new)++;
            if (ev->occurred_us > *max_us)
                *max_us = ev->occurred_us;
        }
    }
    if ((r = run_counts(s, tx->batch, rows)) != EQM_STORE_OK)
        return r;
    if (*max_us > s->watermark_us) {
        char src_us[24];
        const char *params[2] = {s->svc->name, src_us};
        snprintf(src_us, sizeof(src_us), "%lld", (long long)*max_us);
        if ((r = run(s, "eqm_watermark", 2, params, NULL, NULL, 0, "advancing watermark", NULL)) !=
            EQM_STORE_OK)
            return r;
    }
    if ((r = run_dead_letters(s, tx->batch)) != EQM_STORE_OK)
        return r;
    if ((r = run_stats(s, tx->batch, *n_new)) != EQM_STORE_OK)
        return r;
    return run_offsets(s, tx);
}

enum eqm_store_result eqm_store_commit(struct eqm_store *s, const struct eqm_store_tx *tx,
                                       size_t *n_new, size_t *rows) {
    enum eqm_store_result r;
    int64_t max_us, t0;
    PGresult *res;

    *rows = 0;
    t0 = eqm_time_now_us();
    res = PQexec(s->conn, "BEGIN");
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        return fail(s, res, "BEGIN");
    PQclear(res);
    if ((r = write_batch(s, tx, n_new, rows, &max_us)) != EQM_STORE_OK)
        return r;
    if (tx->figures && (r = run_figures(s, tx->figures, tx->figures_arg)) != EQM_STORE_OK)
        return r;
    res = PQexec(s->conn, "COMMIT");
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        return fail(s, res, "COMMIT");
    PQclear(res);
    stats_committed(s, t0);
    if (max_us > s->watermark_us)
        s->watermark_us = max_us;
    return EQM_STORE_OK;
}

/* ---- the pipeline ------------------------------------------------------------- */

enum eqm_store_result eqm_store_send(struct eqm_store *s, const struct eqm_store_tx *tx,
                                     size_t *n_new, size_t *rows) {
    struct pipeline *pl = &s->pl;
    enum eqm_store_result r;

    *n_new = *rows = 0;
    memset(pl, 0, sizeof(*pl));
    pl->offsets_q = pl->offsets_matched = -1;
    pl->sent_us = eqm_time_now_us();
    if (!PQenterPipelineMode(s->conn) || PQsetnonblocking(s->conn, 1) != 0 ||
        !PQsendQueryParams(s->conn, "BEGIN", 0, NULL, NULL, NULL, NULL, 0)) {
        eqm_pg_error(s->conn, NULL, "BEGIN", s->errstr, sizeof(s->errstr));
        return EQM_STORE_RETRY;
    }
    pl->n_sent = 1;
    if ((r = write_batch(s, tx, n_new, rows, &pl->max_us)) != EQM_STORE_OK)
        return r;
    if (!PQpipelineSync(s->conn) || PQflush(s->conn) < 0) {
        eqm_pg_error(s->conn, NULL, "sending batch", s->errstr, sizeof(s->errstr));
        return EQM_STORE_RETRY;
    }
    pl->active = true;
    return EQM_STORE_OK;
}

void eqm_store_drop(struct eqm_store *s, const char *why) {
    s->pl.active = false;
    s->pl.failed = true;
    s->pl.fenced = false;
    s->pl.sqlstate[0] = '\0';
    snprintf(s->pl.err, sizeof(s->pl.err), "%s", why);
    PQfinish(s->conn);
    s->conn = NULL;
}

struct eqm_store_abandoned eqm_store_abandoned_why(const struct eqm_store *s) {
    struct eqm_store_abandoned a = {s->pl.fenced, !strcmp(s->pl.sqlstate, "23505"), s->pl.err};
    return a;
}

static enum eqm_store_collected abandon(struct eqm_store *s) {
    s->pl.active = false;
    return EQM_STORE_ABANDONED;
}

enum eqm_store_collected eqm_store_collect(struct eqm_store *s, bool block) {
    struct pipeline *pl = &s->pl;
    PGconn *c = s->conn;
    PGresult *res;
    int nulls = 0;

    if (!pl->active)
        return EQM_STORE_COMMITTED;
    if (block ? PQsetnonblocking(c, 0) != 0 || PQflush(c) != 0
              : PQflush(c) < 0 || !PQconsumeInput(c))
        goto broken;
    for (;;) {
        ExecStatusType st;
        if (!block && PQisBusy(c))
            return EQM_STORE_BUSY;
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
        pl->fenced = true;
        snprintf(pl->err, sizeof(pl->err),
                 "stored offsets moved under us (%d of %d partitions matched): another consumer "
                 "owns them now",
                 pl->offsets_matched, pl->offsets_n);
    }
    if (!pl->failed && !pl->fenced) {
        res = PQexec(c, "COMMIT");
        if (PQresultStatus(res) == PGRES_COMMAND_OK) {
            PQclear(res);
            pl->active = false;
            stats_committed(s, pl->sent_us);
            if (pl->max_us > s->watermark_us)
                s->watermark_us = pl->max_us;
            return EQM_STORE_COMMITTED;
        }
        eqm_pg_error(c, res, "COMMIT", pl->err, sizeof(pl->err));
        PQclear(res);
    }
    if (PQstatus(c) == CONNECTION_OK && PQtransactionStatus(c) != PQTRANS_IDLE)
        PQclear(PQexec(c, "ROLLBACK"));
    return abandon(s);
broken:
    eqm_pg_error(c, NULL, "pipelined batch", pl->err, sizeof(pl->err));
    pl->fenced = false;
    PQfinish(s->conn);
    s->conn = NULL;
    return abandon(s);
}

/* ---- between batches ------------------------------------------------------------ */

enum eqm_store_result eqm_store_figures(struct eqm_store *s, eqm_store_figures_fn fn, void *arg) {
    PGresult *res = PQexec(s->conn, "BEGIN");
    enum eqm_store_result r;

    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        return fail(s, res, "BEGIN");
    PQclear(res);
    if ((r = run_figures(s, fn, arg)) != EQM_STORE_OK)
        return r;
    res = PQexec(s->conn, "COMMIT");
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        return fail(s, res, "COMMIT");
    PQclear(res);
    return EQM_STORE_OK;
}

/*
 * Safe because such events are refused at intake (older_than_dedup_horizon)
 * once the watermark is known, and the watermark only moves forward: a
 * key is dropped only when no copy of its event can be counted again. One
 * statement, so no explicit transaction.
 */
long eqm_store_expire_keys(struct eqm_store *s, long horizon_days) {
    char cutoff[11];
    const char *params[2] = {s->svc->name, cutoff};
    PGresult *res;
    long n = -1;

    if (horizon_days <= 0 || s->watermark_us == 0)
        return 0;
    eqm_time_day_format(eqm_time_local_day(s->watermark_us) - (int32_t)horizon_days, cutoff);
    res = query(s, "expiring de-duplication keys", PGRES_COMMAND_OK,
                "DELETE FROM equality.event_keys WHERE source = $1 AND event_day < $2", 2, params);
    if (!res) {
        eqm_log_warn("cannot expire de-duplication keys", "error=%s", eqm_log_q(s->errstr));
    } else if ((n = atol(PQcmdTuples(res))) > 0) {
        eqm_log_info("de-duplication keys expired", "keys=%ld before=%s horizon_days=%ld", n,
                     cutoff, horizon_days);
    }
    PQclear(res);
    return n;
}

int eqm_store_offset_event(struct eqm_store *s, int32_t partition, int64_t stored, int64_t low,
                           int64_t high, const char *action) {
    char p[16], st[24], lo[24], hi[24];
    const char *params[8] = {
        s->group, s->topic,    p, st, low >= 0 ? lo : NULL, high >= 0 ? hi : NULL,
        action,   s->svc->name};
    PGresult *res;
    int rc;

    snprintf(p, sizeof(p), "%d", (int)partition);
    snprintf(st, sizeof(st), "%lld", (long long)stored);
    snprintf(lo, sizeof(lo), "%lld", (long long)low);
    snprintf(hi, sizeof(hi), "%lld", (long long)high);
    res = query(s, "recording an offset ahead of the log", PGRES_COMMAND_OK,
                "INSERT INTO equality.offset_events (consumer_group, topic, partition, "
                "stored_offset, log_start, log_end, action, source) "
                "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                8, params);
    rc = res ? 0 : -1;
    PQclear(res);
    return rc;
}
