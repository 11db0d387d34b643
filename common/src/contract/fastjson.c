#include "eqm/fastjson.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define MAX_KEY    256 /* longer keys take the slow path */
#define MAX_NUMBER 18  /* digits of a number the fast path converts */

struct cursor {
    const char *p, *end;
};

static void skip_ws(struct cursor *c) {
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

/*
 * A string of printable ASCII without escapes: returns its start and length
 * (quotes excluded), or false for anything else (including a backslash or
 * any byte that would need UTF-8 validation).
 */
static bool plain_string(struct cursor *c, const char **s, size_t *n) {
    const char *q;
    if (c->p >= c->end || *c->p != '"')
        return false;
    q = ++c->p;
    while (q < c->end) {
        unsigned char ch = (unsigned char)*q;
        if (ch == '"')
            break;
        if (ch < 0x20 || ch > 0x7e || ch == '\\')
            return false;
        q++;
    }
    if (q >= c->end)
        return false;
    *s = c->p;
    *n = (size_t)(q - c->p);
    c->p = q + 1;
    return true;
}

static bool literal(struct cursor *c, const char *word, size_t n) {
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0)
        return false;
    c->p += n;
    return true;
}

static bool is_digit(char ch) {
    return ch >= '0' && ch <= '9';
}

/* A JSON number without exponent, at most MAX_NUMBER characters. */
static json_t *number(struct cursor *c) {
    const char *start = c->p, *q = c->p;
    char tmp[MAX_NUMBER + 1];
    bool real = false;
    size_t n;

    if (q < c->end && *q == '-')
        q++;
    if (q >= c->end || !is_digit(*q))
        return NULL;
    if (*q == '0') {
        q++;
        if (q < c->end && is_digit(*q))
            return NULL; /* leading zero: jansson says why */
    } else {
        while (q < c->end && is_digit(*q))
            q++;
    }
    if (q < c->end && *q == '.') {
        real = true;
        q++;
        if (q >= c->end || !is_digit(*q))
            return NULL;
        while (q < c->end && is_digit(*q))
            q++;
    }
    if (q < c->end && (*q == 'e' || *q == 'E'))
        return NULL;
    n = (size_t)(q - start);
    if (n > MAX_NUMBER)
        return NULL;
    memcpy(tmp, start, n);
    tmp[n] = '\0';
    c->p = q;
    errno = 0;
    if (real) {
        double v = strtod(tmp, NULL);
        return errno ? NULL : json_real(v);
    }
    long long v = strtoll(tmp, NULL, 10);
    return errno ? NULL : json_integer(v);
}

json_t *eqm_fastjson_flat_object(const char *buf, size_t len) {
    struct cursor c = {buf, buf + len};
    json_t *obj;
    char key[MAX_KEY + 1];

    if (!buf)
        return NULL;
    skip_ws(&c);
    if (c.p >= c.end || *c.p != '{')
        return NULL;
    c.p++;
    if (!(obj = json_object()))
        return NULL;
    skip_ws(&c);
    if (c.p < c.end && *c.p == '}') {
        c.p++;
        goto done;
    }
    for (;;) {
        const char *s;
        size_t n;
        json_t *v;

        skip_ws(&c);
        if (!plain_string(&c, &s, &n) || n > MAX_KEY)
            goto slow;
        memcpy(key, s, n);
        key[n] = '\0';
        skip_ws(&c);
        if (c.p >= c.end || *c.p != ':')
            goto slow;
        c.p++;
        skip_ws(&c);
        if (c.p >= c.end)
            goto slow;
        switch (*c.p) {
        case '"':
            if (!plain_string(&c, &s, &n))
                goto slow;
            v = json_stringn_nocheck(s, n);
            break;
        case 't':
            v = literal(&c, "true", 4) ? json_true() : NULL;
            break;
        case 'f':
            v = literal(&c, "false", 5) ? json_false() : NULL;
            break;
        case 'n':
            v = literal(&c, "null", 4) ? json_null() : NULL;
            break;
        default:
            v = number(&c); /* NULL for objects, arrays and the rest */
            break;
        }
        if (!v)
            goto slow;
        /* A repeated key is an error (JSON_REJECT_DUPLICATES): jansson
         * reports it. */
        if (json_object_get(obj, key) || json_object_set_new_nocheck(obj, key, v) != 0) {
            json_decref(v);
            goto slow;
        }
        skip_ws(&c);
        if (c.p < c.end && *c.p == ',') {
            c.p++;
            continue;
        }
        if (c.p < c.end && *c.p == '}') {
            c.p++;
            break;
        }
        goto slow;
    }
done:
    skip_ws(&c);
    if (c.p != c.end)
        goto slow;
    return obj;
slow:
    json_decref(obj);
    return NULL;
}
