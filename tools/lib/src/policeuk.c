/*
 * policeuk.c - police.uk stop-and-search rows as stop_search events.
 *
 * A row is refused, not patched, when a value fits no known form: the
 * contract asks that real rows convert without loss, so a value we do not
 * understand means the format moved and a person should look (the replay
 * tool reports FILE:LINE: reason and goes on with the other rows).
 */
#include "eqm/tools/policeuk.h"

#include <ctype.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "eqm/service.h"
#include "eqm/timeutil.h"

#define AREA_MAX     64
#define EVENT_ID_MAX 128

enum kind { TEXT, DATE, BOOL, NUMBER };

struct column {
    const char *header; /* police.uk CSV header */
    const char *key;    /* event field (API name) */
    enum kind kind;
    double min, max; /* NUMBER range */
};

/* Indexed by enum eqm_policeuk_col. */
static const struct column columns[EQM_PU__COUNT] = {
    [EQM_PU_TYPE] = {"Type", "type", TEXT, 0, 0},
    [EQM_PU_DATE] = {"Date", "occurred_at", DATE, 0, 0},
    [EQM_PU_OPERATION] = {"Part of a policing operation", "operation", BOOL, 0, 0},
    [EQM_PU_OPERATION_NAME] = {"Policing operation", "operation_name", TEXT, 0, 0},
    [EQM_PU_LATITUDE] = {"Latitude", "latitude", NUMBER, -90, 90},
    [EQM_PU_LONGITUDE] = {"Longitude", "longitude", NUMBER, -180, 180},
    [EQM_PU_GENDER] = {"Gender", "gender", TEXT, 0, 0},
    [EQM_PU_AGE_RANGE] = {"Age range", "age_range", TEXT, 0, 0},
    [EQM_PU_SELF_DEFINED_ETHNICITY] = {"Self-defined ethnicity", "self_defined_ethnicity", TEXT, 0,
                                       0},
    [EQM_PU_OFFICER_DEFINED_ETHNICITY] = {"Officer-defined ethnicity", "officer_defined_ethnicity",
                                          TEXT, 0, 0},
    [EQM_PU_LEGISLATION] = {"Legislation", "legislation", TEXT, 0, 0},
    [EQM_PU_OBJECT_OF_SEARCH] = {"Object of search", "object_of_search", TEXT, 0, 0},
    [EQM_PU_OUTCOME] = {"Outcome", "outcome", TEXT, 0, 0},
    [EQM_PU_OUTCOME_LINKED] = {"Outcome linked to object of search",
                               "outcome_linked_to_object_of_search", BOOL, 0, 0},
    [EQM_PU_REMOVAL] = {"Removal of more than just outer clothing",
                        "removal_of_more_than_outer_clothing", BOOL, 0, 0},
};

/* The order of the fields in an event (after event_id and event_type):
 * occurred_at, then area (added after it), then the record as CONTRACT.md
 * lists it. Jansson keeps insertion order when dumping. */
static const enum eqm_policeuk_col event_order[] = {
    EQM_PU_DATE,
    EQM_PU_TYPE,
    EQM_PU_GENDER,
    EQM_PU_AGE_RANGE,
    EQM_PU_SELF_DEFINED_ETHNICITY,
    EQM_PU_OFFICER_DEFINED_ETHNICITY,
    EQM_PU_LEGISLATION,
    EQM_PU_OBJECT_OF_SEARCH,
    EQM_PU_OUTCOME,
    EQM_PU_OUTCOME_LINKED,
    EQM_PU_REMOVAL,
    EQM_PU_OPERATION,
    EQM_PU_OPERATION_NAME,
    EQM_PU_LATITUDE,
    EQM_PU_LONGITUDE,
};

const char *eqm_policeuk_column_name(enum eqm_policeuk_col col) {
    if ((int)col < 0 || col >= EQM_PU__COUNT)
        return NULL;
    return columns[col].header;
}

static bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* The value of s without surrounding white space: *len bytes from the result. */
static const char *trim(const char *s, size_t *len) {
    size_t n = strlen(s);
    while (n && is_space(*s)) {
        s++;
        n--;
    }
    while (n && is_space(s[n - 1]))
        n--;
    *len = n;
    return s;
}

int eqm_policeuk_header_check(const char *const *fields, size_t n,
                              struct eqm_policeuk_columns *cols, char *errstr, size_t sz) {
    struct eqm_policeuk_columns c;

    for (int k = 0; k < EQM_PU__COUNT; k++)
        c.index[k] = -1;
    c.ncols = n;
    for (size_t i = 0; i < n; i++) {
        size_t len;
        const char *name = trim(fields[i], &len);

        for (int k = 0; k < EQM_PU__COUNT; k++) {
            if (strlen(columns[k].header) != len || strncasecmp(name, columns[k].header, len))
                continue;
            if (c.index[k] >= 0) {
                snprintf(errstr, sz, "column \"%s\" appears twice (fields %ld and %zu)",
                         columns[k].header, c.index[k] + 1, i + 1);
                return -1;
            }
            c.index[k] = (long)i;
        }
    }
    if (c.index[EQM_PU_TYPE] < 0 || c.index[EQM_PU_DATE] < 0) {
        snprintf(errstr, sz,
                 "not a police.uk stop-and-search header: no \"%s\" column (the first line "
                 "must name the columns, e.g. Type,Date,...)",
                 columns[c.index[EQM_PU_TYPE] < 0 ? EQM_PU_TYPE : EQM_PU_DATE].header);
        return -1;
    }
    *cols = c;
    return 0;
}

/* Trimmed value of a known column of the row; length 0 if absent or blank. */
static const char *value(const struct eqm_policeuk_columns *cols, const char *const *fields, int k,
                         size_t *len) {
    if (cols->index[k] < 0) {
        *len = 0;
        return "";
    }
    return trim(fields[cols->index[k]], len);
}

static int to_bool(const char *v, size_t len, json_t **out) {
    if (len == 0)
        *out = json_null();
    else if (len == 4 && !strncasecmp(v, "true", 4))
        *out = json_true();
    else if (len == 5 && !strncasecmp(v, "false", 5))
        *out = json_false();
    else
        return -1;
    return 0;
}

/* A plain decimal (sign, digits, point, exponent): strtod alone would also
 * take "nan", "inf" and hex floats. */
static int to_number(const char *v, size_t len, double min, double max, json_t **out) {
    char buf[64];
    char *end;
    double d;

    if (len == 0) {
        *out = json_null();
        return 0;
    }
    if (len >= sizeof(buf))
        return -1;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)v[i];
        if (!isdigit(ch) && ch != '-' && ch != '+' && ch != '.' && ch != 'e' && ch != 'E')
            return -1;
    }
    memcpy(buf, v, len);
    buf[len] = '\0';
    d = strtod(buf, &end);
    if (end != buf + len || !isfinite(d) || d < min || d > max)
        return -1;
    *out = json_real(d);
    return 0;
}

static int check_date(const char *v, size_t len, char *errstr, size_t sz) {
    char buf[40];
    int64_t us;

    if (len == 0) {
        snprintf(errstr, sz, "Date is blank");
        return -1;
    }
    /* The consumer takes an occurred_at of at most this many characters
     * (ASCII, here): a longer one would convert and then be refused. */
    if (len > EQM_OCCURRED_AT_MAX) {
        snprintf(errstr, sz, "Date \"%.40s...\" is %zu characters long (at most %d)", v, len,
                 EQM_OCCURRED_AT_MAX);
        return -1;
    }
    if (eqm_time_parse_rfc3339(v, len, &us) == 0)
        return 0;
    /* Say which: a date-time with no offset is the likely mistake. */
    if (len < sizeof(buf) - 1) {
        memcpy(buf, v, len);
        buf[len] = 'Z';
        if (eqm_time_parse_rfc3339(buf, len + 1, &us) == 0) {
            snprintf(errstr, sz,
                     "Date \"%.*s\" has no UTC offset (need Z or +hh:mm; a local time is not "
                     "guessed)",
                     (int)len, v);
            return -1;
        }
    }
    snprintf(errstr, sz,
             "Date \"%.*s\" is not an RFC 3339 date-time with offset (e.g. "
             "2025-07-01T03:40:00+00:00)",
             (int)(len > 60 ? 60 : len), v);
    return -1;
}

json_t *eqm_policeuk_row_to_event(const struct eqm_policeuk_columns *cols,
                                  const char *const *fields, size_t n, const char *area,
                                  const char *event_id, char *errstr, size_t sz) {
    json_t *ev = NULL;
    size_t len;

    if (n != cols->ncols) {
        snprintf(errstr, sz, "row has %zu fields, the header has %zu", n, cols->ncols);
        return NULL;
    }
    if (!area || !*area || strlen(area) > AREA_MAX) {
        snprintf(errstr, sz, "area must be 1 to %d bytes", AREA_MAX);
        return NULL;
    }
    if (!event_id || !*event_id || strlen(event_id) > EVENT_ID_MAX) {
        snprintf(errstr, sz, "event_id must be 1 to %d bytes", EVENT_ID_MAX);
        return NULL;
    }
    const char *date = value(cols, fields, EQM_PU_DATE, &len);
    if (check_date(date, len, errstr, sz) != 0)
        return NULL;

    ev = json_object();
    if (!ev || json_object_set_new(ev, "event_id", json_string(event_id)) ||
        json_object_set_new(ev, "event_type", json_string("stop_search")))
        goto nomem;
    for (size_t i = 0; i < sizeof(event_order) / sizeof(event_order[0]); i++) {
        int k = (int)event_order[i];
        const char *v = value(cols, fields, k, &len);
        json_t *jv = NULL;

        switch (columns[k].kind) {
        case TEXT:
        case DATE:
            jv = len ? json_stringn(v, len) : json_null();
            if (!jv) {
                snprintf(errstr, sz, "%s is not valid UTF-8", columns[k].header);
                goto fail;
            }
            break;
        case BOOL:
            if (to_bool(v, len, &jv) != 0) {
                snprintf(errstr, sz, "%s \"%.*s\" is not True, False or blank", columns[k].header,
                         (int)(len > 60 ? 60 : len), v);
                goto fail;
            }
            break;
        case NUMBER:
            if (to_number(v, len, columns[k].min, columns[k].max, &jv) != 0) {
                snprintf(errstr, sz, "%s \"%.*s\" is not a number from %g to %g", columns[k].header,
                         (int)(len > 60 ? 60 : len), v, columns[k].min, columns[k].max);
                goto fail;
            }
            break;
        }
        if (json_object_set_new(ev, columns[k].key, jv) != 0)
            goto nomem;
        /* The envelope fields stay together at the front. */
        if (k == EQM_PU_DATE && json_object_set_new(ev, "area", json_string(area)) != 0)
            goto nomem;
    }
    return ev;

nomem:
    snprintf(errstr, sz, "out of memory building the event");
fail:
    json_decref(ev);
    return NULL;
}

size_t eqm_policeuk_row_content(const struct eqm_policeuk_columns *cols, const char *const *fields,
                                size_t n, char *out, size_t size) {
    size_t pos = 0;

    for (int k = 0; k < EQM_PU__COUNT; k++) {
        size_t len = 0;
        const char *v = "";

        if (cols->index[k] >= 0 && (size_t)cols->index[k] < n)
            v = trim(fields[cols->index[k]], &len);
        if (k > 0) {
            if (pos + 1 < size)
                out[pos] = '\x1f';
            pos++;
        }
        for (size_t i = 0; i < len; i++, pos++)
            if (pos + 1 < size)
                out[pos] = v[i];
    }
    if (size)
        out[pos < size ? pos : size - 1] = '\0';
    return pos;
}

#define FNV_PRIME 0x100000001b3ULL

static uint64_t fnv1a(uint64_t h, const char *s, size_t len, unsigned char x) {
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i] ^ x;
        h *= FNV_PRIME;
    }
    return h;
}

/* MurmurHash3's finaliser: every input bit reaches every output bit. */
static uint64_t fmix64(uint64_t k) {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ULL;
    k ^= k >> 33;
    return k;
}

void eqm_policeuk_event_id(const char *area, const char *content, size_t content_len,
                           unsigned occurrence, char out[EQM_POLICEUK_EVENT_ID_SIZE]) {
    uint64_t h1 = 0xcbf29ce484222325ULL, h2 = 0x84222325cbf29ce4ULL;
    char occ[16];
    int occ_len = snprintf(occ, sizeof(occ), "%u", occurrence);
    const char sep = '\x1f';

    /* Hash the parts in sequence: the same as hashing their concatenation. */
    h1 = fnv1a(h1, area, strlen(area), 0);
    h1 = fnv1a(h1, &sep, 1, 0);
    h1 = fnv1a(h1, content, content_len, 0);
    h1 = fnv1a(h1, &sep, 1, 0);
    h1 = fnv1a(h1, occ, (size_t)occ_len, 0);
    h2 = fnv1a(h2, area, strlen(area), 0x5c);
    h2 = fnv1a(h2, &sep, 1, 0x5c);
    h2 = fnv1a(h2, content, content_len, 0x5c);
    h2 = fnv1a(h2, &sep, 1, 0x5c);
    h2 = fnv1a(h2, occ, (size_t)occ_len, 0x5c);
    snprintf(out, EQM_POLICEUK_EVENT_ID_SIZE, "pu-%016llx%016llx", (unsigned long long)fmix64(h1),
             (unsigned long long)fmix64(h2));
}
