/*
 * eqm-recruitment: consumes recruitment.events (funnel, joiners, leavers,
 * headcount snapshots) into PostgreSQL and keeps the attrition and workforce
 * figures (README "Recruitment and workforce").
 */
#include "eqm/engine.h"
#include "catalog.h"
#include "recruitment.h"

int main(int argc, char **argv) {
    return eqm_service_main(&eqm_recruitment_service, &eqm_alert_catalog, argc, argv);
}
