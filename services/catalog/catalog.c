/* catalog.c - every service's alert measure families (catalog.h). */
#include "catalog.h"

#include "custody.h"
#include "recruitment.h"
#include "stop_search.h"

static const struct eqm_alert_source *const sources[] = {
    &eqm_stop_search_alerts,
    &eqm_custody_alerts,
    &eqm_recruitment_alerts,
};

const struct eqm_alert_catalog eqm_alert_catalog = {
    .sources = sources,
    .n_sources = sizeof(sources) / sizeof(sources[0]),
};
