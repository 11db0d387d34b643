/* A digest's words (contract in digest.h). */
#include "digest.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "email.h"

static const char *str_or(const json_t *o, const char *key, const char *def) {
    const json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : def;
}

static size_t count(const json_t *digest, const char *list) {
    return json_array_size(json_object_get(digest, list));
}

static size_t unanswered(const json_t *digest) {
    const json_t *open = json_object_get(digest, "open"), *item;
    size_t i, n = 0;

    json_array_foreach(open, i, item) n += !json_is_string(json_object_get(item, "responded_by"));
    return n;
}

static const char *every_word(const json_t *digest) {
    const char *e = str_or(digest, "every", "");
    return strcmp(e, "daily") == 0     ? "Daily"
           : strcmp(e, "weekly") == 0  ? "Weekly"
           : strcmp(e, "monthly") == 0 ? "Monthly"
                                       : "Periodic";
}

int eqm_digest_subject(struct eqm_buf *out, const json_t *digest) {
    eqm_buf_printf(out,
                   "[Equality Monitor] %s digest, %s: %zu fired, %zu resolved, %zu open (%zu "
                   "unanswered)",
                   every_word(digest), str_or(digest, "audience", "?"), count(digest, "fired"),
                   count(digest, "resolved"), count(digest, "open"), unanswered(digest));
    return eqm_buf_ok(out) ? 0 : -1;
}

static void local_time(int64_t s, char *out, size_t size) {
    time_t t = (time_t)s;
    struct tm tm;

    localtime_r(&t, &tm);
    strftime(out, size, "%A %d %B %Y %H:%M %Z", &tm);
}

/* The lines of one list: heading, then each item's sentence and, for an
 * open one, where its answer stands. */
struct section {
    const char *list, *heading, *none;
};

static const struct section sections[] = {
    {"fired", "Fired in this period", "Nothing fired in this period."},
    {"resolved", "Resolved in this period", "Nothing resolved in this period."},
    {"open", "Still open", "Nothing is open."},
};

/* The answer status of an open item, in words. */
static void answer_words(const json_t *item, char *out, size_t size) {
    const char *ack = str_or(item, "acknowledged_by", NULL);
    const char *resp = str_or(item, "responded_by", NULL);
    const json_t *days = json_object_get(item, "days_unanswered");
    char a[200];
    int n;

    if (ack)
        snprintf(a, sizeof(a), "Acknowledged by %s.", ack);
    else
        snprintf(a, sizeof(a), "Not acknowledged.");
    if (resp) {
        n = snprintf(out, size, "%s Answered by %s.", a, resp);
    } else if (json_is_integer(days) && json_integer_value(days) > 0) {
        json_int_t d = json_integer_value(days);
        n = snprintf(out, size, "%s Open, not yet answered for %" JSON_INTEGER_FORMAT " day%s.", a,
                     d, d == 1 ? "" : "s");
    } else {
        n = snprintf(out, size, "%s Open since today, not yet answered.", a);
    }
    (void)n;
}

/* Appends text as it is, or HTML-escaped. */
static int put(struct eqm_buf *out, const char *text, bool html) {
    if (html)
        return eqm_email_html_escape(out, text);
    eqm_buf_append(out, text, strlen(text));
    return eqm_buf_ok(out) ? 0 : -1;
}

static int body(struct eqm_buf *out, const json_t *digest, int64_t start_s, int64_t end_s,
                bool html) {
    char from[96], to[96], words[600];

    local_time(start_s, from, sizeof(from));
    local_time(end_s, to, sizeof(to));
#define PUT(s) put(out, (s), html)
    if (html) {
        eqm_buf_printf(out, "<!DOCTYPE html>\r\n<html><body>\r\n<h2>");
        if (PUT(every_word(digest)) || PUT(" digest for ") || PUT(str_or(digest, "audience", "?")))
            return -1;
        eqm_buf_printf(out, "</h2>\r\n<p>From ");
        if (PUT(from) || PUT(" to ") || PUT(to))
            return -1;
        eqm_buf_printf(out, ".</p>\r\n");
    } else {
        eqm_buf_printf(out, "%s digest for %s\r\nFrom %s to %s.\r\n", every_word(digest),
                       str_or(digest, "audience", "?"), from, to);
    }
    for (size_t s = 0; s < sizeof(sections) / sizeof(sections[0]); s++) {
        const json_t *list = json_object_get(digest, sections[s].list), *item;
        size_t i;

        if (json_array_size(list) == 0) {
            if (html) {
                eqm_buf_printf(out, "<h3>%s</h3>\r\n<p>%s</p>\r\n", sections[s].heading,
                               sections[s].none);
            } else {
                eqm_buf_printf(out, "\r\n%s:\r\n  %s\r\n", sections[s].heading, sections[s].none);
            }
            continue;
        }
        if (html)
            eqm_buf_printf(out, "<h3>%s (%zu)</h3>\r\n<ul>\r\n", sections[s].heading,
                           json_array_size(list));
        else
            eqm_buf_printf(out, "\r\n%s (%zu):\r\n", sections[s].heading, json_array_size(list));
        json_array_foreach(list, i, item) {
            const char *summary = str_or(item, "summary", "(no summary)");
            const char *sev = str_or(item, "severity", "?");
            words[0] = '\0';
            if (strcmp(sections[s].list, "open") == 0)
                answer_words(item, words, sizeof(words));
            if (html) {
                eqm_buf_printf(out, "<li>");
                if (PUT(summary) || PUT(" (") || PUT(sev) || PUT(")"))
                    return -1;
                if (*words) {
                    eqm_buf_printf(out, "<br>");
                    if (PUT(words))
                        return -1;
                }
                eqm_buf_printf(out, "</li>\r\n");
            } else {
                eqm_buf_printf(out, "  - %s (%s)\r\n", summary, sev);
                if (*words)
                    eqm_buf_printf(out, "    %s\r\n", words);
            }
        }
        if (html)
            eqm_buf_printf(out, "</ul>\r\n");
    }
#undef PUT
    if (html)
        eqm_buf_printf(out, "<p>Equality Monitor</p>\r\n</body></html>\r\n");
    else
        eqm_buf_printf(out, "\r\n-- \r\nEquality Monitor\r\n");
    return eqm_buf_ok(out) ? 0 : -1;
}

int eqm_digest_body_text(struct eqm_buf *out, const json_t *digest, int64_t start_s,
                         int64_t end_s) {
    return body(out, digest, start_s, end_s, false);
}

int eqm_digest_body_html(struct eqm_buf *out, const json_t *digest, int64_t start_s,
                         int64_t end_s) {
    return body(out, digest, start_s, end_s, true);
}

int eqm_digest_email_build(struct eqm_buf *out, const json_t *digest, int64_t start_s,
                           int64_t end_s, const char *from, const char *to, const char *message_id,
                           int64_t date) {
    struct eqm_buf subject = {0}, text = {0}, html = {0};
    int rc = -1;

    if (eqm_digest_subject(&subject, digest) == 0 &&
        eqm_digest_body_text(&text, digest, start_s, end_s) == 0 &&
        eqm_digest_body_html(&html, digest, start_s, end_s) == 0)
        rc = eqm_email_compose(out, &(struct eqm_email_parts){.from = from,
                                                              .to = to,
                                                              .subject = subject.data,
                                                              .message_id = message_id,
                                                              .date = date,
                                                              .extra_headers = NULL,
                                                              .text = &text,
                                                              .html = &html});
    eqm_buf_free(&subject);
    eqm_buf_free(&text);
    eqm_buf_free(&html);
    return rc;
}

void eqm_digest_message_id(const char *audience, const char *recipient, int64_t period_end_s,
                           char *out, size_t size) {
    char key[40], who[600], mid[EQM_EMAIL_MESSAGE_ID_SIZE];

    snprintf(key, sizeof(key), "digest.%" PRId64, period_end_s);
    snprintf(who, sizeof(who), "%s/%s", audience, recipient);
    eqm_email_message_id(key, who, mid);
    snprintf(out, size, "%s", mid);
}
