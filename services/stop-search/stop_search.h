/*
 * stop_search.h - the stop-and-search service's domain logic.
 *
 * A stop_search event (the police.uk record, CONTRACT.md) becomes one row
 * of increments per dimension (ethnicity = self-defined, officer-defined
 * ethnicity, gender, age range), for its area and for the whole force;
 * and, when it carries both ethnicities, one row of self-defined against
 * officer-defined broad group (the agreement table), for each too.
 */
#ifndef EQM_STOP_SEARCH_H
#define EQM_STOP_SEARCH_H

#include <stdbool.h>

#include <jansson.h>

#include "eqm/service.h"

/* Count columns of equality.stop_search_daily, in this order. */
enum {
    SS_SEARCHES = 0, /* every search */
    SS_LINKED,       /* outcome linked to the object of search: true */
    SS_LINK_KNOWN,   /* outcome_linked_to_object_of_search true or false */
    SS_ARRESTS,      /* outcome was an arrest */
    SS_SECTION_60,   /* under section 60 CJPOA 1994 */
    SS_STRIP,        /* removal of more than outer clothing: true */
    /* Migration 016: rows counted before it hold 0 in these. */
    SS_PACE_S1,       /* under section 1 PACE 1984 */
    SS_MDA_S23,       /* under section 23 Misuse of Drugs Act 1971 */
    SS_OTHER_POWER,   /* under any other power, or none recorded */
    SS_NFA,           /* outcome: no further action */
    SS_OTHER_OUTCOME, /* outcome: neither arrest nor no further action */
    SS_CHILDREN,      /* the person searched was under 18 */
    SS__COUNT
};

/* Its counts tables: 0 equality.stop_search_daily (the columns above);
 * SS_TABLE_AGREEMENT equality.stop_search_ethnicity_agreement (migration
 * 019), keys area, self_defined, officer_defined (broad groups, or
 * not_stated) and one count, searches. */
#define SS_TABLE_AGREEMENT 1

/* The service description handed to the engine. */
extern const struct eqm_service eqm_stop_search_service;
/* Its alert measure families (stop_search_alerts.c), for the catalogue. */
extern const struct eqm_alert_source eqm_stop_search_alerts;

/* Group of a police.uk gender value: male, female, other, not_stated. */
const char *eqm_stop_search_gender(const char *s);
/* Group of a police.uk age band, or not_stated. */
const char *eqm_stop_search_age(const char *s);

/*
 * The power of a police.uk legislation value, as its count column: exactly
 * one of SS_PACE_S1, SS_MDA_S23, SS_SECTION_60 (s.60 CJPOA 1994, not
 * s.60AA) and SS_OTHER_POWER (any other Act, and a legislation absent
 * (NULL) or blank). Case does not matter.
 */
int eqm_stop_search_power(const char *legislation);
/*
 * The kind of a police.uk outcome value, as its count column: exactly one
 * of SS_ARRESTS ("Arrest", older "Suspect arrested"), SS_NFA (any wording
 * with "no further action": "A no further action disposal", older "Nothing
 * found - no further action") and SS_OTHER_OUTCOME (everything else,
 * absent (NULL) and blank included). Case does not matter.
 */
int eqm_stop_search_outcome(const char *outcome);
/* Whether an event carries both ethnicities, and so is counted in the
 * agreement table: officer_defined_ethnicity and self_defined_ethnicity
 * (or ethnicity, accepted instead) present, a null value included (it
 * counts as not_stated). */
bool eqm_stop_search_carries_both(const json_t *event);
/* Whether an age range is a child's: the bands "under 10" and "10-17". */
bool eqm_stop_search_child(const char *age_range);

#endif
