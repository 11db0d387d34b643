/* eqm-stop-search: consumes stop-search.events into PostgreSQL. */
#include "eqm/engine.h"
#include "catalog.h"
#include "stop_search.h"

int main(int argc, char **argv) {
    return eqm_service_main(&eqm_stop_search_service, &eqm_alert_catalog, argc, argv);
}
