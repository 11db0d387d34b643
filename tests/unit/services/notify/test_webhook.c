/*
 * test_webhook.c - the webhook channel's pure parts (webhook.h): the three
 * request bodies read back with jansson, the shape names, and Retry-After.
 *
 * The alert is the message of README "The message" (the relay test's
 * payload), with a Welsh district name for UTF-8 and a summary holding
 * Slack's control characters. The expected texts and epoch seconds are
 * worked out by hand: 1994-11-06 is 24 * 365 + 6 leap days + 309 days =
 * 9075 days after 1970-01-01, and 9075 * 86400 + 8:49:37 = 784111777.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "eqm/utf8.h"
#include "webhook.h"

#define SUMMARY                                                                                    \
    "Black people in Ynys Môn were stopped and searched at 3.4 times the rate of White people "   \
    "in the 365 days to 14 March 2026 (95% CI 2.1 to 5.5; 57 searches) & <more> to come."
#define SUMMARY_SLACK                                                                              \
    "Black people in Ynys Môn were stopped and searched at 3.4 times the rate of White people "   \
    "in the 365 days to 14 March 2026 (95% CI 2.1 to 5.5; 57 searches) &amp; &lt;more&gt; to "     \
    "come."

static const char alert_json[] =
    "{\"schema_version\": 1, \"alert_id\": \"0b7c6a1e-5f7d-4c1e-9a53-2f1d7e9c4b10\","
    " \"fingerprint\": \"4f0c2a9d8e7b6a5f4e3d2c1b0a998877\", \"status\": \"firing\","
    " \"transition\": \"firing\", \"rule\": \"stop-search-rate-ethnicity\","
    " \"source\": \"stop-search\", \"measure\": \"stop_search.searches\","
    " \"area\": \"W06000001\", \"area_name\": \"Ynys Môn\", \"role\": null, \"stage\": null,"
    " \"dimension\": \"ethnicity\", \"group\": \"black\", \"reference_group\": \"white\","
    " \"window_days\": 365, \"window_end\": \"2026-03-14\", \"value\": 3.4,"
    " \"value_field\": \"ratio\", \"ci_low\": 2.1, \"ci_high\": 5.5, \"p_value\": null,"
    " \"comparison\": \">=\", \"threshold\": 2.0, \"clear_threshold\": 1.8, \"min_count\": 20,"
    " \"require_significant\": true, \"significant\": true,"
    " \"counts\": {\"n\": 57, \"base\": 18496, \"ref_n\": 124, \"ref_base\": 763744},"
    " \"audience\": \"stop-search-scrutiny-group\", \"severity\": \"critical\","
    " \"first_breached_at\": \"2026-03-14T10:00:00Z\","
    " \"evaluated_at\": \"2026-03-14T10:00:05Z\", \"summary\": \"" SUMMARY "\"}";

static json_t *load(const char *text) {
    json_error_t err;
    json_t *j = json_loads(text, 0, &err);

    if (!j)
        fail_msg("not JSON (%s): %s", err.text, text);
    return j;
}

static json_t *body_of(enum eqm_webhook_shape shape, const json_t *alert) {
    char *text = eqm_webhook_body(shape, alert);
    json_t *j;

    assert_non_null(text);
    assert_true(eqm_utf8_valid(text, strlen(text)));
    j = load(text);
    free(text);
    return j;
}

static const char *str_at(const json_t *obj, const char *key) {
    const json_t *v = json_object_get(obj, key);

    if (!json_is_string(v))
        fail_msg("no string \"%s\"", key);
    return json_string_value(v);
}

/* The value of the fact titled title in a Teams FactSet. */
static const char *teams_fact(const json_t *factset, const char *title) {
    const json_t *facts = json_object_get(factset, "facts"), *f;
    size_t i;

    json_array_foreach(facts, i, f) {
        if (strcmp(str_at(f, "title"), title) == 0)
            return str_at(f, "value");
    }
    fail_msg("no fact \"%s\"", title);
    return NULL;
}

static const json_t *teams_card_body(const json_t *msg) {
    const json_t *att = json_array_get(json_object_get(msg, "attachments"), 0);
    const json_t *card = json_object_get(att, "content");

    assert_string_equal(str_at(msg, "type"), "message");
    assert_int_equal(json_array_size(json_object_get(msg, "attachments")), 1);
    assert_string_equal(str_at(att, "contentType"), "application/vnd.microsoft.card.adaptive");
    assert_true(json_is_null(json_object_get(att, "contentUrl")));
    assert_string_equal(str_at(card, "type"), "AdaptiveCard");
    assert_string_equal(str_at(card, "version"), "1.4");
    assert_string_equal(str_at(card, "$schema"),
                        "http://adaptivecards.io/schemas/adaptive-card.json");
    return json_object_get(card, "body");
}

static void generic_is_the_message(void **state) {
    json_t *alert = load(alert_json), *back;
    char *text = eqm_webhook_body(EQM_WEBHOOK_GENERIC, alert);
    (void)state;

    assert_non_null(text);
    /* UTF-8 as it came, not \u escapes; compact. */
    assert_non_null(strstr(text, "Ynys Môn"));
    assert_null(strstr(text, "\", \""));
    back = load(text);
    assert_true(json_equal(back, alert));
    /* Keys in the order of the message. */
    assert_int_equal(strncmp(text, "{\"schema_version\":1,\"alert_id\":", 31), 0);
    json_decref(back);
    json_decref(alert);
    free(text);
}

static void teams_adaptive_card(void **state) {
    json_t *alert = load(alert_json), *msg = body_of(EQM_WEBHOOK_TEAMS, alert);
    const json_t *body = teams_card_body(msg), *title = json_array_get(body, 0);
    const json_t *sentence = json_array_get(body, 1), *facts = json_array_get(body, 2);
    (void)state;

    assert_int_equal(json_array_size(body), 3);
    assert_string_equal(str_at(title, "type"), "TextBlock");
    assert_string_equal(str_at(title, "text"), "Equality alert: firing, critical");
    assert_string_equal(str_at(title, "color"), "Attention");
    assert_string_equal(str_at(sentence, "type"), "TextBlock");
    assert_string_equal(str_at(sentence, "text"), SUMMARY);
    assert_true(json_is_true(json_object_get(sentence, "wrap")));
    assert_string_equal(str_at(facts, "type"), "FactSet");
    assert_string_equal(teams_fact(facts, "Value"), "3.4 (95% CI 2.1 to 5.5)");
    assert_string_equal(teams_fact(facts, "Threshold"), ">= 2, clears at 1.8");
    assert_string_equal(teams_fact(facts, "Counts"), "57 of 18496; reference 124 of 763744");
    assert_string_equal(teams_fact(facts, "Window"), "365 days to 2026-03-14");
    assert_string_equal(teams_fact(facts, "Area"), "Ynys Môn (W06000001)");
    assert_string_equal(teams_fact(facts, "Group"), "black compared with white (ethnicity)");
    assert_string_equal(teams_fact(facts, "Rule"), "stop-search-rate-ethnicity");
    assert_string_equal(teams_fact(facts, "Audience"), "stop-search-scrutiny-group");
    assert_string_equal(teams_fact(facts, "Measure"), "stop_search.searches");
    json_decref(msg);
    json_decref(alert);
}

static void teams_resolved_and_recruitment(void **state) {
    json_t *alert = load(alert_json), *msg;
    const json_t *body, *facts;
    (void)state;

    /* A resolved recruitment alert: force-wide (no area), a role and a
     * stage, a p-value, no interval. */
    json_object_set_new(alert, "status", json_string("resolved"));
    json_object_set_new(alert, "transition", json_string("resolved"));
    json_object_set_new(alert, "area", json_null());
    json_object_set_new(alert, "area_name", json_null());
    json_object_set_new(alert, "role", json_string("police_officer"));
    json_object_set_new(alert, "stage", json_string("assessment_centre"));
    json_object_set_new(alert, "ci_low", json_null());
    json_object_set_new(alert, "ci_high", json_null());
    json_object_set_new(alert, "p_value", json_real(0.0123));
    json_object_set_new(alert, "value", json_real(0.71));
    json_object_set_new(alert, "comparison", json_string("<"));
    json_object_set_new(alert, "threshold", json_real(0.8));
    json_object_set_new(alert, "clear_threshold", json_real(0.85));
    msg = body_of(EQM_WEBHOOK_TEAMS, alert);
    body = teams_card_body(msg);
    facts = json_array_get(body, 2);
    assert_string_equal(str_at(json_array_get(body, 0), "text"),
                        "Equality alert: resolved, critical");
    assert_string_equal(str_at(json_array_get(body, 0), "color"), "Good");
    assert_string_equal(teams_fact(facts, "Value"), "0.71 (p = 0.0123)");
    assert_string_equal(teams_fact(facts, "Threshold"), "< 0.8, clears at 0.85");
    assert_string_equal(teams_fact(facts, "Area"),
                        "force-wide; role police_officer; stage assessment_centre");
    json_decref(msg);
    /* A reminder says so in the title. */
    json_object_set_new(alert, "status", json_string("firing"));
    json_object_set_new(alert, "transition", json_string("reminder"));
    msg = body_of(EQM_WEBHOOK_TEAMS, alert);
    assert_string_equal(str_at(json_array_get(teams_card_body(msg), 0), "text"),
                        "Equality alert: firing (reminder), critical");
    json_decref(msg);
    json_decref(alert);
}

static void slack_blocks_escaped(void **state) {
    json_t *alert = load(alert_json), *msg = body_of(EQM_WEBHOOK_SLACK, alert);
    const json_t *blocks = json_object_get(msg, "blocks"), *header = json_array_get(blocks, 0);
    const json_t *section = json_array_get(blocks, 1), *fields;
    const json_t *f;
    size_t i;
    (void)state;

    assert_string_equal(str_at(msg, "text"), "Equality alert: firing, critical: " SUMMARY_SLACK);
    assert_int_equal(json_array_size(blocks), 3);
    assert_string_equal(str_at(header, "type"), "header");
    assert_string_equal(str_at(json_object_get(header, "text"), "type"), "plain_text");
    assert_string_equal(str_at(json_object_get(header, "text"), "text"),
                        "Equality alert: firing, critical");
    assert_string_equal(str_at(section, "type"), "section");
    assert_string_equal(str_at(json_object_get(section, "text"), "type"), "mrkdwn");
    assert_string_equal(str_at(json_object_get(section, "text"), "text"), SUMMARY_SLACK);
    fields = json_object_get(json_array_get(blocks, 2), "fields");
    assert_string_equal(str_at(json_array_get(blocks, 2), "type"), "section");
    /* Slack takes at most 10 fields. */
    assert_int_equal(json_array_size(fields), 10);
    assert_string_equal(str_at(json_array_get(fields, 0), "text"),
                        "*Value*\n3.4 (95% CI 2.1 to 5.5)");
    /* ">=" escaped in mrkdwn. */
    assert_string_equal(str_at(json_array_get(fields, 1), "text"),
                        "*Threshold*\n&gt;= 2, clears at 1.8");
    assert_string_equal(str_at(json_array_get(fields, 4), "text"), "*Area*\nYnys Môn (W06000001)");
    json_array_foreach(fields, i, f) {
        const char *text = str_at(f, "text");

        assert_string_equal(str_at(f, "type"), "mrkdwn");
        assert_null(strpbrk(text, "<>"));
    }
    json_decref(msg);
    json_decref(alert);
}

static void slack_cut_at_limits(void **state) {
    json_t *alert = json_object(), *msg;
    const json_t *blocks;
    char *long_text = malloc(2 * 4000 + 1);
    const char *header, *text;
    (void)state;

    /* 4,000 two-byte characters: more than any Slack limit. */
    for (int i = 0; i < 4000; i++)
        memcpy(long_text + 2 * i, "é", 2);
    long_text[8000] = '\0';
    json_object_set_new(alert, "summary", json_string(long_text));
    json_object_set_new(alert, "severity", json_string(long_text));
    msg = body_of(EQM_WEBHOOK_SLACK, alert);
    blocks = json_object_get(msg, "blocks");
    header = str_at(json_object_get(json_array_get(blocks, 0), "text"), "text");
    text = str_at(json_object_get(json_array_get(blocks, 1), "text"), "text");
    assert_true(strlen(header) <= 150 && strlen(header) >= 148);
    assert_true(strlen(text) <= 3000 && strlen(text) >= 2998);
    assert_true(strlen(str_at(msg, "text")) <= 3000);
    /* Cut between characters, never inside one. */
    assert_true(eqm_utf8_valid(header, strlen(header)));
    assert_true(eqm_utf8_valid(text, strlen(text)));
    json_decref(msg);
    json_decref(alert);
    free(long_text);
}

static void missing_fields_do_not_crash(void **state) {
    static const char *const alerts[] = {"{}", "{\"status\": \"firing\", \"counts\": 5}",
                                         "{\"summary\": 7, \"value\": \"x\", \"counts\": {}}"};
    (void)state;

    for (size_t i = 0; i < sizeof(alerts) / sizeof(alerts[0]); i++) {
        json_t *alert = load(alerts[i]), *msg;
        const json_t *body;

        msg = body_of(EQM_WEBHOOK_TEAMS, alert);
        body = teams_card_body(msg);
        assert_string_equal(str_at(json_array_get(body, 1), "text"), "(no summary)");
        assert_string_equal(teams_fact(json_array_get(body, 2), "Counts"),
                            "n/a of n/a; reference n/a of n/a");
        assert_string_equal(teams_fact(json_array_get(body, 2), "Area"), "force-wide");
        json_decref(msg);
        msg = body_of(EQM_WEBHOOK_SLACK, alert);
        assert_non_null(strstr(str_at(msg, "text"), "(no summary)"));
        json_decref(msg);
        msg = body_of(EQM_WEBHOOK_GENERIC, alert);
        assert_true(json_equal(msg, alert));
        json_decref(msg);
        json_decref(alert);
    }
    assert_null(eqm_webhook_body(EQM_WEBHOOK_TEAMS, NULL));
}

static void shape_names(void **state) {
    enum eqm_webhook_shape s = EQM_WEBHOOK_SLACK;
    (void)state;

    assert_int_equal(eqm_webhook_shape_parse("generic", &s), 0);
    assert_int_equal(s, EQM_WEBHOOK_GENERIC);
    assert_int_equal(eqm_webhook_shape_parse("teams", &s), 0);
    assert_int_equal(s, EQM_WEBHOOK_TEAMS);
    assert_int_equal(eqm_webhook_shape_parse("slack", &s), 0);
    assert_int_equal(s, EQM_WEBHOOK_SLACK);
    assert_int_equal(eqm_webhook_shape_parse("Teams", &s), -1);
    assert_int_equal(eqm_webhook_shape_parse("", &s), -1);
    assert_int_equal(eqm_webhook_shape_parse("slack ", &s), -1);
    assert_int_equal(eqm_webhook_shape_parse(NULL, &s), -1);
    assert_int_equal(s, EQM_WEBHOOK_SLACK); /* untouched on failure */
}

#define NOV_1994 INT64_C(784111777) /* Sun, 06 Nov 1994 08:49:37 GMT */

static void retry_after_seconds(void **state) {
    (void)state;
    assert_int_equal(eqm_retry_after_parse("120", 0), 120000);
    assert_int_equal(eqm_retry_after_parse("2", NOV_1994), 2000);
    assert_int_equal(eqm_retry_after_parse(" 2\t", 0), 2000);
    assert_int_equal(eqm_retry_after_parse("0", 0), 0);
    assert_int_equal(eqm_retry_after_parse("007", 0), 7000);
    /* Saturates at 10^9 s. */
    assert_int_equal(eqm_retry_after_parse("99999999999999999999999999", 0),
                     INT64_C(1000000000000));
}

static void retry_after_dates(void **state) {
    (void)state;
    assert_int_equal(eqm_retry_after_parse("Sun, 06 Nov 1994 08:49:37 GMT", NOV_1994 - 10), 10000);
    assert_int_equal(eqm_retry_after_parse("Sun, 06 Nov 1994 08:49:37 GMT", NOV_1994), 0);
    /* Past: come back now. */
    assert_int_equal(eqm_retry_after_parse("Sun, 06 Nov 1994 08:49:37 GMT", NOV_1994 + 3600), 0);
    /* The two obsolete forms of the same instant. */
    assert_int_equal(eqm_retry_after_parse("Sunday, 06-Nov-94 08:49:37 GMT", NOV_1994 - 1), 1000);
    assert_int_equal(eqm_retry_after_parse("Sun Nov  6 08:49:37 1994", NOV_1994 - 1), 1000);
    assert_int_equal(eqm_retry_after_parse("  Sun, 06 Nov 1994 08:49:37 GMT ", NOV_1994 - 2), 2000);
    /* The epoch, and a leap day: 2020-01-01 is 50 * 365 + 12 leap days =
     * 18262 days in, plus 31 + 28 = 18321 days = 1582934400 s. */
    assert_int_equal(eqm_retry_after_parse("Thu, 01 Jan 1970 00:00:00 GMT", -5), 5000);
    assert_int_equal(eqm_retry_after_parse("Sat, 29 Feb 2020 00:00:00 GMT", 1582934400 - 60),
                     60000);
}

static void retry_after_invalid(void **state) {
    static const char *const bad[] = {
        /* not numbers */
        "", "   ", "soon", "-5", "+5", "1.5", "12a", "1 2",
        /* not dates */
        "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 06 Nov 1994 08:49:37",
        "Sun, 6 Nov 1994 08:49:37 GMT", "Sun, 06 nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 94 08:49:37 GMT", "Sun, 06 Nov 1994 24:00:00 GMT",
        "Sun, 06 Nov 1994 08:60:00 GMT", "Xyz, 06 Nov 1994 08:49:37 GMT",
        "Sun, 31 Apr 1994 08:49:37 GMT", "Sun, 29 Feb 2021 08:49:37 GMT",
        "Sun, 00 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 GMT junk",
        "Sunday, 06 Nov 1994 08:49:37 GMT", "Sun, 06-Nov-94 08:49:37 GMT",
        "Sun Nov 6 08:49:37 1994", "Sun Nov  6 08:49:37 94",
        "Sun, 06 Nov 1994 08:49:37 GMT0123456789012345678901234567890123456789"};
    (void)state;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (eqm_retry_after_parse(bad[i], 0) != -1)
            fail_msg("accepted \"%s\"", bad[i]);
    }
    assert_int_equal(eqm_retry_after_parse(NULL, 0), -1);
}

EQM_UNIT_MAIN(generic_is_the_message, teams_adaptive_card, teams_resolved_and_recruitment,
              slack_blocks_escaped, slack_cut_at_limits, missing_fields_do_not_crash, shape_names,
              retry_after_seconds, retry_after_dates, retry_after_invalid)
