/*
 * test_kafka.c - eqm_kafka_check(): the operator's properties checked at
 * start-up, with librdkafka's own words, a secret's value never repeated.
 * No broker is needed: the check's client is made and destroyed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit.h"

#include <stdlib.h>
#include <string.h>

#include "eqm/kafka.h"

/* The check of "name=value" properties; errstr holds its words. */
static int check(rd_kafka_type_t type, const char *const *props, char *errstr, size_t sz) {
    char *names[16] = {NULL}, *values[16] = {NULL};
    int n = 0, rc;

    for (; props[n]; n++) {
        const char *eq = strchr(props[n], '=');
        names[n] = strndup(props[n], (size_t)(eq - props[n]));
        values[n] = strdup(eq + 1);
    }
    errstr[0] = '\0';
    rc = eqm_kafka_check(type, names, values, n, errstr, sz);
    for (int i = 0; i < n; i++) {
        free(names[i]);
        free(values[i]);
    }
    return rc;
}

static void test_nothing_to_check(void **state) {
    static const char *const none[] = {NULL};
    char err[512];
    (void)state;
    assert_int_equal(check(RD_KAFKA_CONSUMER, none, err, sizeof(err)), 0);
    assert_int_equal(check(RD_KAFKA_PRODUCER, none, err, sizeof(err)), 0);
}

/* A value librdkafka does not know is refused naming the property and
 * with its own sentence ("Invalid value ... for configuration property"). */
static void test_bad_value(void **state) {
    static const char *const bad[] = {"security.protocol=SASL_TLS", NULL};
    static const char *const mech[] = {"security.protocol=SASL_PLAINTEXT",
                                       "sasl.mechanism=SCRAM-SHA-1024", "sasl.username=u",
                                       "sasl.password=p", NULL};
    static const char *const unknown[] = {"ssl.ca.loaction=/etc/ssl/ca.pem", NULL};
    char err[512];
    (void)state;
    assert_int_equal(check(RD_KAFKA_CONSUMER, bad, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "security.protocol=SASL_TLS"));
    assert_non_null(strstr(err, "Invalid value"));
    /* sasl.mechanism takes any string; librdkafka refuses it when a SASL
     * client is made. */
    assert_int_equal(check(RD_KAFKA_CONSUMER, mech, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "SCRAM-SHA-1024"));
    assert_int_equal(check(RD_KAFKA_PRODUCER, unknown, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "ssl.ca.loaction"));
    assert_non_null(strstr(err, "No such configuration property"));
}

/* TLS with a CA file that is not there: an error when the client is made,
 * not a retry loop once it connects. */
static void test_missing_ca_file(void **state) {
    static const char *const tls[] = {"security.protocol=SASL_SSL",
                                      "sasl.mechanism=SCRAM-SHA-512",
                                      "sasl.username=eqm-stop-search",
                                      "sasl.password=hunter2",
                                      "ssl.ca.location=/nonexistent/eqm-ca.pem",
                                      NULL};
    char err[512];
    (void)state;
    assert_int_equal(check(RD_KAFKA_CONSUMER, tls, err, sizeof(err)), -1);
    assert_string_equal(err, "Kafka property ssl.ca.location: cannot read /nonexistent/eqm-ca.pem: "
                             "No such file or directory");
}

/* A secret's value is never in the error, even when it is the one refused. */
static void test_secret_not_repeated(void **state) {
    static const char *const bad[] = {"security.protocol=SSL", "ssl.key.password=hunter2",
                                      "ssl.key.pem=not-a-key-hunter2", NULL};
    char err[512];
    (void)state;
    assert_int_equal(check(RD_KAFKA_PRODUCER, bad, err, sizeof(err)), -1);
    assert_null(strstr(err, "hunter2"));
}

/* SASL to an address nothing listens on, in a consumer group. */
static const char *const no_broker[] = {"bootstrap.servers=127.0.0.1:1",
                                        "group.id=eqm-test",
                                        "security.protocol=SASL_PLAINTEXT",
                                        "sasl.mechanism=SCRAM-SHA-256",
                                        "sasl.username=u",
                                        "sasl.password=p",
                                        NULL};

/* The brokers are never contacted: a check with bootstrap.servers set to
 * an address nothing listens on still answers at once, and a producer
 * check skips what only a consumer understands. */
static void test_no_connection(void **state) {
    char err[512];
    (void)state;
    assert_int_equal(check(RD_KAFKA_CONSUMER, no_broker, err, sizeof(err)), 0);
    assert_int_equal(check(RD_KAFKA_PRODUCER, no_broker, err, sizeof(err)), 0);
}

EQM_UNIT_MAIN(test_nothing_to_check, test_bad_value, test_missing_ca_file, test_secret_not_repeated,
              test_no_connection)
