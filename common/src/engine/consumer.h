/*
 * consumer.h - the engine's Kafka side (internal to common/src/engine/):
 * the consumer in its group, the partitions it holds with their stored
 * offsets, rebalances, and the dead-letter producer.
 *
 * Offsets live in PostgreSQL, not in Kafka: on every assignment the
 * engine reads them (the assigned hook) and each partition starts there;
 * Kafka's own committed offsets are written only for lag monitoring
 * tools. Assignment is eager ("range"): on a revoke the engine finishes
 * or gives up the batch it holds while the partitions are still its own.
 */
#ifndef EQM_ENGINE_CONSUMER_H
#define EQM_ENGINE_CONSUMER_H

#include <stdbool.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include "eqm/config.h"
#include "eqm/service.h"

/* What a rebalance asks of the engine; called on the polling thread. */
struct eqm_consumer_hooks {
    /* First, in every rebalance: a batch in flight commits or is given up. */
    void (*before)(void *opaque);
    /* Partitions assigned: committed[i] gets partition i's stored next
     * offset, or -1 (never committed: from the beginning). 0, or -1: the
     * consumer takes no partition. */
    int (*assigned)(void *opaque, const int32_t *partitions, int n, int64_t *committed);
    /* Partitions about to be revoked: the batch they hold is finished. */
    void (*revoked)(void *opaque);
    /* The stored offset of partition is beyond the end of its log (low
     * and high are the log's watermarks): the topic was deleted and made
     * again, or the broker lost its log. 0: read the partition again from
     * its start (safe: the de-duplication keys count every event once);
     * -1: take no partition (the engine stops). */
    int (*ahead)(void *opaque, int32_t partition, int64_t stored, int64_t low, int64_t high);
    void *opaque;
};

/* A partition held. */
struct eqm_consumer_part {
    int32_t partition;
    int64_t committed; /* next offset as stored in PostgreSQL; -1 = NULL */
    int64_t next;      /* next offset after the batch being read; -1 = untouched */
    int64_t dl_sent;   /* dead letters up to this offset are on their topic */
    int64_t log_start; /* the log's start and end as last asked of the */
    int64_t log_end;   /* broker (assignment, eqm_consumer_lag()); -1 = not */
};

struct eqm_consumer;

/*
 * Creates the dead-letter producer and the consumer, and subscribes to
 * topic in group. cfg gives the brokers and the operator's properties;
 * strings and hooks must outlive the consumer. 0 and *out, or -1 with
 * errstr.
 */
int eqm_consumer_new(struct eqm_consumer **out, const struct eqm_service *svc,
                     const struct eqm_config *cfg, const char *topic, const char *group,
                     const char *dead_letter_topic, const struct eqm_consumer_hooks *hooks,
                     char *errstr, size_t errstr_size) __attribute__((warn_unused_result));

/* Leaves the group, flushes the dead letters, frees; NULL-safe. */
void eqm_consumer_free(struct eqm_consumer **c);

/* The next message or event (NULL: none within timeout_ms); rebalances
 * run inside. The caller destroys the message. */
rd_kafka_message_t *eqm_consumer_poll(struct eqm_consumer *c, int timeout_ms);

/* True once partitions have been assigned at least once. */
bool eqm_consumer_assigned_once(const struct eqm_consumer *c);

/* The partitions held, and one by number (NULL: not held). */
int eqm_consumer_n_parts(const struct eqm_consumer *c);
struct eqm_consumer_part *eqm_consumer_parts(struct eqm_consumer *c);
struct eqm_consumer_part *eqm_consumer_part(struct eqm_consumer *c, int32_t partition);

/* Forgets the batch's progress: every partition's next back to -1. */
void eqm_consumer_reset_next(struct eqm_consumer *c);

/* Sets the stored offsets of the partitions held, as reread (committed[i]
 * for the i-th held partition). */
void eqm_consumer_set_committed(struct eqm_consumer *c, const int64_t *committed);

/* Puts every partition back at its committed offset, so that an
 * abandoned batch is read again. 0, or -1 (the engine must stop). */
int eqm_consumer_rewind(struct eqm_consumer *c) __attribute__((warn_unused_result));

/*
 * Compares each partition's stored offset with the end of its log as the
 * last fetches saw it (no request is made), and gives every partition
 * whose log now ends below the stored offset to the ahead hook: one the
 * hook lets go on is read again from its start. Returns the number of
 * such partitions, or -1 when the hook said stop.
 */
int eqm_consumer_check_log_end(struct eqm_consumer *c) __attribute__((warn_unused_result));

/*
 * How far behind the ends of its logs this consumer is: the sum over the
 * partitions held of (end of the log - position), where the position is
 * the offset after the batch being read, else the stored offset, never
 * below the log's start. The ends are librdkafka's cached high
 * watermarks (kept fresh by fetch responses; no request). A partition
 * without one, or without a known start when nothing was ever stored, is
 * asked of the broker when query_timeout_ms > 0 (one request each,
 * giving up at the first that fails). *lag gets the sum over the
 * partitions known; returns the number not known.
 */
int eqm_consumer_lag(struct eqm_consumer *c, int query_timeout_ms, int64_t *lag);

/* Writes the committed offsets to Kafka (asynchronously), for lag tools. */
void eqm_consumer_commit_to_kafka(struct eqm_consumer *c);

/*
 * Sends rkm to the dead-letter topic with its reason: the original bytes
 * as the value (cut at 9 MB, said in a header), where it came from and
 * why in headers, keyed by the source topic. A message already sent
 * before an abandoned batch was read again is not sent twice.
 */
void eqm_consumer_dead_letter(struct eqm_consumer *c, const rd_kafka_message_t *rkm,
                              const char *code, const char *reason);

/*
 * Waits (up to 30 s) until every dead letter is on its topic. 0, or -1
 * if one failed or is still queued: then the batch must not commit.
 * Clears the failure count either way.
 */
int eqm_consumer_dead_letters_flush(struct eqm_consumer *c) __attribute__((warn_unused_result));

#endif /* EQM_ENGINE_CONSUMER_H */
