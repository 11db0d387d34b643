/*
 * fuzz_rules.c - any bytes as an alert rules file, parsed against every
 * service's measure families (services/catalog): an error names the file
 * ("rules.json:..."); a file that parses holds only rules a consumer can
 * judge (a family, a window of 1 to 3660 days, a finite threshold with the
 * clearing level on its safe side, a source among the catalogue's).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "eqm/alert_rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    struct eqm_alert_rules *rules = NULL;
    char errstr[512], *text = malloc(size + 1);

    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    if (eqm_alert_rules_parse(&rules, &eqm_alert_catalog, text, "rules.json", errstr,
                              sizeof(errstr)) != 0) {
        if (rules || strncmp(errstr, "rules.json:", 11) != 0) {
            fprintf(stderr, "bad error: %s\n", errstr);
            abort();
        }
    } else {
        for (int i = 0; i < eqm_alert_rules_total(rules); i++) {
            const struct eqm_alert_rule *r = eqm_alert_rules_get(rules, i);
            bool up = r->cmp == EQM_ALERT_GE || r->cmp == EQM_ALERT_GT;
            if (!r->family || !r->source || r->window_days < 1 || r->window_days > 3660 ||
                !isfinite(r->threshold) || (up ? r->clear > r->threshold : r->clear < r->threshold))
                abort();
        }
        eqm_alert_rules_free(&rules);
    }
    free(text);
    return 0;
}
