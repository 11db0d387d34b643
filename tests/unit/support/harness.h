/*
 * harness.h - a service's handler run as the engine runs it, for the
 * services' unit tests: the message bytes through eqm_message_parse()
 * (envelope checks included), then the handler into a collecting sink.
 *
 * Not named test_*.c: tests/CMakeLists.txt links it into the services'
 * unit tests.
 */
#ifndef EQM_TESTS_HARNESS_H
#define EQM_TESTS_HARNESS_H

#include <stddef.h>

#include <jansson.h>

#include "eqm/envelope.h"
#include "eqm/sink.h"

#define HARNESS_MAX_BYTES 1000000 /* max.message.bytes' default */
#define HARNESS_SKEW_S    86400   /* max.future.skew.s' default */

struct harness {
    const struct eqm_service *svc;
    struct eqm_sink *sink;
    struct eqm_reject rej;
    struct eqm_envelope env;
    json_t *event; /* the last message parsed, or NULL */
};

/* A harness for svc, in the time zone the tests' days are in
 * (Europe/London). 0, or -1. */
int harness_init(struct harness *h, const struct eqm_service *svc);
void harness_free(struct harness *h);

/* cmocka setup and teardown around a struct harness in *state. */
int harness_setup(void **state, const struct eqm_service *svc);
int harness_teardown(void **state);

/*
 * A test file's setup() and teardown() around a harness for svc, and
 * run(f, json) / run_force(f, json, force_area) running the handler on a
 * message ("force" as the whole-force area for run()).
 */
#define HARNESS_FIXTURE(svc)                                                                       \
    static int setup(void **state) {                                                               \
        return harness_setup(state, &(svc));                                                       \
    }                                                                                              \
    static int teardown(void **state) {                                                            \
        return harness_teardown(state);                                                            \
    }                                                                                              \
    static int run_force(struct harness *f, const char *json, const char *force_area) {            \
        return harness_run(f, json, force_area);                                                   \
    }                                                                                              \
    static int run(struct harness *f, const char *json) {                                          \
        return harness_run(f, json, "force");                                                      \
    }

/* Runs len bytes through the consumer's path with force_area: the
 * handler's result, or -2 if the envelope was refused (h->rej says why). */
int harness_run_bytes(struct harness *h, const char *bytes, size_t len, const char *force_area);

/* The same for a NUL-terminated message. */
int harness_run(struct harness *h, const char *json, const char *force_area);

#endif /* EQM_TESTS_HARNESS_H */
