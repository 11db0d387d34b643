/*
 * test_email.c - eqm-notify's e-mail message: the deterministic
 * Message-ID, the subject (status, severity, summary; RFC 2047 for
 * non-ASCII, decoded back here to the same text), HTML escaping, the body
 * parts with the figures and counts, the whole message's structure, the
 * From address, masking of addresses in server replies, and the
 * classification of SMTP outcomes (4xx and connection errors retried, 5xx
 * permanent with the server's words).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "email.h"
#include "eqm/md5.h"

#define AID "0b7c6a1e-5f7d-4c1e-9a53-2f1d7e9c4b10"
#define FP  "4f0c2a9d8e7b6a5f4e3d2c1b0a998877"

static const char alert_json[] =
    "{\"schema_version\": 1, \"alert_id\": \"" AID "\", \"fingerprint\": \"" FP "\","
    " \"status\": \"firing\", \"transition\": \"firing\", \"rule\": \"stop-search-rate-ethnicity\","
    " \"source\": \"stop-search\", \"measure\": \"stop_search.searches\", \"area\": \"E07000008\","
    " \"area_name\": \"Cambridge\", \"role\": null, \"stage\": null, \"dimension\": \"ethnicity\","
    " \"group\": \"black\", \"reference_group\": \"white\", \"window_days\": 365,"
    " \"window_end\": \"2026-03-14\", \"value\": 3.4, \"value_field\": \"ratio\", \"ci_low\": 2.1,"
    " \"ci_high\": 5.5, \"p_value\": null, \"comparison\": \">=\", \"threshold\": 2.0,"
    " \"clear_threshold\": 1.8, \"min_count\": 20, \"require_significant\": true,"
    " \"significant\": true, \"counts\": {\"n\": 57, \"base\": 18496.0, \"ref_n\": 124,"
    " \"ref_base\": 763744}, \"audience\": \"stop-search-scrutiny-group\","
    " \"severity\": \"critical\", \"first_breached_at\": \"2026-03-14T10:00:00Z\","
    " \"evaluated_at\": \"2026-03-14T10:00:05Z\", \"summary\": \"Black people in Cambridge "
    "were stopped <and> searched at 3.4 times the rate & more\"}";

static json_t *alert(void) {
    json_error_t e;
    json_t *a = json_loads(alert_json, 0, &e);
    assert_non_null(a);
    return a;
}

static int b64val(char c) {
    const char *t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *p = strchr(t, c);
    return p && c ? (int)(p - t) : -1;
}

/* Decodes base64 text (ignoring CR/LF) into out; its length. */
static size_t unbase64(const char *in, size_t n, char *out) {
    size_t o = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64val(in[i]);
        if (in[i] == '=' || v < 0)
            continue;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (char)((acc >> bits) & 0xff);
        }
    }
    out[o] = '\0';
    return o;
}

static void test_message_id(void **state) {
    char a[EQM_EMAIL_MESSAGE_ID_SIZE], b[EQM_EMAIL_MESSAGE_ID_SIZE], want[128];
    unsigned char d[16];
    (void)state;
    eqm_email_message_id(AID, "alice", a);
    eqm_email_message_id(AID, "alice", b);
    assert_string_equal(a, b);
    eqm_md5("alice", 5, d);
    snprintf(want, sizeof(want), "<" AID ".%02x%02x%02x%02x%02x%02x%02x%02x@eqm-notify>", d[0],
             d[1], d[2], d[3], d[4], d[5], d[6], d[7]);
    assert_string_equal(want, a);
    eqm_email_message_id(AID, "bob", b);
    assert_string_not_equal(a, b);
}

static void test_subject_ascii_folded(void **state) {
    struct eqm_buf b = {0}, h = {0};
    json_t *a = alert();
    (void)state;
    assert_int_equal(0, eqm_email_subject(&b, a));
    assert_string_equal("[Equality Monitor] FIRING critical: Black people in Cambridge were "
                        "stopped <and> searched at 3.4 times the rate & more",
                        b.data);
    assert_int_equal(0, eqm_email_header_text(&h, "Subject", b.data));
    /* Folded at a space, no line over 78, unfolding gives the text back. */
    assert_non_null(strstr(h.data, "\r\n "));
    for (char *line = h.data, *end; (end = strstr(line, "\r\n")); line = end + 2)
        assert_true(end - line <= 78);
    {
        char unfolded[512];
        size_t o = 0;
        for (const char *p = h.data + strlen("Subject: "); *p; p++) {
            if (p[0] == '\r' && p[1] == '\n') {
                p++;
                continue;
            }
            unfolded[o++] = *p;
        }
        unfolded[o] = '\0';
        assert_string_equal(unfolded, b.data);
    }
    eqm_buf_free(&b);
    eqm_buf_free(&h);
    json_decref(a);
}

static void test_subject_rfc2047(void **state) {
    /* 60 copies of a 2-byte character: more than one encoded word. */
    char text[256] = "Côte ";
    struct eqm_buf h = {0};
    char decoded[512] = "";
    size_t dl = 0;
    const char *p;
    int words = 0;
    (void)state;
    for (int i = 0; i < 60; i++)
        strcat(text, "é");
    assert_int_equal(0, eqm_email_header_text(&h, "Subject", text));
    assert_int_equal(0, strncmp(h.data, "Subject: =?UTF-8?B?", 19));
    for (p = h.data; (p = strstr(p, "=?UTF-8?B?")); words++) {
        const char *start = p + 10, *end = strstr(start, "?=");
        char chunk[128];
        size_t n;
        assert_non_null(end);
        /* An encoded word is at most 75 characters. */
        assert_true(end + 2 - p <= 75);
        n = unbase64(start, (size_t)(end - start), chunk);
        /* Each word holds whole characters: valid UTF-8 on its own. */
        assert_true(n > 0);
        assert_int_not_equal(0xc3, (unsigned char)chunk[n - 1]);
        memcpy(decoded + dl, chunk, n);
        dl += n;
        p = end + 2;
    }
    decoded[dl] = '\0';
    assert_true(words >= 3);
    assert_string_equal(text, decoded);
    eqm_buf_free(&h);
}

static void test_html_escape(void **state) {
    struct eqm_buf b = {0};
    (void)state;
    assert_int_equal(0, eqm_email_html_escape(&b, "<a href=\"x\">Tom & Jerry's</a>"));
    assert_string_equal("&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;", b.data);
    eqm_buf_free(&b);
}

static void test_bodies(void **state) {
    struct eqm_buf t = {0}, h = {0};
    json_t *a = alert();
    static const char *const text_wants[] = {
        "Black people in Cambridge were stopped <and> searched at 3.4 times the rate & more\r\n",
        "3.4 (ratio)",
        "2.1 to 5.5",
        ">= 2 (clears at 1.8)",
        "365 days to 2026-03-14",
        "Cambridge (E07000008)",
        "ethnicity: black compared with white",
        "n = 57, base = 18496, ref_n = 124, ref_base = 763744",
        "stop-search-rate-ethnicity",
        "at or above 2",
        "with at least 20 events",
        "excludes 1",
        "below 1.8",
        "eqm-admin silence 4f0c2a9d"};
    (void)state;
    assert_int_equal(0, eqm_email_body_text(&t, a));
    for (size_t i = 0; i < sizeof(text_wants) / sizeof(text_wants[0]); i++)
        if (!strstr(t.data, text_wants[i]))
            fail_msg("text body lacks \"%s\":\n%s", text_wants[i], t.data);
    assert_int_equal(0, eqm_email_body_html(&h, a));
    assert_non_null(strstr(h.data, "Black people in Cambridge were stopped &lt;and&gt; searched "
                                   "at 3.4 times the rate &amp; more"));
    assert_non_null(strstr(h.data, "&gt;= 2 (clears at 1.8)"));
    assert_null(strstr(h.data, "<and>"));
    assert_null(strstr(h.data, "& more"));
    eqm_buf_free(&t);
    eqm_buf_free(&h);
    json_decref(a);
}

static void test_build(void **state) {
    struct eqm_buf m = {0};
    json_t *a = alert();
    char mid[EQM_EMAIL_MESSAGE_ID_SIZE], boundary[64], *p, *body, *end;
    char decoded[8192];
    (void)state;
    eqm_email_message_id(AID, "alice", mid);
    /* 2026-03-14T10:00:05Z */
    assert_int_equal(0, eqm_email_build(&m, a, "Equality Monitor <eqm@force.example>",
                                        "alice@force.example", mid, 1773482405));
    assert_non_null(strstr(m.data, "From: Equality Monitor <eqm@force.example>\r\n"));
    assert_non_null(strstr(m.data, "To: alice@force.example\r\n"));
    assert_non_null(strstr(m.data, "Date: Sat, 14 Mar 2026 10:00:05 +0000\r\n"));
    {
        char want[160];
        snprintf(want, sizeof(want), "\r\nMessage-ID: %s\r\n", mid);
        assert_non_null(strstr(m.data, want));
    }
    assert_non_null(strstr(m.data, "MIME-Version: 1.0\r\n"));
    assert_non_null(strstr(m.data, "X-EQM-Alert-Id: " AID "\r\n"));
    p = strstr(m.data, "Content-Type: multipart/alternative; boundary=\"");
    assert_non_null(p);
    p += strlen("Content-Type: multipart/alternative; boundary=\"");
    snprintf(boundary, sizeof(boundary), "--%.*s", (int)strcspn(p, "\""), p);
    /* Headers end before the first part; every line ends in CRLF. */
    assert_true(strstr(m.data, "\r\n\r\n") < strstr(m.data, boundary));
    for (size_t i = 0; i < m.len; i++)
        if (m.data[i] == '\n')
            assert_true(i > 0 && m.data[i - 1] == '\r');
    /* Plain text first, then HTML (the last part is the preferred one). */
    body = strstr(m.data, "Content-Type: text/plain; charset=utf-8\r\n"
                          "Content-Transfer-Encoding: base64\r\n\r\n");
    assert_non_null(body);
    assert_true(strstr(m.data, "Content-Type: text/html") > body);
    body = strstr(body, "\r\n\r\n") + 4;
    end = strstr(body, boundary);
    unbase64(body, (size_t)(end - body), decoded);
    assert_non_null(strstr(decoded, "times the rate & more"));
    body = strstr(m.data, "Content-Type: text/html; charset=utf-8\r\n");
    body = strstr(body, "\r\n\r\n") + 4;
    end = strstr(body, boundary);
    unbase64(body, (size_t)(end - body), decoded);
    assert_non_null(strstr(decoded, "times the rate &amp; more"));
    {
        char closing[80];
        snprintf(closing, sizeof(closing), "%s--\r\n", boundary);
        assert_non_null(strstr(m.data, closing));
    }
    eqm_buf_free(&m);
    json_decref(a);
}

static void test_from_address(void **state) {
    char out[128];
    (void)state;
    assert_int_equal(
        0, eqm_email_from_address("Equality Monitor <eqm@force.example>", out, sizeof(out)));
    assert_string_equal("eqm@force.example", out);
    assert_int_equal(0, eqm_email_from_address("eqm@force.example", out, sizeof(out)));
    assert_string_equal("eqm@force.example", out);
    assert_int_equal(-1, eqm_email_from_address("Equality Monitor", out, sizeof(out)));
    assert_int_equal(-1, eqm_email_from_address("x <a@b.org", out, sizeof(out)));
    assert_int_equal(-1, eqm_email_from_address("a@b.org\r\nBcc: c@d.org", out, sizeof(out)));
}

static void test_mask_addresses(void **state) {
    char s[256] = "550 5.1.1 <nobody@force.example>: mailbox unavailable (jane.doe@x.org)";
    (void)state;
    eqm_email_mask_addresses(s, sizeof(s));
    assert_string_equal("550 5.1.1 <n***@force.example>: mailbox unavailable (j***@x.org)", s);
}

static void test_classify(void **state) {
    struct eqm_delivery_result r;
    (void)state;
    eqm_email_classify(CURLE_OK, 250, "", "250 2.0.0 OK: queued", &r);
    assert_int_equal(EQM_DELIVERY_OK, r.outcome);
    assert_int_equal(250, r.status);
    assert_int_equal(-1, (int)r.retry_after_ms);

    eqm_email_classify(CURLE_SEND_ERROR, 550, "RCPT failed: 550",
                       "550 5.1.1 <nobody@force.example>: mailbox unavailable", &r);
    assert_int_equal(EQM_DELIVERY_PERMANENT, r.outcome);
    assert_int_equal(550, r.status);
    assert_string_equal("550 5.1.1 <n***@force.example>: mailbox unavailable", r.detail);

    eqm_email_classify(CURLE_SEND_ERROR, 452, "RCPT failed: 452", "452 4.2.2 mailbox full", &r);
    assert_int_equal(EQM_DELIVERY_RETRY, r.outcome);
    assert_non_null(strstr(r.detail, "452 4.2.2 mailbox full"));

    eqm_email_classify(CURLE_COULDNT_CONNECT, 0, "Failed to connect to 127.0.0.1 port 1", "", &r);
    assert_int_equal(EQM_DELIVERY_RETRY, r.outcome);
    assert_string_equal("Failed to connect to 127.0.0.1 port 1", r.detail);

    eqm_email_classify(CURLE_OPERATION_TIMEDOUT, 0, "Operation timed out", "", &r);
    assert_int_equal(EQM_DELIVERY_RETRY, r.outcome);

    /* A refused login is the settings' fault, not the message's: kept. */
    eqm_email_classify(CURLE_LOGIN_DENIED, 535, "Login denied", "535 5.7.8 Authentication failed",
                       &r);
    assert_int_equal(EQM_DELIVERY_RETRY, r.outcome);
    eqm_email_classify(CURLE_USE_SSL_FAILED, 502, "STARTTLS not supported", "502 not implemented",
                       &r);
    assert_int_equal(EQM_DELIVERY_RETRY, r.outcome);

    eqm_email_classify(CURLE_WRITE_ERROR, 554, "DATA failed", "554 5.7.1 message rejected", &r);
    assert_int_equal(EQM_DELIVERY_PERMANENT, r.outcome);
    assert_string_equal("554 5.7.1 message rejected", r.detail);
}

EQM_UNIT_MAIN(test_message_id, test_subject_ascii_folded, test_subject_rfc2047, test_html_escape,
              test_bodies, test_build, test_from_address, test_mask_addresses, test_classify)
