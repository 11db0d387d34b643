/*
 * eqm-notify (contract in notify.h). The order that the guarantees rest
 * on: an alert and its pending deliveries are committed with the offset
 * that moves past its message, and only then sent. A crash before the
 * commit re-reads the message; a crash after it finds the deliveries
 * pending; a crash between a send and its stamp sends again with the same
 * Message-ID. Nothing is lost; a duplicate is recognisable.
 */
#include "notify.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "email.h"
#include "eqm/buf.h"
#include "eqm/kafka.h"
#include "eqm/log.h"
#include "eqm/migrate.h"
#include "eqm/pg.h"
#include "eqm/pgarray.h"
#include "eqm/signals.h"
#include "eqm/timeutil.h"
#include "eqm/utf8.h"

#include "backoff.h"
#include "digest.h"
#include "digest_schedule.h"
#include "webhook.h"

/* ---- pure parts ------------------------------------------------------------ */

static bool is_hex(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)s[i]))
            return false;
    return true;
}

static bool uuid_ok(const char *s) {
    static const int dash[] = {8, 13, 18, 23};
    if (strlen(s) != 36)
        return false;
    for (int i = 0, d = 0; i < 36; i++) {
        if (d < 4 && i == dash[d]) {
            if (s[i] != '-')
                return false;
            d++;
        } else if (!isxdigit((unsigned char)s[i])) {
            return false;
        }
    }
    return true;
}

static const char *get_str(const json_t *o, const char *k) {
    const json_t *v = json_object_get(o, k);
    return json_is_string(v) && json_string_length(v) > 0 ? json_string_value(v) : NULL;
}

int eqm_notify_alert_parse(const char *data, size_t len, struct eqm_notify_alert *a, char *why,
                           size_t sz) {
    json_error_t jerr;

    memset(a, 0, sizeof(*a));
    if (!data || len == 0) {
        snprintf(why, sz, "empty message");
        return -1;
    }
    if (!eqm_utf8_valid(data, len)) {
        snprintf(why, sz, "not UTF-8");
        return -1;
    }
    a->root = json_loadb(data, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (!a->root) {
        snprintf(why, sz, "not JSON: %s (at byte %d)", jerr.text, jerr.position);
        eqm_utf8_fix(why, sz);
        return -1;
    }
    if (!json_is_object(a->root)) {
        snprintf(why, sz, "not a JSON object");
        goto bad;
    }
    a->alert_id = get_str(a->root, "alert_id");
    a->fingerprint = get_str(a->root, "fingerprint");
    a->status = get_str(a->root, "status");
    a->audience = get_str(a->root, "audience");
    a->severity = get_str(a->root, "severity");
    a->summary = get_str(a->root, "summary");
    if (!a->alert_id || !uuid_ok(a->alert_id)) {
        snprintf(why, sz, "alert_id missing or not a uuid");
        goto bad;
    }
    if (!a->fingerprint || strlen(a->fingerprint) != 32 || !is_hex(a->fingerprint, 32)) {
        snprintf(why, sz, "fingerprint missing or not 32 hex digits");
        goto bad;
    }
    if (!a->status || (strcmp(a->status, "firing") != 0 && strcmp(a->status, "resolved") != 0)) {
        snprintf(why, sz, "status missing or not firing/resolved");
        goto bad;
    }
    if (!a->audience || !a->severity || !a->summary) {
        snprintf(why, sz, "%s missing or empty",
                 !a->audience   ? "audience"
                 : !a->severity ? "severity"
                                : "summary");
        goto bad;
    }
    return 0;
bad:
    json_decref(a->root);
    memset(a, 0, sizeof(*a));
    return -1;
}

const char *eqm_notify_next_state(enum eqm_delivery_outcome outcome, int attempts,
                                  long max_attempts) {
    if (outcome == EQM_DELIVERY_OK)
        return "delivered";
    if (outcome == EQM_DELIVERY_PERMANENT || attempts >= max_attempts)
        return "failed";
    return "pending";
}

const char *eqm_notify_every_name(enum eqm_sub_mode mode) {
    return mode == EQM_SUB_DAILY     ? "daily"
           : mode == EQM_SUB_WEEKLY  ? "weekly"
           : mode == EQM_SUB_MONTHLY ? "monthly"
                                     : "immediate";
}

struct eqm_digest_schedule eqm_notify_schedule(const struct eqm_sub *s) {
    static const enum eqm_digest_every every[] = {
        [EQM_SUB_DAILY] = EQM_DIGEST_DAILY,
        [EQM_SUB_WEEKLY] = EQM_DIGEST_WEEKLY,
        [EQM_SUB_MONTHLY] = EQM_DIGEST_MONTHLY,
    };
    struct eqm_digest_schedule d = {.hour = s->digest_hour, .minute = s->digest_minute};

    d.every = s->mode == EQM_SUB_IMMEDIATE ? EQM_DIGEST_DAILY : every[s->mode];
    if (s->mode == EQM_SUB_WEEKLY)
        d.weekday = (s->digest_day + 1) % 7;
    if (s->mode == EQM_SUB_MONTHLY)
        d.monthday = s->digest_day;
    return d;
}

int eqm_notify_check_audiences(const struct eqm_subs *subs, const struct eqm_alert_rules *rules) {
    int missing = 0, total = rules ? eqm_alert_rules_total(rules) : 0;

    for (size_t i = 0; i < subs->n; i++) {
        const struct eqm_sub *s = &subs->items[i];
        char masked[300];
        if (s->mode == EQM_SUB_IMMEDIATE)
            continue;
        eqm_notify_mask(s->target, masked, sizeof(masked));
        eqm_log_info("digest subscriber", "audience=%s recipient=%s target=%s every=%s",
                     s->audience, s->id, masked, eqm_notify_every_name(s->mode));
    }
    for (int i = 0; i < total; i++) {
        const struct eqm_alert_rule *r = eqm_alert_rules_get(rules, i);
        bool seen = false;
        for (int j = 0; j < i && !seen; j++)
            seen = strcmp(eqm_alert_rules_get(rules, j)->audience, r->audience) == 0;
        if (seen)
            continue;
        if (eqm_subs_count(subs, r->audience) == 0) {
            missing++;
            eqm_log_warn("no subscriber for an audience the rules name: its alerts are "
                         "recorded, not delivered",
                         "audience=%s rule=%s", r->audience, r->name);
        }
    }
    return missing;
}

/* ---- the running service ------------------------------------------------------- */

#define WAIT_SLICE_MS 250
#define BURST_MAX     100 /* messages recorded before a delivery round */

struct notify_stats {
    uint64_t received, duplicates, rejected, deliveries_created;
    uint64_t attempts, delivered, retried, failed, pg_reconnects;
};

struct eqm_notify {
    const struct eqm_config *cfg;
    const struct eqm_notify_config *ncfg;
    const struct eqm_subs *subs;
    PGconn *conn;
    rd_kafka_t *rk;
    struct eqm_smtp smtp;
    uint64_t rnd;
    bool fatal;
    long lease_ms;
    int pg_failures;
    struct notify_stats st;
    struct eqm_buf a[4], msg;
    int64_t *last_due; /* per subscriber: the period_end last scheduled (s) */
    int64_t started_ms;
    char errstr[512];
};

static void pg_drop(struct eqm_notify *n, PGresult *res, const char *what) {
    eqm_pg_error(n->conn, res, what, n->errstr, sizeof(n->errstr));
    PQclear(res);
    PQfinish(n->conn);
    n->conn = NULL;
    eqm_log_error("PostgreSQL failed; tried again once reconnected", "error=%s",
                  eqm_log_q(n->errstr));
}

/* Connects if need be, backing off between failures. 0 when connected. */
static int pg_ensure(struct eqm_notify *n) {
    if (n->conn)
        return 0;
    n->conn = eqm_pg_connect(n->cfg->pg_url, "eqm-notify", n->errstr, sizeof(n->errstr));
    if (!n->conn) {
        int64_t wait = eqm_backoff_ms(++n->pg_failures, 500, 10000, -1, &n->rnd);
        eqm_log_warn("PostgreSQL unavailable", "attempt=%d retry_in_ms=%" PRId64 " error=%s",
                     n->pg_failures, wait, eqm_log_q(n->errstr));
        for (int64_t end = eqm_time_mono_ms() + wait;
             eqm_signals_running() && eqm_time_mono_ms() < end;)
            usleep(WAIT_SLICE_MS * 1000);
        return -1;
    }
    if (n->pg_failures) {
        n->st.pg_reconnects++;
        eqm_log_info("reconnected to PostgreSQL", "attempts=%d", n->pg_failures + 1);
    }
    n->pg_failures = 0;
    return 0;
}

static PGresult *exec(struct eqm_notify *n, const char *what, ExecStatusType want, const char *sql,
                      int np, const char *const *params) {
    PGresult *res = PQexecParams(n->conn, sql, np, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != want) {
        pg_drop(n, res, what);
        return NULL;
    }
    return res;
}

/* ---- rebalances ---------------------------------------------------------------- */

/* The stored offsets of the assigned partitions, as the engine does:
 * PostgreSQL holds them, the broker's committed offsets are not used. */
static int seek_stored(struct eqm_notify *n, rd_kafka_topic_partition_list_t *list) {
    struct eqm_buf parts = {0};
    const char *params[3];
    PGresult *res = NULL;
    int rc = -1;

    eqm_pg_array_begin(&parts);
    for (int i = 0; i < list->cnt; i++)
        eqm_pg_array_int(&parts, list->elems[i].partition);
    if (eqm_pg_array_end(&parts) != 0)
        goto out;
    params[0] = n->ncfg->group_id;
    params[1] = n->ncfg->alerts_topic;
    params[2] = parts.data;
    for (int tries = 0; tries < 5 && eqm_signals_running(); tries++) {
        if (pg_ensure(n) != 0)
            continue;
        res = exec(n, "reading offsets", PGRES_TUPLES_OK,
                   "SELECT partition, next_offset FROM equality.kafka_offsets"
                   " WHERE consumer_group = $1 AND topic = $2 AND partition = ANY($3::int[])",
                   3, params);
        if (res)
            break;
    }
    if (!res)
        goto out;
    for (int i = 0; i < list->cnt; i++) {
        rd_kafka_topic_partition_t *tp = &list->elems[i];
        tp->offset = RD_KAFKA_OFFSET_BEGINNING;
        for (int r = 0; r < PQntuples(res); r++)
            if (atoi(PQgetvalue(res, r, 0)) == tp->partition && !PQgetisnull(res, r, 1))
                tp->offset = strtoll(PQgetvalue(res, r, 1), NULL, 10);
        eqm_log_info("partition assigned", "topic=%s partition=%d offset=%lld", tp->topic,
                     (int)tp->partition, (long long)tp->offset);
    }
    rc = 0;
out:
    PQclear(res);
    eqm_buf_free(&parts);
    return rc;
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *list, void *opaque) {
    struct eqm_notify *n = opaque;

    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        if (seek_stored(n, list) != 0) {
            /* Reading from anywhere else could skip alerts: stop, and let
             * the supervisor start us again. */
            eqm_log_error("cannot read the stored offsets; stopping", "error=%s",
                          eqm_log_q(n->errstr));
            n->fatal = true;
            rd_kafka_assign(rk, NULL);
            return;
        }
        rd_kafka_assign(rk, list);
        return;
    }
    /* Each message is committed before the next is read: nothing to
     * finish when partitions go. */
    eqm_log_info("partitions revoked", "count=%d", list->cnt);
    rd_kafka_assign(rk, NULL);
}

/* ---- one message, one transaction ------------------------------------------------- */

#define SQL_ALERT                                                                                  \
    "INSERT INTO equality.notify_alerts (alert_id, fingerprint, status, audience, severity,"       \
    " payload, topic, kafka_partition, kafka_offset)"                                              \
    " VALUES ($1::uuid, $2, $3, $4, $5, $6::jsonb, $7, $8::int, $9::bigint)"                       \
    " ON CONFLICT (alert_id) DO NOTHING"
#define SQL_DELIVERIES                                                                             \
    "INSERT INTO equality.notify_deliveries (alert_id, recipient, channel, target, message_id)"    \
    " SELECT $1::uuid, u.r, u.c, u.t, u.m"                                                         \
    "   FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) AS u(r, c, t, m)"
#define SQL_REJECT                                                                                 \
    "INSERT INTO equality.notify_rejections (topic, kafka_partition, kafka_offset, reason,"        \
    " payload_bytes) VALUES ($1, $2::int, $3::bigint, $4, $5::int) ON CONFLICT DO NOTHING"
#define SQL_OFFSET                                                                                 \
    "INSERT INTO equality.kafka_offsets (consumer_group, topic, partition, next_offset, source)"   \
    " VALUES ($1, $2, $3::int, $4::bigint, 'notify')"                                              \
    " ON CONFLICT (consumer_group, topic, partition)"                                              \
    " DO UPDATE SET next_offset = EXCLUDED.next_offset, updated_at = now()"

/* Fills the delivery arrays for the matching subscribers; their count. */
static int build_deliveries(struct eqm_notify *n, const struct eqm_notify_alert *a) {
    int count = 0;

    for (int i = 0; i < 4; i++)
        eqm_pg_array_begin(&n->a[i]);
    for (size_t i = 0; i < n->subs->n; i++) {
        const struct eqm_sub *s = &n->subs->items[i];
        char mid[EQM_EMAIL_MESSAGE_ID_SIZE];
        const char *ch = eqm_sub_channel_name(s->channel);
        if (!eqm_sub_matches(s, a->audience, a->severity))
            continue;
        eqm_email_message_id(a->alert_id, s->id, mid);
        eqm_pg_array_text(&n->a[0], s->id, strlen(s->id));
        eqm_pg_array_text(&n->a[1], ch, strlen(ch));
        eqm_pg_array_text(&n->a[2], s->target, strlen(s->target));
        eqm_pg_array_text(&n->a[3], mid, strlen(mid));
        count++;
    }
    for (int i = 0; i < 4; i++)
        if (eqm_pg_array_end(&n->a[i]) != 0)
            return -1;
    return count;
}

enum txn { TXN_OK, TXN_RETRY, TXN_DATA };

/* One attempt at the message's transaction. TXN_DATA: PostgreSQL refused
 * the payload itself (jsonb cannot hold it): record it as a rejection. */
static enum txn message_txn(struct eqm_notify *n, const rd_kafka_message_t *rkm,
                            const struct eqm_notify_alert *a, const char *reject_why, int *created,
                            bool *duplicate) {
    char part[16], off[24], next[24], bytes[16];
    const char *topic = rd_kafka_topic_name(rkm->rkt);
    PGresult *res;

    *created = 0;
    *duplicate = false;
    snprintf(part, sizeof(part), "%d", (int)rkm->partition);
    snprintf(off, sizeof(off), "%" PRId64, rkm->offset);
    snprintf(next, sizeof(next), "%" PRId64, rkm->offset + 1);
    snprintf(bytes, sizeof(bytes), "%zu", rkm->len);
    if (!(res = exec(n, "BEGIN", PGRES_COMMAND_OK, "BEGIN", 0, NULL)))
        return TXN_RETRY;
    PQclear(res);
    if (a) {
        struct eqm_buf payload = {0};
        const char *p[9] = {a->alert_id, a->fingerprint, a->status, a->audience, a->severity,
                            NULL,        topic,          part,      off};
        eqm_buf_append(&payload, rkm->payload, rkm->len);
        if (!eqm_buf_ok(&payload)) {
            eqm_buf_free(&payload);
            PQclear(PQexec(n->conn, "ROLLBACK"));
            return TXN_RETRY;
        }
        p[5] = payload.data;
        res = PQexecParams(n->conn, SQL_ALERT, 9, NULL, p, NULL, NULL, 0);
        eqm_buf_free(&payload);
        if (PQresultStatus(res) != PGRES_COMMAND_OK) {
            const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
            if (state && strncmp(state, "22", 2) == 0) {
                eqm_pg_error(n->conn, res, "storing the alert", n->errstr, sizeof(n->errstr));
                PQclear(res);
                PQclear(PQexec(n->conn, "ROLLBACK"));
                return TXN_DATA;
            }
            pg_drop(n, res, "storing the alert");
            return TXN_RETRY;
        }
        *duplicate = strcmp(PQcmdTuples(res), "0") == 0;
        PQclear(res);
        if (!*duplicate) {
            int count = build_deliveries(n, a);
            if (count < 0) {
                PQclear(PQexec(n->conn, "ROLLBACK"));
                snprintf(n->errstr, sizeof(n->errstr), "out of memory");
                return TXN_RETRY;
            }
            if (count > 0) {
                const char *dp[5] = {a->alert_id, n->a[0].data, n->a[1].data, n->a[2].data,
                                     n->a[3].data};
                if (!(res = exec(n, "storing deliveries", PGRES_COMMAND_OK, SQL_DELIVERIES, 5, dp)))
                    return TXN_RETRY;
                PQclear(res);
            }
            *created = count;
        }
    } else {
        const char *p[5] = {topic, part, off, reject_why, bytes};
        if (!(res = exec(n, "recording a rejected message", PGRES_COMMAND_OK, SQL_REJECT, 5, p)))
            return TXN_RETRY;
        PQclear(res);
    }
    {
        const char *p[4] = {n->ncfg->group_id, topic, part, next};
        if (!(res = exec(n, "storing the offset", PGRES_COMMAND_OK, SQL_OFFSET, 4, p)))
            return TXN_RETRY;
        PQclear(res);
    }
    if (!(res = exec(n, "COMMIT", PGRES_COMMAND_OK, "COMMIT", 0, NULL)))
        return TXN_RETRY;
    PQclear(res);
    return TXN_OK;
}

/* Commits the message's alert (or rejection) and offset, trying again
 * until it commits or a stop is asked. Returns deliveries created, or -1
 * when stopping before the commit (the message is read again next time). */
static int handle_message(struct eqm_notify *n, const rd_kafka_message_t *rkm) {
    struct eqm_notify_alert a;
    char why[300] = "";
    bool valid = eqm_notify_alert_parse(rkm->payload, rkm->len, &a, why, sizeof(why)) == 0;
    int created = 0;
    bool duplicate = false;

    for (;;) {
        enum txn t;
        if (!eqm_signals_running()) {
            created = -1;
            break;
        }
        if (pg_ensure(n) != 0)
            continue;
        t = message_txn(n, rkm, valid ? &a : NULL, why, &created, &duplicate);
        if (t == TXN_OK)
            break;
        if (t == TXN_DATA) {
            valid = false;
            snprintf(why, sizeof(why), "PostgreSQL refused the payload: %.250s", n->errstr);
            eqm_utf8_fix(why, sizeof(why));
            continue;
        }
        /* A failed statement dropped the connection; pg_ensure() backs off. */
    }
    if (created >= 0) {
        if (!valid) {
            n->st.rejected++;
            eqm_log_error("message is not a usable alert; recorded in equality.notify_rejections",
                          "topic=%s partition=%d offset=%" PRId64 " reason=%s",
                          rd_kafka_topic_name(rkm->rkt), (int)rkm->partition, rkm->offset,
                          eqm_log_q(why));
        } else if (duplicate) {
            n->st.duplicates++;
            eqm_log_info("duplicate alert dropped", "alert_id=%s partition=%d offset=%" PRId64,
                         a.alert_id, (int)rkm->partition, rkm->offset);
        } else {
            n->st.received++;
            n->st.deliveries_created += (uint64_t)created;
            eqm_log_info("alert received",
                         "alert_id=%s fingerprint=%.8s status=%s severity=%s audience=%s "
                         "deliveries=%d partition=%d offset=%" PRId64,
                         a.alert_id, a.fingerprint, a.status, a.severity, a.audience, created,
                         (int)rkm->partition, rkm->offset);
        }
    }
    json_decref(a.root);
    return created;
}

/* ---- deliveries ------------------------------------------------------------------ */

/* Claims the due rows: each claimed row's next_attempt_at moves a lease
 * ahead, so another process (or this one's next round) leaves it alone
 * while it is being sent, and a crash returns it once the lease is over. */
#define SQL_CLAIM                                                                                  \
    "WITH due AS (SELECT alert_id, recipient FROM equality.notify_deliveries"                      \
    "              WHERE state = 'pending' AND next_attempt_at <= now()"                           \
    "              ORDER BY next_attempt_at LIMIT $1::int FOR UPDATE SKIP LOCKED)"                 \
    " UPDATE equality.notify_deliveries d"                                                         \
    "    SET attempts = d.attempts + 1, last_attempt_at = now(),"                                  \
    "        next_attempt_at = now() + make_interval(secs => $2::double precision / 1000)"         \
    "   FROM due JOIN equality.notify_alerts a ON a.alert_id = due.alert_id"                       \
    "  WHERE d.alert_id = due.alert_id AND d.recipient = due.recipient"                            \
    " RETURNING d.alert_id::text, d.recipient, d.channel, d.target, d.message_id, d.attempts,"     \
    "           a.audience, a.payload::text"
#define SQL_RESULT                                                                                 \
    "UPDATE equality.notify_deliveries"                                                            \
    "   SET state = $3, last_status = nullif($4::int, 0), last_error = nullif($5, ''),"            \
    "       delivered_at = CASE WHEN $3 = 'delivered' THEN now() END,"                             \
    "       next_attempt_at = CASE WHEN $3 = 'pending'"                                            \
    "           THEN now() + make_interval(secs => $6::double precision / 1000)"                   \
    "           ELSE next_attempt_at END"                                                          \
    " WHERE alert_id = $1::uuid AND recipient = $2"
/* Rows claimed but not tried (a stop came first): due again at once. */
#define SQL_UNCLAIM                                                                                \
    "UPDATE equality.notify_deliveries SET attempts = attempts - 1, next_attempt_at = now()"       \
    " WHERE alert_id = $1::uuid AND recipient = $2 AND state = 'pending'"

/* Sends one message on the subscriber's channel: an e-mail already built
 * in n->msg, or body as JSON to the webhook. */
static void send_on(struct eqm_notify *n, const struct eqm_sub *sub, const char *target,
                    const json_t *body, const char *message_id, bool generic,
                    struct eqm_delivery_result *res) {
    static const enum eqm_webhook_shape shapes[] = {EQM_WEBHOOK_GENERIC, EQM_WEBHOOK_TEAMS,
                                                    EQM_WEBHOOK_SLACK};
    struct eqm_webhook_target t = {
        .url = target,
        .shape = generic ? EQM_WEBHOOK_GENERIC : shapes[sub->shape],
        .secret_header = sub->secret_header,
        .ca_file = n->ncfg->webhook_ca_file,
        .timeout_ms = n->ncfg->webhook_timeout_ms,
    };

    if (sub->channel == EQM_SUB_EMAIL) {
        eqm_email_send(&n->smtp, target, n->msg.data, n->msg.len, res);
        return;
    }
    if (eqm_webhook_send(&t, body, message_id, res) != 0 && res->detail[0] == '\0')
        snprintf(res->detail, sizeof(res->detail), "webhook send failed");
}

/* The subscriber a claimed row is for, if it is still in the file on the
 * same channel and of the same kind; else *res says so (permanent: a
 * person removed from a list must not be written to). */
static const struct eqm_sub *still_subscribed(struct eqm_notify *n, const char *audience,
                                              const char *recipient, const char *channel,
                                              bool digest, struct eqm_delivery_result *res) {
    const struct eqm_sub *sub = eqm_subs_find(n->subs, audience, recipient);

    memset(res, 0, sizeof(*res));
    res->retry_after_ms = -1;
    if (sub && strcmp(eqm_sub_channel_name(sub->channel), channel) == 0 &&
        (sub->mode != EQM_SUB_IMMEDIATE) == digest)
        return sub;
    res->outcome = EQM_DELIVERY_PERMANENT;
    snprintf(res->detail, sizeof(res->detail),
             "recipient %s of %s is no longer in the subscription file %s on this channel",
             recipient, audience, digest ? "as a digest subscriber" : "");
    return NULL;
}

/* A claimed delivery: alert_id, recipient, channel, target, message_id,
 * attempts, audience, payload. */
static void alert_attempt(struct eqm_notify *n, const PGresult *rows, int i,
                          struct eqm_delivery_result *res) {
    const char *recipient = PQgetvalue(rows, i, 1), *channel = PQgetvalue(rows, i, 2);
    const char *target = PQgetvalue(rows, i, 3), *message_id = PQgetvalue(rows, i, 4);
    const char *audience = PQgetvalue(rows, i, 6), *payload = PQgetvalue(rows, i, 7);
    const struct eqm_sub *sub = still_subscribed(n, audience, recipient, channel, false, res);
    json_error_t jerr;
    json_t *alert;

    if (!sub)
        return;
    alert = json_loads(payload, 0, &jerr);
    if (!alert) {
        res->outcome = EQM_DELIVERY_PERMANENT;
        snprintf(res->detail, sizeof(res->detail), "stored alert is not JSON: %s", jerr.text);
        return;
    }
    if (sub->channel == EQM_SUB_EMAIL &&
        eqm_email_build(&n->msg, alert, n->smtp.from, target, message_id,
                        eqm_time_now_us() / 1000000) != 0) {
        res->outcome = EQM_DELIVERY_RETRY;
        snprintf(res->detail, sizeof(res->detail), "out of memory building the message");
    } else {
        send_on(n, sub, target, alert, message_id, false, res);
    }
    json_decref(alert);
}

/* A digest's content (digest.h), read when it is sent: what fired and
 * what resolved in (period_start, period_end], and what is firing now
 * among the fingerprints of the audience, with where its answer stands.
 * Severities rank as eqm_sub_matches() ranks them (an unknown word is
 * critical); times are RFC 3339 in UTC. */
#define SQL_DIGEST_CONTENT                                                                         \
    "WITH p AS (SELECT to_timestamp($4::double precision) AS s,"                                   \
    "                  to_timestamp($5::double precision) AS e,"                                   \
    "                  'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"' AS f),"                                    \
    " i AS (SELECT a.status, json_build_object('alert_id', a.alert_id,"                            \
    "              'fingerprint', a.fingerprint, 'severity', a.severity,"                          \
    "              'summary', a.payload->>'summary',"                                              \
    "              'at', to_char(a.received_at AT TIME ZONE 'UTC', p.f)) AS j"                     \
    "         FROM equality.notify_alerts a, p"                                                    \
    "        WHERE a.audience = $1 AND a.received_at > p.s AND a.received_at <= p.e"               \
    "          AND (CASE a.severity WHEN 'info' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END)"          \
    "              >= $6::int"                                                                     \
    "        ORDER BY a.received_at, a.alert_id),"                                                 \
    " o AS (SELECT json_build_object('fingerprint', c.fingerprint, 'severity', c.severity,"        \
    "              'summary', l.summary,"                                                          \
    "              'first_breached_at', to_char(c.first_breached_at AT TIME ZONE 'UTC', p.f),"     \
    "              'acknowledged_by', c.acknowledged_by,"                                          \
    "              'acknowledged_at', to_char(c.acknowledged_at AT TIME ZONE 'UTC', p.f),"         \
    "              'responded_by', c.responded_by,"                                                \
    "              'responded_at', to_char(c.responded_at AT TIME ZONE 'UTC', p.f),"               \
    "              'days_unanswered', c.days_unanswered) AS j"                                     \
    "         FROM equality.alerts_current c"                                                      \
    "        CROSS JOIN LATERAL (SELECT a.payload->>'summary' AS summary"                          \
    "                              FROM equality.notify_alerts a"                                  \
    "                             WHERE a.fingerprint = c.fingerprint AND a.audience = $1"         \
    "                             ORDER BY a.received_at DESC LIMIT 1) l, p"                       \
    "        WHERE c.status = 'firing'"                                                            \
    "          AND (CASE c.severity WHEN 'info' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END)"          \
    "              >= $6::int"                                                                     \
    "        ORDER BY c.first_breached_at, c.fingerprint)"                                         \
    " SELECT json_build_object('type', 'digest', 'audience', $1::text, 'recipient', $2::text,"     \
    "        'every', $3::text,"                                                                   \
    "        'period_start', to_char(p.s AT TIME ZONE 'UTC', p.f),"                                \
    "        'period_end', to_char(p.e AT TIME ZONE 'UTC', p.f),"                                  \
    "        'fired', coalesce((SELECT json_agg(j) FROM i WHERE status = 'firing'), '[]'),"        \
    "        'resolved', coalesce((SELECT json_agg(j) FROM i WHERE status = 'resolved'), '[]'),"   \
    "        'open', coalesce((SELECT json_agg(j) FROM o), '[]'))::text"                           \
    "   FROM p"

/* A claimed digest: audience, recipient, period_end, channel, target,
 * message_id, attempts, period_start (the times as epoch seconds). */
static void digest_attempt(struct eqm_notify *n, const PGresult *rows, int i,
                           struct eqm_delivery_result *res) {
    const char *audience = PQgetvalue(rows, i, 0), *recipient = PQgetvalue(rows, i, 1);
    const char *end = PQgetvalue(rows, i, 2), *channel = PQgetvalue(rows, i, 3);
    const char *target = PQgetvalue(rows, i, 4), *message_id = PQgetvalue(rows, i, 5);
    const char *start = PQgetvalue(rows, i, 7);
    const struct eqm_sub *sub = still_subscribed(n, audience, recipient, channel, true, res);
    char rank[8];
    json_error_t jerr;
    json_t *digest = NULL;
    PGresult *q;

    if (!sub)
        return;
    snprintf(rank, sizeof(rank), "%d", (int)sub->min_severity);
    {
        const char *p[6] = {audience, recipient, eqm_notify_every_name(sub->mode),
                            start,    end,       rank};
        q = PQexecParams(n->conn, SQL_DIGEST_CONTENT, 6, NULL, p, NULL, NULL, 0);
    }
    /* A failed read is a retry; the stamp that follows notices a lost
     * connection and reconnects. */
    if (PQresultStatus(q) != PGRES_TUPLES_OK || PQntuples(q) != 1) {
        res->outcome = EQM_DELIVERY_RETRY;
        snprintf(res->detail, sizeof(res->detail), "reading the digest's content: %s",
                 PQerrorMessage(n->conn));
        eqm_utf8_fix(res->detail, sizeof(res->detail));
        goto out;
    }
    if (!(digest = json_loads(PQgetvalue(q, 0, 0), 0, &jerr))) {
        res->outcome = EQM_DELIVERY_RETRY;
        snprintf(res->detail, sizeof(res->detail), "digest content is not JSON: %s", jerr.text);
        goto out;
    }
    if (sub->channel == EQM_SUB_EMAIL &&
        eqm_digest_email_build(&n->msg, digest, strtoll(start, NULL, 10), strtoll(end, NULL, 10),
                               n->smtp.from, target, message_id,
                               eqm_time_now_us() / 1000000) != 0) {
        res->outcome = EQM_DELIVERY_RETRY;
        snprintf(res->detail, sizeof(res->detail), "out of memory building the digest");
        goto out;
    }
    /* Teams and Slack receivers get the generic digest body. */
    send_on(n, sub, target, digest, message_id, true, res);
out:
    json_decref(digest);
    PQclear(q);
}

/* What the delivery loop sends: an alert's deliveries, or digests. The
 * claim's columns are the row's key (nkey columns), then channel, target,
 * message_id, attempts, then what attempt() reads; result and unclaim take
 * the key as their first parameters (result then: state, status, error,
 * delay in ms). */
struct row_kind {
    const char *claim, *result, *unclaim;
    int nkey;
    const char *const *key_names;
    void (*attempt)(struct eqm_notify *n, const PGresult *rows, int i,
                    struct eqm_delivery_result *res);
};

static const char *const alert_keys[] = {"alert_id", "recipient"};
static const struct row_kind alert_rows = {SQL_CLAIM, SQL_RESULT, SQL_UNCLAIM,
                                           2,         alert_keys, alert_attempt};

#define SQL_DIGEST_KEY                                                                             \
    " WHERE audience = $1 AND recipient = $2 AND period_end = to_timestamp($3::double precision)"
#define SQL_DIGEST_CLAIM                                                                           \
    "WITH due AS (SELECT audience, recipient, period_end FROM equality.notify_digests"             \
    "              WHERE state = 'pending' AND next_attempt_at <= now()"                           \
    "              ORDER BY next_attempt_at LIMIT $1::int FOR UPDATE SKIP LOCKED)"                 \
    " UPDATE equality.notify_digests d"                                                            \
    "    SET attempts = d.attempts + 1, last_attempt_at = now(),"                                  \
    "        next_attempt_at = now() + make_interval(secs => $2::double precision / 1000)"         \
    "   FROM due WHERE d.audience = due.audience AND d.recipient = due.recipient"                  \
    "    AND d.period_end = due.period_end"                                                        \
    " RETURNING d.audience, d.recipient, extract(epoch FROM d.period_end)::bigint, d.channel,"     \
    "           d.target, d.message_id, d.attempts, extract(epoch FROM d.period_start)::bigint"
#define SQL_DIGEST_RESULT                                                                          \
    "UPDATE equality.notify_digests"                                                               \
    "   SET state = $4, last_status = nullif($5::int, 0), last_error = nullif($6, ''),"            \
    "       delivered_at = CASE WHEN $4 = 'delivered' THEN now() END,"                             \
    "       next_attempt_at = CASE WHEN $4 = 'pending'"                                            \
    "           THEN now() + make_interval(secs => $7::double precision / 1000)"                   \
    "           ELSE next_attempt_at END" SQL_DIGEST_KEY
#define SQL_DIGEST_UNCLAIM                                                                         \
    "UPDATE equality.notify_digests SET attempts = attempts - 1, next_attempt_at = "               \
    "now()" SQL_DIGEST_KEY " AND state = 'pending'"

static const char *const digest_keys[] = {"audience", "recipient", "period_end"};
static const struct row_kind digest_rows = {
    SQL_DIGEST_CLAIM, SQL_DIGEST_RESULT, SQL_DIGEST_UNCLAIM, 3, digest_keys, digest_attempt};

/* Claims up to delivery.batch due rows of kind k, tries each, records
 * each. Returns the rows claimed, or -1 after a PostgreSQL failure. */
static int claim_round(struct eqm_notify *n, const struct row_kind *k) {
    char limit[24], lease[24];
    const char *params[2] = {limit, lease};
    PGresult *res;
    int rows, i;

    snprintf(limit, sizeof(limit), "%ld", n->ncfg->delivery_batch);
    snprintf(lease, sizeof(lease), "%ld", n->lease_ms);
    if (!(res = exec(n, "claiming deliveries", PGRES_TUPLES_OK, k->claim, 2, params)))
        return -1;
    rows = PQntuples(res);
    for (i = 0; i < rows && eqm_signals_running(); i++) {
        const char *channel = PQgetvalue(res, i, k->nkey);
        const char *target = PQgetvalue(res, i, k->nkey + 1);
        int attempts = atoi(PQgetvalue(res, i, k->nkey + 3));
        struct eqm_delivery_result r;
        const char *state, *p[8];
        char status[16], delay[24], masked[300], keys[400];
        int64_t wait = 0;
        size_t kl = 0;
        PGresult *u;

        keys[0] = '\0';
        for (int j = 0; j < k->nkey; j++) {
            int w = snprintf(keys + kl, sizeof(keys) - kl, "%s%s=%.120s", j ? " " : "",
                             k->key_names[j], PQgetvalue(res, i, j));
            kl = w > 0 && (size_t)w < sizeof(keys) - kl ? kl + (size_t)w : sizeof(keys) - 1;
            p[j] = PQgetvalue(res, i, j);
        }
        k->attempt(n, res, i, &r);
        n->st.attempts++;
        state = eqm_notify_next_state(r.outcome, attempts, n->ncfg->max_attempts);
        if (strcmp(state, "pending") == 0)
            wait = eqm_backoff_ms(attempts, n->ncfg->retry_backoff_ms,
                                  n->ncfg->retry_backoff_max_ms, r.retry_after_ms, &n->rnd);
        snprintf(status, sizeof(status), "%ld", r.status);
        snprintf(delay, sizeof(delay), "%" PRId64, wait);
        eqm_notify_mask(target, masked, sizeof(masked));
        p[k->nkey] = state;
        p[k->nkey + 1] = status;
        p[k->nkey + 2] = r.detail;
        p[k->nkey + 3] = delay;
        u = PQexecParams(n->conn, k->result, k->nkey + 4, NULL, p, NULL, NULL, 0);
        if (PQresultStatus(u) != PGRES_COMMAND_OK) {
            /* Sent but not stamped: the lease returns the row and it is sent
             * again, with the same Message-ID. */
            eqm_log_error("delivery outcome not recorded; it will be attempted again", "%s", keys);
            PQclear(res);
            pg_drop(n, u, "recording a delivery");
            return -1;
        }
        PQclear(u);
        if (r.outcome == EQM_DELIVERY_OK) {
            n->st.delivered++;
            eqm_log_info("delivered", "%s channel=%s target=%s attempt=%d", keys, channel, masked,
                         attempts);
        } else if (strcmp(state, "pending") == 0) {
            n->st.retried++;
            eqm_log_warn("delivery failed; will retry",
                         "%s channel=%s target=%s attempt=%d status=%ld "
                         "retry_in_ms=%" PRId64 " error=%s",
                         keys, channel, masked, attempts, r.status, wait, eqm_log_q(r.detail));
        } else {
            n->st.failed++;
            eqm_log_error("delivery failed for good",
                          "%s channel=%s target=%s attempt=%d status=%ld error=%s", keys, channel,
                          masked, attempts, r.status, eqm_log_q(r.detail));
        }
    }
    for (; i < rows; i++) {
        const char *p[3] = {PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
                            k->nkey > 2 ? PQgetvalue(res, i, 2) : NULL};
        PQclear(PQexecParams(n->conn, k->unclaim, k->nkey, NULL, p, NULL, NULL, 0));
    }
    PQclear(res);
    return rows;
}

/* The digest of the latest period of each digest subscriber, written once
 * (the key holds period_end): its period starts where the subscriber's
 * previous digest ended, so a period missed while the service was down
 * is in the next digest, or, for a first digest, one period back. */
#define SQL_DIGEST_SCHEDULE                                                                        \
    "INSERT INTO equality.notify_digests (audience, recipient, period_end, period_start, channel," \
    " target, message_id)"                                                                         \
    " SELECT $1, $2, to_timestamp($3::double precision),"                                          \
    "        coalesce((SELECT max(period_end) FROM equality.notify_digests"                        \
    "                   WHERE audience = $1 AND recipient = $2"                                    \
    "                     AND period_end < to_timestamp($3::double precision)),"                   \
    "                 to_timestamp($4::double precision)), $5, $6, $7"                             \
    " ON CONFLICT DO NOTHING RETURNING extract(epoch FROM period_start)::bigint"

static int schedule_digests(struct eqm_notify *n) {
    int64_t now = eqm_time_now_us();

    for (size_t i = 0; i < n->subs->n; i++) {
        const struct eqm_sub *s = &n->subs->items[i];
        struct eqm_digest_schedule d;
        char end[24], prev[24], mid[EQM_EMAIL_MESSAGE_ID_SIZE];
        int64_t due;
        PGresult *res;

        if (s->mode == EQM_SUB_IMMEDIATE)
            continue;
        d = eqm_notify_schedule(s);
        due = eqm_digest_due(&d, now) / 1000000;
        if (due == n->last_due[i])
            continue;
        snprintf(end, sizeof(end), "%" PRId64, due);
        snprintf(prev, sizeof(prev), "%" PRId64, eqm_digest_previous(&d, due * 1000000) / 1000000);
        eqm_digest_message_id(s->audience, s->id, due, mid, sizeof(mid));
        {
            const char *p[7] = {s->audience, s->id, end, prev, eqm_sub_channel_name(s->channel),
                                s->target,   mid};
            if (!(res = exec(n, "scheduling a digest", PGRES_TUPLES_OK, SQL_DIGEST_SCHEDULE, 7, p)))
                return -1;
        }
        if (PQntuples(res) == 1)
            eqm_log_info("digest scheduled",
                         "audience=%s recipient=%s period_start=%s period_end=%s every=%s",
                         s->audience, s->id, PQgetvalue(res, 0, 0), end,
                         eqm_notify_every_name(s->mode));
        PQclear(res);
        n->last_due[i] = due;
    }
    return 0;
}

/* One round: the alerts' deliveries, then the digests (scheduled first).
 * Returns the most rows one kind claimed, or -1 after a PostgreSQL failure. */
static int deliver_round(struct eqm_notify *n) {
    int a, d;

    if (pg_ensure(n) != 0)
        return -1;
    if ((a = claim_round(n, &alert_rows)) < 0 || schedule_digests(n) != 0 ||
        (d = claim_round(n, &digest_rows)) < 0)
        return -1;
    return a > d ? a : d;
}

/* ---- lifecycle ------------------------------------------------------------------ */

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque) {
    (void)rk;
    (void)opaque;
    eqm_log_warn("Kafka error", "code=%s detail=%s", rd_kafka_err2name((rd_kafka_resp_err_t)err),
                 eqm_log_q(reason));
}

/* The schema, applied on a connection of its own (the migration lock is
 * a session lock). */
static int migrate(const char *url, char *errstr, size_t sz) {
    PGconn *mig = eqm_pg_connect(url, "eqm-migrate", errstr, sz);
    int rc = mig && eqm_migrate_run(mig, errstr, sz) >= 0 ? 0 : -1;

    if (rc == 0)
        (void)eqm_pg_check_role(mig, "eqm-notify", "eqm_notify");
    PQfinish(mig);
    return rc;
}

/* The consumer, subscribed to alerts.topic; partitions come through
 * rebalance_cb, at the offsets PostgreSQL holds. */
static int consumer_new(struct eqm_notify *n, const char *const *props, char *errstr, size_t sz) {
    struct eqm_kafka_spec spec = {.type = RD_KAFKA_CONSUMER, .client_id = "eqm-notify"};
    rd_kafka_topic_partition_list_t *topics;
    rd_kafka_resp_err_t err;

    spec.brokers = n->cfg->kafka_brokers;
    spec.props = props;
    spec.user_names = n->cfg->prop_names;
    spec.user_values = n->cfg->prop_values;
    spec.n_user = n->cfg->n_props;
    spec.opaque = n;
    spec.error_cb = error_cb;
    spec.rebalance_cb = rebalance_cb;
    spec.route_logs = true;
    if (!(n->rk = eqm_kafka_new(&spec, errstr, sz)))
        return -1;
    topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, n->ncfg->alerts_topic, RD_KAFKA_PARTITION_UA);
    err = rd_kafka_subscribe(n->rk, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (err) {
        snprintf(errstr, sz, "cannot subscribe to %s: %s", n->ncfg->alerts_topic,
                 rd_kafka_err2str(err));
        return -1;
    }
    return 0;
}

int eqm_notify_check_settings(const struct eqm_notify_config *ncfg, const struct eqm_subs *subs,
                              char *errstr, size_t sz) {
    char from[300];
    bool any_email = false;

    if (!*ncfg->alerts_topic || !*ncfg->group_id) {
        snprintf(errstr, sz, "alerts.topic and notify.group.id must not be empty");
        return -1;
    }
    for (size_t i = 0; i < subs->n; i++)
        any_email |= subs->items[i].channel == EQM_SUB_EMAIL;
    if (!any_email)
        return 0;
    if (strncmp(ncfg->smtp_url, "smtp://", 7) != 0 && strncmp(ncfg->smtp_url, "smtps://", 8) != 0) {
        snprintf(errstr, sz,
                 "smtp.url must be smtp://HOST[:PORT] or smtps://HOST[:PORT] (there are "
                 "e-mail subscribers)");
        return -1;
    }
    for (const unsigned char *p = (const unsigned char *)ncfg->smtp_from; *p; p++) {
        /* An encoded-word may not hold the address: keep the header plain. */
        if (*p < 0x20 || *p > 0x7e) {
            snprintf(errstr, sz, "smtp.from must be plain ASCII (\"Equality Monitor <addr>\")");
            return -1;
        }
    }
    if (eqm_email_from_address(ncfg->smtp_from, from, sizeof(from)) != 0) {
        snprintf(errstr, sz, "smtp.from must hold an address (\"Name <addr>\" or \"addr\")");
        return -1;
    }
    return 0;
}

int eqm_notify_new(struct eqm_notify **out, const struct eqm_config *cfg,
                   const struct eqm_notify_config *ncfg, const struct eqm_subs *subs,
                   const struct eqm_alert_rules *rules, char *errstr, size_t sz) {
    /* Offsets live in PostgreSQL with the alerts they produced; the
     * broker's committed offsets are never used. */
    /* clang-format off */
    const char *props[] = {
        "group.id", ncfg->group_id,
        "enable.auto.commit", "false", "enable.auto.offset.store", "false",
        "auto.offset.reset", "earliest", "partition.assignment.strategy", "range",
        NULL};
    /* clang-format on */
    struct eqm_notify *n;
    char masked[300];

    if (eqm_notify_check_settings(ncfg, subs, errstr, sz) != 0)
        return -1;
    if (!(n = calloc(1, sizeof(*n)))) {
        snprintf(errstr, sz, "out of memory");
        return -1;
    }
    n->cfg = cfg;
    n->ncfg = ncfg;
    n->subs = subs;
    n->started_ms = eqm_time_mono_ms();
    if (subs->n && !(n->last_due = calloc(subs->n, sizeof(*n->last_due)))) {
        free(n);
        snprintf(errstr, sz, "out of memory");
        return -1;
    }
    n->rnd = (uint64_t)getpid() ^ (uint64_t)eqm_time_now_us();
    n->smtp = (struct eqm_smtp){
        .url = ncfg->smtp_url,
        .user = ncfg->smtp_user,
        .password = ncfg->smtp_password,
        .from = ncfg->smtp_from,
        .ca_file = ncfg->smtp_ca_file,
        .starttls_required = strcmp(ncfg->smtp_starttls, "required") == 0,
        .timeout_ms = ncfg->smtp_timeout_ms,
    };
    n->lease_ms =
        2 * (ncfg->smtp_timeout_ms > ncfg->webhook_timeout_ms ? ncfg->smtp_timeout_ms
                                                              : ncfg->webhook_timeout_ms) +
        5000;
    eqm_notify_check_audiences(subs, rules);
    if (*ncfg->smtp_url) {
        eqm_notify_mask(ncfg->smtp_url, masked, sizeof(masked));
        eqm_log_info("e-mail channel", "server=%s starttls=%s auth=%s", masked, ncfg->smtp_starttls,
                     *ncfg->smtp_user ? "yes" : "no");
    }

    if (migrate(cfg->pg_url, errstr, sz) != 0 ||
        !(n->conn = eqm_pg_connect(cfg->pg_url, "eqm-notify", errstr, sz)) ||
        consumer_new(n, props, errstr, sz) != 0) {
        eqm_notify_free(&n);
        return -1;
    }
    *out = n;
    return 0;
}

int eqm_notify_run(struct eqm_notify *n) {
    const struct eqm_notify_config *nc = n->ncfg;
    int64_t next_round = 0;
    int burst = 0, rc = 0;

    eqm_log_info("notify started",
                 "topic=%s group=%s subscribers=%zu delivery_interval_ms=%ld batch=%ld "
                 "max_attempts=%ld",
                 nc->alerts_topic, nc->group_id, n->subs->n, nc->delivery_interval_ms,
                 nc->delivery_batch, nc->max_attempts);
    while (eqm_signals_running()) {
        rd_kafka_message_t *rkm;
        int64_t now = eqm_time_mono_ms(), wait;

        if (n->fatal) {
            rc = 1;
            break;
        }
        if (now >= next_round) {
            int rows = deliver_round(n);
            /* A full round may have left more due rows: go again soon. */
            next_round =
                eqm_time_mono_ms() + (rows >= nc->delivery_batch ? 0 : nc->delivery_interval_ms);
            burst = 0;
            now = eqm_time_mono_ms();
        }
        /* While messages keep coming, record them all first (each is a
         * short transaction) and deliver when the topic pauses, or every
         * BURST_MAX messages: a burst of alerts is on record before the
         * first slow SMTP exchange. */
        wait = burst > 0 ? 0 : next_round - now;
        if (wait > WAIT_SLICE_MS)
            wait = WAIT_SLICE_MS;
        if (wait < 0)
            wait = 0;
        rkm = rd_kafka_consumer_poll(n->rk, (int)wait);
        if (!rkm) {
            if (burst > 0)
                next_round = 0;
            continue;
        }
        if (rkm->err) {
            if (rkm->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                eqm_log_warn("consumer error", "error=%s", eqm_log_q(rd_kafka_message_errstr(rkm)));
        } else if (handle_message(n, rkm) > 0 && ++burst >= BURST_MAX) {
            next_round = 0;
        }
        rd_kafka_message_destroy(rkm);
    }
    eqm_log_info("notify stopping",
                 "exit=%d uptime_s=%.1f received=%" PRIu64 " duplicates=%" PRIu64
                 " rejected=%" PRIu64 " deliveries_created=%" PRIu64 " attempts=%" PRIu64
                 " delivered=%" PRIu64 " retried=%" PRIu64 " failed=%" PRIu64
                 " pg_reconnects=%" PRIu64,
                 rc, (double)(eqm_time_mono_ms() - n->started_ms) / 1000.0, n->st.received,
                 n->st.duplicates, n->st.rejected, n->st.deliveries_created, n->st.attempts,
                 n->st.delivered, n->st.retried, n->st.failed, n->st.pg_reconnects);
    return rc;
}

void eqm_notify_free(struct eqm_notify **np) {
    struct eqm_notify *n = np ? *np : NULL;
    if (!n)
        return;
    if (n->rk) {
        rd_kafka_consumer_close(n->rk);
        rd_kafka_destroy(n->rk);
    }
    if (n->conn)
        PQfinish(n->conn);
    for (int i = 0; i < 4; i++)
        eqm_buf_free(&n->a[i]);
    eqm_buf_free(&n->msg);
    free(n->last_due);
    free(n);
    *np = NULL;
}

/* ---- settings --------------------------------------------------------------------- */

static int check_starttls(void *base, const char *v, char *errstr, size_t sz) {
    (void)base;
    if (strcmp(v, "required") == 0 || strcmp(v, "optional") == 0)
        return 0;
    snprintf(errstr, sz, "must be required or optional");
    return -1;
}

#define OFF(f) offsetof(struct eqm_notify_config, f)
/* A text setting (flags, check) and a number setting (range). */
#define TEXT(name, f, def, flags, check, help)                                                     \
    { name, EQM_SETTING_STRING, OFF(f), def, 0, 0, flags, help, check }
#define NUMBER(name, f, def, lo, hi, help)                                                         \
    { name, EQM_SETTING_LONG, OFF(f), def, lo, hi, 0, help, NULL }

static const struct eqm_setting notify_settings[] = {
    TEXT("alerts.topic", alerts_topic, "equality.alerts", 0, NULL,
         "topic the alerts are read from"),
    TEXT("notify.group.id", group_id, "eqm-notify", 0, NULL, "Kafka consumer group of eqm-notify"),
    TEXT("notify.subscriptions", subscriptions, "", 0, NULL,
         "the subscription file: who receives which audience's alerts (required)"),
    TEXT("alerts.rules", alerts_rules, "", 0, NULL,
         "alert rules file whose audiences should have subscribers (empty: the built-in defaults)"),
    /* The e-mail channel. */
    TEXT("smtp.url", smtp_url, "", 0, NULL,
         "mail relay: smtp://host:587 (STARTTLS) or smtps://host:465"),
    TEXT("smtp.user", smtp_user, "", 0, NULL,
         "SMTP AUTH user (empty: no AUTH; the relay must then accept the service by its address)"),
    TEXT("smtp.password", smtp_password, "", EQM_SETTING_SECRET, NULL, "SMTP AUTH password"),
    TEXT("smtp.from", smtp_from, "", 0, NULL,
         "From of the e-mails: \"Equality Monitor <eqm@force.example>\""),
    TEXT("smtp.ca.file", smtp_ca_file, "", 0, NULL, "CA file for the relay's TLS"),
    TEXT("smtp.starttls", smtp_starttls, "required", 0, check_starttls,
         "smtp://: required (never send in clear) or optional"),
    NUMBER("smtp.timeout.ms", smtp_timeout_ms, "30000", 100, 600000,
           "longest one SMTP delivery may take"),
    /* The webhook channel (webhook.c). */
    NUMBER("webhook.timeout.ms", webhook_timeout_ms, "10000", 100, 600000,
           "longest one webhook call"),
    TEXT("webhook.ca.file", webhook_ca_file, "", 0, NULL,
         "CA certificates for webhook TLS (empty: the system's)"),
    TEXT("timezone", timezone, "Europe/London", 0, NULL,
         "the force's time zone (as the engine's): digest times are local times"),
    /* The delivery loop. */
    NUMBER("notify.delivery.interval.ms", delivery_interval_ms, "1000", 10, 3600000,
           "look for due deliveries at least this often"),
    NUMBER("notify.delivery.batch", delivery_batch, "20", 1, 10000, "most attempts a round"),
    NUMBER("notify.retry.backoff.ms", retry_backoff_ms, "5000", 1, 86400000,
           "wait before the second attempt (doubles, with jitter)"),
    NUMBER("notify.retry.backoff.max.ms", retry_backoff_max_ms, "900000", 1, 86400000,
           "longest wait"),
    NUMBER("notify.max.attempts", max_attempts, "20", 1, 1000,
           "attempts before a delivery that keeps failing is marked failed"),
};

struct eqm_settings eqm_notify_settings(struct eqm_notify_config *ncfg) {
    return (struct eqm_settings){notify_settings,
                                 sizeof(notify_settings) / sizeof(notify_settings[0]), ncfg};
}
