/*
 * custody_alerts.c - the custody service's alert measure families
 * (eqm/alert_rules.h, listed by services/catalog/): its measures are kept
 * in the engine's generic figures, and this says how their alerts read.
 *
 * A file of its own, needing nothing else of the service, so that the
 * catalogue another consumer links pulls in these and not the handler.
 */
#include "eqm/alert_eval.h"
#include "custody.h"

#define FIGURES .value_field = EQM_ALERT_FAMILY_FIGURES_VALUE, .sql = EQM_ALERT_FAMILY_FIGURES_SQL

static const struct eqm_alert_family families[] = {
    {.measure = "custody.arrests",
     FIGURES,
     .says = "{group}{area} were arrested at {value} times the rate of {reference}",
     .counts = "{n} arrests"},
    {.measure = "custody.detentions",
     FIGURES,
     .says = "{group}{area} were detained in custody at {value} times the rate of {reference}",
     .counts = "{n} detentions"},
    {.measure = "custody.strip_searches",
     FIGURES,
     .says = "{group}{area} were strip-searched at {value} times the rate of {reference}",
     .counts = "{n} strip searches"},
    {.measure = "custody.use_of_force",
     FIGURES,
     .says = "{group}{area} had force used on them at {value} times the rate of {reference}",
     .counts = "{n} uses of force"},
    /* One measure per tactic (eqm_custody_tactics): {rest} is the tactic. */
    {.measure = "custody.use_of_force_by_tactic.",
     .prefix = true,
     FIGURES,
     .says = "{group}{area} had {rest} used on them at {value} times the rate of {reference}",
     .counts = "{n} uses"},
    {.measure = "custody.strip_search_share",
     FIGURES,
     .says = "detentions of {group}{area} involved a strip search at {value} times the rate for "
             "{reference}",
     .counts = "{n} of {base} detentions"},
    {.measure = "custody.out_of_court_share",
     FIGURES,
     .says = "cases of {group}{area} ended out of court at {value} times the rate for {reference}",
     .counts = "{n} of {base} disposals"},
    {.measure = "custody.charge_share",
     FIGURES,
     .says = "cases of {group}{area} ended in a charge at {value} times the rate for {reference}",
     .counts = "{n} of {base} disposals"},
};

const struct eqm_alert_source eqm_custody_alerts = EQM_ALERT_SOURCE("custody", families);
