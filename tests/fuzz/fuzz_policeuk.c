/*
 * fuzz_policeuk.c - any bytes as a police.uk CSV file: the CSV reader and
 * the converter never crash, and every row the converter turns into an
 * event is one the consumer accepts (eqm_message_parse() and the
 * stop-search handler), since a row that converts and is then refused
 * would be a dead letter the replay had said was fine.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eqm/envelope.h"
#include "eqm/sink.h"
#include "eqm/timeutil.h"
#include "eqm/tools/csv.h"
#include "eqm/tools/policeuk.h"
#include "stop_search.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A fixed "now" well after any accepted date (9999-12-30): no event is in
 * the future. */
#define NOW_US ((int64_t)EQM_TIME_LAST_DAY * 86400 * 1000000)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static struct eqm_sink *sink;
    struct eqm_csv_reader *r = NULL;
    struct eqm_policeuk_columns cols;
    const char *const *f;
    char errstr[512], id[EQM_POLICEUK_EVENT_ID_SIZE];
    size_t n;
    FILE *fp;

    if (!sink) {
        if (eqm_time_set_zone("Europe/London", errstr, sizeof(errstr)) != 0 ||
            !(sink = eqm_sink_collect_new(eqm_stop_search_service.tables,
                                          eqm_stop_search_service.n_tables)))
            abort();
    }
    if (size == 0 || !(fp = fmemopen((void *)data, size, "r")))
        return 0;
    if (eqm_csv_reader_new(&r, fp) != 0)
        abort();
    if (eqm_csv_reader_next(r, &f, &n) == 1 &&
        eqm_policeuk_header_check(f, n, &cols, errstr, sizeof(errstr)) == 0) {
        unsigned row = 0;
        int rc;
        while ((rc = eqm_csv_reader_next(r, &f, &n)) != 0 && row < 200) {
            json_t *ev, *parsed = NULL;
            struct eqm_envelope env;
            struct eqm_reject rej = {0};
            char *text;
            if (rc < 0)
                continue;
            snprintf(id, sizeof(id), "pu-%032u", ++row);
            if (!(ev = eqm_policeuk_row_to_event(&cols, f, n, "E07000008", id, errstr,
                                                 sizeof(errstr))))
                continue;
            if (!(text = json_dumps(ev, EQM_POLICEUK_JSON_FLAGS)))
                abort();
            if (eqm_message_parse(text, strlen(text), 1000000, NOW_US, 0, &parsed, &env, &rej) !=
                0) {
                fprintf(stderr, "converted row refused: %s: %s\n%s\n", rej.code, rej.reason, text);
                abort();
            }
            eqm_sink_collect_reset(sink);
            if (eqm_stop_search_service.handle(&env, parsed, "force", sink, &rej) != 0) {
                fprintf(stderr, "converted row refused by the handler: %s: %s\n%s\n", rej.code,
                        rej.reason, text);
                abort();
            }
            json_decref(parsed);
            json_decref(ev);
            free(text);
        }
    }
    eqm_csv_reader_free(&r);
    fclose(fp);
    return 0;
}
