/*
 * stop_search_alerts.c - the stop-and-search service's alert measure
 * families (eqm/alert_rules.h, listed by services/catalog/): its measures
 * are kept in the engine's generic figures, and this says how their
 * alerts read.
 *
 * A file of its own, needing nothing else of the service, so that the
 * catalogue another consumer links pulls in these and not the handler.
 */
#include "eqm/alert_eval.h"
#include "stop_search.h"

#define FIGURES .value_field = EQM_ALERT_FAMILY_FIGURES_VALUE, .sql = EQM_ALERT_FAMILY_FIGURES_SQL

static const struct eqm_alert_family families[] = {
    {.measure = "stop_search.searches",
     FIGURES,
     .says = "{group}{area} were stopped and searched at {value} times the rate of {reference}",
     .counts = "{n|search|searches}"},
    {.measure = "stop_search.find_rate",
     FIGURES,
     .says = "searches of {group}{area} found what was searched for at {value} times the rate "
             "for {reference}",
     .counts = "{n} finds in {base} searches"},
    {.measure = "stop_search.arrest_rate",
     FIGURES,
     .says = "searches of {group}{area} ended in arrest at {value} times the rate for {reference}",
     .counts = "{n} arrests in {base} searches"},
    {.measure = "stop_search.section_60_share",
     FIGURES,
     .says = "searches of {group}{area} were under section 60 at {value} times the rate for "
             "{reference}",
     .counts = "{n} of {base} searches"},
    {.measure = "stop_search.strip_share",
     FIGURES,
     .says = "searches of {group}{area} involved removal of more than outer clothing at {value} "
             "times the rate for {reference}",
     .counts = "{n} of {base} searches"},
};

const struct eqm_alert_source eqm_stop_search_alerts = EQM_ALERT_SOURCE("stop-search", families);
