/*
 * The consumer engine's loop (eqm/engine.h): read a message, turn it into
 * increments (the service's handler) or a dead letter, and decide when
 * the batch goes (eqm/policy.h), when figures are due, and what a
 * rebalance or a failed commit means for the batch in hand.
 *
 * The work itself is done by its parts: batch.c holds the batch in
 * memory, store.c writes it to PostgreSQL (one transaction: keys, counts,
 * watermark, dead letters, offsets), consumer.c holds the partitions and
 * sends dead letters.
 *
 * A batch is sent pipelined where it can be: its statements run in
 * PostgreSQL while the next batch is read, and it commits when their
 * results are in. What must happen once it commits (partitions advanced,
 * statistics) is kept in struct in_flight, since the batch's memory is
 * reused at once.
 *
 * Over the project's 800-line guide, on purpose: what is left here is one
 * state machine (poll, flush, the in-flight commit, rebalances) whose
 * steps share struct eqm_engine; the parts with state of their own (the
 * batch, the store, the consumer, the catch-up hold in catchup.c) are
 * already apart, and the decisions are pure functions in policy.c.
 */
#include "eqm/engine.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catchup.h"
#include "consumer.h"
#include "eqm/alert_eval.h"
#include "eqm/alert_rules.h"
#include "eqm/batch.h"
#include "eqm/envelope.h"
#include "eqm/log.h"
#include "eqm/metrics.h"
#include "eqm/policy.h"
#include "eqm/runstats.h"
#include "eqm/signals.h"
#include "eqm/sink.h"
#include "eqm/timeutil.h"
#include "store.h"

/* How long after a pipelined batch failed batches go the careful way. */
#define CAREFUL_MS 30000

/* Keys are expired once at start and then hourly, between batches. */
#define EXPIRY_INTERVAL_MS (3600 * 1000)

/* The pipelined batch sent and not yet committed. */
struct in_flight {
    bool active; /* sent, its commit not yet seen */
    size_t n_messages, n_events, n_new, n_dls, rows;
    int64_t sent_ms;
    struct eqm_store_offset *offsets; /* the partitions it advances */
    int n_offsets, cap_offsets;
    int64_t *ts; /* stats.file only: its message timestamps */
    size_t cap_ts;
};

struct eqm_engine {
    const struct eqm_service *svc;
    const struct eqm_config *cfg;
    const struct eqm_engine_config *ecfg;
    struct eqm_figures_scope scope;
    struct eqm_policy_limits limits;
    struct eqm_store *store;
    struct eqm_consumer *consumer;
    struct eqm_batch *batch;
    struct eqm_sink *sink;
    struct eqm_alert_rules *rules; /* NULL when alerts are disabled */

    /* The batch being read. */
    size_t n_messages;
    int64_t batch_started_ms; /* its age counts from here */
    int64_t batch_read_ms;    /* its first message was read */
    /* Set when the loop comes back from work that kept it from polling (a
     * commit it waited for, figures, key expiry): messages queued meanwhile
     * have waited since then. Cleared by a poll that finds the queue empty. */
    int64_t stalled_since_ms;
    /* Figures were due when a full batch was sent without them: they go
     * with the next batch, sent as soon as that one has committed. */
    bool figures_next;
    struct eqm_store_offset *offsets; /* the transaction's, rebuilt per batch */
    int cap_offsets;

    struct in_flight fl;
    int64_t careful_until_ms; /* no pipelining before this (after a failure) */
    unsigned fl_checks;

    struct eqm_policy_figures figures;
    struct eqm_catchup catchup;
    int64_t last_activity_ms;
    int64_t last_expiry_ms; /* 0 = not yet this run */
    int64_t last_log_check_ms;
    unsigned offsets_ahead; /* partitions found ahead of their log */
    int fatal;

    /* stats.file only: message timestamps of the batch, for latency. */
    struct eqm_runstats *stats;
    int64_t *batch_ts;
    size_t cap_batch_ts;
    int64_t last_stats_ms;
};

/* ---- the batch being read ------------------------------------------------ */

static void batch_reset(struct eqm_engine *e) {
    eqm_batch_reset(e->batch);
    eqm_consumer_reset_next(e->consumer);
    e->n_messages = 0;
}

/* The offsets the batch advances: each partition it read, from where it
 * was committed. */
static int batch_offsets(struct eqm_engine *e, int *n) {
    struct eqm_consumer_part *parts = eqm_consumer_parts(e->consumer);
    int held = eqm_consumer_n_parts(e->consumer);

    *n = 0;
    if (e->cap_offsets < held) {
        struct eqm_store_offset *no = realloc(e->offsets, (size_t)held * sizeof(*no));
        if (!no)
            return -1;
        e->offsets = no;
        e->cap_offsets = held;
    }
    for (int i = 0; i < held; i++)
        if (parts[i].next >= 0)
            e->offsets[(*n)++] =
                (struct eqm_store_offset){parts[i].partition, parts[i].next, parts[i].committed};
    return 0;
}

/* Too old to de-duplicate: counting it could count it twice. */
static int beyond_horizon(const struct eqm_engine *e, const struct eqm_envelope *env) {
    long h = e->ecfg->dedup_horizon_days;
    int64_t watermark = eqm_store_watermark(e->store);
    if (h <= 0 || watermark == 0)
        return 0;
    return env->day < eqm_time_local_day(watermark) - h;
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
    e->stats->alerts_held = e->catchup.holding;
    e->stats->alerts_lag = e->catchup.lag;
    if (eqm_runstats_write(e->stats, e->ecfg->stats_file) != 0)
        eqm_log_warn("cannot write stats file", "path=%s error=%s", eqm_log_q(e->ecfg->stats_file),
                     eqm_log_q(strerror(errno)));
}

static void stats_batch(struct eqm_engine *e, const int64_t *ts, size_t n_messages, size_t n_new) {
    if (!e->stats)
        return;
    eqm_runstats_batch(e->stats, ts, n_messages, n_new, eqm_time_now_us());
    if (eqm_time_mono_ms() - e->last_stats_ms >= 1000)
        stats_write(e);
}

/* Reads one message into the batch, or makes it a dead letter. 0, or -1
 * when the engine cannot go on (out of memory). */
static int handle_message(struct eqm_engine *e, const rd_kafka_message_t *rkm) {
    struct eqm_reject rej = {0};
    struct eqm_envelope env;
    struct eqm_consumer_part *ps = eqm_consumer_part(e->consumer, rkm->partition);
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
         * as old as a batch may get, so take it now (see the policy) rather
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
        rc = EQM_HANDLE_REJECT;
    }
    if (rc == 0) {
        eqm_sink_collect_reset(e->sink);
        rc = e->svc->handle(&env, event, e->ecfg->force_area, e->sink, &rej);
        if (rc == EQM_HANDLE_OK && eqm_batch_add_event(e->batch, e->svc->name, &env, e->sink) != 0)
            rc = EQM_HANDLE_FAILED;
    }
    json_decref(event);
    if (rc == EQM_HANDLE_FAILED) {
        eqm_log_error("out of memory", "%s", "");
        return -1;
    }
    if (rc != EQM_HANDLE_OK) {
        /* The reason goes to PostgreSQL and into a header. */
        eqm_reject_clean(&rej);
        eqm_consumer_dead_letter(e->consumer, rkm, rej.code, rej.reason);
        if (eqm_batch_add_dead_letter(e->batch, rkm->partition, rkm->offset, rej.code, rej.reason,
                                      rkm->len > INT32_MAX ? INT32_MAX : (int32_t)rkm->len) != 0)
            return -1;
    }
    return 0;
}

/* ---- figures ---------------------------------------------------------------- */

/* The figures and the alerts, inside the store's open transaction: a
 * state change and the figures behind it commit together. */
static int run_figures(PGconn *conn, void *arg, char *errstr, size_t sz) {
    struct eqm_engine *e = arg;
    int64_t t0 = eqm_time_mono_ms();
    int rows = e->svc->recompute ? e->svc->recompute(conn, e->svc, &e->scope, errstr, sz)
                                 : eqm_metrics_recompute(conn, e->svc, &e->scope, errstr, sz);
    if (rows < 0)
        return -1;
    if (e->rules && !e->catchup.held) {
        int alerts =
            eqm_alerts_evaluate(conn, e->rules, e->svc->name, eqm_time_now_us(), errstr, sz);
        if (alerts < 0)
            return -1;
        if (alerts > 0)
            eqm_log_info("alert state changed", "outbox_rows=%d", alerts);
    }
    e->figures.cost_ms = eqm_time_mono_ms() - t0;
    eqm_log_debug("figures recomputed", "rows=%d ms=%lld", rows, (long long)e->figures.cost_ms);
    return 0;
}

/* Alert evaluation held while catching up (catchup.h). */
static void hold_decide(struct eqm_engine *e, bool batch_full) {
    eqm_catchup_decide(&e->catchup, e->consumer, batch_full);
}

static void hold_done(struct eqm_engine *e) {
    if (eqm_catchup_done(&e->catchup) && e->stats)
        stats_write(e);
}

static bool figures_due(struct eqm_engine *e, bool force) {
    /* A held evaluation may go once the hold has lifted. */
    e->figures.alerts_owed = e->catchup.owed && !e->catchup.held;
    return eqm_policy_figures_due(&e->figures, e->ecfg->metrics_interval_ms,
                                  e->ecfg->metrics_max_share, eqm_time_mono_ms(), force);
}

static void figures_done(struct eqm_engine *e) {
    e->figures_next = false;
    e->figures.dirty = false;
    e->figures.last_ms = eqm_time_mono_ms();
    hold_done(e);
}

/* Figures only: the window may have moved, or we are idle. 0, or -1. */
static int figures_alone(struct eqm_engine *e) {
    for (int attempt = 0; attempt < 5; attempt++) {
        enum eqm_store_result r = eqm_store_figures(e->store, run_figures, e);
        if (r == EQM_STORE_OK) {
            figures_done(e);
            return 0;
        }
        eqm_log_warn("cannot recompute figures", "error=%s", eqm_log_q(eqm_store_error(e->store)));
        if (r != EQM_STORE_RETRY ||
            (!eqm_store_connected(e->store) && eqm_store_reconnect(e->store) != 0))
            return -1;
    }
    return 0;
}

/* ---- the batch in flight ------------------------------------------------------ */

/* Keeps what the commit of the batch just sent must do, then frees the
 * batch for the next one. */
static int in_flight_keep(struct eqm_engine *e, const struct eqm_store_offset *offsets, int n,
                          size_t n_new, size_t rows) {
    struct in_flight *fl = &e->fl;

    if (fl->cap_offsets < n) {
        struct eqm_store_offset *no = realloc(fl->offsets, (size_t)n * sizeof(*no));
        if (!no)
            return -1;
        fl->offsets = no;
        fl->cap_offsets = n;
    }
    memcpy(fl->offsets, offsets, (size_t)n * sizeof(*offsets));
    fl->n_offsets = n;
    if (e->stats) {
        int64_t *ts = fl->ts;
        size_t cap = fl->cap_ts;
        fl->ts = e->batch_ts;
        fl->cap_ts = e->cap_batch_ts;
        e->batch_ts = ts;
        e->cap_batch_ts = cap;
    }
    fl->n_messages = e->n_messages;
    fl->n_events = eqm_batch_n_events(e->batch);
    fl->n_dls = eqm_batch_n_dead_letters(e->batch);
    fl->n_new = n_new;
    fl->rows = rows;
    fl->sent_ms = eqm_time_mono_ms();
    fl->active = true;
    batch_reset(e);
    return 0;
}

static void in_flight_committed(struct eqm_engine *e) {
    struct in_flight *fl = &e->fl;

    for (int i = 0; i < fl->n_offsets; i++) {
        struct eqm_consumer_part *ps = eqm_consumer_part(e->consumer, fl->offsets[i].partition);
        if (ps)
            ps->committed = fl->offsets[i].next;
    }
    stats_batch(e, fl->ts, fl->n_messages, fl->n_new);
    if (fl->n_new > 0)
        e->figures.dirty = true;
    eqm_log_debug("batch committed",
                  "messages=%zu events=%zu new=%zu duplicates=%zu dead_letters=%zu rows=%zu "
                  "ms=%lld pipelined=yes",
                  fl->n_messages, fl->n_events, fl->n_new, fl->n_events - fl->n_new, fl->n_dls,
                  fl->rows, (long long)(eqm_time_mono_ms() - fl->sent_ms));
    eqm_consumer_commit_to_kafka(e->consumer);
}

/* Rereads the stored offsets of the partitions held (after fencing: the
 * new owner's, not what this consumer last believed). */
static void reload_offsets(struct eqm_engine *e) {
    int n = eqm_consumer_n_parts(e->consumer);
    struct eqm_consumer_part *parts = eqm_consumer_parts(e->consumer);
    int32_t *p = malloc((size_t)(n ? n : 1) * sizeof(*p));
    int64_t *c = malloc((size_t)(n ? n : 1) * sizeof(*c));

    if (p && c) {
        for (int i = 0; i < n; i++)
            p[i] = parts[i].partition;
        if (n == 0 || eqm_store_offsets_load(e->store, p, n, c) == 0)
            eqm_consumer_set_committed(e->consumer, c);
        else
            eqm_log_warn("cannot reread stored offsets", "error=%s",
                         eqm_log_q(eqm_store_error(e->store)));
    }
    free(p);
    free(c);
}

/* A batch that did not commit: nothing of it was counted, and the batch
 * being read since may follow from it. Both are dropped and read again
 * from the stored offsets (reread first when fenced). 0, or -1. */
static int read_again(struct eqm_engine *e, bool fenced) {
    if (!eqm_store_connected(e->store) && eqm_store_reconnect(e->store) != 0)
        return -1;
    if (fenced)
        reload_offsets(e);
    if (eqm_consumer_rewind(e->consumer) != 0)
        e->fatal = 1;
    batch_reset(e);
    /* The messages are to be read again: not idle, however long the
     * reconnect took. */
    e->last_activity_ms = eqm_time_mono_ms();
    return 0;
}

/*
 * The pipelined batch did not commit: read everything again, the careful
 * way (one statement at a time, duplicates filtered), for a while.
 */
static int in_flight_abandoned(struct eqm_engine *e) {
    struct eqm_store_abandoned why = eqm_store_abandoned_why(e->store);

    if (why.fenced)
        eqm_log_warn("batch abandoned: partitions taken over", "error=%s", eqm_log_q(why.error));
    else if (why.duplicate)
        eqm_log_info("batch held an event counted before; reading it again the careful way",
                     "messages=%zu", e->fl.n_messages);
    else
        eqm_log_warn("pipelined batch not committed; reading it again", "messages=%zu error=%s",
                     e->fl.n_messages, eqm_log_q(why.error));
    if (read_again(e, why.fenced) != 0)
        return -1;
    e->careful_until_ms = eqm_time_mono_ms() + CAREFUL_MS;
    return 0;
}

/*
 * Collects the batch in flight. Returns 0 while PostgreSQL still works
 * (without block), 1 when committed or nothing was in flight, 2 when it
 * was abandoned (everything is read again), -1 when the engine cannot go
 * on.
 */
static int in_flight_collect(struct eqm_engine *e, bool block) {
    switch (eqm_store_collect(e->store, block)) {
    case EQM_STORE_BUSY:
        return 0;
    case EQM_STORE_COMMITTED:
        if (e->fl.active) {
            e->fl.active = false;
            in_flight_committed(e);
        }
        return 1;
    case EQM_STORE_ABANDONED:
        e->fl.active = false;
        return in_flight_abandoned(e) == 0 ? 2 : -1;
    }
    return -1;
}

/* ---- sending a batch ------------------------------------------------------------ */

/* The careful way: one transaction, tried again while worth it. 0 when
 * committed or safely given up (read again), -1 on a fatal error. */
static int commit_careful(struct eqm_engine *e, bool with_figures, int64_t t0) {
    struct eqm_store_tx tx = {e->batch, e->offsets, 0, with_figures ? run_figures : NULL, e};
    unsigned delay_ms = 100;
    size_t n_new = 0, rows = 0;
    struct eqm_consumer_part *parts;

    if (batch_offsets(e, &tx.n_offsets) != 0) {
        eqm_log_error("out of memory", "%s", "");
        return -1;
    }
    tx.offsets = e->offsets; /* batch_offsets() may have moved them */
    for (int attempt = 1;; attempt++) {
        enum eqm_store_result r = eqm_store_commit(e->store, &tx, &n_new, &rows);
        if (r == EQM_STORE_OK)
            break;
        if (r == EQM_STORE_FENCED) {
            eqm_log_warn("batch abandoned: partitions taken over", "error=%s",
                         eqm_log_q(eqm_store_error(e->store)));
            /* Resume from where the new owner stored its offsets; a
             * rebalance will follow. */
            return read_again(e, true);
        }
        eqm_log_warn("batch commit failed", "attempt=%d error=%s retryable=%s", attempt,
                     eqm_log_q(eqm_store_error(e->store)), r == EQM_STORE_RETRY ? "yes" : "no");
        if (r == EQM_STORE_FAILED || attempt >= 8) {
            eqm_log_error("cannot commit batch; stopping (nothing was counted)",
                          "messages=%zu error=%s", e->n_messages,
                          eqm_log_q(eqm_store_error(e->store)));
            return -1;
        }
        if (!eqm_store_connected(e->store) && eqm_store_reconnect(e->store) != 0)
            return -1;
        usleep(delay_ms * 1000);
        delay_ms *= 2;
    }
    parts = eqm_consumer_parts(e->consumer);
    for (int i = 0; i < eqm_consumer_n_parts(e->consumer); i++)
        if (parts[i].next >= 0)
            parts[i].committed = parts[i].next;
    stats_batch(e, e->batch_ts, e->n_messages, n_new);
    if (n_new > 0)
        e->figures.dirty = true;
    if (with_figures)
        figures_done(e);
    eqm_log_debug("batch committed",
                  "messages=%zu events=%zu new=%zu duplicates=%zu dead_letters=%zu rows=%zu "
                  "ms=%lld",
                  e->n_messages, eqm_batch_n_events(e->batch), n_new,
                  eqm_batch_n_events(e->batch) - n_new, eqm_batch_n_dead_letters(e->batch), rows,
                  (long long)(eqm_time_mono_ms() - t0));
    eqm_consumer_commit_to_kafka(e->consumer);
    batch_reset(e);
    return 0;
}

/* Pipelined: sent now, committed by in_flight_collect(). */
static int commit_pipelined(struct eqm_engine *e, int64_t t0) {
    struct eqm_store_tx tx = {e->batch, e->offsets, 0, NULL, NULL};
    size_t n_new = 0, rows = 0;

    if (batch_offsets(e, &tx.n_offsets) != 0) {
        eqm_log_error("out of memory", "%s", "");
        return -1;
    }
    tx.offsets = e->offsets; /* batch_offsets() may have moved them */
    eqm_log_debug("batch sending", "messages=%zu read_ms=%lld", e->n_messages,
                  (long long)(t0 - e->batch_started_ms));
    if (eqm_store_send(e->store, &tx, &n_new, &rows) == EQM_STORE_OK)
        return in_flight_keep(e, e->offsets, tx.n_offsets, n_new, rows);
    /* Could not even send it: treat as a lost connection. */
    e->fl.n_messages = e->n_messages;
    eqm_store_drop(e->store, eqm_store_error(e->store));
    return in_flight_abandoned(e);
}

/*
 * Commits the batch (and the figures when due, or when force_figures).
 * With may_pipeline, a batch without figures is sent pipelined and
 * commits later, while the next one is read. Returns 0 when committed,
 * sent, or safely abandoned (its messages will be read again), -1 on a
 * fatal error.
 */
static int flush_batch(struct eqm_engine *e, bool force_figures, bool may_pipeline) {
    bool with_figures, pipelinable, full;
    int64_t t0 = eqm_time_mono_ms();

    /* The batch before this one commits first: this one's offsets follow
     * from its offsets. If it failed, this one went with it. */
    if (eqm_store_in_flight(e->store)) {
        int r = in_flight_collect(e, true);
        if (r < 0)
            return -1;
        if (r == 2)
            return 0;
        eqm_log_debug("waited for the previous batch", "ms=%lld read_ms=%lld messages=%zu",
                      (long long)(eqm_time_mono_ms() - t0), (long long)(t0 - e->batch_started_ms),
                      e->n_messages);
    }
    if (e->n_messages == 0) {
        hold_decide(e, e->catchup.last_full);
        return figures_due(e, force_figures) ? figures_alone(e) : 0;
    }
    full = !e->ecfg->naive && e->n_messages >= (size_t)e->limits.max_messages;

    /* Dead letters must be on their topic before their offsets commit. */
    if (eqm_batch_n_dead_letters(e->batch) > 0) {
        if (eqm_consumer_dead_letters_flush(e->consumer) != 0) {
            if (eqm_consumer_rewind(e->consumer) != 0)
                e->fatal = 1;
            batch_reset(e);
            usleep(1000 * 1000);
            return 0;
        }
        for (size_t i = 0; i < eqm_batch_n_dead_letters(e->batch); i++) {
            const struct eqm_batch_dead_letter *d = eqm_batch_dead_letter(e->batch, i);
            struct eqm_consumer_part *ps = eqm_consumer_part(e->consumer, d->partition);
            if (ps && d->offset > ps->dl_sent)
                ps->dl_sent = d->offset;
        }
    }

    hold_decide(e, full || e->catchup.last_full);
    e->catchup.last_full = full;
    with_figures = figures_due(e, force_figures);
    /*
     * Figures hold up every event of the batch they commit with, and every
     * event behind it. So when they fall due on a full batch, that batch
     * goes now without them, and they go with the next one, sent the
     * moment this one has committed: a batch of only what arrived during
     * that commit. The figures still commit with the counts they judge.
     */
    pipelinable = may_pipeline && e->ecfg->pipeline && !e->ecfg->naive &&
                  eqm_time_mono_ms() >= e->careful_until_ms;
    if (with_figures && pipelinable && !force_figures && !e->figures_next) {
        e->figures_next = true;
        with_figures = false;
    }
    if (pipelinable && !with_figures)
        return commit_pipelined(e, t0);
    return commit_careful(e, with_figures, t0);
}

/* Drops the de-duplication keys of days beyond the horizon. */
static void expire_keys(struct eqm_engine *e) {
    e->last_expiry_ms = eqm_time_mono_ms();
    (void)eqm_store_expire_keys(e->store, e->ecfg->dedup_horizon_days);
}

/* ---- rebalances ------------------------------------------------------------------ */

/* A pipelined batch commits (or is abandoned) while the partitions are
 * still ours. */
static void on_rebalance(void *opaque) {
    struct eqm_engine *e = opaque;
    if (eqm_store_in_flight(e->store) && in_flight_collect(e, true) < 0)
        e->fatal = 1;
}

static int on_assigned(void *opaque, const int32_t *partitions, int n, int64_t *committed) {
    struct eqm_engine *e = opaque;
    unsigned delay_ms = 200;

    while (eqm_store_offsets_load(e->store, partitions, n, committed) != 0) {
        eqm_log_warn("cannot read stored offsets, retrying", "error=%s",
                     eqm_log_q(eqm_store_error(e->store)));
        if (!eqm_signals_running() || e->fatal)
            return -1;
        if (!eqm_store_connected(e->store) && eqm_store_reconnect(e->store) != 0)
            eqm_log_warn("PostgreSQL still unavailable", "%s", "");
        usleep(delay_ms * 1000);
        if (delay_ms < 5000)
            delay_ms *= 2;
    }
    e->last_activity_ms = eqm_time_mono_ms();
    return 0;
}

/* Eager revoke: finish the batch while the partitions are still ours; if
 * it cannot commit, the next owner reads it. */
static void on_revoked(void *opaque) {
    struct eqm_engine *e = opaque;
    if (e->n_messages > 0 && flush_batch(e, false, false) != 0)
        e->fatal = 1;
    batch_reset(e);
}

static int on_ahead(void *opaque, int32_t partition, int64_t stored, int64_t low, int64_t high) {
    struct eqm_engine *e = opaque;
    bool stop = !strcmp(e->ecfg->offsets_ahead, "stop");

    e->offsets_ahead++;
    eqm_log_error("stored offset beyond the end of the log: the topic was made again or the "
                  "broker lost its log",
                  "topic=%s partition=%d stored=%lld log_start=%lld log_end=%lld action=%s",
                  e->ecfg->topic, (int)partition, (long long)stored, (long long)low,
                  (long long)high, stop ? "stop" : "reread");
    if (eqm_store_offset_event(e->store, partition, stored, low, high, stop ? "stop" : "reread") !=
        0)
        eqm_log_warn("cannot record the offset ahead of the log", "error=%s",
                     eqm_log_q(eqm_store_error(e->store)));
    if (stop) {
        e->fatal = 1;
        return -1;
    }
    return 0;
}

/* ---- making, running, freeing ------------------------------------------------------ */

int eqm_engine_new(struct eqm_engine **out, const struct eqm_service *svc,
                   const struct eqm_alert_catalog *catalog, const struct eqm_config *cfg,
                   const struct eqm_engine_config *ecfg, char *errstr, size_t sz) {
    struct eqm_engine *e = calloc(1, sizeof(*e));
    struct eqm_consumer_hooks hooks = {on_rebalance, on_assigned, on_revoked, on_ahead, NULL};

    if (!e) {
        snprintf(errstr, sz, "out of memory");
        return -1;
    }
    hooks.opaque = e;
    e->svc = svc;
    e->cfg = cfg;
    e->ecfg = ecfg;
    e->scope.timezone = ecfg->timezone;
    e->scope.force_area = ecfg->force_area;
    e->scope.n_windows = ecfg->n_windows;
    memcpy(e->scope.window_days, ecfg->window_days, sizeof(e->scope.window_days));
    e->limits.max_messages = ecfg->naive ? 1 : ecfg->batch_max_messages;
    e->limits.max_rows = ecfg->batch_max_rows;
    e->limits.max_ms = ecfg->batch_max_ms;
    if (!(e->sink = eqm_sink_collect_new(svc->tables, svc->n_tables)) ||
        eqm_batch_new(&e->batch, svc->tables, svc->n_tables) != 0) {
        snprintf(errstr, sz, "service %s: bad table definitions", svc->name);
        goto fail;
    }
    if (!*ecfg->topic || !*ecfg->group_id) {
        snprintf(errstr, sz, "topic and group.id must not be empty");
        goto fail;
    }
    if (eqm_store_new(&e->store, svc, cfg->pg_url, ecfg->topic, ecfg->group_id, errstr, sz) != 0)
        goto fail;
    eqm_store_set_reconnect_max(e->store, (long)(ecfg->pg_reconnect_max_s * 1000.0));
    if (ecfg->alerts_enabled) {
        if (eqm_alert_rules_load(&e->rules, catalog, ecfg->alerts_rules, errstr, sz) != 0 ||
            eqm_alert_rules_check_windows(e->rules, ecfg->alerts_rules, svc->name,
                                          ecfg->window_days, ecfg->n_windows, errstr, sz) != 0)
            goto fail;
        eqm_log_info("alert rules loaded", "rules=%d file=%s",
                     eqm_alert_rules_count(e->rules, svc->name),
                     eqm_log_q(*ecfg->alerts_rules ? ecfg->alerts_rules : "(built-in defaults)"));
    }
    if (eqm_consumer_new(&e->consumer, svc, cfg, ecfg->topic, ecfg->group_id,
                         ecfg->dead_letter_topic, &hooks, errstr, sz) != 0)
        goto fail;
    e->figures.computes = svc->n_measures > 0 || svc->recompute;
    e->figures.has_rules = e->rules != NULL;
    e->figures.dirty = true; /* figures are brought up to date once at start */
    /* The last run may have stopped while holding: judge once caught up. */
    eqm_catchup_init(&e->catchup, e->rules != NULL, ecfg->alerts_hold_lag);
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
    int rc = 0;

    eqm_log_info("consumer started", "topic=%s group=%s batch.max.messages=%ld naive=%s",
                 ecfg->topic, ecfg->group_id, e->limits.max_messages,
                 ecfg->naive ? "true" : "false");
    e->last_activity_ms = eqm_time_mono_ms();
    while (eqm_signals_running() && !e->fatal) {
        int64_t now = eqm_time_mono_ms();
        bool in_flight = eqm_store_in_flight(e->store);
        bool assigned = eqm_consumer_assigned_once(e->consumer);
        struct eqm_policy_state st;
        bool idle_figures;
        int timeout = 100;
        rd_kafka_message_t *rkm;

        if (e->n_messages > 0) {
            int64_t left = e->batch_started_ms + ecfg->batch_max_ms - now;
            timeout = left < 0 ? 0 : left < timeout ? (int)left : timeout;
        }
        if (in_flight && timeout > 1)
            timeout = 1; /* commit it as soon as PostgreSQL is done */
        rkm = eqm_consumer_poll(e->consumer, timeout);
        e->catchup.idle = !rkm;
        if (!rkm) {
            e->stalled_since_ms = 0;
            /* Idle: has a log ended below its stored offset under us? */
            if (e->n_messages == 0 && now - e->last_log_check_ms >= 1000) {
                e->last_log_check_ms = now;
                if (eqm_consumer_check_log_end(e->consumer) < 0)
                    e->fatal = 1;
            }
        }
        if (eqm_store_in_flight(e->store) && (!rkm || ++e->fl_checks % 256 == 0) &&
            in_flight_collect(e, false) < 0)
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
        in_flight = eqm_store_in_flight(e->store);
        assigned = eqm_consumer_assigned_once(e->consumer);
        idle_figures = e->n_messages == 0 && !in_flight && assigned;
        /* A held evaluation goes once caught up, new counts or not. */
        if (idle_figures && e->catchup.owed)
            hold_decide(e, e->catchup.last_full);
        st = (struct eqm_policy_state){
            .messages = e->n_messages,
            .slots = eqm_batch_n_slots(e->batch),
            .started_ms = e->batch_started_ms,
            .read_ms = e->batch_read_ms,
            .polled_nothing = !rkm,
            .in_flight = in_flight,
            .figures_next = e->figures_next,
            .figures_due = idle_figures && figures_due(e, false),
            .assigned = assigned,
        };
        if (eqm_policy_flush(&e->limits, &st, now)) {
            if (flush_batch(e, false, true) != 0)
                e->fatal = 1;
            e->stalled_since_ms = now;
        }
        in_flight = eqm_store_in_flight(e->store);
        if (e->n_messages == 0 && assigned && !in_flight &&
            (e->last_expiry_ms == 0 || now - e->last_expiry_ms >= EXPIRY_INTERVAL_MS)) {
            expire_keys(e);
            e->stalled_since_ms = now;
        }
        /* The last batch's commit latency, for /metrics, once idle. */
        if (!rkm && e->n_messages == 0 && !in_flight && eqm_store_stats_pending(e->store) &&
            eqm_store_stats_flush(e->store) != 0)
            eqm_log_warn("cannot write consumer stats", "error=%s",
                         eqm_log_q(eqm_store_error(e->store)));
        if (idle_ms > 0 && assigned && e->n_messages == 0 && !in_flight &&
            now - e->last_activity_ms >= idle_ms) {
            eqm_log_info("idle: stopping", "idle_s=%.1f", ecfg->exit_when_idle);
            break;
        }
    }
    if (e->fatal)
        rc = 1;
    /* Graceful stop: commit what we hold, then bring the figures up to
     * date, then leave the group (eqm_engine_free) before anything is
     * freed. */
    if (!e->fatal && flush_batch(e, true, false) != 0)
        rc = 1;
    if (!e->fatal && eqm_store_stats_flush(e->store) != 0)
        eqm_log_warn("cannot write consumer stats", "error=%s",
                     eqm_log_q(eqm_store_error(e->store)));
    eqm_catchup_log_stopping(&e->catchup);
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
    /* First: closing the consumer revokes its partitions, which may still
     * flush the batch through the store. */
    eqm_consumer_free(&e->consumer);
    eqm_store_free(&e->store);
    eqm_sink_collect_free(&e->sink);
    eqm_batch_free(&e->batch);
    eqm_alert_rules_free(&e->rules);
    free(e->offsets);
    free(e->stats);
    free(e->batch_ts);
    free(e->fl.offsets);
    free(e->fl.ts);
    free(e);
    *ep = NULL;
}
