/*
 * bme.h - the "bme" aggregate of the figures: asian + black + mixed +
 * other, the stated broad groups other than white (eqm_ethnicity_is_bme in
 * eqm/ethnicity.h), added up from the groups named exactly so. A label that
 * only maps to one of them ("Asian", a Census wording) is not a broad
 * group's row and is not added.
 *
 * Every figure that shows bme builds it from these two functions: the
 * engine's figures (eqm/metrics.h) and the recruitment service's funnel and
 * workforce groups. (The population of bme is summed the same way by the
 * view equality.area_population.)
 */
#ifndef EQM_BME_H
#define EQM_BME_H

#include <stdbool.h>
#include <stdint.h>

#include "eqm/ethnicity.h"

/* The aggregate's group name. */
#define EQM_BME_NAME EQM_ETH_BME_NAME

/* True when grp (NUL-terminated, not NULL) is one of the groups bme adds. */
bool eqm_bme_member(const char *grp);

/*
 * When grp is a member, adds counts[0..n) into sum[0..n) and returns 1;
 * otherwise leaves sum alone and returns 0. So the sum of a set of groups
 * is their bme row, and a return of 0 for all of them means "no bme".
 */
int eqm_bme_add(const char *grp, const int64_t *counts, int n, int64_t *sum);

#endif /* EQM_BME_H */
