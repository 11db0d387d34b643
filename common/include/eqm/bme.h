/*
 * bme.h - the aggregates of the figures' ethnic groups, in one place.
 *
 * "bme": asian + black + mixed + other, the stated broad groups other than
 * white (eqm_ethnicity_is_bme in eqm/ethnicity.h), added up from the groups
 * named exactly so, or, in a dimension of detailed groups
 * (eqm_ethnicity_detailed), from every detailed group whose broad group is
 * one of them, "*_unspecified" included. A label that only maps to one of
 * them ("Asian", a Census wording) is not a group's row and is not added.
 *
 * "white_minority": the white groups other than White British that the
 * Census names: white_irish, white_gypsy_irish_traveller, white_roma and
 * white_other (white_unspecified is not one: its detail is not known).
 * "all_minority": bme + white_minority. These two are made of detailed
 * groups only, so a dimension of broad groups has neither.
 *
 * Every figure that shows an aggregate builds it from these functions: the
 * engine's figures (eqm/metrics.h) and the recruitment service's funnel and
 * workforce groups. (The populations are summed the same way by the views
 * equality.area_population_by_base and, for the detailed groups' three,
 * equality.area_population_groups_by_base of migration 024.)
 */
#ifndef EQM_BME_H
#define EQM_BME_H

#include <stdbool.h>
#include <stdint.h>

#include "eqm/ethnicity.h"

/* The aggregates' group names. */
#define EQM_BME_NAME            EQM_ETH_BME_NAME
#define EQM_WHITE_MINORITY_NAME "white_minority"
#define EQM_ALL_MINORITY_NAME   "all_minority"

enum eqm_aggregate {
    EQM_AGG_BME = 0,
    EQM_AGG_WHITE_MINORITY,
    EQM_AGG_ALL_MINORITY,
    EQM_AGG__COUNT
};

/* True when grp (NUL-terminated, not NULL) is one of the groups bme adds. */
bool eqm_bme_member(const char *grp);

/*
 * When grp is a member, adds counts[0..n) into sum[0..n) and returns 1;
 * otherwise leaves sum alone and returns 0. So the sum of a set of groups
 * is their bme row, and a return of 0 for all of them means "no bme".
 */
int eqm_bme_add(const char *grp, const int64_t *counts, int n, int64_t *sum);

/* The aggregate's group name (a static string), NULL outside the enum. */
const char *eqm_aggregate_name(enum eqm_aggregate a);

/* True when grp (NUL-terminated, not NULL) is one of the groups a adds. */
bool eqm_aggregate_member(enum eqm_aggregate a, const char *grp);

/* eqm_bme_add for any aggregate. */
int eqm_aggregate_add(enum eqm_aggregate a, const char *grp, const int64_t *counts, int n,
                      int64_t *sum);

#endif /* EQM_BME_H */
