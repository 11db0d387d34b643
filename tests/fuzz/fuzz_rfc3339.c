/*
 * fuzz_rfc3339.c - eqm_time_parse_rfc3339() on any bytes: an accepted
 * time lies between EQM_TIME_FIRST_DAY and EQM_TIME_LAST_DAY, its local
 * day formats as a real date (YYYY-MM-DD that reads back to the same day),
 * and the date part it was given agrees with the calendar (the day the
 * text names is that instant's UTC day, give or take the offset's one).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eqm/timeutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static int ready;
    int64_t us;
    int32_t utc_day, local, named;
    char out[11];
    int y, m, d;

    if (!ready) {
        char err[128];
        if (eqm_time_set_zone("Europe/London", err, sizeof(err)) != 0)
            abort();
        ready = 1;
    }
    if (eqm_time_parse_rfc3339((const char *)data, size, &us) != 0)
        return 0;
    utc_day = (int32_t)((us >= 0 ? us : us - 86400000000 + 1) / 86400000000);
    if (utc_day < EQM_TIME_FIRST_DAY || utc_day > EQM_TIME_LAST_DAY)
        abort();
    local = eqm_time_local_day(us);
    eqm_time_day_format(local, out);
    if (sscanf(out, "%4d-%2d-%2d", &y, &m, &d) != 3 || y < 1 || y > 9999 ||
        eqm_time_days_from_civil(y, (unsigned)m, (unsigned)d) != local)
        abort();
    /* The text's own date: at most a day from the UTC day (offsets < 24 h). */
    if (sscanf((const char *)data, "%4d-%2d-%2d", &y, &m, &d) == 3) {
        named = eqm_time_days_from_civil(y, (unsigned)m, (unsigned)d);
        if (named - utc_day > 1 || utc_day - named > 1)
            abort();
    }
    return 0;
}
