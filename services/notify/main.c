/* eqm-notify: delivers equality.alerts to the people subscribed. */
#include <stdio.h>

#include <curl/curl.h>

#include "catalog.h"
#include "eqm/config.h"
#include "eqm/kafka.h"
#include "eqm/log.h"
#include "eqm/signals.h"
#include "eqm/timeutil.h"
#include "notify.h"
#include "subs.h"

int main(int argc, char **argv) {
    struct eqm_config cfg;
    struct eqm_notify_config ncfg = {0};
    struct eqm_settings settings = eqm_notify_settings(&ncfg);
    struct eqm_subs subs = {0};
    struct eqm_alert_rules *rules = NULL;
    struct eqm_notify *n = NULL;
    char errstr[512];
    int rc = 1;

    if (eqm_config_main(&cfg, &settings, 1, "eqm-notify", "notify", NULL, argc, argv, &rc) != 0)
        goto out;
    /* The subscription file, the rules and the time zone are settings too: a mistake in
     * either is a bad setting (exit 2), `file:line: what`. */
    if (!*ncfg.subscriptions) {
        fprintf(stderr, "eqm-notify: notify.subscriptions (EQM_NOTIFY_SUBSCRIPTIONS) must name "
                        "the subscription file\n");
        rc = 2;
        goto out;
    }
    if (eqm_subs_load(&subs, ncfg.subscriptions, errstr, sizeof(errstr)) != 0 ||
        eqm_alert_rules_load(&rules, &eqm_alert_catalog, ncfg.alerts_rules, errstr,
                             sizeof(errstr)) != 0 ||
        eqm_notify_check_settings(&ncfg, &subs, errstr, sizeof(errstr)) != 0 ||
        eqm_time_set_zone(ncfg.timezone, errstr, sizeof(errstr)) != 0 ||
        eqm_kafka_check(RD_KAFKA_CONSUMER, cfg.prop_names, cfg.prop_values, cfg.n_props, errstr,
                        sizeof(errstr)) != 0) {
        fprintf(stderr, "eqm-notify: %s\n", errstr);
        rc = 2;
        goto out;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        eqm_log_error("cannot start", "error=%s", eqm_log_q("curl_global_init failed"));
        rc = 1;
        goto out;
    }
    eqm_signals_install();
    if (eqm_notify_new(&n, &cfg, &ncfg, &subs, rules, errstr, sizeof(errstr)) != 0) {
        eqm_log_error("cannot start", "error=%s", eqm_log_q(errstr));
        rc = 1;
    } else {
        rc = eqm_notify_run(n);
    }
    eqm_notify_free(&n);
    curl_global_cleanup();
out:
    eqm_alert_rules_free(&rules);
    eqm_subs_free(&subs);
    eqm_config_free(&cfg);
    return rc;
}
