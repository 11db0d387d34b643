/* eqm-stop-search: consumes stop-search.events into PostgreSQL. */
#include <stdio.h>

#include "eqm/config.h"
#include "eqm/engine.h"
#include "eqm/log.h"
#include "stop_search.h"

int main(int argc, char **argv) {
    static const struct eqm_config_default defaults[] = {
        {"topic", "stop-search.events"}, {"group.id", "eqm-stop-search"}, {NULL, NULL}};
    struct eqm_config cfg;
    struct eqm_engine *engine = NULL;
    enum eqm_log_level level = EQM_LOG_INFO;
    char errstr[512];
    int rc;

    switch (eqm_config_load(&cfg, "eqm-stop-search", "[options]", defaults, argc, argv, stdout,
                            errstr, sizeof(errstr))) {
    case EQM_CONFIG_EXIT:
        eqm_config_free(&cfg);
        return 0;
    case EQM_CONFIG_ERROR:
        fprintf(stderr, "eqm-stop-search: %s\n", errstr);
        eqm_config_free(&cfg);
        return 2;
    case EQM_CONFIG_OK:
        break;
    }
    eqm_log_level_parse(cfg.log_level, &level);
    eqm_log_init("stop-search", level);
    eqm_engine_install_signals();

    if (eqm_engine_new(&engine, &eqm_stop_search_service, &cfg, errstr, sizeof(errstr)) != 0) {
        eqm_log_error("cannot start", "error=%s", eqm_log_q(errstr));
        eqm_config_free(&cfg);
        return 1;
    }
    rc = eqm_engine_run(engine);
    eqm_engine_free(&engine);
    eqm_config_free(&cfg);
    return rc;
}
