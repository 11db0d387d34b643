/* Validation of the fields every event has (CONTRACT.md "Events in"). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "eqm/envelope.h"
#include "eqm/fastjson.h"
#include "eqm/timeutil.h"
#include "eqm/utf8.h"

__attribute__((format(printf, 3, 4))) static void reject(struct eqm_reject *rej, const char *code,
                                                         const char *fmt, ...) {
    va_list ap;
    rej->code = code;
    va_start(ap, fmt);
    vsnprintf(rej->reason, sizeof(rej->reason), fmt, ap);
    va_end(ap);
}

/* A required string field of 1..max characters, not blank. */
static int required_string(const json_t *event, const char *field, size_t max, const char **out,
                           struct eqm_reject *rej, const char *missing_code, const char *bad_code) {
    const json_t *v = json_object_get(event, field);
    size_t len;
    const char *s;

    if (!v || json_is_null(v)) {
        reject(rej, missing_code, "required field \"%s\" is missing", field);
        return -1;
    }
    if (!json_is_string(v)) {
        reject(rej, bad_code, "field \"%s\" must be a string", field);
        return -1;
    }
    s = json_string_value(v);
    len = json_string_length(v);
    if (len == 0 || eqm_utf8_blank(s, len)) {
        reject(rej, missing_code, "required field \"%s\" is blank", field);
        return -1;
    }
    if (eqm_utf8_chars(s, len) > max) {
        rej->code = bad_code;
        snprintf(rej->reason, sizeof(rej->reason),
                 "field \"%s\" is %zu characters long (at most %zu)", field, eqm_utf8_chars(s, len),
                 max);
        return -1;
    }
    *out = s;
    return 0;
}

int eqm_envelope_parse(const json_t *event, int64_t now_us, long max_future_skew_s,
                       struct eqm_envelope *env, struct eqm_reject *rej) {
    const char *when;
    const json_t *v;

    if (!json_is_object(event)) {
        reject(rej, "not_object", "an event must be a JSON object, not %s",
               json_is_array(event)    ? "an array"
               : json_is_string(event) ? "a string"
                                       : "a scalar");
        return -1;
    }
    if (required_string(event, "event_id", EQM_EVENT_ID_MAX, &env->event_id, rej,
                        "missing_event_id", "bad_event_id") != 0)
        return -1;
    if (required_string(event, "event_type", 64, &env->event_type, rej, "missing_event_type",
                        "bad_event_type") != 0)
        return -1;
    if (required_string(event, "area", EQM_AREA_MAX, &env->area, rej, "missing_area", "bad_area") !=
        0)
        return -1;
    if (required_string(event, "occurred_at", EQM_OCCURRED_AT_MAX, &when, rej,
                        "missing_occurred_at", "bad_occurred_at") != 0)
        return -1;
    v = json_object_get(event, "occurred_at");
    if (eqm_time_parse_rfc3339(when, json_string_length(v), &env->occurred_us) != 0) {
        reject(rej, "bad_occurred_at",
               "occurred_at \"%.64s\" is not an RFC 3339 date-time with an offset "
               "(e.g. 2025-07-01T03:40:00+01:00)",
               when);
        return -1;
    }
    if (max_future_skew_s > 0 && env->occurred_us > now_us + (int64_t)max_future_skew_s * 1000000) {
        reject(rej, "occurred_at_in_future",
               "occurred_at \"%.64s\" is in the future; check the sending system's clock", when);
        return -1;
    }
    env->day = eqm_time_local_day(env->occurred_us);
    return 0;
}

int eqm_message_parse(const char *payload, size_t len, long max_message_bytes, int64_t now_us,
                      long max_future_skew_s, json_t **event, struct eqm_envelope *env,
                      struct eqm_reject *rej) {
    json_error_t jerr;
    json_t *root;

    *event = NULL;
    if (max_message_bytes > 0 && len > (size_t)max_message_bytes) {
        rej->code = "oversized";
        snprintf(rej->reason, sizeof(rej->reason),
                 "message is %zu bytes, more than the %ld allowed (max.message.bytes)", len,
                 max_message_bytes);
        return -1;
    }
    if (!payload || len == 0) {
        rej->code = "empty";
        snprintf(rej->reason, sizeof(rej->reason), "message has no value");
        return -1;
    }
    /* jansson rejects invalid UTF-8 and NUL in strings, so every string
     * that reaches PostgreSQL is valid text. */
    /* DECODE_ANY: a bare string or number is JSON, just not an event, and
     * the reason should say so. */
    /* Flat ASCII objects (nearly every event) take the fast path, which
     * declines anything jansson might judge differently. */
    root = eqm_fastjson_flat_object(payload, len);
    if (!root)
        root = json_loadb(payload, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (!root) {
        rej->code = "not_json";
        snprintf(rej->reason, sizeof(rej->reason), "not valid JSON: %s at line %d column %d",
                 jerr.text, jerr.line, jerr.column);
        return -1;
    }
    if (eqm_envelope_parse(root, now_us, max_future_skew_s, env, rej) != 0) {
        json_decref(root);
        return -1;
    }
    *event = root;
    return 0;
}

void eqm_reject_clean(struct eqm_reject *rej) {
    eqm_utf8_fix(rej->reason, sizeof(rej->reason));
    if (!rej->code)
        rej->code = "rejected";
}
