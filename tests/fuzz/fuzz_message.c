/*
 * fuzz_message.c - any bytes as a message on any input topic: the
 * consumer's own path (eqm_message_parse(), then each service's handler
 * into a collecting sink), with what the engine relies on checked inside:
 *
 *  - the fast JSON path builds exactly jansson's object, or declines;
 *  - a refusal has a code and, once cleaned as the engine cleans it, a
 *    reason that is valid UTF-8 (it goes to PostgreSQL and into a header);
 *  - an accepted event's day is inside the dates PostgreSQL takes, and
 *    every key part of every row is valid UTF-8 and not empty; a part
 *    that reads as a date (YYYY-MM-DD...) has a year from 1 to 9999;
 *  - a handler returns OK, REJECT or FAILED, and a refused event leaves
 *    no row.
 * A failed check aborts: libFuzzer keeps the input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "custody.h"
#include "eqm/envelope.h"
#include "eqm/fastjson.h"
#include "eqm/sink.h"
#include "eqm/timeutil.h"
#include "eqm/utf8.h"
#include "recruitment.h"
#include "stop_search.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A fixed "now" (2026-01-01T00:00:00Z), so a run is repeatable. */
#define NOW_US (INT64_C(1767225600) * 1000000)

static void check(int ok, const char *what, const char *detail) {
    if (!ok) {
        fprintf(stderr, "fuzz_message: %s: %s\n", what, detail ? detail : "");
        abort();
    }
}

static void check_reject(const struct eqm_reject *rej_in) {
    struct eqm_reject rej = *rej_in;
    eqm_reject_clean(&rej);
    check(rej.code && rej.code[0], "refusal without a code", rej.reason);
    check(eqm_utf8_valid(rej.reason, strlen(rej.reason)), "reason not UTF-8", rej.code);
}

/* "YYYY-MM-DD" at the start of s: its year must be one PostgreSQL takes. */
static void check_date_part(const char *s) {
    size_t n = strlen(s);
    if (n >= 10 && s[4] == '-' && s[7] == '-' && strspn(s, "0123456789") == 4)
        check(strncmp(s, "0000", 4) != 0, "a date part in year 0000", s);
}

static void check_rows(const struct eqm_service *svc, const struct eqm_sink *sink) {
    for (size_t r = 0; r < eqm_sink_collect_rows(sink); r++) {
        const char *const *parts;
        const int64_t *counts;
        int t = eqm_sink_collect_row(sink, r, &parts, &counts);
        check(t >= 0 && t < svc->n_tables, "row of no table", svc->name);
        for (int k = 0; k < svc->tables[t].n_key_columns; k++) {
            check(parts[k][0] != '\0', "an empty key part", svc->tables[t].key_columns[k]);
            check(eqm_utf8_valid(parts[k], strlen(parts[k])), "a key part not UTF-8",
                  svc->tables[t].key_columns[k]);
            check_date_part(parts[k]);
        }
    }
}

static void fast_path_agrees(const char *buf, size_t len) {
    json_t *fast = eqm_fastjson_flat_object(buf, len);
    json_error_t err;
    json_t *slow;
    if (!fast)
        return;
    slow = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err);
    check(slow && json_equal(fast, slow), "fast path differs from jansson", NULL);
    json_decref(fast);
    json_decref(slow);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const struct eqm_service *const services[] = {
        &eqm_stop_search_service, &eqm_custody_service, &eqm_recruitment_service};
    static struct eqm_sink *sinks[3];
    static int ready;
    const char *buf = (const char *)data;
    struct eqm_reject rej = {0};
    struct eqm_envelope env;
    json_t *event = NULL;

    if (!ready) {
        char err[128];
        if (eqm_time_set_zone("Europe/London", err, sizeof(err)) != 0)
            abort();
        for (int i = 0; i < 3; i++)
            if (!(sinks[i] = eqm_sink_collect_new(services[i]->tables, services[i]->n_tables)))
                abort();
        ready = 1;
    }
    fast_path_agrees(buf, size);
    if (eqm_message_parse(buf, size, 1000000, NOW_US, 86400, &event, &env, &rej) != 0) {
        check(event == NULL, "a refused message left an event", NULL);
        check_reject(&rej);
        return 0;
    }
    check(env.day >= EQM_TIME_FIRST_DAY - 1 && env.day <= EQM_TIME_LAST_DAY + 1,
          "a day outside the dates PostgreSQL takes", env.event_id);
    for (int i = 0; i < 3; i++) {
        int rc;
        memset(&rej, 0, sizeof(rej));
        eqm_sink_collect_reset(sinks[i]);
        rc = services[i]->handle(&env, event, "force", sinks[i], &rej);
        check(rc == EQM_HANDLE_OK || rc == EQM_HANDLE_REJECT || rc == EQM_HANDLE_FAILED,
              "a handler's result is none of OK, REJECT, FAILED", services[i]->name);
        if (rc == EQM_HANDLE_REJECT)
            check_reject(&rej);
        else if (rc == EQM_HANDLE_OK)
            check_rows(services[i], sinks[i]);
    }
    json_decref(event);
    return 0;
}
