/*
 * The subscription file of eqm-notify (format in subs.h). Every mistake
 * is refused with the line it is on, so an operator fixes the file before
 * an alert goes astray; nothing in it is ignored silently.
 */
#include "subs.h"

#include "eqm/secret.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_TOKENS   16
#define MAX_LINE     4096
#define MAX_FILE     (4 * 1024 * 1024)
#define MAX_SUBS     100000
#define MAX_NAME_LEN 200

static const char *const severity_names[] = {"info", "warning", "critical"};
static const char *const weekday_names[] = {"monday", "tuesday",  "wednesday", "thursday",
                                            "friday", "saturday", "sunday"};

int eqm_severity_parse(const char *s, enum eqm_severity *out) {
    for (int i = 0; i < 3; i++) {
        if (strcmp(s, severity_names[i]) == 0) {
            *out = (enum eqm_severity)i;
            return 0;
        }
    }
    return -1;
}

const char *eqm_sub_channel_name(enum eqm_sub_channel c) {
    return c == EQM_SUB_EMAIL ? "email" : "webhook";
}

static const char *const shape_names[] = {"generic", "teams", "slack"};

const char *eqm_sub_shape_name(enum eqm_sub_shape s) {
    return shape_names[s];
}

static int parse_shape(const char *v, enum eqm_sub_shape *out) {
    for (int i = 0; i < 3; i++) {
        if (strcmp(v, shape_names[i]) == 0) {
            *out = (enum eqm_sub_shape)i;
            return 0;
        }
    }
    return -1;
}

static void sub_clear(struct eqm_sub *s) {
    free(s->audience);
    free(s->id);
    free(s->target);
    free(s->secret_header);
    memset(s, 0, sizeof(*s));
}

void eqm_subs_free(struct eqm_subs *subs) {
    if (!subs)
        return;
    for (size_t i = 0; i < subs->n; i++)
        sub_clear(&subs->items[i]);
    free(subs->items);
    subs->items = NULL;
    subs->n = 0;
}

/* Splits line into tokens, in place: whitespace separates, double quotes
 * group (with \" and \\ inside). Returns the count, or -1 with why. */
static int tokenize(char *line, char **tok, const char **why) {
    int n = 0;
    char *r = line, *w = line;

    for (;;) {
        bool quoted = false, any = false;
        while (*r == ' ' || *r == '\t')
            r++;
        if (!*r || *r == '#')
            break;
        if (n == MAX_TOKENS) {
            *why = "too many fields";
            return -1;
        }
        tok[n] = w;
        while (*r && (quoted || (*r != ' ' && *r != '\t'))) {
            if (*r == '"') {
                quoted = !quoted;
                any = true;
                r++;
                continue;
            }
            if (quoted && *r == '\\' && (r[1] == '"' || r[1] == '\\'))
                r++;
            *w++ = *r++;
            any = true;
        }
        if (quoted) {
            *why = "a double quote is not closed";
            return -1;
        }
        if (*r)
            r++;
        *w++ = '\0';
        (void)any;
        n++;
    }
    return n;
}

static bool name_ok(const char *s) {
    size_t n = strlen(s);
    if (n == 0 || n > MAX_NAME_LEN)
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.')
            return false;
    return true;
}

/* A plain address: local@domain, printable ASCII, nothing a header or an
 * SMTP command could be bent by. */
static bool address_ok(const char *s) {
    const char *at = strchr(s, '@');
    size_t n = strlen(s);

    if (!at || at == s || !at[1] || strchr(at + 1, '@') || n > 254)
        return false;
    if (!strchr(at + 1, '.') || at[1] == '.' || s[n - 1] == '.')
        return false;
    for (; *s; s++)
        if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f || strchr("<>()[],;:\"\\", *s))
            return false;
    return true;
}

static bool url_ok(const char *s) {
    const char *host;
    if (strncmp(s, "https://", 8) == 0)
        host = s + 8;
    else if (strncmp(s, "http://", 7) == 0)
        host = s + 7;
    else
        return false;
    if (!*host || *host == '/' || strlen(s) > 2000)
        return false;
    for (; *s; s++)
        if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f)
            return false;
    return true;
}

/* "Name: value", one line, a token name. */
static bool header_ok(const char *s) {
    const char *colon = strchr(s, ':');
    if (!colon || colon == s || !colon[1])
        return false;
    for (const char *p = s; p < colon; p++)
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
            return false;
    for (const char *p = colon + 1; *p; p++)
        if ((unsigned char)*p < ' ' || *p == 0x7f)
            return false;
    return true;
}

static int parse_time(const char *s, int *h, int *m) {
    if (strlen(s) != 5 || !isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) ||
        s[2] != ':' || !isdigit((unsigned char)s[3]) || !isdigit((unsigned char)s[4]))
        return -1;
    *h = (s[0] - '0') * 10 + (s[1] - '0');
    *m = (s[3] - '0') * 10 + (s[4] - '0');
    return *h < 24 && *m < 60 ? 0 : -1;
}

/* mode=...: "immediate", or a digest spec. Returns 0, or -1 with why. */
static int parse_mode(struct eqm_sub *sub, const char *v, char *why, size_t sz) {
    char buf[128], *w[6];
    int n = 0;
    char *save = NULL;

    if (strcmp(v, "immediate") == 0) {
        sub->mode = EQM_SUB_IMMEDIATE;
        return 0;
    }
    if (strlen(v) >= sizeof(buf))
        goto bad;
    strcpy(buf, v);
    for (char *t = strtok_r(buf, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
        if (n == 5)
            goto bad;
        w[n++] = t;
    }
    if (n == 3 && strcmp(w[0], "daily") == 0 && strcmp(w[1], "at") == 0) {
        sub->mode = EQM_SUB_DAILY;
        if (parse_time(w[2], &sub->digest_hour, &sub->digest_minute) != 0)
            goto bad_time;
        return 0;
    }
    if (n == 4 && strcmp(w[0], "weekly") == 0 && strcmp(w[2], "at") == 0) {
        sub->mode = EQM_SUB_WEEKLY;
        sub->digest_day = -1;
        for (int i = 0; i < 7; i++)
            if (strcasecmp(w[1], weekday_names[i]) == 0)
                sub->digest_day = i;
        if (sub->digest_day < 0) {
            snprintf(why, sz, "mode \"%s\": \"%s\" is not a weekday (monday .. sunday)", v, w[1]);
            return -1;
        }
        if (parse_time(w[3], &sub->digest_hour, &sub->digest_minute) != 0)
            goto bad_time;
        return 0;
    }
    if (n == 4 && strcmp(w[0], "monthly") == 0 && strcmp(w[2], "at") == 0) {
        char *end;
        long d;
        errno = 0;
        d = strtol(w[1], &end, 10);
        if (errno || *end || d < 1 || d > 28) {
            snprintf(why, sz, "mode \"%s\": the day must be 1 to 28 (every month has it)", v);
            return -1;
        }
        sub->mode = EQM_SUB_MONTHLY;
        sub->digest_day = (int)d;
        if (parse_time(w[3], &sub->digest_hour, &sub->digest_minute) != 0)
            goto bad_time;
        return 0;
    }
bad:
    snprintf(why, sz,
             "mode \"%.60s\" must be immediate, \"daily at HH:MM\", \"weekly WEEKDAY at HH:MM\" or "
             "\"monthly DAY at HH:MM\"",
             v);
    return -1;
bad_time:
    snprintf(why, sz, "mode \"%.60s\": the time must be HH:MM, 00:00 to 23:59", v);
    return -1;
}

/* One line's fields into *sub. Returns 0, or -1 with why. */
static int parse_fields(struct eqm_sub *sub, char **tok, int n, char *why, size_t sz) {
    bool have_shape = false, have_min = false, have_mode = false, have_secret = false;

    if (n < 4) {
        snprintf(why, sz, "expected AUDIENCE ID CHANNEL TARGET [key=value ...], found %d field%s",
                 n, n == 1 ? "" : "s");
        return -1;
    }
    if (!name_ok(tok[0])) {
        snprintf(why, sz, "audience \"%.60s\" must be letters, digits, '-', '_' or '.'", tok[0]);
        return -1;
    }
    if (!name_ok(tok[1])) {
        snprintf(why, sz, "id \"%.60s\" must be letters, digits, '-', '_' or '.'", tok[1]);
        return -1;
    }
    if (strcmp(tok[2], "email") == 0) {
        sub->channel = EQM_SUB_EMAIL;
        if (!address_ok(tok[3])) {
            snprintf(why, sz, "\"%.80s\" is not an e-mail address (local@domain)", tok[3]);
            return -1;
        }
    } else if (strcmp(tok[2], "webhook") == 0) {
        sub->channel = EQM_SUB_WEBHOOK;
        if (!url_ok(tok[3])) {
            snprintf(why, sz, "webhook target must be an http:// or https:// URL");
            return -1;
        }
    } else {
        snprintf(why, sz, "channel \"%.40s\" must be email or webhook", tok[2]);
        return -1;
    }
    if (!(sub->audience = strdup(tok[0])) || !(sub->id = strdup(tok[1])) ||
        !(sub->target = strdup(tok[3]))) {
        snprintf(why, sz, "out of memory");
        return -1;
    }
    for (int i = 4; i < n; i++) {
        char *eq = strchr(tok[i], '=');
        const char *k = tok[i], *v;
        if (!eq || eq == tok[i]) {
            snprintf(why, sz, "\"%.60s\" must be key=value", tok[i]);
            return -1;
        }
        *eq = '\0';
        v = eq + 1;
        if (strcmp(k, "min") == 0 && !have_min) {
            have_min = true;
            if (eqm_severity_parse(v, &sub->min_severity) != 0) {
                snprintf(why, sz, "min=%.40s: the severity must be info, warning or critical", v);
                return -1;
            }
        } else if (strcmp(k, "mode") == 0 && !have_mode) {
            have_mode = true;
            if (parse_mode(sub, v, why, sz) != 0)
                return -1;
        } else if (strcmp(k, "shape") == 0 && !have_shape && sub->channel == EQM_SUB_WEBHOOK) {
            have_shape = true;
            if (parse_shape(v, &sub->shape) != 0) {
                snprintf(why, sz, "shape=%.40s must be generic, teams or slack", v);
                return -1;
            }
        } else if (strcmp(k, "secret") == 0 && !have_secret && sub->channel == EQM_SUB_WEBHOOK) {
            have_secret = true;
            /* The value is a secret: never repeated in an error. */
            if (!header_ok(v)) {
                snprintf(why, sz, "secret must be one header line \"Name: value\"");
                return -1;
            }
            if (!(sub->secret_header = strdup(v))) {
                snprintf(why, sz, "out of memory");
                return -1;
            }
        } else if (strcmp(k, "secret_file") == 0 && !have_secret &&
                   sub->channel == EQM_SUB_WEBHOOK) {
            /* The header from a file only its owner may read
             * (eqm/secret.h): the subscription file need not be secret. */
            char *h = NULL, ferr[300];
            have_secret = true;
            if (eqm_secret_file_read(v, &h, ferr, sizeof(ferr)) != 0) {
                snprintf(why, sz, "secret_file: %.250s", ferr);
                return -1;
            }
            if (!header_ok(h)) {
                memset(h, 0, strlen(h));
                free(h);
                snprintf(why, sz, "secret_file %.200s must hold one header line \"Name: value\"",
                         v);
                return -1;
            }
            sub->secret_header = h;
        } else if ((strcmp(k, "min") == 0 && have_min) || (strcmp(k, "mode") == 0 && have_mode) ||
                   (strcmp(k, "shape") == 0 && have_shape) ||
                   ((strcmp(k, "secret") == 0 || strcmp(k, "secret_file") == 0) && have_secret)) {
            snprintf(why, sz, "%s is given twice",
                     strcmp(k, "secret_file") == 0 ? "secret (or secret_file)" : k);
            return -1;
        } else if (strcmp(k, "shape") == 0 || strcmp(k, "secret") == 0 ||
                   strcmp(k, "secret_file") == 0) {
            snprintf(why, sz, "%s applies to webhook subscribers only", k);
            return -1;
        } else {
            snprintf(why, sz, "unknown key \"%.40s\" (min, mode, shape, secret, secret_file)", k);
            return -1;
        }
    }
    return 0;
}

int eqm_subs_parse(struct eqm_subs *out, const char *text, const char *name, char *errstr,
                   size_t sz) {
    struct eqm_subs subs = {0};
    size_t cap = 0;
    int lineno = 0;
    const char *p = text;
    char line[MAX_LINE + 1], why[300];

    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char *tok[MAX_TOKENS];
        const char *twhy = NULL;
        struct eqm_sub sub = {0};
        int n;

        lineno++;
        if (len > MAX_LINE) {
            snprintf(errstr, sz, "%s:%d: line longer than %d bytes", name, lineno, MAX_LINE);
            goto fail;
        }
        memcpy(line, p, len);
        line[len] = '\0';
        if (len && line[len - 1] == '\r')
            line[--len] = '\0';
        p = nl ? nl + 1 : p + len;
        if (memchr(line, '\0', len) != NULL || strlen(line) != len) {
            snprintf(errstr, sz, "%s:%d: NUL byte in line", name, lineno);
            goto fail;
        }
        n = tokenize(line, tok, &twhy);
        if (n < 0) {
            snprintf(errstr, sz, "%s:%d: %s", name, lineno, twhy);
            goto fail;
        }
        if (n == 0)
            continue;
        sub.line = lineno;
        if (parse_fields(&sub, tok, n, why, sizeof(why)) != 0) {
            sub_clear(&sub);
            snprintf(errstr, sz, "%s:%d: %s", name, lineno, why);
            goto fail;
        }
        for (size_t i = 0; i < subs.n; i++) {
            if (strcmp(subs.items[i].audience, sub.audience) == 0 &&
                strcmp(subs.items[i].id, sub.id) == 0) {
                snprintf(errstr, sz, "%s:%d: id \"%s\" is already a subscriber of %s (line %d)",
                         name, lineno, sub.id, sub.audience, subs.items[i].line);
                sub_clear(&sub);
                goto fail;
            }
        }
        if (subs.n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            struct eqm_sub *ni;
            if (ncap > MAX_SUBS || !(ni = realloc(subs.items, ncap * sizeof(*ni)))) {
                sub_clear(&sub);
                snprintf(errstr, sz, "%s:%d: too many subscribers", name, lineno);
                goto fail;
            }
            subs.items = ni;
            cap = ncap;
        }
        subs.items[subs.n++] = sub;
    }
    *out = subs;
    return 0;
fail:
    eqm_subs_free(&subs);
    return -1;
}

int eqm_subs_load(struct eqm_subs *out, const char *path, char *errstr, size_t sz) {
    FILE *f = fopen(path, "rb");
    char *text = NULL;
    size_t len = 0;
    int rc = -1;

    if (!f) {
        snprintf(errstr, sz, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (!(text = malloc(MAX_FILE + 1))) {
        snprintf(errstr, sz, "%s: out of memory", path);
        goto out;
    }
    len = fread(text, 1, MAX_FILE + 1, f);
    if (ferror(f)) {
        snprintf(errstr, sz, "%s: read error", path);
        goto out;
    }
    if (len > MAX_FILE) {
        snprintf(errstr, sz, "%s: larger than %d bytes", path, MAX_FILE);
        goto out;
    }
    text[len] = '\0';
    if (strlen(text) != len) {
        /* Report the line of the NUL, as a parse error would. */
        int lineno = 1;
        for (size_t i = 0; i < len && text[i]; i++)
            lineno += text[i] == '\n';
        snprintf(errstr, sz, "%s:%d: NUL byte in line", path, lineno);
        goto out;
    }
    rc = eqm_subs_parse(out, text, path, errstr, sz);
out:
    free(text);
    fclose(f);
    return rc;
}

bool eqm_sub_matches(const struct eqm_sub *sub, const char *audience, const char *severity) {
    enum eqm_severity sev;

    if (sub->mode != EQM_SUB_IMMEDIATE || strcmp(sub->audience, audience) != 0)
        return false;
    if (!severity || eqm_severity_parse(severity, &sev) != 0)
        sev = EQM_SEVERITY_CRITICAL;
    return sev >= sub->min_severity;
}

const struct eqm_sub *eqm_subs_find(const struct eqm_subs *subs, const char *audience,
                                    const char *id) {
    for (size_t i = 0; i < subs->n; i++)
        if (strcmp(subs->items[i].audience, audience) == 0 && strcmp(subs->items[i].id, id) == 0)
            return &subs->items[i];
    return NULL;
}

size_t eqm_subs_count(const struct eqm_subs *subs, const char *audience) {
    size_t n = 0;
    for (size_t i = 0; i < subs->n; i++)
        n += strcmp(subs->items[i].audience, audience) == 0;
    return n;
}

void eqm_notify_mask(const char *target, char *out, size_t size) {
    const char *at = strchr(target, '@');
    const char *scheme = strstr(target, "://");

    if (size == 0)
        return;
    if (scheme) {
        const char *host = scheme + 3;
        size_t hl = strcspn(host, "/?#@");
        /* user:password@host: show the host only. */
        if (host[hl] == '@') {
            host += hl + 1;
            hl = strcspn(host, "/?#");
        }
        snprintf(out, size, "%.*s://%.*s/***", (int)(scheme - target), target, (int)hl, host);
    } else if (at && at != target) {
        snprintf(out, size, "%c***%s", target[0], at);
    } else {
        snprintf(out, size, "***");
    }
}
