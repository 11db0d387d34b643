/*
 * The e-mail channel (contract in email.h). The message is written here
 * in full rather than through curl's MIME builder, so the unit tests see
 * exactly what the server receives; curl only speaks SMTP.
 */
#include "email.h"

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "eqm/md5.h"
#include "eqm/utf8.h"

void eqm_email_message_id(const char *alert_id, const char *recipient,
                          char out[EQM_EMAIL_MESSAGE_ID_SIZE]) {
    unsigned char d[16];
    char hex[17];

    eqm_md5(recipient, strlen(recipient), d);
    for (int i = 0; i < 8; i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
    snprintf(out, EQM_EMAIL_MESSAGE_ID_SIZE, "<%.40s.%s@eqm-notify>", alert_id, hex);
}

static const char *str(const json_t *alert, const char *key) {
    const json_t *v = json_object_get(alert, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static const char *str_or(const json_t *alert, const char *key, const char *def) {
    const char *s = str(alert, key);
    return s && *s ? s : def;
}

/* A number as people read it ("3.4", "57"), or "n/a" for null. */
static void num(const json_t *v, char *out, size_t size) {
    if (json_is_integer(v))
        snprintf(out, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else if (json_is_real(v) && isfinite(json_real_value(v))) {
        double d = json_real_value(v);
        /* Counts arrive as reals too (jsonb numbers): 18496, not 1.85e+04. */
        if (d == floor(d) && fabs(d) < 1e15)
            snprintf(out, size, "%.0f", d);
        else if (fabs(d) >= 1000)
            snprintf(out, size, "%.1f", d);
        else
            snprintf(out, size, "%.4g", d);
    } else
        snprintf(out, size, "n/a");
}

static void field_num(const json_t *alert, const char *key, char *out, size_t size) {
    num(json_object_get(alert, key), out, size);
}

int eqm_email_subject(struct eqm_buf *out, const json_t *alert) {
    char status[16];
    const char *s = str_or(alert, "status", "alert");
    size_t i;

    for (i = 0; s[i] && i < sizeof(status) - 1; i++)
        status[i] = (char)toupper((unsigned char)s[i]);
    status[i] = '\0';
    eqm_buf_printf(out, "[Equality Monitor] %s %s: %s", status, str_or(alert, "severity", "?"),
                   str_or(alert, "summary", "(no summary)"));
    return eqm_buf_ok(out) ? 0 : -1;
}

static bool plain_ascii(const char *s) {
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
            return false;
    return true;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void b64_chunk(struct eqm_buf *out, const unsigned char *p, size_t n) {
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16;
        size_t k = n - i;
        if (k > 1)
            v |= (unsigned)p[i + 1] << 8;
        if (k > 2)
            v |= p[i + 2];
        char q[4] = {b64[(v >> 18) & 63], b64[(v >> 12) & 63], k > 1 ? b64[(v >> 6) & 63] : '=',
                     k > 2 ? b64[v & 63] : '='};
        eqm_buf_append(out, q, 4);
    }
}

int eqm_email_base64(struct eqm_buf *out, const void *data, size_t len) {
    const unsigned char *p = data;
    /* 57 input bytes make one 76-character line. */
    for (size_t off = 0; off < len; off += 57) {
        b64_chunk(out, p + off, len - off < 57 ? len - off : 57);
        eqm_buf_append(out, "\r\n", 2);
    }
    return eqm_buf_ok(out) ? 0 : -1;
}

int eqm_email_header_text(struct eqm_buf *out, const char *name, const char *value) {
    size_t col = strlen(name) + 2;

    eqm_buf_printf(out, "%s:", name);
    if (plain_ascii(value)) {
        /* Fold at spaces so that no line is longer than 78 characters
         * unless one word is. */
        const char *p = value;
        while (*p) {
            size_t w;
            while (*p == ' ')
                p++;
            w = strcspn(p, " ");
            if (w == 0)
                break;
            if (col + 1 + w > 78 && col > strlen(name) + 2) {
                eqm_buf_append(out, "\r\n", 2);
                col = 0;
            }
            eqm_buf_append(out, " ", 1);
            eqm_buf_append(out, p, w);
            col += 1 + w;
            p += w;
        }
    } else {
        /* "=?UTF-8?B?" + base64 + "?=" is at most 75 characters with 45
         * bytes of text; a chunk ends at a character boundary. */
        size_t len = strlen(value), off = 0;
        while (off < len) {
            size_t n = eqm_utf8_cut(value + off, len - off, 45);
            if (n == 0)
                n = len - off < 45 ? len - off : 45; /* not UTF-8: bytes as they are */
            eqm_buf_append(out, off ? "\r\n =?UTF-8?B?" : " =?UTF-8?B?", off ? 13 : 11);
            b64_chunk(out, (const unsigned char *)value + off, n);
            eqm_buf_append(out, "?=", 2);
            off += n;
        }
    }
    eqm_buf_append(out, "\r\n", 2);
    return eqm_buf_ok(out) ? 0 : -1;
}

int eqm_email_html_escape(struct eqm_buf *out, const char *text) {
    static const char *const entity[256] = {
        ['&'] = "&amp;", ['<'] = "&lt;", ['>'] = "&gt;", ['"'] = "&quot;", ['\''] = "&#39;"};
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (entity[*p])
            eqm_buf_append(out, entity[*p], strlen(entity[*p]));
        else
            eqm_buf_append(out, p, 1);
    }
    return eqm_buf_ok(out) ? 0 : -1;
}

/* ---- the facts, once, for both bodies ---------------------------------------- */

#define MAX_FACTS 24

struct fact {
    char label[40];
    char value[400];
};

struct facts {
    struct fact f[MAX_FACTS];
    int n;
    char meaning[900]; /* the rule in lay words */
    char counts[900];
};

static void add(struct facts *fs, const char *label, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void add(struct facts *fs, const char *label, const char *fmt, ...) {
    va_list ap;
    if (fs->n == MAX_FACTS)
        return;
    snprintf(fs->f[fs->n].label, sizeof(fs->f[fs->n].label), "%s", label);
    va_start(ap, fmt);
    vsnprintf(fs->f[fs->n].value, sizeof(fs->f[fs->n].value), fmt, ap);
    va_end(ap);
    fs->n++;
}

static const char *cmp_words(const char *cmp) {
    static const char *const words[][2] = {
        {">=", "at or above"}, {">", "above"}, {"<=", "at or below"}, {"<", "below"}};
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (strcmp(cmp, words[i][0]) == 0)
            return words[i][1];
    return cmp;
}

static void gather(const json_t *alert, struct facts *fs) {
    char value[32], lo[32], hi[32], thr[32], clr[32], minc[32], p[32], wd[32];
    const char *cmp = str_or(alert, "comparison", "?");
    const char *group = str_or(alert, "group", "?");
    const char *ref = str(alert, "reference_group");
    const char *area = str(alert, "area");
    const char *area_name = str(alert, "area_name");
    const json_t *counts = json_object_get(alert, "counts");
    bool upward = cmp[0] == '>';
    size_t used = 0;
    const char *key;
    const json_t *v;

    memset(fs, 0, sizeof(*fs));
    field_num(alert, "value", value, sizeof(value));
    field_num(alert, "ci_low", lo, sizeof(lo));
    field_num(alert, "ci_high", hi, sizeof(hi));
    field_num(alert, "threshold", thr, sizeof(thr));
    field_num(alert, "clear_threshold", clr, sizeof(clr));
    field_num(alert, "min_count", minc, sizeof(minc));
    field_num(alert, "p_value", p, sizeof(p));

    add(fs, "Status", "%s (%s)", str_or(alert, "status", "?"), str_or(alert, "transition", "?"));
    add(fs, "Severity", "%s", str_or(alert, "severity", "?"));
    add(fs, "Value", "%s (%s)", value, str_or(alert, "value_field", "value"));
    if (strcmp(lo, "n/a") != 0 || strcmp(hi, "n/a") != 0)
        add(fs, "95% interval", "%s to %s", lo, hi);
    else
        add(fs, "95% interval", "none for this figure");
    if (strcmp(p, "n/a") != 0)
        add(fs, "p-value", "%s", p);
    add(fs, "Threshold", "%s %s (clears at %s)", cmp, thr, clr);
    add(fs, "Significant", "%s%s",
        json_is_true(json_object_get(alert, "significant")) ? "yes" : "no",
        json_is_true(json_object_get(alert, "require_significant")) ? " (the rule requires it)"
                                                                    : "");
    field_num(alert, "window_days", wd, sizeof(wd));
    add(fs, "Window", "%s days to %s", wd, str_or(alert, "window_end", "?"));
    if (area)
        add(fs, "Area", "%s%s%s%s", area_name ? area_name : area, area_name ? " (" : "",
            area_name ? area : "", area_name ? ")" : "");
    if (str(alert, "role"))
        add(fs, "Role", "%s", str(alert, "role"));
    if (str(alert, "stage"))
        add(fs, "Stage", "%s", str(alert, "stage"));
    add(fs, "Group", "%s: %s compared with %s", str_or(alert, "dimension", "?"), group,
        ref ? ref : "the population");
    add(fs, "Rule", "%s (measure %s, source %s)", str_or(alert, "rule", "?"),
        str_or(alert, "measure", "?"), str_or(alert, "source", "?"));
    add(fs, "Minimum count", "%s", minc);
    add(fs, "First breached", "%s", str_or(alert, "first_breached_at", "?"));
    add(fs, "Evaluated", "%s", str_or(alert, "evaluated_at", "?"));
    add(fs, "Audience", "%s", str_or(alert, "audience", "?"));
    add(fs, "Fingerprint", "%s", str_or(alert, "fingerprint", "?"));
    add(fs, "Alert id", "%s", str_or(alert, "alert_id", "?"));

    json_object_foreach((json_t *)counts, key, v) {
        char n[32];
        int w;
        num(v, n, sizeof(n));
        w = snprintf(fs->counts + used, sizeof(fs->counts) - used, "%s%s = %s", used ? ", " : "",
                     key, n);
        if (w < 0 || (size_t)w >= sizeof(fs->counts) - used)
            break;
        used += (size_t)w;
    }
    if (!used)
        snprintf(fs->counts, sizeof(fs->counts), "none given");

    snprintf(fs->meaning, sizeof(fs->meaning),
             "The rule \"%s\" compares %s people with %s. A value of 1 means no difference; "
             "the alert fires when the value is %s %s, %s%s%s, and resolves only once it is "
             "%s %s, so a figure hovering near the threshold does not flap.",
             str_or(alert, "rule", "?"), group, ref ? ref : "the population as a whole",
             cmp_words(cmp), thr, strcmp(minc, "0") ? "with at least " : "whatever the count",
             strcmp(minc, "0") ? minc : "",
             json_is_true(json_object_get(alert, "require_significant"))
                 ? " events behind it and a 95% interval that excludes 1 (not chance)"
                 : (strcmp(minc, "0") ? " events behind it" : ""),
             upward ? "below" : "above", clr);
}

int eqm_email_body_text(struct eqm_buf *out, const json_t *alert) {
    struct facts *fs = malloc(sizeof(*fs));

    if (!fs)
        return -1;
    gather(alert, fs);
    eqm_buf_printf(out, "%s\r\n\r\n", str_or(alert, "summary", "(no summary)"));
    for (int i = 0; i < fs->n; i++)
        eqm_buf_printf(out, "%-16s %s\r\n", fs->f[i].label, fs->f[i].value);
    eqm_buf_printf(out, "%-16s %s\r\n\r\n", "Counts", fs->counts);
    eqm_buf_printf(out, "What this means: %s\r\n\r\n", fs->meaning);
    eqm_buf_printf(out,
                   "Silence it (after review): eqm-admin silence %.8s --until DATE --reason "
                   "\"...\"\r\n",
                   str_or(alert, "fingerprint", "?"));
    free(fs);
    return eqm_buf_ok(out) ? 0 : -1;
}

int eqm_email_body_html(struct eqm_buf *out, const json_t *alert) {
    struct facts *fs = malloc(sizeof(*fs));
    int rc = 0;

    if (!fs)
        return -1;
    gather(alert, fs);
    eqm_buf_printf(out, "<!DOCTYPE html>\r\n<html><head><meta charset=\"utf-8\"><title>");
    rc |= eqm_email_html_escape(out, str_or(alert, "rule", "alert"));
    eqm_buf_printf(out, "</title></head>\r\n<body>\r\n<p><strong>");
    rc |= eqm_email_html_escape(out, str_or(alert, "summary", "(no summary)"));
    eqm_buf_printf(out, "</strong></p>\r\n<table>\r\n");
    for (int i = 0; i < fs->n; i++) {
        eqm_buf_printf(out, "<tr><th align=\"left\">");
        rc |= eqm_email_html_escape(out, fs->f[i].label);
        eqm_buf_printf(out, "</th><td>");
        rc |= eqm_email_html_escape(out, fs->f[i].value);
        eqm_buf_printf(out, "</td></tr>\r\n");
    }
    eqm_buf_printf(out, "<tr><th align=\"left\">Counts</th><td>");
    rc |= eqm_email_html_escape(out, fs->counts);
    eqm_buf_printf(out, "</td></tr>\r\n</table>\r\n<p>");
    rc |= eqm_email_html_escape(out, fs->meaning);
    eqm_buf_printf(out, "</p>\r\n</body></html>\r\n");
    free(fs);
    return rc == 0 && eqm_buf_ok(out) ? 0 : -1;
}

int eqm_email_compose(struct eqm_buf *out, const struct eqm_email_parts *m) {
    char datebuf[64], boundary[48];
    time_t t = (time_t)m->date;
    struct tm tm;
    unsigned char d[16];

    eqm_buf_reset(out);
    gmtime_r(&t, &tm);
    strftime(datebuf, sizeof(datebuf), "%a, %d %b %Y %H:%M:%S +0000", &tm);
    /* The boundary cannot occur in base64 text ('=' and '_' are outside its
     * alphabet but for padding at the end). */
    eqm_md5(m->message_id, strlen(m->message_id), d);
    snprintf(boundary, sizeof(boundary), "=_eqm_%02x%02x%02x%02x%02x%02x%02x%02x", d[0], d[1], d[2],
             d[3], d[4], d[5], d[6], d[7]);
    if (eqm_email_header_text(out, "From", m->from) || eqm_email_header_text(out, "To", m->to) ||
        eqm_email_header_text(out, "Subject", m->subject))
        return -1;
    eqm_buf_printf(out,
                   "Date: %s\r\nMessage-ID: %s\r\nMIME-Version: 1.0\r\n"
                   "Auto-Submitted: auto-generated\r\n%s"
                   "Content-Type: multipart/alternative; boundary=\"%s\"\r\n\r\n"
                   "This is a MIME message.\r\n",
                   datebuf, m->message_id, m->extra_headers ? m->extra_headers : "", boundary);
    /* Plain text first, HTML last: the last alternative is the preferred. */
    for (int i = 0; i < 2; i++) {
        static const char *const type[2] = {"text/plain", "text/html"};
        const struct eqm_buf *part = i == 0 ? m->text : m->html;
        eqm_buf_printf(out,
                       "--%s\r\nContent-Type: %s; charset=utf-8\r\n"
                       "Content-Transfer-Encoding: base64\r\n\r\n",
                       boundary, type[i]);
        if (eqm_email_base64(out, part->data, part->len))
            return -1;
    }
    eqm_buf_printf(out, "--%s--\r\n", boundary);
    return eqm_buf_ok(out) ? 0 : -1;
}

int eqm_email_build(struct eqm_buf *out, const json_t *alert, const char *from, const char *to,
                    const char *message_id, int64_t date) {
    struct eqm_buf subject = {0}, text = {0}, html = {0}, extra = {0};
    int rc = -1;

    eqm_buf_printf(&extra, "X-EQM-Alert-Id: %s\r\nX-EQM-Fingerprint: %s\r\n",
                   str_or(alert, "alert_id", "?"), str_or(alert, "fingerprint", "?"));
    if (eqm_email_subject(&subject, alert) != 0 || eqm_email_body_text(&text, alert) != 0 ||
        eqm_email_body_html(&html, alert) != 0 || !eqm_buf_ok(&extra))
        goto out;
    rc = eqm_email_compose(out, &(struct eqm_email_parts){.from = from,
                                                          .to = to,
                                                          .subject = subject.data,
                                                          .message_id = message_id,
                                                          .date = date,
                                                          .extra_headers = extra.data,
                                                          .text = &text,
                                                          .html = &html});
out:
    eqm_buf_free(&subject);
    eqm_buf_free(&text);
    eqm_buf_free(&html);
    eqm_buf_free(&extra);
    return rc;
}

int eqm_email_from_address(const char *from, char *out, size_t size) {
    const char *lt = strrchr(from, '<'), *gt;
    const char *a = from;
    size_t n;

    if (strpbrk(from, "\r\n"))
        return -1;
    if (lt) {
        gt = strchr(lt, '>');
        if (!gt)
            return -1;
        a = lt + 1;
        n = (size_t)(gt - a);
    } else {
        while (*a == ' ')
            a++;
        n = strcspn(a, " ");
    }
    if (n == 0 || n >= size || !memchr(a, '@', n) || memchr(a, ' ', n))
        return -1;
    memcpy(out, a, n);
    out[n] = '\0';
    return 0;
}

void eqm_email_mask_addresses(char *s, size_t size) {
    char tmp[1024];
    size_t w = 0;
    const char *p = s;

    while (*p && w < sizeof(tmp) - 1) {
        size_t len = strcspn(p, " <>()\"',;");
        if (len == 0) {
            tmp[w++] = *p++;
            continue;
        }
        if (memchr(p, '@', len)) {
            char word[300], masked[300];
            size_t wl = len < sizeof(word) - 1 ? len : sizeof(word) - 1;
            memcpy(word, p, wl);
            word[wl] = '\0';
            snprintf(masked, sizeof(masked), "%c***%s", word[0], strchr(word, '@'));
            for (const char *m = masked; *m && w < sizeof(tmp) - 1; m++)
                tmp[w++] = *m;
        } else {
            for (size_t i = 0; i < len && w < sizeof(tmp) - 1; i++)
                tmp[w++] = p[i];
        }
        p += len;
    }
    tmp[w] = '\0';
    snprintf(s, size, "%s", tmp);
}

/* ---- sending ------------------------------------------------------------------- */

void eqm_email_classify(int curl_code, long smtp_code, const char *curl_error,
                        const char *server_reply, struct eqm_delivery_result *res) {
    res->status = smtp_code;
    res->retry_after_ms = -1;
    res->detail[0] = '\0';
    if (curl_code == CURLE_OK) {
        res->outcome = EQM_DELIVERY_OK;
        snprintf(res->detail, sizeof(res->detail), "%s", server_reply ? server_reply : "");
    } else if (smtp_code >= 500 && smtp_code < 600 && curl_code != CURLE_LOGIN_DENIED &&
               curl_code != CURLE_USE_SSL_FAILED) {
        /* The server refused this message for good (550 no such mailbox,
         * 552 too large, 554 rejected): trying again would not help. */
        res->outcome = EQM_DELIVERY_PERMANENT;
        snprintf(res->detail, sizeof(res->detail), "%s",
                 server_reply && *server_reply ? server_reply : curl_error);
    } else {
        /* Connection refused, timeout, 4xx (greylisting, mailbox busy), a
         * refused login or TLS: the message waits, the settings or the
         * server may be fixed meanwhile. */
        res->outcome = EQM_DELIVERY_RETRY;
        if (server_reply && *server_reply && smtp_code >= 400)
            snprintf(res->detail, sizeof(res->detail), "%s (%s)", server_reply,
                     curl_error ? curl_error : "");
        else
            snprintf(res->detail, sizeof(res->detail), "%s",
                     curl_error && *curl_error ? curl_error : curl_easy_strerror(curl_code));
    }
    eqm_email_mask_addresses(res->detail, sizeof(res->detail));
    eqm_utf8_fix(res->detail, sizeof(res->detail));
}

struct upload {
    const char *data;
    size_t len, off;
};

static size_t read_cb(char *buf, size_t size, size_t nitems, void *arg) {
    struct upload *u = arg;
    size_t n = size * nitems, left = u->len - u->off;
    if (n > left)
        n = left;
    memcpy(buf, u->data + u->off, n);
    u->off += n;
    return n;
}

struct replies {
    char last[301];     /* the server's last reply line */
    char last_err[301]; /* its last 4xx or 5xx reply line: what refused us */
};

static void keep_line(char *dst, const char *data, size_t size) {
    size_t n = size < 300 ? size : 300;
    memcpy(dst, data, n);
    dst[n] = '\0';
    dst[strcspn(dst, "\r\n")] = '\0';
}

/* SMTP replies arrive as HEADER_IN. After a refusal curl says QUIT, so the
 * last reply is "221 Bye": the refusal is kept apart. */
static int debug_cb(CURL *c, curl_infotype type, char *data, size_t size, void *arg) {
    struct replies *r = arg;
    (void)c;
    if (type == CURLINFO_HEADER_IN && size > 0) {
        keep_line(r->last, data, size);
        if (data[0] == '4' || data[0] == '5')
            keep_line(r->last_err, data, size);
    }
    return 0;
}

void eqm_email_send(const struct eqm_smtp *smtp, const char *to, const char *message, size_t len,
                    struct eqm_delivery_result *res) {
    CURL *c = curl_easy_init();
    struct curl_slist *rcpt = NULL;
    struct upload up = {message, len, 0};
    char errbuf[CURL_ERROR_SIZE] = "", addr[300], from[300];
    struct replies replies = {"", ""};
    CURLcode rc;
    long code = 0;

    if (!c) {
        eqm_email_classify(CURLE_OUT_OF_MEMORY, 0, "curl_easy_init failed", NULL, res);
        return;
    }
    snprintf(addr, sizeof(addr), "<%s>", to);
    if (eqm_email_from_address(smtp->from, from + 1, sizeof(from) - 2) != 0)
        snprintf(from, sizeof(from), "<>");
    else {
        from[0] = '<';
        strcat(from, ">");
    }
    rcpt = curl_slist_append(NULL, addr);
    curl_easy_setopt(c, CURLOPT_URL, smtp->url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    if (strncmp(smtp->url, "smtps://", 8) == 0 || smtp->starttls_required)
        curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
    else
        curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
    if (smtp->ca_file && *smtp->ca_file)
        curl_easy_setopt(c, CURLOPT_CAINFO, smtp->ca_file);
    if (smtp->user && *smtp->user) {
        curl_easy_setopt(c, CURLOPT_USERNAME, smtp->user);
        curl_easy_setopt(c, CURLOPT_PASSWORD, smtp->password ? smtp->password : "");
    }
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt(c, CURLOPT_READDATA, &up);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, smtp->timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, smtp->timeout_ms);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, debug_cb);
    curl_easy_setopt(c, CURLOPT_DEBUGDATA, &replies);
    curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
    rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    eqm_email_classify((int)rc, code, errbuf[0] ? errbuf : curl_easy_strerror(rc),
                       rc == CURLE_OK || !replies.last_err[0] ? replies.last : replies.last_err,
                       res);
    curl_slist_free_all(rcpt);
    curl_easy_cleanup(c);
}
