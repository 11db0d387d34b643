/*
 * kafka.h - the one place a librdkafka client is made.
 *
 * Every program builds its consumer or producer through eqm_kafka_new(),
 * so properties are applied in the same order everywhere (kcat's: the
 * program's own defaults, then whatever the caller reads from a file,
 * then the operator's `-X prop=value` / `kafka.prop = value`, which win),
 * every rd_kafka_conf_set() result is checked, an error names the
 * property, and librdkafka's own log lines reach eqm_log on the thread
 * that polls the client (log.queue), never from librdkafka's threads.
 */
#ifndef EQM_KAFKA_H
#define EQM_KAFKA_H

#include <stdbool.h>
#include <stddef.h>

#include <librdkafka/rdkafka.h>

struct eqm_kafka_spec {
    rd_kafka_type_t type;
    const char *client_id; /* required */
    const char *brokers;   /* bootstrap.servers; NULL leaves it to the properties */
    /* The program's own properties: "name", "value", ..., NULL. */
    const char *const *props;
    /* Optional, after props: the caller sets what it reads itself (a
     * property file, say, with its own messages). 0, or -1 with errstr. */
    int (*conf_hook)(rd_kafka_conf_t *conf, void *hook_arg, char *errstr, size_t errstr_size);
    void *hook_arg;
    /* The operator's properties, applied last. For a producer, those only
     * a consumer understands are skipped (eqm_kafka_consumer_only()). */
    char *const *user_names;
    char *const *user_values;
    int n_user;
    /* Callbacks and their opaque (any may be NULL). */
    void *opaque;
    void (*dr_msg_cb)(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque);
    void (*error_cb)(rd_kafka_t *rk, int err, const char *reason, void *opaque);
    void (*rebalance_cb)(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *partitions, void *opaque);
    /* Route librdkafka's logs to eqm_log: they then arrive through the
     * client's polls (a consumer: rd_kafka_consumer_poll(); a producer:
     * rd_kafka_poll() or rd_kafka_flush()). */
    bool route_logs;
};

/*
 * Creates the client. Returns it, or NULL with errstr ("Kafka property
 * NAME: why", or why the client could not be made); nothing is leaked on
 * failure. A consumer gets rd_kafka_poll_set_consumer(), so its logs and
 * rebalances come through rd_kafka_consumer_poll().
 */
rd_kafka_t *eqm_kafka_new(const struct eqm_kafka_spec *spec, char *errstr, size_t errstr_size)
    __attribute__((warn_unused_result));

/* Sets one property; 0, or -1 with errstr naming it (a secret's value is
 * never repeated). */
int eqm_kafka_conf_set(rd_kafka_conf_t *conf, const char *name, const char *value, char *errstr,
                       size_t errstr_size) __attribute__((warn_unused_result));

/*
 * Checks the operator's properties at start-up, before anything connects:
 * each is set as eqm_kafka_new() would (a bad name or value refused with
 * librdkafka's own words), then a client of the given type is made and
 * destroyed without brokers, so what librdkafka checks only when a client
 * is made (a missing ssl.ca.location file, SCRAM without sasl.username,
 * an OAUTHBEARER method without its endpoint) is an error now, not a
 * retry loop later. 0, or -1 with errstr.
 */
int eqm_kafka_check(rd_kafka_type_t type, char *const *names, char *const *values, int n,
                    char *errstr, size_t errstr_size) __attribute__((warn_unused_result));

/* eqm_kafka_check() of a program's -X / kafka.* properties as its main()
 * wants it: a refusal is one line "program: why" on stderr. 0 or -1 (the
 * program exits 2: a bad setting). */
struct eqm_config;
int eqm_kafka_check_main(const struct eqm_config *cfg, rd_kafka_type_t type, const char *program)
    __attribute__((warn_unused_result));

/* True for properties only a consumer understands (group.*, fetch.*, ...). */
bool eqm_kafka_consumer_only(const char *name);

/* The log callback eqm_kafka_new() installs, for clients made otherwise
 * (the development broker's mock cluster). */
void eqm_kafka_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf);

#endif /* EQM_KAFKA_H */
