/* eqm-custody: consumes custody.events (arrests, detentions, strip searches,
 * uses of force, disposals) into PostgreSQL. */
#include "eqm/engine.h"
#include "catalog.h"
#include "custody.h"

int main(int argc, char **argv) {
    return eqm_service_main(&eqm_custody_service, &eqm_alert_catalog, argc, argv);
}
