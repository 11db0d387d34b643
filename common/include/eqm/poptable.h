/*
 * poptable.h - the population the figures divide by: every (area, group)
 * of the view equality.area_population_groups (broad groups and bme,
 * detailed groups, white_minority and all_minority (migration 024), on the
 * population base the rule gives for today: Census 2021 by default),
 * loaded once per recomputation and looked up by binary search
 * (every district of the Census file is an area: thousands of rows, looked
 * up once per figure row).
 */
#ifndef EQM_POPTABLE_H
#define EQM_POPTABLE_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

struct eqm_poptable;

/*
 * A table of n rows: area[i], grp[i], population[i] (strings copied; the
 * arrays stay the caller's). Returns 0 with *out set (free it with
 * eqm_poptable_free), or -1 out of memory (*out untouched).
 */
int eqm_poptable_new(struct eqm_poptable **out, size_t n, const char *const *area,
                     const char *const *grp, const int64_t *population)
    __attribute__((warn_unused_result));

/*
 * Reads equality.area_population_groups through conn (in the caller's
 * transaction, if one is open). Returns 0 with *out set, or -1 with errstr
 * (*out untouched).
 */
int eqm_poptable_load(PGconn *conn, struct eqm_poptable **out, char *errstr, size_t errstr_size)
    __attribute__((warn_unused_result));

/* The population of grp in area, or -1 when the table has no such row. */
int64_t eqm_poptable_get(const struct eqm_poptable *t, const char *area, const char *grp);

/* Rows in the table. */
size_t eqm_poptable_size(const struct eqm_poptable *t);

/* Frees *t and sets it to NULL; NULL-safe. */
void eqm_poptable_free(struct eqm_poptable **t);

#endif /* EQM_POPTABLE_H */
