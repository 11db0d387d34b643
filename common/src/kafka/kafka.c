#include "eqm/kafka.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "eqm/config.h"
#include "eqm/log.h"

void eqm_kafka_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
    enum eqm_log_level l = level <= 3   ? EQM_LOG_ERROR
                           : level <= 4 ? EQM_LOG_WARN
                           : level <= 6 ? EQM_LOG_INFO
                                        : EQM_LOG_DEBUG;
    (void)rk;
    if (eqm_log_enabled(l))
        eqm_log(l, "librdkafka", "facility=%s detail=%s", fac, eqm_log_q(buf));
}

int eqm_kafka_conf_set(rd_kafka_conf_t *conf, const char *name, const char *value, char *errstr,
                       size_t sz) {
    char err[256];

    if (rd_kafka_conf_set(conf, name, value, err, sizeof(err)) == RD_KAFKA_CONF_OK)
        return 0;
    if (eqm_config_secret_prop(name))
        snprintf(errstr, sz, "Kafka property %s: %s", name, err);
    else
        snprintf(errstr, sz, "Kafka property %s=%s: %s", name, value, err);
    return -1;
}

bool eqm_kafka_consumer_only(const char *name) {
    static const char *const prefixes[] = {"group.",
                                           "session.timeout",
                                           "heartbeat.",
                                           "partition.assignment",
                                           "max.poll",
                                           "fetch.",
                                           "auto.offset",
                                           "enable.auto",
                                           "auto.commit",
                                           "isolation.level",
                                           "check.crcs",
                                           "enable.partition.eof",
                                           "queued.",
                                           "coordinator.query",
                                           "allow.auto.create.topics"};
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
        if (!strncmp(name, prefixes[i], strlen(prefixes[i])))
            return true;
    return false;
}

rd_kafka_t *eqm_kafka_new(const struct eqm_kafka_spec *spec, char *errstr, size_t sz) {
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_t *rk;
    char err[512];

    if (!conf) {
        snprintf(errstr, sz, "out of memory");
        return NULL;
    }
    if (eqm_kafka_conf_set(conf, "client.id", spec->client_id, errstr, sz) != 0 ||
        (spec->brokers &&
         eqm_kafka_conf_set(conf, "bootstrap.servers", spec->brokers, errstr, sz) != 0) ||
        (spec->route_logs && eqm_kafka_conf_set(conf, "log.queue", "true", errstr, sz) != 0))
        goto fail;
    for (const char *const *p = spec->props; p && p[0]; p += 2)
        if (eqm_kafka_conf_set(conf, p[0], p[1], errstr, sz) != 0)
            goto fail;
    if (spec->conf_hook && spec->conf_hook(conf, spec->hook_arg, errstr, sz) != 0)
        goto fail;
    for (int i = 0; i < spec->n_user; i++) {
        if (spec->type == RD_KAFKA_PRODUCER && eqm_kafka_consumer_only(spec->user_names[i]))
            continue;
        if (eqm_kafka_conf_set(conf, spec->user_names[i], spec->user_values[i], errstr, sz) != 0)
            goto fail;
    }
    if (spec->route_logs)
        rd_kafka_conf_set_log_cb(conf, eqm_kafka_log_cb);
    if (spec->dr_msg_cb)
        rd_kafka_conf_set_dr_msg_cb(conf, spec->dr_msg_cb);
    if (spec->error_cb)
        rd_kafka_conf_set_error_cb(conf, spec->error_cb);
    if (spec->rebalance_cb)
        rd_kafka_conf_set_rebalance_cb(conf, spec->rebalance_cb);
    rd_kafka_conf_set_opaque(conf, spec->opaque);

    rk = rd_kafka_new(spec->type, conf, err, sizeof(err));
    if (!rk) {
        snprintf(errstr, sz, "cannot create the Kafka %s: %s",
                 spec->type == RD_KAFKA_CONSUMER ? "consumer" : "producer", err);
        goto fail;
    }
    conf = NULL; /* rk owns it now */
    if (spec->type == RD_KAFKA_CONSUMER)
        rd_kafka_poll_set_consumer(rk);
    if (spec->route_logs)
        rd_kafka_set_log_queue(rk, NULL); /* the main queue: our own polls */
    return rk;
fail:
    rd_kafka_conf_destroy(conf);
    return NULL;
}

/* The check's client says nothing: its words would come again, from the
 * real client, where the program routes them. */
static void quiet_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
    (void)rk;
    (void)level;
    (void)fac;
    (void)buf;
}

/* Properties that name a file librdkafka reads when the client is made. */
static bool is_file_prop(const char *name) {
    static const char *const files[] = {"ssl.ca.location",       "ssl.certificate.location",
                                        "ssl.key.location",      "ssl.crl.location",
                                        "ssl.keystore.location", "sasl.kerberos.keytab"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
        if (!strcmp(name, files[i]))
            return true;
    return false;
}

int eqm_kafka_check(rd_kafka_type_t type, char *const *names, char *const *values, int n,
                    char *errstr, size_t sz) {
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_t *rk;
    char err[512];

    if (!conf) {
        snprintf(errstr, sz, "out of memory");
        return -1;
    }
    rd_kafka_conf_set_log_cb(conf, quiet_log_cb);
    for (int i = 0; i < n; i++) {
        /* librdkafka's words for a file it cannot read ("x509 certificate
         * routines::system lib") name neither the file nor why. */
        if (is_file_prop(names[i]) && strcmp(values[i], "probe") && access(values[i], R_OK) != 0) {
            snprintf(errstr, sz, "Kafka property %s: cannot read %s: %s", names[i], values[i],
                     strerror(errno));
            rd_kafka_conf_destroy(conf);
            return -1;
        }
        if (type == RD_KAFKA_PRODUCER && eqm_kafka_consumer_only(names[i]))
            continue;
        /* The brokers are never contacted: the client is made and gone. */
        if (!strcmp(names[i], "bootstrap.servers") || !strcmp(names[i], "metadata.broker.list"))
            continue;
        if (eqm_kafka_conf_set(conf, names[i], values[i], errstr, sz) != 0) {
            rd_kafka_conf_destroy(conf);
            return -1;
        }
    }
    rk = rd_kafka_new(type, conf, err, sizeof(err));
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        snprintf(errstr, sz, "Kafka properties refused by librdkafka: %s", err);
        return -1;
    }
    rd_kafka_destroy(rk);
    return 0;
}

int eqm_kafka_check_main(const struct eqm_config *cfg, rd_kafka_type_t type, const char *program) {
    char errstr[512];

    if (eqm_kafka_check(type, cfg->prop_names, cfg->prop_values, cfg->n_props, errstr,
                        sizeof(errstr)) == 0)
        return 0;
    fprintf(stderr, "%s: %s\n", program, errstr);
    return -1;
}
