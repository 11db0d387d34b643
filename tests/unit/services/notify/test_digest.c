/*
 * test_digest.c - a digest's words: the subject's counts (unanswered =
 * open without a response), the empty lists said in words, each item's
 * summary, an open item's acknowledgement and answer ("not yet answered
 * for N days"), HTML escaping, the period in the force's local time, the
 * whole message's structure, the deterministic Message-ID, and the
 * subscriber's calendar from its mode (Monday-based weekday to struct
 * tm's Sunday-based one).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit.h"

#include <stdio.h>
#include <string.h>

#include "digest.h"
#include "eqm/md5.h"
#include "eqm/timeutil.h"
#include "notify.h"

/* Monday 23 November 2026 08:00 to Monday 30 November 2026 08:00 GMT. */
#define START 1795420800
#define END   1796025600

static const char week_json[] =
    "{\"type\": \"digest\", \"audience\": \"stop-search-scrutiny-group\", \"recipient\": \"panel\","
    " \"every\": \"weekly\", \"period_start\": \"2026-11-23T08:00:00Z\","
    " \"period_end\": \"2026-11-30T08:00:00Z\","
    " \"fired\": [{\"fingerprint\": \"f1\", \"severity\": \"critical\","
    "   \"summary\": \"Black people <stopped> & searched 3.4x\", \"at\": "
    "\"2026-11-24T10:00:00Z\"}],"
    " \"resolved\": [{\"fingerprint\": \"f2\", \"severity\": \"warning\","
    "   \"summary\": \"Asian arrests back below 1.8x\", \"at\": \"2026-11-25T10:00:00Z\"}],"
    " \"open\": [{\"fingerprint\": \"f1\", \"severity\": \"critical\","
    "   \"summary\": \"Black people <stopped> & searched 3.4x\", \"acknowledged_by\": \"chair\","
    "   \"responded_by\": null, \"days_unanswered\": 3},"
    "  {\"fingerprint\": \"f3\", \"severity\": \"warning\", \"summary\": \"Mixed custody 2.2x\","
    "   \"acknowledged_by\": \"inspector\", \"responded_by\": \"superintendent\","
    "   \"days_unanswered\": null}]}";

static const char empty_json[] =
    "{\"type\": \"digest\", \"audience\": \"edi-tactical-group\", \"every\": \"daily\","
    " \"fired\": [], \"resolved\": [], \"open\": []}";

static json_t *load(const char *text) {
    json_error_t jerr;
    json_t *j = json_loads(text, 0, &jerr);
    assert_non_null(j);
    return j;
}

static void test_subject(void **state) {
    struct eqm_buf b = {0};
    json_t *d = load(week_json), *e = load(empty_json);
    (void)state;
    assert_int_equal(0, eqm_digest_subject(&b, d));
    assert_string_equal("[Equality Monitor] Weekly digest, stop-search-scrutiny-group: 1 fired, "
                        "1 resolved, 2 open (1 unanswered)",
                        b.data);
    eqm_buf_reset(&b);
    assert_int_equal(0, eqm_digest_subject(&b, e));
    assert_string_equal("[Equality Monitor] Daily digest, edi-tactical-group: 0 fired, 0 resolved, "
                        "0 open (0 unanswered)",
                        b.data);
    eqm_buf_free(&b);
    json_decref(d);
    json_decref(e);
}

static void test_text(void **state) {
    struct eqm_buf b = {0};
    json_t *d = load(week_json), *e = load(empty_json);
    (void)state;
    assert_int_equal(0, eqm_digest_body_text(&b, d, START, END));
    assert_non_null(strstr(b.data, "Weekly digest for stop-search-scrutiny-group\r\n"));
    assert_non_null(strstr(b.data, "From Monday 23 November 2026 08:00 GMT to Monday 30 November "
                                   "2026 08:00 GMT."));
    assert_non_null(strstr(b.data, "Fired in this period (1):\r\n"
                                   "  - Black people <stopped> & searched 3.4x (critical)\r\n"));
    assert_non_null(strstr(b.data, "Resolved in this period (1):\r\n"
                                   "  - Asian arrests back below 1.8x (warning)\r\n"));
    assert_non_null(strstr(b.data, "Still open (2):\r\n"));
    assert_non_null(
        strstr(b.data, "    Acknowledged by chair. Open, not yet answered for 3 days."));
    assert_non_null(strstr(b.data, "  - Mixed custody 2.2x (warning)\r\n"
                                   "    Acknowledged by inspector. Answered by superintendent."));
    assert_null(strstr(b.data, "Nothing"));
    eqm_buf_reset(&b);
    assert_int_equal(0, eqm_digest_body_text(&b, e, START, END));
    assert_non_null(strstr(b.data, "Nothing fired in this period."));
    assert_non_null(strstr(b.data, "Nothing resolved in this period."));
    assert_non_null(strstr(b.data, "Nothing is open."));
    eqm_buf_free(&b);
    json_decref(d);
    json_decref(e);
}

static void test_html(void **state) {
    struct eqm_buf b = {0};
    json_t *d = load(week_json);
    (void)state;
    assert_int_equal(0, eqm_digest_body_html(&b, d, START, END));
    assert_non_null(strstr(b.data, "<li>Black people &lt;stopped&gt; &amp; searched 3.4x (critical)"
                                   "<br>Acknowledged by chair. Open, not yet answered for 3 days."
                                   "</li>"));
    assert_null(strstr(b.data, "<stopped>"));
    assert_non_null(strstr(b.data, "<h3>Still open (2)</h3>"));
    eqm_buf_free(&b);
    json_decref(d);
}

static void test_message(void **state) {
    struct eqm_buf b = {0};
    json_t *d = load(week_json);
    char mid[128], want[128], hex[17];
    unsigned char md[16];
    (void)state;
    eqm_md5("stop-search-scrutiny-group/panel", strlen("stop-search-scrutiny-group/panel"), md);
    for (int i = 0; i < 8; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    snprintf(want, sizeof(want), "<digest.%d.%s@eqm-notify>", END, hex);
    eqm_digest_message_id("stop-search-scrutiny-group", "panel", END, mid, sizeof(mid));
    assert_string_equal(want, mid);
    assert_string_equal("<digest.1796025600.7dce4df2973f4efa@eqm-notify>", mid);

    assert_int_equal(0, eqm_digest_email_build(&b, d, START, END, "EQM <eqm@force.example>",
                                               "panel@force.example", mid, END + 60));
    assert_non_null(strstr(b.data, "Message-ID: <digest.1796025600.7dce4df2973f4efa@eqm-notify>"));
    assert_non_null(strstr(b.data, "To: panel@force.example\r\n"));
    assert_non_null(strstr(b.data, "Subject: [Equality Monitor] Weekly digest,"));
    assert_non_null(strstr(b.data, "Content-Type: multipart/alternative; boundary="));
    assert_non_null(strstr(b.data, "Content-Type: text/plain; charset=utf-8"));
    assert_non_null(strstr(b.data, "Content-Type: text/html; charset=utf-8"));
    assert_null(strstr(b.data, "X-EQM-Alert-Id"));
    eqm_buf_free(&b);
    json_decref(d);
}

static void test_schedule_from_mode(void **state) {
    struct eqm_sub s = {.mode = EQM_SUB_WEEKLY, .digest_day = 0, .digest_hour = 8};
    struct eqm_digest_schedule d;
    (void)state;
    d = eqm_notify_schedule(&s);
    assert_int_equal(EQM_DIGEST_WEEKLY, d.every);
    assert_int_equal(1, d.weekday); /* Monday */
    assert_int_equal(8, d.hour);
    /* Monday 08:00 weekly: at 08:00:30 on Monday 30 November the period just
     * ended is that instant, the one before a week earlier. */
    assert_int_equal((int64_t)END * 1000000, eqm_digest_due(&d, ((int64_t)END + 30) * 1000000));
    assert_int_equal((int64_t)START * 1000000, eqm_digest_previous(&d, (int64_t)END * 1000000));
    s.digest_day = 6;
    assert_int_equal(0, eqm_notify_schedule(&s).weekday); /* Sunday */
    s = (struct eqm_sub){.mode = EQM_SUB_MONTHLY, .digest_day = 28, .digest_minute = 5};
    d = eqm_notify_schedule(&s);
    assert_int_equal(EQM_DIGEST_MONTHLY, d.every);
    assert_int_equal(28, d.monthday);
    assert_int_equal(5, d.minute);
    s.mode = EQM_SUB_DAILY;
    assert_int_equal(EQM_DIGEST_DAILY, eqm_notify_schedule(&s).every);
    assert_string_equal("daily", eqm_notify_every_name(EQM_SUB_DAILY));
    assert_string_equal("monthly", eqm_notify_every_name(EQM_SUB_MONTHLY));
}

static int setup_zone(void **state) {
    char err[200];
    (void)state;
    return eqm_time_set_zone("Europe/London", err, sizeof(err));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_subject),
        cmocka_unit_test(test_text),
        cmocka_unit_test(test_html),
        cmocka_unit_test(test_message),
        cmocka_unit_test(test_schedule_from_mode),
    };
    return cmocka_run_group_tests(tests, setup_zone, NULL);
}
