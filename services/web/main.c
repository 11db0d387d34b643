/* eqm-web: the read-only dashboard over PostgreSQL. */
#include <unistd.h>

#include "catalog.h"
#include "eqm/config.h"
#include "eqm/kafka.h"
#include "eqm/log.h"
#include "eqm/signals.h"
#include "web.h"

int main(int argc, char **argv) {
    int rc = 1;
    char errstr[512];
    struct eqm_web *w = NULL;
    struct eqm_web_config wcfg = {0};
    struct eqm_settings settings = eqm_web_settings(&wcfg);
    struct eqm_config cfg;

    if (eqm_config_main(&cfg, &settings, 1, "eqm-web", "web", NULL, argc, argv, &rc) != 0)
        goto out;
    /* The lag's client: a bad Kafka property is a bad setting all the same. */
    if (eqm_kafka_check_main(&cfg, RD_KAFKA_PRODUCER, "eqm-web") != 0) {
        rc = 2;
        goto out;
    }
    eqm_signals_install();
    rc = -eqm_web_start(&w, &cfg, &wcfg, &eqm_alert_catalog, errstr, sizeof(errstr));
    if (rc != 0) {
        eqm_log_error("cannot start", "error=%s", eqm_log_q(errstr));
    } else {
        eqm_log_info("listening", "address=%s port=%u", eqm_log_q(wcfg.listen), eqm_web_port(w));
        /* The daemon's thread answers; this one waits for SIGTERM or SIGINT
         * (a signal ends the sleep; the second bounds a signal just missed). */
        while (eqm_signals_running())
            sleep(1);
        eqm_log_info("stopping", "signal=%d", eqm_signals_received());
        eqm_web_stop(&w);
    }
out:
    eqm_config_free(&cfg);
    return rc;
}
