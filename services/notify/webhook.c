/*
 * webhook.c - the webhook channel (webhook.h): request bodies, one POST
 * with libcurl, and what its reply means for the delivery loop.
 */
#include "webhook.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "eqm/buf.h"
#include "eqm/secret.h"
#include "eqm/utf8.h"

#define DEFAULT_TIMEOUT_MS 10000L
/* Slack's limits (characters; bytes are at least as many). */
#define SLACK_HEADER_MAX 150
#define SLACK_TEXT_MAX   3000
#define SLACK_FIELD_MAX  2000
#define SLACK_FIELDS_MAX 10

int eqm_webhook_shape_parse(const char *s, enum eqm_webhook_shape *out) {
    static const struct {
        const char *name;
        enum eqm_webhook_shape shape;
    } shapes[] = {
        {"generic", EQM_WEBHOOK_GENERIC},
        {"teams", EQM_WEBHOOK_TEAMS},
        {"slack", EQM_WEBHOOK_SLACK},
    };

    if (!s)
        return -1;
    for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
        if (strcmp(s, shapes[i].name) == 0) {
            *out = shapes[i].shape;
            return 0;
        }
    }
    return -1;
}

/* ---- bodies ---------------------------------------------------------------- */

#define N_FACTS 10

/* The figures of an alert as (title, text) pairs, shared by the Teams and
 * Slack shapes so that both show the same things. */
struct facts {
    const char *title[N_FACTS];
    struct eqm_buf text[N_FACTS];
    int n;
};

static const char *str_of(const json_t *obj, const char *key) {
    const json_t *v = json_object_get(obj, key);

    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* A number as a person reads it: integers whole, large values without an
 * exponent, the rest to three significant figures (the summary's own
 * precision is two or three). */
static void put_value(struct eqm_buf *b, const json_t *v) {
    if (json_is_integer(v)) {
        eqm_buf_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    } else if (json_is_real(v)) {
        double x = json_real_value(v);

        if (x >= 1000.0 || x <= -1000.0 || x == (double)(long long)x)
            eqm_buf_printf(b, "%.0f", x);
        else
            eqm_buf_printf(b, "%.3g", x);
    } else if (json_is_string(v)) {
        eqm_buf_printf(b, "%s", json_string_value(v));
    } else if (json_is_boolean(v)) {
        eqm_buf_printf(b, "%s", json_is_true(v) ? "yes" : "no");
    } else {
        eqm_buf_printf(b, "n/a");
    }
}

static struct eqm_buf *fact(struct facts *f, const char *title) {
    f->title[f->n] = title;
    return &f->text[f->n++];
}

static void facts_free(struct facts *f) {
    for (int i = 0; i < f->n; i++)
        eqm_buf_free(&f->text[i]);
}

static bool facts_ok(const struct facts *f) {
    for (int i = 0; i < f->n; i++) {
        if (!eqm_buf_ok(&f->text[i]))
            return false;
    }
    return true;
}

static void facts_build(struct facts *f, const json_t *a) {
    const json_t *counts = json_object_get(a, "counts");
    const json_t *ci_low = json_object_get(a, "ci_low"), *ci_high = json_object_get(a, "ci_high");
    const json_t *p_value = json_object_get(a, "p_value");
    const json_t *clear = json_object_get(a, "clear_threshold");
    const char *area = str_of(a, "area"), *area_name = str_of(a, "area_name");
    const char *role = str_of(a, "role"), *stage = str_of(a, "stage");
    const char *ref = str_of(a, "reference_group"), *cmp = str_of(a, "comparison");
    struct eqm_buf *b;

    memset(f, 0, sizeof(*f));
    b = fact(f, "Value");
    put_value(b, json_object_get(a, "value"));
    if (json_is_number(ci_low) && json_is_number(ci_high)) {
        eqm_buf_printf(b, " (95%% CI ");
        put_value(b, ci_low);
        eqm_buf_printf(b, " to ");
        put_value(b, ci_high);
        eqm_buf_printf(b, ")");
    }
    if (json_is_number(p_value)) {
        eqm_buf_printf(b, " (p = ");
        put_value(b, p_value);
        eqm_buf_printf(b, ")");
    }

    b = fact(f, "Threshold");
    eqm_buf_printf(b, "%s%s", cmp ? cmp : "", cmp ? " " : "");
    put_value(b, json_object_get(a, "threshold"));
    if (json_is_number(clear)) {
        eqm_buf_printf(b, ", clears at ");
        put_value(b, clear);
    }

    b = fact(f, "Counts");
    put_value(b, json_object_get(counts, "n"));
    eqm_buf_printf(b, " of ");
    put_value(b, json_object_get(counts, "base"));
    eqm_buf_printf(b, "; reference ");
    put_value(b, json_object_get(counts, "ref_n"));
    eqm_buf_printf(b, " of ");
    put_value(b, json_object_get(counts, "ref_base"));

    b = fact(f, "Window");
    put_value(b, json_object_get(a, "window_days"));
    eqm_buf_printf(b, " days to ");
    put_value(b, json_object_get(a, "window_end"));

    b = fact(f, "Area");
    if (area_name && area && strcmp(area_name, area) != 0)
        eqm_buf_printf(b, "%s (%s)", area_name, area);
    else
        eqm_buf_printf(b, "%s", area_name ? area_name : area ? area : "force-wide");
    if (role)
        eqm_buf_printf(b, "; role %s", role);
    if (stage)
        eqm_buf_printf(b, "; stage %s", stage);

    b = fact(f, "Group");
    put_value(b, json_object_get(a, "group"));
    if (ref)
        eqm_buf_printf(b, " compared with %s", ref);
    eqm_buf_printf(b, " (");
    put_value(b, json_object_get(a, "dimension"));
    eqm_buf_printf(b, ")");

    put_value(fact(f, "Measure"), json_object_get(a, "measure"));
    put_value(fact(f, "Rule"), json_object_get(a, "rule"));
    put_value(fact(f, "Audience"), json_object_get(a, "audience"));
    put_value(fact(f, "Evaluated"), json_object_get(a, "evaluated_at"));
}

/* "Equality alert: firing (reminder), critical" */
static void put_title(struct eqm_buf *b, const json_t *a) {
    const char *status = str_of(a, "status"), *transition = str_of(a, "transition");
    const char *severity = str_of(a, "severity");

    eqm_buf_printf(b, "Equality alert: %s", status ? status : "unknown status");
    if (transition && status && strcmp(transition, status) != 0)
        eqm_buf_printf(b, " (%s)", transition);
    if (severity)
        eqm_buf_printf(b, ", %s", severity);
}

static const char *summary_of(const json_t *a) {
    const char *s = str_of(a, "summary");

    return s ? s : "(no summary)";
}

/* Adds a string member; false if jansson refused it (out of memory). */
static bool set_str(json_t *obj, const char *key, const char *s, size_t n) {
    return json_object_set_new(obj, key, json_stringn(s, n)) == 0;
}

static json_t *teams_body(const json_t *a) {
    struct facts f;
    struct eqm_buf title = {0};
    const char *status = str_of(a, "status");
    json_t *root = NULL, *facts = json_array();
    const char *summary = summary_of(a);

    facts_build(&f, a);
    put_title(&title, a);
    if (!facts || !facts_ok(&f) || !eqm_buf_ok(&title))
        goto out;
    for (int i = 0; i < f.n; i++) {
        if (json_array_append_new(
                facts, json_pack("{s:s, s:s}", "title", f.title[i], "value", f.text[i].data)) != 0)
            goto out;
    }
    /* Attention (red) while firing, Good (green) once resolved. */
    root = json_pack("{s:s, s:[{s:s, s:n, s:{s:s, s:s, s:s, s:[{s:s, s:s, s:s, s:s, s:b, s:s},"
                     " {s:s, s:s, s:b}, {s:s, s:O}]}}]}",
                     "type", "message", "attachments", "contentType",
                     "application/vnd.microsoft.card.adaptive", "contentUrl", "content", "$schema",
                     "http://adaptivecards.io/schemas/adaptive-card.json", "type", "AdaptiveCard",
                     "version", "1.4", "body", "type", "TextBlock", "text", title.data, "weight",
                     "Bolder", "size", "Medium", "wrap", 1, "color",
                     status && strcmp(status, "resolved") == 0 ? "Good" : "Attention", "type",
                     "TextBlock", "text", summary, "wrap", 1, "type", "FactSet", "facts", facts);
out:
    json_decref(facts);
    facts_free(&f);
    eqm_buf_free(&title);
    return root;
}

/* s with Slack's three control characters escaped, as mrkdwn wants it. */
static void put_slack_escaped(struct eqm_buf *b, const char *s) {
    for (; *s; s++) {
        switch (*s) {
        case '&':
            eqm_buf_printf(b, "&amp;");
            break;
        case '<':
            eqm_buf_printf(b, "&lt;");
            break;
        case '>':
            eqm_buf_printf(b, "&gt;");
            break;
        default:
            eqm_buf_append(b, s, 1);
        }
    }
}

/* b's text cut to at most max bytes at a character boundary. */
static size_t cut(const struct eqm_buf *b, size_t max) {
    return eqm_utf8_cut(b->data, b->len, max);
}

static json_t *slack_body(const json_t *a) {
    struct facts f;
    struct eqm_buf title = {0}, text = {0}, summary = {0}, field = {0};
    json_t *root = NULL, *fields = json_array(), *blocks = NULL, *o;
    bool ok = fields != NULL;

    facts_build(&f, a);
    put_title(&title, a);
    put_slack_escaped(&summary, summary_of(a));
    put_slack_escaped(&text, title.data ? title.data : "");
    eqm_buf_printf(&text, ": ");
    put_slack_escaped(&text, summary_of(a));
    if (!ok || !facts_ok(&f) || !eqm_buf_ok(&title) || !eqm_buf_ok(&summary) || !eqm_buf_ok(&text))
        goto out;
    for (int i = 0; i < f.n && i < SLACK_FIELDS_MAX && ok; i++) {
        eqm_buf_reset(&field);
        eqm_buf_printf(&field, "*%s*\n", f.title[i]);
        put_slack_escaped(&field, f.text[i].data);
        o = json_pack("{s:s}", "type", "mrkdwn");
        ok =
            eqm_buf_ok(&field) && o && set_str(o, "text", field.data, cut(&field, SLACK_FIELD_MAX));
        ok = json_array_append_new(fields, o) == 0 && ok;
    }
    if (!ok)
        goto out;
    /* The header is plain text (no escaping there); the top-level text is
     * what notifications and clients without blocks show. */
    o = json_pack("{s:s, s:b}", "type", "plain_text", "emoji", 0);
    if (o && !set_str(o, "text", title.data, cut(&title, SLACK_HEADER_MAX)))
        json_decref(o), o = NULL;
    if (!o || !(blocks = json_pack("[{s:s, s:o}]", "type", "header", "text", o)))
        goto out;
    o = json_pack("{s:s}", "type", "mrkdwn");
    if (o && !set_str(o, "text", summary.data, cut(&summary, SLACK_TEXT_MAX)))
        json_decref(o), o = NULL;
    if (!o ||
        json_array_append_new(blocks, json_pack("{s:s, s:o}", "type", "section", "text", o)) ||
        json_array_append_new(blocks, json_pack("{s:s, s:O}", "type", "section", "fields", fields)))
        goto out;
    root = json_object();
    if (!root || !set_str(root, "text", text.data, cut(&text, SLACK_TEXT_MAX)) ||
        json_object_set(root, "blocks", blocks) != 0) {
        json_decref(root);
        root = NULL;
    }
out:
    json_decref(blocks);
    json_decref(fields);
    facts_free(&f);
    eqm_buf_free(&title);
    eqm_buf_free(&text);
    eqm_buf_free(&summary);
    eqm_buf_free(&field);
    return root;
}

char *eqm_webhook_body(enum eqm_webhook_shape shape, const json_t *alert) {
    json_t *root;
    char *text;

    if (!alert)
        return NULL;
    switch (shape) {
    case EQM_WEBHOOK_TEAMS:
        root = teams_body(alert);
        break;
    case EQM_WEBHOOK_SLACK:
        root = slack_body(alert);
        break;
    default:
        /* The message as it came off the topic, keys in their order. */
        return json_dumps(alert, JSON_COMPACT);
    }
    if (!root)
        return NULL;
    text = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    return text;
}

/* ---- the POST ---------------------------------------------------------------- */

/* What the reply callbacks keep: the start of the body and Retry-After. */
struct reply {
    char body[EQM_WEBHOOK_DETAIL_BODY * 2];
    size_t body_len;
    char retry_after[64];
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg) {
    struct reply *r = arg;
    size_t n = size * nmemb, room = sizeof(r->body) - r->body_len;

    /* The rest is read and dropped, so a long body is no error. */
    memcpy(r->body + r->body_len, data, n < room ? n : room);
    r->body_len += n < room ? n : room;
    return n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *arg) {
    static const char name[] = "retry-after:";
    struct reply *r = arg;
    size_t n = size * nmemb, len;

    /* A status line starts a new response (after a 100 Continue): only the
     * final response's headers count. */
    if (n >= 5 && memcmp(data, "HTTP/", 5) == 0) {
        r->retry_after[0] = '\0';
    } else if (n > sizeof(name) - 1 && strncasecmp(data, name, sizeof(name) - 1) == 0) {
        data += sizeof(name) - 1;
        len = n - (sizeof(name) - 1);
        while (len > 0 && (data[len - 1] == '\r' || data[len - 1] == '\n'))
            len--;
        /* Too long to be a valid value: kept as "" and so ignored. */
        if (len < sizeof(r->retry_after)) {
            memcpy(r->retry_after, data, len);
            r->retry_after[len] = '\0';
        } else {
            r->retry_after[0] = '\0';
        }
    }
    return n;
}

/* The parts of the URL that may be secret (user information, path,
 * query, fragment: a Slack or Teams webhook URL carries its key in the
 * path or the query; and the user information as the Basic credentials
 * curl sends, which a server may quote back), and the scheme://host[:port]
 * that is safe to show. */
#define URL_SECRETS 6
struct url_parts {
    char *secret[URL_SECRETS];
    char shown[300];
};

/* "user:password" in base64, as in an Authorization: Basic header;
 * malloc'd, NULL if out of memory. */
static char *basic_credentials(const char *user, const char *password) {
    static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t nu = strlen(user), n = nu + 1 + strlen(password), j = 0;
    unsigned char *in = malloc(n + 1);
    char *out = malloc(4 * ((n + 2) / 3) + 1);

    if (!in || !out) {
        free(in);
        free(out);
        return NULL;
    }
    snprintf((char *)in, n + 1, "%s:%s", user, password);
    for (size_t i = 0; i < n; i += 3) {
        unsigned long v = (unsigned long)in[i] << 16;

        v |= i + 1 < n ? (unsigned long)in[i + 1] << 8 : 0;
        v |= i + 2 < n ? in[i + 2] : 0;
        out[j++] = digits[(v >> 18) & 63];
        out[j++] = digits[(v >> 12) & 63];
        out[j++] = i + 1 < n ? digits[(v >> 6) & 63] : '=';
        out[j++] = i + 2 < n ? digits[v & 63] : '=';
    }
    out[j] = '\0';
    free(in);
    return out;
}

static void url_parts_get(const char *url, struct url_parts *u) {
    static const CURLUPart secret[] = {CURLUPART_USER, CURLUPART_PASSWORD, CURLUPART_PATH,
                                       CURLUPART_QUERY, CURLUPART_FRAGMENT};
    CURLU *h = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL, *user = NULL, *password = NULL;

    memset(u, 0, sizeof(*u));
    snprintf(u->shown, sizeof(u->shown), "the webhook URL");
    if (!h)
        return;
    if (curl_url_set(h, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(h, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(h, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
        if (curl_url_get(h, CURLUPART_PORT, &port, 0) != CURLUE_OK)
            port = NULL;
        snprintf(u->shown, sizeof(u->shown), "%s://%s%s%s", scheme, host, port ? ":" : "",
                 port ? port : "");
        for (size_t i = 0; i < 5; i++) {
            if (curl_url_get(h, secret[i], &u->secret[i], 0) != CURLUE_OK)
                u->secret[i] = NULL;
        }
        if (u->secret[0] && curl_url_get(h, CURLUPART_USER, &user, CURLU_URLDECODE) == CURLUE_OK &&
            curl_url_get(h, CURLUPART_PASSWORD, &password, CURLU_URLDECODE) != CURLUE_OK)
            password = NULL;
        if (user)
            u->secret[5] = basic_credentials(user, password ? password : "");
    }
    curl_free(user);
    curl_free(password);
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(h);
}

static void url_parts_free(struct url_parts *u) {
    for (size_t i = 0; i < 5; i++)
        curl_free(u->secret[i]);
    free(u->secret[5]);
}

/* detail = text made valid UTF-8, one line, cut to fit, and without
 * anything secret. */
static void set_detail(struct eqm_delivery_result *out, const char *text, const struct url_parts *u,
                       const char *url, const char *secret_header) {
    char *d = out->detail;

    eqm_utf8_copy(d, sizeof(out->detail), text, strlen(text));
    for (char *p = d; *p; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
    }
    eqm_secret_redact(d, sizeof(out->detail), url);
    for (size_t i = 0; i < URL_SECRETS; i++) {
        /* A path of "/" says nothing; longer ones may be the key. */
        if (u->secret[i] && strcmp(u->secret[i], "/") != 0)
            eqm_secret_redact(d, sizeof(out->detail), u->secret[i]);
    }
    if (secret_header) {
        const char *value = strchr(secret_header, ':');

        eqm_secret_redact(d, sizeof(out->detail), secret_header);
        if (value) {
            value += strspn(value + 1, " \t") + 1;
            eqm_secret_redact(d, sizeof(out->detail), value);
        }
    }
    /* A redaction may have cut the text inside a character. */
    eqm_utf8_fix(d, sizeof(out->detail));
}

static enum eqm_delivery_outcome classify(long status) {
    if (status >= 200 && status <= 299)
        return EQM_DELIVERY_OK;
    if (status == 408 || status == 429 || (status >= 500 && status <= 599))
        return EQM_DELIVERY_RETRY;
    return EQM_DELIVERY_PERMANENT;
}

static bool has_line_break(const char *s) {
    return s && strpbrk(s, "\r\n") != NULL;
}

/* Appends "<name><value>": 0, 1 if too long, -1 on out of memory. */
static int header_add(struct curl_slist **list, const char *name, const char *value) {
    char line[1024];
    struct curl_slist *l;

    if (snprintf(line, sizeof(line), "%s%s", name, value) >= (int)sizeof(line))
        return 1;
    l = curl_slist_append(*list, line);
    if (!l)
        return -1;
    *list = l;
    return 0;
}

int eqm_webhook_send(const struct eqm_webhook_target *t, const json_t *alert,
                     const char *idempotency_key, struct eqm_delivery_result *out) {
    struct reply *r = NULL;
    struct curl_slist *headers = NULL;
    struct url_parts u = {0};
    char *body = NULL, text[1024], errbuf[CURL_ERROR_SIZE] = "";
    CURL *curl = NULL;
    CURLcode res = CURLE_OK;
    long timeout = t && t->timeout_ms > 0 ? t->timeout_ms : DEFAULT_TIMEOUT_MS, status = 0;
    int rc = -1, h = 0;

    memset(out, 0, sizeof(*out));
    out->outcome = EQM_DELIVERY_RETRY;
    out->retry_after_ms = -1;
    if (!t || !t->url || !alert) {
        out->outcome = EQM_DELIVERY_PERMANENT;
        snprintf(out->detail, sizeof(out->detail), "no webhook URL or no alert");
        return 0;
    }
    url_parts_get(t->url, &u);
    if (has_line_break(idempotency_key) || has_line_break(t->secret_header)) {
        out->outcome = EQM_DELIVERY_PERMANENT;
        snprintf(out->detail, sizeof(out->detail), "a header for %s holds a line break", u.shown);
        rc = 0;
        goto out;
    }
    body = eqm_webhook_body(t->shape, alert);
    r = calloc(1, sizeof(*r));
    curl = curl_easy_init();
    if (!body || !r || !curl)
        goto oom;
    h = header_add(&headers, "Content-Type: ", "application/json");
    /* No "Expect: 100-continue" round trip before a larger body. */
    if (!h)
        h = header_add(&headers, "Expect:", "");
    if (!h && idempotency_key)
        h = header_add(&headers, "Idempotency-Key: ", idempotency_key);
    if (!h && t->secret_header)
        h = header_add(&headers, "", t->secret_header);
    if (h < 0)
        goto oom;
    if (h > 0) {
        out->outcome = EQM_DELIVERY_PERMANENT;
        snprintf(out->detail, sizeof(out->detail), "a header for %s is too long", u.shown);
        rc = 0;
        goto out;
    }

#define SET(opt, val)                                                                              \
    do {                                                                                           \
        if (res == CURLE_OK)                                                                       \
            res = curl_easy_setopt(curl, opt, val);                                                \
    } while (0)
    SET(CURLOPT_URL, t->url);
#if LIBCURL_VERSION_NUM >= 0x075500
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
#else
    SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    SET(CURLOPT_POST, 1L);
    SET(CURLOPT_POSTFIELDS, body);
    SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
    SET(CURLOPT_HTTPHEADER, headers);
    SET(CURLOPT_USERAGENT, "eqm-notify");
    /* Timeouts without signals: the service has threads and its own
     * signal handlers. */
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_CONNECTTIMEOUT_MS, timeout);
    SET(CURLOPT_TIMEOUT_MS, timeout);
    SET(CURLOPT_SSL_VERIFYPEER, 1L);
    SET(CURLOPT_SSL_VERIFYHOST, 2L);
    if (t->ca_file)
        SET(CURLOPT_CAINFO, t->ca_file);
    /* A redirect is not followed: a POST to wherever a server points is
     * not what the target was configured for (it ends PERMANENT). */
    SET(CURLOPT_FOLLOWLOCATION, 0L);
    SET(CURLOPT_ERRORBUFFER, errbuf);
    SET(CURLOPT_WRITEFUNCTION, on_body);
    SET(CURLOPT_WRITEDATA, r);
    SET(CURLOPT_HEADERFUNCTION, on_header);
    SET(CURLOPT_HEADERDATA, r);
#undef SET
    if (res == CURLE_OUT_OF_MEMORY)
        goto oom;
    if (res == CURLE_OK)
        res = curl_easy_perform(curl);
    if (res == CURLE_OUT_OF_MEMORY)
        goto oom;
    if (curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK)
        status = 0;
    out->status = status;
    rc = 0;
    if (res != CURLE_OK) {
        /* No complete reply: the receiver may be down, slow or behind a
         * broken certificate, all of which can mend; a URL curl cannot use
         * never will. */
        out->outcome = res == CURLE_URL_MALFORMAT || res == CURLE_UNSUPPORTED_PROTOCOL
                           ? EQM_DELIVERY_PERMANENT
                           : EQM_DELIVERY_RETRY;
        snprintf(text, sizeof(text), "POST to %s failed: %s", u.shown,
                 errbuf[0] ? errbuf : curl_easy_strerror(res));
        set_detail(out, text, &u, t->url, t->secret_header);
        goto out;
    }
    out->outcome = classify(status);
    if (status == 429 || status == 503)
        out->retry_after_ms = eqm_retry_after_parse(r->retry_after, (int64_t)time(NULL));
    {
        char excerpt[EQM_WEBHOOK_DETAIL_BODY + 1];

        eqm_utf8_copy(excerpt, sizeof(excerpt), r->body, r->body_len);
        snprintf(text, sizeof(text), "HTTP %ld from %s%s%s", status, u.shown,
                 excerpt[0] ? ": " : "", excerpt);
    }
    set_detail(out, text, &u, t->url, t->secret_header);
    goto out;

oom:
    rc = -1;
    out->outcome = EQM_DELIVERY_RETRY;
    snprintf(out->detail, sizeof(out->detail), "out of memory");
out:
    curl_easy_cleanup(curl);
    curl_slist_free_all(headers);
    url_parts_free(&u);
    free(r);
    free(body);
    return rc;
}
