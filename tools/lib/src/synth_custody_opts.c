/*
 * synth_custody_opts.c - the custody generator's options: their defaults
 * and the multiplier specs of `eqm-replay synth custody -m` (see
 * eqm/tools/synth_custody.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eqm/timeutil.h"
#include "eqm/tools/synth_custody.h"

void eqm_synth_custody_defaults(struct eqm_synth_custody_opts *o) {
    memset(o, 0, sizeof(*o));
    o->seed = 1;
    o->events = 1000;
    for (int k = 0; k < EQM_SYNTH_CUSTODY__KINDS; k++)
        for (int g = 0; g < EQM_ETH__COUNT; g++)
            o->multiplier[k][g] = 1.0;
    o->end_day = eqm_time_days_from_civil(2025, 6, 30);
    o->days = 365;
}

/* The broad group named s[0..n) (not not_stated), or -1. */
static int group_of(const char *s, size_t n) {
    for (int g = 0; g < EQM_ETH__COUNT; g++) {
        const char *name = eqm_ethnicity_name((enum eqm_ethnic_group)g);

        if (g != EQM_ETH_NOT_STATED && strlen(name) == n && !strncmp(name, s, n))
            return g;
    }
    return -1;
}

int eqm_synth_custody_multipliers_parse(const char *spec,
                                        double mult[EQM_SYNTH_CUSTODY__KINDS][EQM_ETH__COUNT],
                                        char *errstr, size_t sz) {
    static const char *const kinds[EQM_SYNTH_CUSTODY__KINDS] = {
        "arrest", "use_of_force", "strip_search", "diversion", "taser"};
    const char *p = spec;

    if (!spec || !*spec) {
        snprintf(errstr, sz, "empty multiplier list (expected e.g. black=2.5)");
        return -1;
    }
    for (;;) {
        size_t len = strcspn(p, ",");
        const char *colon = memchr(p, ':', len), *eq = memchr(p, '=', len);
        const char *grp = colon ? colon + 1 : p;
        int kind = -1, g;
        char num[32], *end;
        double x;

        if (!eq || eq < grp) {
            snprintf(errstr, sz, "multiplier \"%.*s\": expected [KIND:]GROUP=NUMBER", (int)len, p);
            return -1;
        }
        if (colon) {
            for (int k = 0; k < EQM_SYNTH_CUSTODY__KINDS; k++)
                if (strlen(kinds[k]) == (size_t)(colon - p) &&
                    !strncmp(kinds[k], p, (size_t)(colon - p)))
                    kind = k;
            if (kind < 0) {
                snprintf(errstr, sz,
                         "multiplier \"%.*s\": unknown kind \"%.*s\" (arrest, use_of_force, "
                         "strip_search, diversion or taser)",
                         (int)len, p, (int)(colon - p), p);
                return -1;
            }
        }
        g = group_of(grp, (size_t)(eq - grp));
        if (g < 0) {
            snprintf(errstr, sz,
                     "multiplier \"%.*s\": unknown group \"%.*s\" (asian, black, mixed, white "
                     "or other)",
                     (int)len, p, (int)(eq - grp), grp);
            return -1;
        }
        snprintf(num, sizeof(num), "%.*s", (int)(p + len - eq - 1), eq + 1);
        x = strtod(num, &end);
        if (!num[0] || *end || !isfinite(x) || x <= 0 || x > 100 ||
            (size_t)(p + len - eq - 1) >= sizeof(num)) {
            snprintf(errstr, sz, "multiplier \"%.*s\": expected a number above 0, at most 100",
                     (int)len, p);
            return -1;
        }
        if (kind >= 0) {
            mult[kind][g] = x;
        } else {
            mult[EQM_SYNTH_CUSTODY_ARREST][g] = x;
            mult[EQM_SYNTH_CUSTODY_USE_OF_FORCE][g] = x;
            mult[EQM_SYNTH_CUSTODY_STRIP_SEARCH][g] = x;
            mult[EQM_SYNTH_CUSTODY_DIVERSION][g] = 1.0 / x;
        }
        if (!p[len])
            return 0;
        p += len + 1;
    }
}
