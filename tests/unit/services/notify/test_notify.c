/*
 * test_notify.c - eqm-notify's pure parts: which messages are usable
 * alerts (and why not), the retry back-off (full jitter under a doubling
 * cap, never shorter than the server asked, deterministic for a seed), the
 * state after an attempt, and the start-up check that every audience the
 * rules name has a subscriber (the default rules name four audiences:
 * README "Rules"), and the settings the subscriptions need.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit.h"

#include <stdio.h>
#include <string.h>

#include "catalog.h"
#include "notify.h"

#define AID "0b7c6a1e-5f7d-4c1e-9a53-2f1d7e9c4b10"
#define FP  "4f0c2a9d8e7b6a5f4e3d2c1b0a998877"

static int parse(const char *text, char *why, size_t sz) {
    struct eqm_notify_alert a;
    int rc = eqm_notify_alert_parse(text, strlen(text), &a, why, sz);
    if (rc == 0) {
        assert_non_null(a.root);
        json_decref(a.root);
    } else {
        assert_null(a.root);
    }
    return rc;
}

static void test_alert_parse(void **state) {
    char why[256];
    struct eqm_notify_alert a;
    const char *ok = "{\"alert_id\": \"" AID "\", \"fingerprint\": \"" FP "\", \"status\": "
                     "\"resolved\", \"audience\": \"edi-tactical-group\", \"severity\": "
                     "\"warning\", \"summary\": \"Resolved: x\"}";
    /* {message, what the refusal says} */
    static const char *const bad[][2] = {
        {"", "empty message"},
        {"not json", "not JSON"},
        {"[1]", "not a JSON object"},
        {"{\"alert_id\": \"x\"}", "alert_id missing or not a uuid"},
        {"{\"alert_id\": \"" AID "\", \"fingerprint\": \"abc\"}",
         "fingerprint missing or not 32 hex digits"},
        {"{\"alert_id\": \"" AID "\", \"fingerprint\": \"" FP "\", \"status\": \"open\"}",
         "status missing or not firing/resolved"},
        {"{\"alert_id\": \"" AID "\", \"fingerprint\": \"" FP "\", \"status\": \"firing\","
         " \"audience\": \"\", \"severity\": \"warning\", \"summary\": \"s\"}",
         "audience missing or empty"},
        {"{\"alert_id\": \"" AID "\", \"fingerprint\": \"" FP "\", \"status\": \"firing\","
         " \"audience\": \"g\", \"severity\": \"warning\"}",
         "summary missing or empty"},
        {"{\"alert_id\": \"" AID "\", \"alert_id\": \"" AID "\"}", "not JSON"},
    };
    (void)state;

    assert_int_equal(0, eqm_notify_alert_parse(ok, strlen(ok), &a, why, sizeof(why)));
    assert_string_equal(AID, a.alert_id);
    assert_string_equal(FP, a.fingerprint);
    assert_string_equal("resolved", a.status);
    assert_string_equal("edi-tactical-group", a.audience);
    assert_string_equal("warning", a.severity);
    assert_string_equal("Resolved: x", a.summary);
    json_decref(a.root);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        why[0] = '\0';
        if (parse(bad[i][0], why, sizeof(why)) != -1 || !strstr(why, bad[i][1]))
            fail_msg("case %zu: why \"%s\", want \"%s\"", i, why, bad[i][1]);
    }
    /* Bytes that are not UTF-8 are refused before JSON is tried. */
    assert_int_equal(-1, parse("{\"summary\": \"\xff\"}", why, sizeof(why)));
    assert_string_equal("not UTF-8", why);
}

static void test_next_state(void **state) {
    (void)state;
    assert_string_equal("delivered", eqm_notify_next_state(EQM_DELIVERY_OK, 1, 5));
    assert_string_equal("delivered", eqm_notify_next_state(EQM_DELIVERY_OK, 5, 5));
    assert_string_equal("pending", eqm_notify_next_state(EQM_DELIVERY_RETRY, 1, 5));
    assert_string_equal("pending", eqm_notify_next_state(EQM_DELIVERY_RETRY, 4, 5));
    assert_string_equal("failed", eqm_notify_next_state(EQM_DELIVERY_RETRY, 5, 5));
    assert_string_equal("failed", eqm_notify_next_state(EQM_DELIVERY_PERMANENT, 1, 5));
}

static const char two_audiences[] = "stop-search-scrutiny-group a email a@b.org\n"
                                    "edi-tactical-group d email d@b.org mode=\"daily at 08:00\"\n";
static const char every_audience[] = "stop-search-scrutiny-group a email a@b.org\n"
                                     "edi-tactical-group a email a@b.org\n"
                                     "use-of-force-scrutiny-group a email a@b.org\n"
                                     "positive-action-team a email a@b.org\n";

static void test_audiences(void **state) {
    struct eqm_alert_rules *rules = NULL;
    struct eqm_subs subs = {0};
    char err[512];
    (void)state;
    assert_int_equal(0, eqm_alert_rules_load(&rules, &eqm_alert_catalog, NULL, err, sizeof(err)));
    assert_int_equal(0, eqm_subs_parse(&subs, two_audiences, "s", err, sizeof(err)));
    /* edi-tactical-group has only a digest subscriber: it has one. */
    assert_int_equal(2, eqm_notify_check_audiences(&subs, rules));
    eqm_subs_free(&subs);
    assert_int_equal(0, eqm_subs_parse(&subs, every_audience, "s", err, sizeof(err)));
    assert_int_equal(0, eqm_notify_check_audiences(&subs, rules));
    eqm_subs_free(&subs);
    eqm_alert_rules_free(&rules);
}

static void test_settings(void **state) {
    struct eqm_notify_config c = {0};
    struct eqm_subs email = {0}, hooks = {0};
    char err[256];
    (void)state;
    assert_int_equal(0, eqm_subs_parse(&email, "g a email a@b.org\n", "s", err, sizeof(err)));
    assert_int_equal(
        0, eqm_subs_parse(&hooks, "g h webhook https://h.example/x\n", "s", err, sizeof(err)));
    c.alerts_topic = "equality.alerts";
    c.group_id = "eqm-notify";
    c.smtp_url = "";
    c.smtp_from = "";
    /* Webhooks alone need no mail relay. */
    assert_int_equal(0, eqm_notify_check_settings(&c, &hooks, err, sizeof(err)));
    assert_int_equal(-1, eqm_notify_check_settings(&c, &email, err, sizeof(err)));
    assert_non_null(strstr(err, "smtp.url must be smtp://HOST[:PORT] or smtps://HOST[:PORT]"));
    c.smtp_url = "http://relay.example";
    assert_int_equal(-1, eqm_notify_check_settings(&c, &email, err, sizeof(err)));
    c.smtp_url = "smtps://relay.example:465";
    assert_int_equal(-1, eqm_notify_check_settings(&c, &email, err, sizeof(err)));
    assert_non_null(strstr(err, "smtp.from must hold an address"));
    c.smtp_from = "\xc3\x89quipe <eqm@force.example>";
    assert_int_equal(-1, eqm_notify_check_settings(&c, &email, err, sizeof(err)));
    assert_non_null(strstr(err, "plain ASCII"));
    c.smtp_from = "Equality Monitor <eqm@force.example>";
    assert_int_equal(0, eqm_notify_check_settings(&c, &email, err, sizeof(err)));
    c.smtp_url = "smtp://relay.example:587";
    assert_int_equal(0, eqm_notify_check_settings(&c, &email, err, sizeof(err)));
    c.group_id = "";
    assert_int_equal(-1, eqm_notify_check_settings(&c, &email, err, sizeof(err)));
    assert_non_null(strstr(err, "notify.group.id must not be empty"));
    eqm_subs_free(&email);
    eqm_subs_free(&hooks);
}

EQM_UNIT_MAIN(test_alert_parse, test_next_state, test_audiences, test_settings)
