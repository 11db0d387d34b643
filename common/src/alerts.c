/* Placeholder so the engine links while the alerts module is written: no
 * rules, nothing evaluated. Replaced by the real module (issue 5). */
#include "eqm/alerts.h"

#include <stdlib.h>

struct eqm_alert_rules {
    int n;
};

int eqm_alert_rules_load(struct eqm_alert_rules **out, const char *path, char *errstr,
                         size_t errstr_size) {
    (void)path;
    (void)errstr;
    (void)errstr_size;
    *out = calloc(1, sizeof(**out));
    return *out ? 0 : -1;
}

int eqm_alert_rules_count(const struct eqm_alert_rules *rules, const char *source) {
    (void)source;
    return rules ? rules->n : 0;
}

void eqm_alert_rules_free(struct eqm_alert_rules **rules) {
    if (rules) {
        free(*rules);
        *rules = NULL;
    }
}

int eqm_alerts_evaluate(PGconn *conn, const struct eqm_alert_rules *rules, const char *source,
                        int64_t now_us, char *errstr, size_t errstr_size) {
    (void)conn;
    (void)rules;
    (void)source;
    (void)now_us;
    (void)errstr;
    (void)errstr_size;
    return 0;
}
