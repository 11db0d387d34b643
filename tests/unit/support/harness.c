/* A service's handler run as the engine runs it (harness.h). */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

#include "eqm/log.h"
#include "eqm/timeutil.h"

int harness_init(struct harness *h, const struct eqm_service *svc) {
    char err[256];
    memset(h, 0, sizeof(*h));
    h->svc = svc;
    eqm_log_init("unit-test", EQM_LOG_INFO);
    if (eqm_time_set_zone("Europe/London", err, sizeof(err)) != 0)
        return -1;
    h->sink = eqm_sink_collect_new(svc->tables, svc->n_tables);
    return h->sink ? 0 : -1;
}

void harness_free(struct harness *h) {
    json_decref(h->event);
    h->event = NULL;
    eqm_sink_collect_free(&h->sink);
}

int harness_run_bytes(struct harness *h, const char *bytes, size_t len, const char *force_area) {
    json_decref(h->event);
    h->event = NULL;
    eqm_sink_collect_reset(h->sink);
    memset(&h->rej, 0, sizeof(h->rej));
    memset(&h->env, 0, sizeof(h->env));
    if (eqm_message_parse(bytes, len, HARNESS_MAX_BYTES, eqm_time_now_us(), HARNESS_SKEW_S,
                          &h->event, &h->env, &h->rej) != 0)
        return -2;
    return h->svc->handle(&h->env, h->event, force_area, h->sink, &h->rej);
}

int harness_run(struct harness *h, const char *json, const char *force_area) {
    return harness_run_bytes(h, json, strlen(json), force_area);
}

int harness_setup(void **state, const struct eqm_service *svc) {
    struct harness *h = calloc(1, sizeof(*h));
    if (!h || harness_init(h, svc) != 0) {
        free(h);
        return -1;
    }
    *state = h;
    return 0;
}

int harness_teardown(void **state) {
    struct harness *h = *state;
    harness_free(h);
    free(h);
    return 0;
}
