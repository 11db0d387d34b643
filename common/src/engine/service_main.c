/* eqm_service_main(): what every consumer's main() does (eqm/engine.h). */
#include <stdio.h>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "eqm/engine.h"
#include "eqm/kafka.h"
#include "eqm/log.h"
#include "eqm/signals.h"
#include "eqm/timeutil.h"

/* Process-wide choices belong to the program, not to the engine. */
static int process_setup(const struct eqm_engine_config *ecfg, char *errstr, size_t sz) {
#ifdef __GLIBC__
    /* librdkafka's threads allocate fetch buffers that this thread frees;
     * with an arena per thread the freed memory stays scattered. One arena,
     * trimmed above 1 MB, keeps RSS near what is live (eqm-bench with a
     * 32 MB prefetch: peak RSS 92 MB before, 80 MB after). */
    mallopt(M_ARENA_MAX, 1);
    mallopt(M_TRIM_THRESHOLD, 1 << 20);
#endif
    /* Daily buckets are local days of the force. */
    return eqm_time_set_zone(ecfg->timezone, errstr, sz);
}

int eqm_service_main(const struct eqm_service *svc, const struct eqm_alert_catalog *catalog,
                     int argc, char **argv) {
    const struct eqm_config_default defaults[] = {
        {"topic", svc->default_topic}, {"group.id", svc->default_group}, {NULL, NULL}};
    struct eqm_config cfg;
    struct eqm_engine_config ecfg = {0};
    struct eqm_settings engine_settings = eqm_engine_settings(&ecfg);
    struct eqm_engine *engine = NULL;
    char program[64], errstr[512];
    int rc = 1;

    snprintf(program, sizeof(program), "eqm-%s", svc->name);
    if (eqm_config_main(&cfg, &engine_settings, 1, program, svc->name, defaults, argc, argv, &rc) !=
        0)
        goto out;
    /* A bad Kafka property is a bad setting, before PostgreSQL is tried. */
    if (eqm_kafka_check_main(&cfg, RD_KAFKA_CONSUMER, program) != 0) {
        rc = 2;
        goto out;
    }
    eqm_signals_install();
    if (process_setup(&ecfg, errstr, sizeof(errstr)) != 0 ||
        eqm_engine_new(&engine, svc, catalog, &cfg, &ecfg, errstr, sizeof(errstr)) != 0) {
        eqm_log_error("cannot start", "error=%s", eqm_log_q(errstr));
        rc = 1;
        goto out;
    }
    rc = eqm_engine_run(engine);
out:
    eqm_engine_free(&engine);
    eqm_config_free(&cfg);
    return rc;
}
