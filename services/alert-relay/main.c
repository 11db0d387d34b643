/* eqm-alert-relay: publishes equality.alert_outbox to equality.alerts. */
#include "eqm/config.h"
#include "eqm/kafka.h"
#include "eqm/log.h"
#include "eqm/signals.h"
#include "relay.h"

int main(int argc, char **argv) {
    /* A delivery that cannot succeed fails after 30 s (librdkafka's
     * default is 5 min) and is retried by the relay's own back-off; -X
     * overrides it. */
    static const struct eqm_config_default defaults[] = {{"kafka.message.timeout.ms", "30000"},
                                                         {NULL, NULL}};
    struct eqm_config cfg;
    struct eqm_relay_config rcfg = {0};
    struct eqm_settings settings = eqm_relay_settings(&rcfg);
    struct eqm_relay *relay = NULL;
    char errstr[512];
    int rc = 1;

    if (eqm_config_main(&cfg, &settings, 1, "eqm-alert-relay", "alert-relay", defaults, argc, argv,
                        &rc) != 0)
        goto out;
    /* A bad Kafka property is a bad setting, before PostgreSQL is tried. */
    if (eqm_kafka_check_main(&cfg, RD_KAFKA_PRODUCER, "eqm-alert-relay") != 0) {
        rc = 2;
        goto out;
    }
    eqm_signals_install();
    if (eqm_relay_new(&relay, &cfg, &rcfg, errstr, sizeof(errstr)) != 0) {
        eqm_log_error("cannot start", "error=%s", eqm_log_q(errstr));
        rc = 1;
        goto out;
    }
    rc = eqm_relay_run(relay);
out:
    eqm_relay_free(&relay);
    eqm_config_free(&cfg);
    return rc;
}
