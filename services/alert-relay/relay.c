/*
 * eqm-alert-relay: the outbox of alerts, published to Kafka. See relay.h
 * for the contract.
 *
 * The one rule: a row is stamped sent only after the broker's delivery
 * report for it said so. Everything else (a crash, a failed stamp, a
 * broker that is down, a fatal producer error) leaves the row unsent, and
 * a later round or a later relay sends it again. Duplicates on the topic
 * are therefore possible, losses are not; alert_id makes duplicates
 * harmless to a reader.
 */
#include "relay.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>
#include <librdkafka/rdkafka.h>

#include "eqm/kafka.h"
#include "eqm/log.h"
#include "eqm/signals.h"
#include "eqm/migrate.h"
#include "eqm/pgarray.h"
#include "eqm/timeutil.h"

/* ---- pure parts ------------------------------------------------------- */

int eqm_relay_message_build(const struct eqm_relay_row *row, struct eqm_relay_message *msg,
                            char *errstr, size_t sz) {
    if (!row->fingerprint || !*row->fingerprint) {
        snprintf(errstr, sz, "outbox row %" PRId64 " has no fingerprint (the Kafka key)", row->id);
        return -1;
    }
    if (!row->payload || row->payload_len == 0) {
        snprintf(errstr, sz, "outbox row %" PRId64 " has an empty payload", row->id);
        return -1;
    }
    memset(msg, 0, sizeof(*msg));
    msg->key = row->fingerprint;
    msg->key_len = strlen(row->fingerprint);
    msg->value = row->payload;
    msg->value_len = row->payload_len;
    snprintf(msg->outbox_id, sizeof(msg->outbox_id), "%" PRId64, row->id);
    /* The headers repeat what a router needs (who it is for, whether it
     * fires or clears, what to de-duplicate on) without parsing the JSON. */
    msg->headers[0] = (struct eqm_relay_header){"eqm-alert-id", row->alert_id ? row->alert_id : ""};
    msg->headers[1] = (struct eqm_relay_header){"eqm-status", row->status ? row->status : ""};
    msg->headers[2] = (struct eqm_relay_header){"eqm-audience", row->audience ? row->audience : ""};
    msg->headers[3] = (struct eqm_relay_header){"eqm-outbox-id", msg->outbox_id};
    msg->headers[4] = (struct eqm_relay_header){"content-type", "application/json"};
    msg->headers[5] = (struct eqm_relay_header){"eqm-producer", "eqm-alert-relay"};
    msg->n_headers = EQM_RELAY_HEADERS;
    return 0;
}

/* Compares payload field `name` with the column value; 0 when equal. */
static int field_agrees(const json_t *obj, const char *name, const char *column, bool nocase,
                        char *errstr, size_t sz) {
    const json_t *v = json_object_get(obj, name);
    const char *s;

    if (!json_is_string(v)) {
        snprintf(errstr, sz, "payload has no %s string", name);
        return -1;
    }
    s = json_string_value(v);
    if (!column || (nocase ? strcasecmp(s, column) : strcmp(s, column)) != 0) {
        snprintf(errstr, sz, "payload %s \"%.64s\" differs from the row's \"%.64s\"", name, s,
                 column ? column : "");
        return -1;
    }
    return 0;
}

int eqm_relay_payload_check(const struct eqm_relay_row *row, char *errstr, size_t sz) {
    json_error_t jerr;
    json_t *root;
    int rc = -1;

    if (!row->payload) {
        snprintf(errstr, sz, "no payload");
        return -1;
    }
    root =
        json_loadb(row->payload, row->payload_len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (!root) {
        snprintf(errstr, sz, "payload is not JSON: %s", jerr.text);
        return -1;
    }
    if (!json_is_object(root)) {
        snprintf(errstr, sz, "payload is not a JSON object");
        goto out;
    }
    if (field_agrees(root, "alert_id", row->alert_id, true, errstr, sz) ||
        field_agrees(root, "fingerprint", row->fingerprint, false, errstr, sz) ||
        field_agrees(root, "status", row->status, false, errstr, sz))
        goto out;
    rc = 0;
out:
    json_decref(root);
    return rc;
}

long eqm_relay_backoff_ms(int failures, long base_ms, long max_ms, double jitter) {
    double ms;

    if (failures <= 0 || base_ms <= 0)
        return 0;
    if (max_ms < base_ms)
        max_ms = base_ms;
    ms = (double)base_ms;
    /* Doubling stops at the cap, so no overflow however long it fails. */
    for (int i = 1; i < failures && ms < (double)max_ms; i++)
        ms *= 2.0;
    if (ms > (double)max_ms)
        ms = (double)max_ms;
    if (jitter < 0.0)
        jitter = 0.0;
    if (jitter >= 1.0)
        jitter = 0.999999;
    ms *= 1.0 - jitter / 2.0;
    return ms < 1.0 ? 1 : (long)ms;
}

int eqm_relay_marks_build(const struct eqm_relay_delivery *d, size_t n, struct eqm_relay_marks *m) {
    int count = 0;

    if (eqm_pg_array_begin(&m->ids) || eqm_pg_array_begin(&m->alert_ids) ||
        eqm_pg_array_begin(&m->partitions) || eqm_pg_array_begin(&m->offsets))
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (!d[i].done || d[i].err != 0)
            continue;
        if (eqm_pg_array_int(&m->ids, d[i].id) ||
            eqm_pg_array_text(&m->alert_ids, d[i].alert_id, strlen(d[i].alert_id)) ||
            eqm_pg_array_int(&m->partitions, d[i].partition) ||
            eqm_pg_array_int(&m->offsets, d[i].offset))
            return -1;
        count++;
    }
    if (eqm_pg_array_end(&m->ids) || eqm_pg_array_end(&m->alert_ids) ||
        eqm_pg_array_end(&m->partitions) || eqm_pg_array_end(&m->offsets))
        return -1;
    return count;
}

void eqm_relay_marks_free(struct eqm_relay_marks *m) {
    eqm_buf_free(&m->ids);
    eqm_buf_free(&m->alert_ids);
    eqm_buf_free(&m->partitions);
    eqm_buf_free(&m->offsets);
}

void eqm_relay_stats_format(const struct eqm_relay_stats *s, double uptime_s, char *buf,
                            size_t size) {
    char unsent[24];

    if (s->unsent_at_exit < 0)
        snprintf(unsent, sizeof(unsent), "unknown");
    else
        snprintf(unsent, sizeof(unsent), "%" PRId64, s->unsent_at_exit);
    snprintf(buf, size,
             "uptime_s=%.1f rounds=%" PRIu64 " published=%" PRIu64 " marked=%" PRIu64
             " delivery_failed=%" PRIu64 " mark_failed=%" PRIu64 " payload_warnings=%" PRIu64
             " pg_reconnects=%" PRIu64 " producer_restarts=%" PRIu64 " unmarked_at_exit=%" PRIu64
             " unsent_at_exit=%s",
             uptime_s, s->rounds, s->published, s->marked, s->delivery_failed, s->mark_failed,
             s->payload_warnings, s->pg_reconnects, s->producer_restarts, s->unmarked_at_exit,
             unsent);
}

/* ---- the running relay ------------------------------------------------ */

/* One relay publishes at a time; any constant will do, distinct from the
 * migration lock ("EQMM"). */
#define RELAY_LOCK_KEY     0x45514d52 /* "EQMR" */
#define NOTIFY_CHANNEL     "equality_alert_outbox"
#define WAIT_SLICE_MS      250 /* longest sleep between checks of the run flag */
#define FAILED_ROWS_LOGGED 5   /* per round; the rest are summarised */

#define SELECT_SQL                                                                                 \
    "SELECT id, alert_id::text, fingerprint, status, audience, payload::text"                      \
    "  FROM equality.alert_outbox"                                                                 \
    " WHERE sent_at IS NULL AND publish"                                                           \
    " ORDER BY id LIMIT $1"

/* Stamps only rows still unsent: a row another relay (or an earlier round
 * whose stamp we thought failed) already stamped keeps its first stamp.
 * Matching the alert_id too means a stamp can only ever land on the row
 * whose message was delivered (not on another database's row 42 after a
 * reconnection to the wrong server, say). */
#define MARK_SQL                                                                                   \
    "UPDATE equality.alert_outbox o"                                                               \
    "   SET sent_at = now(), kafka_partition = u.p, kafka_offset = u.o"                            \
    "  FROM unnest($1::bigint[], $2::uuid[], $3::integer[], $4::bigint[])"                         \
    "       AS u(id, alert_id, p, o)"                                                              \
    " WHERE o.id = u.id AND o.alert_id = u.alert_id AND o.sent_at IS NULL"

struct eqm_relay {
    const struct eqm_config *cfg;
    const struct eqm_relay_config *rcfg;
    PGconn *conn;
    rd_kafka_t *rk;
    bool leader;         /* holds the relay lock on conn */
    bool standby_logged; /* "another relay is active" said once */
    bool producer_fatal; /* set by error_cb: recreate the producer */
    char fatal_reason[300];
    /* One slot per row of the round in flight; the delivery report of
     * row i writes slot i (its opaque). Never reallocated in flight. */
    struct eqm_relay_delivery *slots;
    size_t cap_slots;
    size_t outstanding; /* produced, no report yet */
    /* Acknowledged but not stamped (the stamp failed): stamped first on
     * the next round, so a PostgreSQL outage does not resend them. */
    struct eqm_relay_delivery *pending;
    size_t n_pending, cap_pending;
    struct eqm_relay_marks marks;
    int failures;        /* consecutive rounds with a failed delivery */
    int64_t retry_at_ms; /* no round before this (back-off) */
    int pg_failures;     /* consecutive failed connection attempts */
    struct eqm_relay_stats st;
    int64_t started_ms;
    unsigned rand_state;
    char errstr[512];
};

static double jitter(struct eqm_relay *r) {
    r->rand_state = r->rand_state * 1103515245u + 12345u;
    return (double)((r->rand_state >> 16) & 0x7fff) / 32768.0;
}

/* Sleeps up to ms, waking early on a NOTIFY or a signal. Returns true if
 * a notification arrived. Serves the producer's events meanwhile. */
static bool wait_for_work(struct eqm_relay *r, long ms) {
    int64_t until = eqm_time_mono_ms() + ms;
    bool notified = false;
    PGnotify *n;

    /* libpq may have queued a notification while reading the last query's
     * result: its socket is then quiet, but the row is there to read. */
    while (r->conn && (n = PQnotifies(r->conn)) != NULL) {
        notified = true;
        PQfreemem(n);
    }
    while (eqm_signals_running() && !notified) {
        int64_t left = until - eqm_time_mono_ms();
        struct pollfd pfd = {.fd = r->conn ? PQsocket(r->conn) : -1, .events = POLLIN};
        int slice;

        if (left <= 0)
            break;
        slice = left < WAIT_SLICE_MS ? (int)left : WAIT_SLICE_MS;
        if (r->rk)
            rd_kafka_poll(r->rk, 0);
        if (pfd.fd < 0) {
            usleep((useconds_t)slice * 1000);
            continue;
        }
        if (poll(&pfd, 1, slice) > 0) {
            if (!PQconsumeInput(r->conn))
                break; /* the next query finds the connection broken */
            while ((n = PQnotifies(r->conn)) != NULL) {
                notified = true;
                PQfreemem(n);
            }
        }
    }
    return notified;
}

/* Drops the connection after a PostgreSQL failure; the loop reconnects. */
static void pg_drop(struct eqm_relay *r, PGresult *res, const char *what) {
    eqm_pg_error(r->conn, res, what, r->errstr, sizeof(r->errstr));
    eqm_log_error("PostgreSQL failed; reconnecting", "error=%s", eqm_log_q(r->errstr));
    PQclear(res);
    PQfinish(r->conn);
    r->conn = NULL;
    r->leader = false;
}

static int pg_connect(struct eqm_relay *r) {
    r->conn = eqm_pg_connect(r->cfg->pg_url, "eqm-alert-relay", r->errstr, sizeof(r->errstr));
    if (!r->conn)
        return -1;
    /* LISTEN before the first read: a row committed between the read and
     * the LISTEN would otherwise wait for the poll interval. */
    if (eqm_pg_exec(r->conn, "LISTEN " NOTIFY_CHANNEL, r->errstr, sizeof(r->errstr)) != 0) {
        PQfinish(r->conn);
        r->conn = NULL;
        return -1;
    }
    return 0;
}

/* Becomes the active relay if no other holds the lock. */
static int take_lock(struct eqm_relay *r) {
    char sql[64];
    PGresult *res;

    snprintf(sql, sizeof(sql), "SELECT pg_try_advisory_lock(%d)", RELAY_LOCK_KEY);
    res = PQexec(r->conn, sql);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        pg_drop(r, res, "taking the relay lock");
        return -1;
    }
    r->leader = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    if (r->leader) {
        eqm_log_info("active relay", "topic=%s", r->rcfg->alerts_topic);
        r->standby_logged = false;
    } else if (!r->standby_logged) {
        eqm_log_info("another relay is active; standing by", "poll_ms=%ld",
                     r->rcfg->poll_interval_ms);
        r->standby_logged = true;
    }
    return 0;
}

/* ---- producer --------------------------------------------------------- */

static void dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque) {
    struct eqm_relay *r = opaque;
    struct eqm_relay_delivery *d = rkm->_private;
    (void)rk;
    if (!d)
        return;
    d->done = true;
    d->err = (int)rkm->err;
    d->partition = rkm->partition;
    d->offset = rkm->offset;
    if (r->outstanding > 0)
        r->outstanding--;
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque) {
    struct eqm_relay *r = opaque;

    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        char why[200];
        rd_kafka_resp_err_t ferr = rd_kafka_fatal_error(rk, why, sizeof(why));
        snprintf(r->fatal_reason, sizeof(r->fatal_reason), "%s: %s", rd_kafka_err2name(ferr), why);
        r->producer_fatal = true;
        eqm_log_error("producer fatal error; it will be recreated", "error=%s",
                      eqm_log_q(r->fatal_reason));
        return;
    }
    eqm_log_warn("Kafka error", "code=%s detail=%s", rd_kafka_err2name((rd_kafka_resp_err_t)err),
                 eqm_log_q(reason));
}

static int producer_new(struct eqm_relay *r, char *errstr, size_t sz) {
    /* Idempotent: the producer's own retries never duplicate or reorder
     * a message; acks=all: a report of success means the broker has it.
     * The user's -X / kafka.* properties come last and win. */
    static const char *const props[] = {"enable.idempotence", "true", "acks", "all",
                                        "linger.ms",          "5",    NULL};
    struct eqm_kafka_spec spec = {
        .type = RD_KAFKA_PRODUCER,
        .client_id = "eqm-alert-relay",
        .brokers = r->cfg->kafka_brokers,
        .props = props,
        .user_names = r->cfg->prop_names,
        .user_values = r->cfg->prop_values,
        .n_user = r->cfg->n_props,
        .opaque = r,
        .dr_msg_cb = dr_msg_cb,
        .error_cb = error_cb,
        .route_logs = true, /* through rd_kafka_poll(), on our thread */
    };

    for (int i = 0; i < r->cfg->n_props; i++) {
        const char *k = r->cfg->prop_names[i], *v = r->cfg->prop_values[i];
        /* What the guarantees rest on cannot be switched off. */
        if ((!strcmp(k, "enable.idempotence") && strcmp(v, "true")) ||
            ((!strcmp(k, "acks") || !strcmp(k, "request.required.acks")) && strcmp(v, "all") &&
             strcmp(v, "-1"))) {
            snprintf(errstr, sz,
                     "Kafka property %s=%s: the relay needs enable.idempotence=true and acks=all",
                     k, v);
            return -1;
        }
    }
    if (!(r->rk = eqm_kafka_new(&spec, errstr, sz)))
        return -1;
    r->producer_fatal = false;
    return 0;
}

/* Called between rounds only (nothing outstanding). */
static int producer_restart(struct eqm_relay *r) {
    rd_kafka_destroy(r->rk);
    r->rk = NULL;
    r->st.producer_restarts++;
    if (producer_new(r, r->errstr, sizeof(r->errstr)) != 0) {
        eqm_log_error("cannot recreate the producer", "error=%s", eqm_log_q(r->errstr));
        return -1;
    }
    { eqm_log_info("producer recreated", "after=%s", eqm_log_q(r->fatal_reason)); }
    return 0;
}

/* ---- one round -------------------------------------------------------- */

/* Stamps the acknowledged slots d[0..n); on failure keeps them pending. */
static int mark_sent(struct eqm_relay *r, struct eqm_relay_delivery *d, size_t n, int *marked) {
    const char *params[4];
    PGresult *res;
    int count = eqm_relay_marks_build(d, n, &r->marks);

    *marked = 0;
    if (count < 0) {
        snprintf(r->errstr, sizeof(r->errstr), "out of memory");
        return -1;
    }
    if (count == 0)
        return 0;
    params[0] = r->marks.ids.data;
    params[1] = r->marks.alert_ids.data;
    params[2] = r->marks.partitions.data;
    params[3] = r->marks.offsets.data;
    res = PQexecParams(r->conn, MARK_SQL, 4, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        r->st.mark_failed += (uint64_t)count;
        pg_drop(r, res, "stamping sent alerts");
        return -1;
    }
    *marked = atoi(PQcmdTuples(res));
    PQclear(res);
    r->st.marked += (uint64_t)*marked;
    return 0;
}

/* Keeps the acknowledged slots of a round whose stamp failed. */
static int keep_pending(struct eqm_relay *r, const struct eqm_relay_delivery *d, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (!d[i].done || d[i].err != 0)
            continue;
        if (r->n_pending == r->cap_pending) {
            size_t cap = r->cap_pending ? r->cap_pending * 2 : 64;
            struct eqm_relay_delivery *p = realloc(r->pending, cap * sizeof(*p));
            if (!p)
                return -1; /* they go out again: duplicates, not losses */
            r->pending = p;
            r->cap_pending = cap;
        }
        r->pending[r->n_pending++] = d[i];
    }
    return 0;
}

static int flush_pending(struct eqm_relay *r) {
    int marked;
    if (mark_sent(r, r->pending, r->n_pending, &marked) != 0)
        return -1;
    eqm_log_info("stamped alerts delivered before a PostgreSQL failure", "rows=%zu stamped=%d",
                 r->n_pending, marked);
    r->n_pending = 0;
    return 0;
}

/* Produces row i of res into slot i. Returns 0 or -1 (slot failed). */
static int produce_row(struct eqm_relay *r, PGresult *res, int i) {
    struct eqm_relay_row row = {
        .id = strtoll(PQgetvalue(res, i, 0), NULL, 10),
        .alert_id = PQgetvalue(res, i, 1),
        .fingerprint = PQgetvalue(res, i, 2),
        .status = PQgetvalue(res, i, 3),
        .audience = PQgetvalue(res, i, 4),
        .payload = PQgetvalue(res, i, 5),
        .payload_len = (size_t)PQgetlength(res, i, 5),
    };
    struct eqm_relay_delivery *d = &r->slots[i];
    struct eqm_relay_message msg;
    rd_kafka_headers_t *hdrs;
    rd_kafka_resp_err_t err;
    char why[256];

    memset(d, 0, sizeof(*d));
    d->id = row.id;
    snprintf(d->alert_id, sizeof(d->alert_id), "%s", row.alert_id);
    if (eqm_relay_payload_check(&row, why, sizeof(why)) != 0) {
        r->st.payload_warnings++;
        eqm_log_error("outbox payload disagrees with its row; publishing it as stored",
                      "outbox_id=%" PRId64 " alert_id=%s problem=%s", row.id, row.alert_id,
                      eqm_log_q(why));
    }
    if (eqm_relay_message_build(&row, &msg, why, sizeof(why)) != 0) {
        eqm_log_error("outbox row cannot be sent", "outbox_id=%" PRId64 " problem=%s", row.id,
                      eqm_log_q(why));
        d->done = true;
        d->err = RD_KAFKA_RESP_ERR__INVALID_ARG;
        return -1;
    }
    hdrs = rd_kafka_headers_new((size_t)msg.n_headers);
    for (int h = 0; h < msg.n_headers; h++)
        rd_kafka_header_add(hdrs, msg.headers[h].name, -1, msg.headers[h].value, -1);
    for (;;) {
        err = rd_kafka_producev(r->rk, RD_KAFKA_V_TOPIC(r->rcfg->alerts_topic),
                                RD_KAFKA_V_KEY(msg.key, msg.key_len),
                                RD_KAFKA_V_VALUE((void *)msg.value, msg.value_len),
                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(hdrs),
                                RD_KAFKA_V_OPAQUE(d), RD_KAFKA_V_END);
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
            break;
        rd_kafka_poll(r->rk, 100); /* let reports drain, then try again */
    }
    if (err) {
        /* Not queued: the headers are still ours. */
        rd_kafka_headers_destroy(hdrs);
        d->done = true;
        d->err = (int)err;
        return -1;
    }
    r->outstanding++;
    return 0;
}

/* Reads up to a batch, publishes it, waits for every report, stamps the
 * acknowledged rows. Returns rows read (0 = nothing to send), or -1 when
 * PostgreSQL failed (the connection was dropped). *failed counts rows
 * that were not acknowledged. */
static int relay_round(struct eqm_relay *r, int *failed) {
    char limit[24];
    const char *params[1] = {limit};
    PGresult *res;
    int n, marked, logged = 0;
    const char *first_err = NULL;
    int64_t t0 = eqm_time_mono_ms();

    *failed = 0;
    snprintf(limit, sizeof(limit), "%zu", r->cap_slots);
    res = PQexecParams(r->conn, SELECT_SQL, 1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        pg_drop(r, res, "reading the outbox");
        return -1;
    }
    n = PQntuples(res);
    if (n == 0) {
        PQclear(res);
        return 0;
    }
    r->st.rounds++;
    for (int i = 0; i < n; i++)
        produce_row(r, res, i);
    PQclear(res); /* F_COPY: librdkafka holds its own copies */

    /* Every report, even when stopping: a graceful stop finishes the round.
     * Each message has a report within message.timeout.ms. */
    while (r->outstanding > 0)
        rd_kafka_poll(r->rk, 100);

    for (int i = 0; i < n; i++) {
        struct eqm_relay_delivery *d = &r->slots[i];
        if (d->err == 0) {
            r->st.published++;
            /* Alerts are rare and each matters: one line per alert. */
            eqm_log_info("alert published",
                         "outbox_id=%" PRId64 " alert_id=%s partition=%d offset=%" PRId64, d->id,
                         d->alert_id, (int)d->partition, d->offset);
            continue;
        }
        (*failed)++;
        r->st.delivery_failed++;
        if (!first_err)
            first_err = rd_kafka_err2str((rd_kafka_resp_err_t)d->err);
        if (logged++ < FAILED_ROWS_LOGGED) {
            eqm_log_warn("alert not delivered; will retry",
                         "outbox_id=%" PRId64 " alert_id=%s error=%s", d->id, d->alert_id,
                         eqm_log_q(rd_kafka_err2str((rd_kafka_resp_err_t)d->err)));
        }
    }
    if (mark_sent(r, r->slots, (size_t)n, &marked) != 0) {
        if (keep_pending(r, r->slots, (size_t)n) != 0)
            eqm_log_error("out of memory keeping stamps; those alerts will be sent again",
                          "rows=%d", n - *failed);
        return -1;
    }
    if (*failed) {
        eqm_log_warn("alerts published with failures",
                     "rows=%d published=%d failed=%d "
                     "stamped=%d error=%s ms=%" PRId64,
                     n, n - *failed, *failed, marked, eqm_log_q(first_err),
                     eqm_time_mono_ms() - t0);
    } else {
        eqm_log_info("alerts published",
                     "rows=%d stamped=%d outbox_ids=%" PRId64 "..%" PRId64 " topic=%s ms=%" PRId64,
                     n, marked, r->slots[0].id, r->slots[n - 1].id, r->rcfg->alerts_topic,
                     eqm_time_mono_ms() - t0);
    }
    return n;
}

/* ---- lifecycle -------------------------------------------------------- */

int eqm_relay_new(struct eqm_relay **out, const struct eqm_config *cfg,
                  const struct eqm_relay_config *rcfg, char *errstr, size_t sz) {
    struct eqm_relay *r = calloc(1, sizeof(*r));
    PGconn *mig;

    if (!r) {
        snprintf(errstr, sz, "out of memory");
        return -1;
    }
    r->cfg = cfg;
    r->rcfg = rcfg;
    r->started_ms = eqm_time_mono_ms();
    r->rand_state = (unsigned)getpid() ^ (unsigned)eqm_time_now_us();
    r->st.unsent_at_exit = -1;
    if (!*rcfg->alerts_topic) {
        snprintf(errstr, sz, "alerts.topic must not be empty");
        goto fail;
    }
    r->cap_slots = (size_t)rcfg->batch_max_messages;
    r->slots = calloc(r->cap_slots, sizeof(*r->slots));
    if (!r->slots) {
        snprintf(errstr, sz, "out of memory for %zu rows (batch.max.messages)", r->cap_slots);
        goto fail;
    }
    /* The producer first: a refused -X property is reported before any
     * connection is attempted. It connects in the background. */
    if (producer_new(r, errstr, sz) != 0)
        goto fail;
    /* The migrations bring the outbox and its NOTIFY trigger. */
    mig = eqm_pg_connect(cfg->pg_url, "eqm-migrate", errstr, sz);
    if (!mig)
        goto fail;
    if (eqm_migrate_run(mig, errstr, sz) < 0) {
        PQfinish(mig);
        goto fail;
    }
    (void)eqm_pg_check_role(mig, "eqm-alert-relay", "eqm_relay");
    PQfinish(mig);
    if (pg_connect(r) != 0) {
        snprintf(errstr, sz, "%s", r->errstr);
        goto fail;
    }
    *out = r;
    return 0;
fail:
    eqm_relay_free(&r);
    return -1;
}

static int64_t count_unsent(struct eqm_relay *r) {
    PGresult *res;
    int64_t n = -1;

    if (!r->conn)
        return -1;
    res = PQexec(r->conn, "SELECT count(*) FROM equality.alert_outbox"
                          " WHERE sent_at IS NULL AND publish");
    if (PQresultStatus(res) == PGRES_TUPLES_OK)
        n = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return n;
}

int eqm_relay_run(struct eqm_relay *r) {
    const struct eqm_relay_config *rcfg = r->rcfg;
    int64_t idle_ms = (int64_t)(rcfg->exit_when_idle * 1000.0);
    int64_t last_busy = eqm_time_mono_ms();
    char summary[512];
    int rc = 0;

    eqm_log_info("relay started", "topic=%s batch=%zu poll_ms=%ld exit_when_idle_s=%g",
                 rcfg->alerts_topic, r->cap_slots, rcfg->poll_interval_ms, rcfg->exit_when_idle);
    while (eqm_signals_running()) {
        int64_t now;
        int n, failed;

        rd_kafka_poll(r->rk, 0);
        if (r->producer_fatal && producer_restart(r) != 0) {
            rc = 1;
            break;
        }
        if (!r->conn) {
            if (pg_connect(r) != 0) {
                long wait = eqm_relay_backoff_ms(++r->pg_failures, rcfg->retry_backoff_ms,
                                                 rcfg->retry_backoff_max_ms, jitter(r));
                eqm_log_warn("PostgreSQL unavailable", "attempt=%d retry_in_ms=%ld error=%s",
                             r->pg_failures, wait, eqm_log_q(r->errstr));
                wait_for_work(r, wait);
                continue;
            }
            r->st.pg_reconnects++; /* the first connection is made by eqm_relay_new() */
            eqm_log_info("reconnected to PostgreSQL", "attempts=%d", r->pg_failures + 1);
            r->pg_failures = 0;
        }
        if (!r->leader) {
            if (take_lock(r) != 0)
                continue;
            if (!r->leader) {
                last_busy = eqm_time_mono_ms(); /* a standby is not idle */
                wait_for_work(r, rcfg->poll_interval_ms);
                continue;
            }
        }
        if (r->n_pending && flush_pending(r) != 0)
            continue;
        now = eqm_time_mono_ms();
        if (now < r->retry_at_ms) {
            /* Backing off: a NOTIFY does not cut the wait short. */
            wait_for_work(r, (long)(r->retry_at_ms - now));
            continue;
        }
        n = relay_round(r, &failed);
        if (n < 0)
            continue;
        now = eqm_time_mono_ms();
        if (n > 0) {
            last_busy = now;
            if (failed) {
                long wait = eqm_relay_backoff_ms(++r->failures, rcfg->retry_backoff_ms,
                                                 rcfg->retry_backoff_max_ms, jitter(r));
                r->retry_at_ms = now + wait;
                eqm_log_warn("retrying failed alerts later", "rows=%d attempt=%d retry_in_ms=%ld",
                             failed, r->failures, wait);
            } else {
                r->failures = 0;
            }
            continue; /* a full batch, or rows that came meanwhile */
        }
        r->failures = 0; /* nothing left to retry (e.g. silenced meanwhile) */
        if (idle_ms > 0 && now - last_busy >= idle_ms) {
            eqm_log_info("idle: stopping", "idle_s=%.1f", rcfg->exit_when_idle);
            break;
        }
        wait_for_work(r, rcfg->poll_interval_ms);
    }
    /* Stopping: rounds always finish before the loop looks at the flag, so
     * only stamps that failed can be left; one last try. */
    if (r->n_pending && r->conn)
        flush_pending(r);
    r->st.unmarked_at_exit = r->n_pending;
    r->st.unsent_at_exit = count_unsent(r);
    eqm_relay_stats_format(&r->st, (double)(eqm_time_mono_ms() - r->started_ms) / 1000.0, summary,
                           sizeof(summary));
    eqm_log_info("relay stopping", "exit=%d %s", rc, summary);
    return rc;
}

void eqm_relay_free(struct eqm_relay **rp) {
    struct eqm_relay *r;
    if (!rp || !*rp)
        return;
    r = *rp;
    if (r->rk) {
        /* Every round waited for its reports; this only drains events. */
        rd_kafka_flush(r->rk, 5000);
        rd_kafka_destroy(r->rk);
    }
    if (r->conn)
        PQfinish(r->conn);
    free(r->slots);
    free(r->pending);
    eqm_relay_marks_free(&r->marks);
    free(r);
    *rp = NULL;
}

/* ---- settings ---------------------------------------------------------- */

#define OFF(f) offsetof(struct eqm_relay_config, f)

/* A round is one SELECT, one wait for delivery reports and one UPDATE;
 * alerts are rare, so a modest batch keeps a stop quick. */
static const struct eqm_setting relay_settings[] = {
    {"alerts.topic", EQM_SETTING_STRING, OFF(alerts_topic), "equality.alerts", 0, 0, 0,
     "topic alerts are published to", NULL},
    {"batch.max.messages", EQM_SETTING_LONG, OFF(batch_max_messages), "500", 1, 1000000, 0,
     "most outbox rows published in one round", NULL},
    {"exit.when.idle", EQM_SETTING_DOUBLE, OFF(exit_when_idle), "0", 0, 1e9, 0,
     "exit 0 after this many seconds with nothing left to send (0 = never)", NULL},
    {"relay.poll.interval.ms", EQM_SETTING_LONG, OFF(poll_interval_ms), "1000", 10, 3600000, 0,
     "re-read the outbox at least this often (NOTIFY wakes it sooner)", NULL},
    {"relay.retry.backoff.ms", EQM_SETTING_LONG, OFF(retry_backoff_ms), "500", 1, 3600000, 0,
     "first wait before resending alerts whose delivery failed (doubles)", NULL},
    {"relay.retry.backoff.max.ms", EQM_SETTING_LONG, OFF(retry_backoff_max_ms), "30000", 1,
     86400000, 0, "longest wait between resends", NULL},
};

struct eqm_settings eqm_relay_settings(struct eqm_relay_config *rcfg) {
    return (struct eqm_settings){relay_settings, sizeof(relay_settings) / sizeof(relay_settings[0]),
                                 rcfg};
}
