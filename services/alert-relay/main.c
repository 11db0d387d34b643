/* eqm-alert-relay: publishes equality.alert_outbox to equality.alerts. */
#include <stdio.h>

#include "eqm/config.h"
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
    enum eqm_log_level level = EQM_LOG_INFO;
    char errstr[512];
    int rc = 1;

    switch (eqm_config_load(&cfg, &settings, 1, "eqm-alert-relay", "[options]", defaults, argc,
                            argv, stdout, errstr, sizeof(errstr))) {
    case EQM_CONFIG_EXIT:
        eqm_config_free(&cfg);
        return 0;
    case EQM_CONFIG_ERROR:
        fprintf(stderr, "eqm-alert-relay: %s\n", errstr);
        eqm_config_free(&cfg);
        return 2;
    case EQM_CONFIG_OK:
        break;
    }
    if (eqm_log_level_parse(cfg.log_level, &level) != 0)
        level = EQM_LOG_INFO; /* cannot happen: the setting is checked */
    eqm_log_init("alert-relay", level);
    eqm_signals_install();

    if (eqm_relay_new(&relay, &cfg, &rcfg, errstr, sizeof(errstr)) != 0) {
        eqm_log_error("cannot start", "error=%s", eqm_log_q(errstr));
        goto out;
    }
    rc = eqm_relay_run(relay);
out:
    eqm_relay_free(&relay);
    eqm_config_free(&cfg);
    return rc;
}
