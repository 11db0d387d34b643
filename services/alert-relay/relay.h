/*
 * relay.h - eqm-alert-relay: publishes equality.alert_outbox to Kafka.
 *
 * The consumers write one outbox row per alert state change in the same
 * PostgreSQL transaction as the figures that decided it. The relay reads
 * the rows not yet sent (sent_at IS NULL AND publish), in id order,
 * produces each to alerts.topic with an idempotent producer (key =
 * fingerprint, value = payload, headers below), waits for every delivery
 * report, and stamps sent_at, kafka_partition and kafka_offset ONLY on the
 * rows the broker acknowledged. Rows that failed are sent again on a later
 * round, after an exponential back-off. A crash between the broker's
 * acknowledgement and the stamp means those rows go out again: a reader
 * de-duplicating on alert_id sees each alert once, and none is lost.
 *
 * Wake-up: LISTEN equality_alert_outbox (migration 006 NOTIFYs on insert),
 * with relay.poll.interval.ms as the fallback. One relay publishes at a
 * time (a PostgreSQL advisory lock); a second one waits as a standby.
 *
 * The first half of this header is pure (no I/O), for the unit tests: the
 * message built from a row, the check of a row's payload, the back-off,
 * and the bookkeeping of a round. The second half is the running relay.
 */
#ifndef EQM_RELAY_H
#define EQM_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "eqm/config.h"
#include "eqm/pg.h"
#include "eqm/pgarray.h"

/* ---- pure parts ------------------------------------------------------- */

/* One outbox row as read (strings owned by the caller, e.g. a PGresult). */
struct eqm_relay_row {
    int64_t id;
    const char *alert_id; /* uuid text */
    const char *fingerprint;
    const char *status; /* firing | resolved */
    const char *audience;
    const char *payload; /* the complete alert message, JSON text */
    size_t payload_len;
};

#define EQM_RELAY_HEADERS 6

struct eqm_relay_header {
    const char *name;
    const char *value; /* NUL-terminated */
};

/*
 * The Kafka message for a row. key, value and header values point into
 * the row or into msg itself (outbox_id): valid while both live.
 */
struct eqm_relay_message {
    const char *key;
    size_t key_len;
    const char *value;
    size_t value_len;
    struct eqm_relay_header headers[EQM_RELAY_HEADERS];
    int n_headers;
    char outbox_id[24];
};

/*
 * Fills *msg from row: key = fingerprint, value = payload unchanged, and
 * the headers eqm-alert-id, eqm-status, eqm-audience, eqm-outbox-id,
 * content-type (application/json) and eqm-producer (eqm-alert-relay).
 * Returns 0, or -1 with errstr when the row cannot be sent at all (no
 * fingerprint or no payload); *msg is then unspecified.
 */
int eqm_relay_message_build(const struct eqm_relay_row *row, struct eqm_relay_message *msg,
                            char *errstr, size_t errstr_size) __attribute__((warn_unused_result));

/*
 * Checks that the payload is a JSON object whose alert_id, fingerprint and
 * status agree with the row's columns (alert_id case-insensitively).
 * Returns 0 when they do, or -1 with errstr saying what disagrees. The
 * relay publishes such a row anyway (it is a transport, and holding an
 * alert back would hide it from the scrutiny group) but logs an error:
 * the writer of the outbox has a bug.
 */
int eqm_relay_payload_check(const struct eqm_relay_row *row, char *errstr, size_t errstr_size);

/*
 * Wait before round `failures` (1 = after the first failed round):
 * base_ms * 2^(failures-1), at most max_ms, then scaled by (1 - jitter/2)
 * with jitter in [0, 1) so that relays restarted together spread out.
 * failures <= 0 gives 0.
 */
long eqm_relay_backoff_ms(int failures, long base_ms, long max_ms, double jitter);

/* What happened to one produced row. */
struct eqm_relay_delivery {
    int64_t id;
    char alert_id[40]; /* for the logs */
    bool done;         /* a delivery report has arrived */
    int err;           /* rd_kafka_resp_err_t of the report; 0 = acknowledged */
    int32_t partition;
    int64_t offset;
};

/*
 * The stamps of a round, as PostgreSQL array literals: one element per
 * acknowledged row, in the same order in each array. alert_ids lets the
 * UPDATE stamp a row only if it still holds the very alert that was sent.
 */
struct eqm_relay_marks {
    struct eqm_buf ids, alert_ids, partitions, offsets;
};

/*
 * Rebuilds *m (each buffer reset first) from the rows of d[0..n) that
 * were acknowledged (done, err 0). Returns the number of such rows, or -1
 * out of memory.
 */
int eqm_relay_marks_build(const struct eqm_relay_delivery *d, size_t n, struct eqm_relay_marks *m);

/* Frees the buffers; *m is zeroed and may be built again. */
void eqm_relay_marks_free(struct eqm_relay_marks *m);

/* Counters kept while running; summarised at exit. */
struct eqm_relay_stats {
    uint64_t rounds;           /* rounds that read at least one row */
    uint64_t published;        /* rows acknowledged by the broker */
    uint64_t marked;           /* rows stamped sent_at by this relay */
    uint64_t delivery_failed;  /* delivery reports with an error (each is retried) */
    uint64_t mark_failed;      /* stamps that failed and were retried */
    uint64_t payload_warnings; /* rows whose payload disagreed with its columns */
    uint64_t pg_reconnects;
    uint64_t producer_restarts; /* after a fatal idempotent-producer error */
    uint64_t unmarked_at_exit;  /* acknowledged, not stamped: will go out again */
    int64_t unsent_at_exit;     /* outbox rows still to send, -1 unknown */
};

/* Formats the counters as one `k=v k2=v2` log text. */
void eqm_relay_stats_format(const struct eqm_relay_stats *s, double uptime_s, char *buf,
                            size_t size);

/* ---- the running relay ------------------------------------------------ */

/* The relay's own settings (besides the common ones, eqm/config.h). */
struct eqm_relay_config {
    char *alerts_topic;
    long batch_max_messages; /* rows per round */
    double exit_when_idle;   /* seconds; 0 = run until signalled */
    long poll_interval_ms;   /* re-read the outbox at least this often */
    long retry_backoff_ms;   /* first wait after a failed delivery */
    long retry_backoff_max_ms;
};

/* The relay's settings table, bound to rcfg (for eqm_config_load()). */
struct eqm_settings eqm_relay_settings(struct eqm_relay_config *rcfg);

struct eqm_relay;

/*
 * Connects to PostgreSQL (applying migrations), takes nothing else yet,
 * and creates the producer. cfg must outlive the relay. Returns 0 and
 * *out, or -1 with errstr and *out untouched.
 */
int eqm_relay_new(struct eqm_relay **out, const struct eqm_config *cfg,
                  const struct eqm_relay_config *rcfg, char *errstr, size_t errstr_size)
    __attribute__((warn_unused_result));

/*
 * Runs until a signal (eqm/signals.h) or, with exit.when.idle,
 * until no row has been left to send for that long. On a signal it
 * finishes the round in flight (waits for its delivery reports, stamps the
 * acknowledged rows) and returns. Logs a health summary. Returns the exit
 * code: 0 after a clean stop, 1 on a fatal error.
 */
int eqm_relay_run(struct eqm_relay *r) __attribute__((warn_unused_result));

/* Flushes and destroys the producer, closes PostgreSQL; NULL-safe. */
void eqm_relay_free(struct eqm_relay **r);

#endif /* EQM_RELAY_H */
