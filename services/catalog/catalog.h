/*
 * catalog.h - every service's alert measure families, in one catalogue:
 * what a rules file may name (eqm/alert_rules.h).
 *
 * Every consumer loads the whole rules file, which holds the rules of
 * every service, so each consumer's program passes this to
 * eqm_service_main(). It links each service's families (its
 * <name>_alerts.c) and nothing else of the other services.
 */
#ifndef EQM_CATALOG_H
#define EQM_CATALOG_H

#include "eqm/alert_rules.h"

/* Stop-search, custody, recruitment, in that order (the first family a
 * measure matches is its). Static data: it outlives every rule. */
extern const struct eqm_alert_catalog eqm_alert_catalog;

#endif /* EQM_CATALOG_H */
