/* The engine's Kafka side (consumer.h). */
#include "consumer.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eqm/kafka.h"
#include "eqm/log.h"
#include "eqm/timeutil.h"

struct eqm_consumer {
    const char *topic, *dead_letter_topic, *service;
    struct eqm_consumer_hooks hooks;
    rd_kafka_t *rk;  /* consumer */
    rd_kafka_t *dlq; /* dead-letter producer */
    struct eqm_consumer_part *parts;
    int n_parts, cap_parts;
    bool assigned_once;
    int dl_failed; /* dead-letter deliveries that failed since the last flush */
};

rd_kafka_message_t *eqm_consumer_poll(struct eqm_consumer *c, int timeout_ms) {
    return rd_kafka_consumer_poll(c->rk, timeout_ms);
}

bool eqm_consumer_assigned_once(const struct eqm_consumer *c) {
    return c->assigned_once;
}

int eqm_consumer_n_parts(const struct eqm_consumer *c) {
    return c->n_parts;
}

struct eqm_consumer_part *eqm_consumer_parts(struct eqm_consumer *c) {
    return c->parts;
}

struct eqm_consumer_part *eqm_consumer_part(struct eqm_consumer *c, int32_t partition) {
    for (int i = 0; i < c->n_parts; i++)
        if (c->parts[i].partition == partition)
            return &c->parts[i];
    return NULL;
}

void eqm_consumer_reset_next(struct eqm_consumer *c) {
    for (int i = 0; i < c->n_parts; i++)
        c->parts[i].next = -1;
}

void eqm_consumer_set_committed(struct eqm_consumer *c, const int64_t *committed) {
    for (int i = 0; i < c->n_parts; i++)
        c->parts[i].committed = committed[i];
}

int eqm_consumer_rewind(struct eqm_consumer *c) {
    rd_kafka_topic_partition_list_t *list;
    int rc = 0;

    if (c->n_parts == 0)
        return 0;
    list = rd_kafka_topic_partition_list_new(c->n_parts);
    for (int i = 0; i < c->n_parts; i++) {
        rd_kafka_topic_partition_t *tp =
            rd_kafka_topic_partition_list_add(list, c->topic, c->parts[i].partition);
        tp->offset = c->parts[i].committed >= 0 ? c->parts[i].committed : RD_KAFKA_OFFSET_BEGINNING;
        c->parts[i].next = -1;
    }
    /*
     * Each partition's seek can fail on its own (its error is in the
     * list, not in the call's result). A partition not rewound would go on
     * after the batch that was given up, and that batch would never be
     * counted: try again a few times, then stop (nothing of the batch was
     * committed, so a restart reads it from the stored offsets).
     */
    for (int attempt = 1;; attempt++) {
        rd_kafka_error_t *err = rd_kafka_seek_partitions(c->rk, list, 10000);
        rd_kafka_topic_partition_list_t *again = NULL;

        if (err) {
            eqm_log_error("cannot rewind partitions", "error=%s",
                          eqm_log_q(rd_kafka_error_string(err)));
            rd_kafka_error_destroy(err);
            rc = -1;
            break;
        }
        for (int i = 0; i < list->cnt; i++) {
            rd_kafka_topic_partition_t *tp = &list->elems[i];
            if (!tp->err)
                continue;
            eqm_log_warn("cannot rewind a partition",
                         "partition=%" PRId32 " offset=%" PRId64 " attempt=%d error=%s",
                         tp->partition, tp->offset, attempt, eqm_log_q(rd_kafka_err2str(tp->err)));
            if (!again)
                again = rd_kafka_topic_partition_list_new(list->cnt);
            rd_kafka_topic_partition_list_add(again, tp->topic, tp->partition)->offset = tp->offset;
        }
        if (!again)
            break;
        rd_kafka_topic_partition_list_destroy(list);
        list = again;
        if (attempt == 5) {
            eqm_log_error("partitions not rewound; stopping so that a restart reads them again",
                          "partitions=%d", list->cnt);
            rc = -1;
            break;
        }
        usleep(200 * 1000);
    }
    rd_kafka_topic_partition_list_destroy(list);
    return rc;
}

int eqm_consumer_check_log_end(struct eqm_consumer *c) {
    rd_kafka_topic_partition_list_t *list = NULL;
    rd_kafka_error_t *err;
    int n = 0, rc = 0;

    for (int i = 0; i < c->n_parts; i++) {
        struct eqm_consumer_part *p = &c->parts[i];
        int64_t low = -1, high = -1;
        if (p->committed <= 0 ||
            rd_kafka_get_watermark_offsets(c->rk, c->topic, p->partition, &low, &high) !=
                RD_KAFKA_RESP_ERR_NO_ERROR ||
            high < 0 || high >= p->committed)
            continue;
        n++;
        if (c->hooks.ahead(c->hooks.opaque, p->partition, p->committed, low, high) != 0) {
            rc = -1;
            break;
        }
        if (!list)
            list = rd_kafka_topic_partition_list_new(c->n_parts);
        rd_kafka_topic_partition_list_add(list, c->topic, p->partition)->offset =
            RD_KAFKA_OFFSET_BEGINNING;
    }
    if (list) {
        if ((err = rd_kafka_seek_partitions(c->rk, list, 10000))) {
            eqm_log_error("cannot seek to the start of the log", "error=%s",
                          eqm_log_q(rd_kafka_error_string(err)));
            rd_kafka_error_destroy(err);
            rc = -1;
        }
        rd_kafka_topic_partition_list_destroy(list);
    }
    return rc < 0 ? -1 : n;
}

int eqm_consumer_lag(struct eqm_consumer *c, int query_timeout_ms, int64_t *lag) {
    int unknown = 0;

    *lag = 0;
    for (int i = 0; i < c->n_parts; i++) {
        struct eqm_consumer_part *p = &c->parts[i];
        int64_t low = -1, high = -1;
        int64_t pos = p->next >= 0 ? p->next : p->committed;

        if (rd_kafka_get_watermark_offsets(c->rk, c->topic, p->partition, &low, &high) !=
            RD_KAFKA_RESP_ERR_NO_ERROR)
            low = high = -1;
        /* The cached start is kept only with statistics on. */
        if (low >= 0)
            p->log_start = low;
        if (((high < 0 && p->log_end < 0) || (pos < 0 && p->log_start < 0)) &&
            query_timeout_ms > 0) {
            if (rd_kafka_query_watermark_offsets(c->rk, c->topic, p->partition, &low, &high,
                                                 query_timeout_ms) == RD_KAFKA_RESP_ERR_NO_ERROR) {
                p->log_start = low;
                p->log_end = high;
            } else {
                query_timeout_ms = 0; /* the broker is not answering: no more waits */
            }
        }
        /* The cache, fed by every fetch, is fresher than an answer kept. */
        if (high >= 0)
            p->log_end = high;
        else
            high = p->log_end;
        /* Messages deleted before they were read are not to be read. */
        if (p->log_start >= 0 && pos < p->log_start)
            pos = p->log_start;
        if (high < 0 || pos < 0) {
            unknown++;
            continue;
        }
        if (high > pos)
            *lag += high - pos;
    }
    return unknown;
}

void eqm_consumer_commit_to_kafka(struct eqm_consumer *c) {
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(c->n_parts);
    for (int i = 0; i < c->n_parts; i++)
        if (c->parts[i].committed >= 0)
            rd_kafka_topic_partition_list_add(list, c->topic, c->parts[i].partition)->offset =
                c->parts[i].committed;
    if (list->cnt > 0)
        rd_kafka_commit(c->rk, list, 1);
    rd_kafka_topic_partition_list_destroy(list);
}

/* ---- rebalances -------------------------------------------------------------- */

static void assign(struct eqm_consumer *c, rd_kafka_topic_partition_list_t *list) {
    int32_t *partitions = malloc((size_t)(list->cnt ? list->cnt : 1) * sizeof(*partitions));
    int64_t *committed = malloc((size_t)(list->cnt ? list->cnt : 1) * sizeof(*committed));

    if (!partitions || !committed) {
        eqm_log_error("out of memory taking partitions", "count=%d", list->cnt);
        goto none;
    }
    if (c->cap_parts < list->cnt) {
        struct eqm_consumer_part *np = realloc(c->parts, (size_t)list->cnt * sizeof(*np));
        if (!np) {
            eqm_log_error("out of memory taking partitions", "count=%d", list->cnt);
            goto none;
        }
        c->parts = np;
        c->cap_parts = list->cnt;
    }
    for (int i = 0; i < list->cnt; i++)
        partitions[i] = list->elems[i].partition;
    /* Start where PostgreSQL says; without it we must not consume. */
    if (c->hooks.assigned(c->hooks.opaque, partitions, list->cnt, committed) != 0)
        goto none;
    c->n_parts = 0;
    for (int i = 0; i < list->cnt; i++) {
        rd_kafka_topic_partition_t *tp = &list->elems[i];
        int64_t low = -1, high = -1;

        tp->offset = committed[i] >= 0 ? committed[i] : RD_KAFKA_OFFSET_BEGINNING;
        /* A stored offset beyond the end of the log would make the
         * consumer wait there while new messages below it go unread. The
         * stored value stays what the offset row is fenced on. */
        if (committed[i] > 0 &&
            rd_kafka_query_watermark_offsets(c->rk, tp->topic, tp->partition, &low, &high, 5000) !=
                RD_KAFKA_RESP_ERR_NO_ERROR)
            low = high = -1;
        if (high >= 0) {
            if (committed[i] > high) {
                if (c->hooks.ahead(c->hooks.opaque, tp->partition, committed[i], low, high) != 0)
                    goto none;
                tp->offset = RD_KAFKA_OFFSET_BEGINNING;
            } else if (committed[i] < low) {
                eqm_log_warn("messages deleted from the log before they were counted",
                             "topic=%s partition=%d stored=%lld log_start=%lld lost=%lld",
                             tp->topic, (int)tp->partition, (long long)committed[i], (long long)low,
                             (long long)(low - committed[i]));
            }
        }
        c->parts[c->n_parts++] =
            (struct eqm_consumer_part){tp->partition, committed[i], -1, -1, low, high};
        eqm_log_info("partition assigned", "topic=%s partition=%d offset=%lld", tp->topic,
                     (int)tp->partition, (long long)tp->offset);
    }
    rd_kafka_assign(c->rk, list);
    c->assigned_once = true;
    free(partitions);
    free(committed);
    return;
none:
    free(partitions);
    free(committed);
    rd_kafka_assign(c->rk, NULL);
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *list, void *opaque) {
    struct eqm_consumer *c = opaque;

    c->hooks.before(c->hooks.opaque);
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        assign(c, list);
        return;
    }
    /* Eager revoke: finish the batch while we still own the partitions;
     * if it cannot commit, the next owner reads it. */
    c->hooks.revoked(c->hooks.opaque);
    eqm_log_info("partitions revoked", "count=%d", list->cnt);
    rd_kafka_assign(rk, NULL);
    c->n_parts = 0;
}

/* ---- dead letters ---------------------------------------------------------------- */

static void dlq_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque) {
    struct eqm_consumer *c = opaque;
    (void)rk;
    if (rkm->err) {
        c->dl_failed++;
        eqm_log_error("dead letter not delivered", "error=%s",
                      eqm_log_q(rd_kafka_err2str(rkm->err)));
    }
}

/* Producer-side limit for dead letters; larger payloads are cut here and
 * say so in a header (the input topic's own limit is usually lower). */
#define DLQ_MAX_PAYLOAD (9 * 1024 * 1024)

void eqm_consumer_dead_letter(struct eqm_consumer *c, const rd_kafka_message_t *rkm,
                              const char *code, const char *reason) {
    char part[16], off[24], size[24], now[32];
    const char *topic = rd_kafka_topic_name(rkm->rkt);
    size_t len = rkm->len > DLQ_MAX_PAYLOAD ? DLQ_MAX_PAYLOAD : rkm->len;
    const char *truncated = len < rkm->len ? "true" : "false";
    struct eqm_consumer_part *ps = eqm_consumer_part(c, rkm->partition);
    rd_kafka_resp_err_t err;

    /* Read again after an abandoned batch: the row in dead_letters went
     * with that batch, but the message is already on the topic. */
    if (ps && rkm->offset <= ps->dl_sent)
        return;
    eqm_log_warn("dead letter", "topic=%s partition=%d offset=%lld code=%s reason=%s", topic,
                 (int)rkm->partition, (long long)rkm->offset, code, eqm_log_q(reason));
    snprintf(part, sizeof(part), "%d", (int)rkm->partition);
    snprintf(off, sizeof(off), "%lld", (long long)rkm->offset);
    snprintf(size, sizeof(size), "%zu", rkm->len);
    snprintf(now, sizeof(now), "%lld", (long long)(eqm_time_now_us() / 1000));

    /* The original bytes travel as the value, untouched; what went wrong
     * and where it came from travel as headers. Keyed by source topic. */
    err = rd_kafka_producev(
        c->dlq, RD_KAFKA_V_TOPIC(c->dead_letter_topic), RD_KAFKA_V_KEY(topic, strlen(topic)),
        RD_KAFKA_V_VALUE(rkm->payload, len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_HEADER("eqm-source-topic", topic, -1),
        RD_KAFKA_V_HEADER("eqm-source-partition", part, -1),
        RD_KAFKA_V_HEADER("eqm-source-offset", off, -1),
        RD_KAFKA_V_HEADER("eqm-reason-code", code, -1), RD_KAFKA_V_HEADER("eqm-reason", reason, -1),
        RD_KAFKA_V_HEADER("eqm-service", c->service, -1),
        RD_KAFKA_V_HEADER("eqm-original-bytes", size, -1),
        RD_KAFKA_V_HEADER("eqm-rejected-at-ms", now, -1),
        RD_KAFKA_V_HEADER("eqm-truncated", truncated, -1), RD_KAFKA_V_END);
    if (err) {
        eqm_log_error("cannot queue dead letter", "error=%s", eqm_log_q(rd_kafka_err2str(err)));
        c->dl_failed++;
    }
    rd_kafka_poll(c->dlq, 0);
}

int eqm_consumer_dead_letters_flush(struct eqm_consumer *c) {
    int rc;
    rd_kafka_flush(c->dlq, 30000);
    rc = c->dl_failed || rd_kafka_outq_len(c->dlq) > 0 ? -1 : 0;
    if (rc != 0)
        eqm_log_error("dead letters not delivered; batch will be read again", "failed=%d",
                      c->dl_failed);
    c->dl_failed = 0;
    return rc;
}

/* ---- making and closing -------------------------------------------------------------- */

int eqm_consumer_new(struct eqm_consumer **out, const struct eqm_service *svc,
                     const struct eqm_config *cfg, const char *topic, const char *group,
                     const char *dead_letter_topic, const struct eqm_consumer_hooks *hooks,
                     char *errstr, size_t sz) {
    /* Dead-letter producer: idempotent, so retries never duplicate. */
    static const char *const dlq_props[] = {
        "enable.idempotence", "true", "message.max.bytes", "10000000", "linger.ms", "5", NULL};
    /* Consumer. Offsets live in PostgreSQL; eager range assignment (the
     * cooperative assignor of librdkafka 2.0 has known rebalance bugs). A
     * short session timeout lets a restarted consumer get its partitions
     * back soon after a crash. Prefetch: once the queue holds
     * queued.max.messages.kbytes, librdkafka 2.0 stops fetching and looks
     * again only about once a second (later versions have
     * fetch.queue.backoff.ms): under load the consumer reads about this
     * much per second. eqm-bench: 16 MB gave 30-35k events/s, 32 MB about
     * 50k; librdkafka's 64 MB default would be most of our memory. */
    const char *const consumer_props[] = {"group.id",
                                          group,
                                          "enable.auto.commit",
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
    struct eqm_consumer *c = calloc(1, sizeof(*c));
    rd_kafka_topic_partition_list_t *topics;
    rd_kafka_resp_err_t err;
    char client_id[96];
    struct eqm_kafka_spec spec = {
        .type = RD_KAFKA_PRODUCER,
        .client_id = client_id,
        .brokers = cfg->kafka_brokers,
        .props = dlq_props,
        .user_names = cfg->prop_names,
        .user_values = cfg->prop_values,
        .n_user = cfg->n_props,
        .opaque = c,
        .dr_msg_cb = dlq_dr_cb,
        .route_logs = true,
    };

    if (!c) {
        snprintf(errstr, sz, "out of memory");
        return -1;
    }
    c->topic = topic;
    c->dead_letter_topic = dead_letter_topic;
    c->service = svc->name;
    c->hooks = *hooks;
    snprintf(client_id, sizeof(client_id), "eqm-%s-dlq", svc->name);
    if (!(c->dlq = eqm_kafka_new(&spec, errstr, sz)))
        goto fail;

    snprintf(client_id, sizeof(client_id), "eqm-%s-consumer", svc->name);
    spec.type = RD_KAFKA_CONSUMER;
    spec.props = consumer_props;
    spec.dr_msg_cb = NULL;
    spec.rebalance_cb = rebalance_cb;
    if (!(c->rk = eqm_kafka_new(&spec, errstr, sz)))
        goto fail;

    topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, topic, RD_KAFKA_PARTITION_UA);
    err = rd_kafka_subscribe(c->rk, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (err) {
        snprintf(errstr, sz, "cannot subscribe to %s: %s", topic, rd_kafka_err2str(err));
        goto fail;
    }
    *out = c;
    return 0;
fail:
    eqm_consumer_free(&c);
    return -1;
}

void eqm_consumer_free(struct eqm_consumer **cp) {
    struct eqm_consumer *c;
    if (!cp || !*cp)
        return;
    c = *cp;
    if (c->rk) {
        rd_kafka_consumer_close(c->rk);
        rd_kafka_destroy(c->rk);
    }
    if (c->dlq) {
        rd_kafka_flush(c->dlq, 10000);
        rd_kafka_destroy(c->dlq);
    }
    free(c->parts);
    free(c);
    *cp = NULL;
}
