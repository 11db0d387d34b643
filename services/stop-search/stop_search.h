/*
 * stop_search.h - the stop-and-search service's domain logic.
 *
 * A stop_search event (the police.uk record, CONTRACT.md) becomes one row
 * of increments per dimension (ethnicity = self-defined, officer-defined
 * ethnicity, gender, age range), for its area and for the whole force.
 */
#ifndef EQM_STOP_SEARCH_H
#define EQM_STOP_SEARCH_H

#include "eqm/service.h"

/* Count columns of equality.stop_search_daily, in this order. */
enum {
    SS_SEARCHES = 0, /* every search */
    SS_LINKED,       /* outcome linked to the object of search: true */
    SS_LINK_KNOWN,   /* outcome_linked_to_object_of_search true or false */
    SS_ARRESTS,      /* outcome was an arrest */
    SS_SECTION_60,   /* under section 60 CJPOA 1994 */
    SS_STRIP,        /* removal of more than outer clothing: true */
    SS__COUNT
};

/* The service description handed to the engine. */
extern const struct eqm_service eqm_stop_search_service;
/* Its alert measure families (stop_search_alerts.c), for the catalogue. */
extern const struct eqm_alert_source eqm_stop_search_alerts;

/* Group of a police.uk gender value: male, female, other, not_stated. */
const char *eqm_stop_search_gender(const char *s);
/* Group of a police.uk age band, or not_stated. */
const char *eqm_stop_search_age(const char *s);

#endif
