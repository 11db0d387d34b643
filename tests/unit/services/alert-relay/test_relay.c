/*
 * test_relay.c - the pure parts of eqm-alert-relay: the Kafka message built
 * from an outbox row (key, value, headers), the check of a row's payload
 * against its columns, the back-off between failed rounds, the stamps of a
 * round (only acknowledged rows) and the health summary.
 *
 * The expected values are written out from the contract (key = alert
 * fingerprint, value = the alert JSON unchanged, de-duplication on
 * alert_id) and relay.h, not taken from the code.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "relay.h"

#define AID "0b7c6a1e-5f7d-4c1e-9a53-2f1d7e9c4b10"
#define FP  "4f0c2a9d8e7b6a5f4e3d2c1b0a998877"

static const char payload_ok[] =
    "{\"schema_version\": 1, \"alert_id\": \"" AID "\", \"fingerprint\": \"" FP "\","
    " \"status\": \"firing\", \"audience\": \"stop-search-scrutiny-group\","
    " \"summary\": \"Black people in Cambridge were stopped and searched at 3.4 times the rate"
    " of White people in the 365 days to 14 March 2026 (95% CI 2.1 to 5.5; 57 searches).\"}";

static struct eqm_relay_row row_with(const char *payload) {
    struct eqm_relay_row row = {
        .id = 4242,
        .alert_id = AID,
        .fingerprint = FP,
        .status = "firing",
        .audience = "stop-search-scrutiny-group",
        .payload = payload,
        .payload_len = payload ? strlen(payload) : 0,
    };
    return row;
}

static const char *header(const struct eqm_relay_message *msg, const char *name) {
    const char *found = NULL;
    for (int i = 0; i < msg->n_headers; i++) {
        if (strcmp(msg->headers[i].name, name) == 0) {
            assert_null(found); /* each header once */
            found = msg->headers[i].value;
        }
    }
    return found;
}

/* ---- the message ------------------------------------------------------- */

static void message_key_value_headers(void **state) {
    struct eqm_relay_row row = row_with(payload_ok);
    struct eqm_relay_message msg;
    char err[256] = "";
    (void)state;

    assert_int_equal(eqm_relay_message_build(&row, &msg, err, sizeof(err)), 0);
    /* Keyed by fingerprint: every state change of one alert in one
     * partition, in order. */
    assert_int_equal(msg.key_len, strlen(FP));
    assert_memory_equal(msg.key, FP, msg.key_len);
    /* The payload goes out byte for byte. */
    assert_int_equal(msg.value_len, strlen(payload_ok));
    assert_ptr_equal(msg.value, row.payload);
    assert_int_equal(msg.n_headers, EQM_RELAY_HEADERS);
    assert_string_equal(header(&msg, "eqm-alert-id"), AID);
    assert_string_equal(header(&msg, "eqm-status"), "firing");
    assert_string_equal(header(&msg, "eqm-audience"), "stop-search-scrutiny-group");
    assert_string_equal(header(&msg, "eqm-outbox-id"), "4242");
    assert_string_equal(header(&msg, "content-type"), "application/json");
    assert_string_equal(header(&msg, "eqm-producer"), "eqm-alert-relay");
    assert_null(header(&msg, "eqm-fingerprint"));
}

static void message_outbox_id_full_range(void **state) {
    struct eqm_relay_row row = row_with(payload_ok);
    struct eqm_relay_message msg;
    char err[256];
    (void)state;

    row.id = INT64_MAX; /* bigserial's last value */
    assert_int_equal(eqm_relay_message_build(&row, &msg, err, sizeof(err)), 0);
    assert_string_equal(header(&msg, "eqm-outbox-id"), "9223372036854775807");
    row.id = 1;
    assert_int_equal(eqm_relay_message_build(&row, &msg, err, sizeof(err)), 0);
    assert_string_equal(header(&msg, "eqm-outbox-id"), "1");
}

static void message_refuses_unsendable_rows(void **state) {
    struct eqm_relay_row row = row_with(payload_ok);
    struct eqm_relay_message msg;
    char err[256] = "";
    (void)state;

    row.fingerprint = "";
    assert_int_equal(eqm_relay_message_build(&row, &msg, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "fingerprint"));
    assert_non_null(strstr(err, "4242"));

    row = row_with(payload_ok);
    row.fingerprint = NULL;
    assert_int_equal(eqm_relay_message_build(&row, &msg, err, sizeof(err)), -1);

    row = row_with("");
    err[0] = '\0';
    assert_int_equal(eqm_relay_message_build(&row, &msg, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "payload"));
}

/* ---- the payload check ------------------------------------------------- */

static void payload_agrees(void **state) {
    struct eqm_relay_row row = row_with(payload_ok);
    char err[256] = "";
    (void)state;
    assert_int_equal(eqm_relay_payload_check(&row, err, sizeof(err)), 0);
    /* PostgreSQL prints uuids in lower case; a writer may not. */
    row.alert_id = "0B7C6A1E-5F7D-4C1E-9A53-2F1D7E9C4B10";
    assert_int_equal(eqm_relay_payload_check(&row, err, sizeof(err)), 0);
}

static void expect_problem(const char *payload, const char *status, const char *words) {
    struct eqm_relay_row row = row_with(payload);
    char err[256] = "";
    if (status)
        row.status = status;
    assert_int_equal(eqm_relay_payload_check(&row, err, sizeof(err)), -1);
    if (!strstr(err, words))
        fail_msg("problem \"%s\" does not mention \"%s\"", err, words);
}

static void payload_disagrees(void **state) {
    (void)state;
    expect_problem("not json", NULL, "not JSON");
    expect_problem("[1, 2]", NULL, "not a JSON object");
    expect_problem("\"" AID "\"", NULL, "not a JSON object");
    expect_problem("{\"fingerprint\": \"" FP "\", \"status\": \"firing\"}", NULL, "alert_id");
    expect_problem("{\"alert_id\": 7, \"fingerprint\": \"" FP "\", \"status\": \"firing\"}", NULL,
                   "alert_id");
    expect_problem("{\"alert_id\": \"11111111-5f7d-4c1e-9a53-2f1d7e9c4b10\", \"fingerprint\": "
                   "\"" FP "\", \"status\": \"firing\"}",
                   NULL, "alert_id");
    expect_problem("{\"alert_id\": \"" AID "\", \"fingerprint\": \"other\", \"status\": "
                   "\"firing\"}",
                   NULL, "fingerprint");
    /* The column says resolved, the message says firing. */
    expect_problem(payload_ok, "resolved", "status");
    expect_problem("{\"alert_id\": \"" AID "\", \"alert_id\": \"" AID "\", \"fingerprint\": "
                   "\"" FP "\", \"status\": \"firing\"}",
                   NULL, "not JSON");
}

/* ---- back-off ---------------------------------------------------------- */

static void backoff_doubles_to_the_cap(void **state) {
    (void)state;
    assert_int_equal(eqm_relay_backoff_ms(0, 500, 30000, 0.0), 0);
    assert_int_equal(eqm_relay_backoff_ms(-3, 500, 30000, 0.0), 0);
    assert_int_equal(eqm_relay_backoff_ms(1, 500, 30000, 0.0), 500);
    assert_int_equal(eqm_relay_backoff_ms(2, 500, 30000, 0.0), 1000);
    assert_int_equal(eqm_relay_backoff_ms(3, 500, 30000, 0.0), 2000);
    assert_int_equal(eqm_relay_backoff_ms(6, 500, 30000, 0.0), 16000);
    assert_int_equal(eqm_relay_backoff_ms(7, 500, 30000, 0.0), 30000);
    /* However long it fails: no overflow, still the cap. */
    assert_int_equal(eqm_relay_backoff_ms(100000, 500, 30000, 0.0), 30000);
    assert_int_equal(eqm_relay_backoff_ms(2147483647, 1, 86400000, 0.0), 86400000);
    /* A cap below the base is the base. */
    assert_int_equal(eqm_relay_backoff_ms(5, 500, 100, 0.0), 500);
}

static void backoff_jitter_shortens_at_most_half(void **state) {
    (void)state;
    assert_int_equal(eqm_relay_backoff_ms(2, 1000, 30000, 0.5), 1500);
    assert_int_equal(eqm_relay_backoff_ms(7, 1000, 30000, 0.0), 30000);
    for (double j = 0.0; j < 1.0; j += 0.125) {
        long ms = eqm_relay_backoff_ms(4, 1000, 30000, j);
        assert_true(ms > 4000 && ms <= 8000);
    }
    /* Out-of-range jitter is clamped, never lengthens or zeroes the wait. */
    assert_int_equal(eqm_relay_backoff_ms(1, 1000, 30000, -1.0), 1000);
    assert_in_range(eqm_relay_backoff_ms(1, 1000, 30000, 7.0), 500, 501);
    assert_int_equal(eqm_relay_backoff_ms(1, 1, 30000, 0.99), 1);
}

/* ---- the stamps of a round --------------------------------------------- */

static void marks_only_acknowledged_rows(void **state) {
    struct eqm_relay_delivery d[] = {
        {.id = 10, .alert_id = AID, .done = true, .err = 0, .partition = 3, .offset = 100},
        {.id = 11,
         .alert_id = "b",
         .done = true,
         .err = -185 /* _TIMED_OUT */,
         .partition = 4,
         .offset = -1},
        {.id = 12, .alert_id = "c", .done = false, .err = 0}, /* no report */
        {.id = 13,
         .alert_id = "11111111-2222-3333-4444-555555555555",
         .done = true,
         .err = 0,
         .partition = 15,
         .offset = 9000000000LL},
        {.id = 14, .alert_id = "e", .done = true, .err = 19 /* NOT_ENOUGH_REPLICAS */},
    };
    struct eqm_relay_marks m = {0};
    (void)state;

    assert_int_equal(eqm_relay_marks_build(d, 5, &m), 2);
    assert_string_equal(m.ids.data, "{10,13}");
    assert_string_equal(m.alert_ids.data, "{\"" AID "\",\"11111111-2222-3333-4444-555555555555\"}");
    assert_string_equal(m.partitions.data, "{3,15}");
    assert_string_equal(m.offsets.data, "{100,9000000000}");

    /* Buffers are rebuilt, not appended to, for the next round. */
    assert_int_equal(eqm_relay_marks_build(d + 1, 2, &m), 0);
    assert_string_equal(m.ids.data, "{}");
    assert_string_equal(m.alert_ids.data, "{}");
    assert_string_equal(m.partitions.data, "{}");
    assert_string_equal(m.offsets.data, "{}");
    assert_int_equal(eqm_relay_marks_build(d, 1, &m), 1);
    assert_string_equal(m.ids.data, "{10}");
    assert_int_equal(eqm_relay_marks_build(d, 0, &m), 0);
    assert_string_equal(m.ids.data, "{}");
    eqm_relay_marks_free(&m);
    assert_null(m.ids.data);
    eqm_relay_marks_free(&m); /* twice is harmless */
}

/* ---- the health summary ------------------------------------------------ */

static void summary_line(void **state) {
    struct eqm_relay_stats s = {.rounds = 3,
                                .published = 54,
                                .marked = 53,
                                .delivery_failed = 7,
                                .mark_failed = 1,
                                .payload_warnings = 2,
                                .pg_reconnects = 1,
                                .producer_restarts = 0,
                                .unmarked_at_exit = 1,
                                .unsent_at_exit = 0};
    char buf[512];
    (void)state;

    eqm_relay_stats_format(&s, 12.34, buf, sizeof(buf));
    assert_string_equal(buf, "uptime_s=12.3 rounds=3 published=54 marked=53 delivery_failed=7 "
                             "mark_failed=1 payload_warnings=2 pg_reconnects=1 "
                             "producer_restarts=0 unmarked_at_exit=1 unsent_at_exit=0");
    s.unsent_at_exit = -1;
    eqm_relay_stats_format(&s, 0, buf, sizeof(buf));
    assert_non_null(strstr(buf, " unsent_at_exit=unknown"));
    /* A short buffer truncates, never overruns. */
    eqm_relay_stats_format(&s, 0, buf, 16);
    assert_int_equal(strlen(buf), 15);
}

EQM_UNIT_MAIN(message_key_value_headers, message_outbox_id_full_range,
              message_refuses_unsendable_rows, payload_agrees, payload_disagrees,
              backoff_doubles_to_the_cap, backoff_jitter_shortens_at_most_half,
              marks_only_acknowledged_rows, summary_line)
