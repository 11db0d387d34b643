/*
 * poptable.h - the population the figures divide by: every (area, group)
 * of the view equality.area_population_groups_by_base (broad groups and
 * bme, detailed groups, white_minority and all_minority: migration 024) on
 * the population base the rule of migration 020 gives for the window's
 * last day (Census 2011 up to 31 March 2021, Census 2021 after, by
 * default), loaded once per recomputation and looked up by binary search
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
 * Reads the population of the base for a window ending on day (YYYY-MM-DD)
 * through conn (in the caller's transaction, if one is open). Returns 0
 * with *out set, or -1 with errstr (*out untouched). When the rule gives no
 * base for the day, or the base has no rows, the table is empty (every
 * figure then says it has no population) and its base is the rule's (or
 * NULL).
 */
int eqm_poptable_load(PGconn *conn, const char *day, struct eqm_poptable **out, char *errstr,
                      size_t errstr_size) __attribute__((warn_unused_result));

/* The name of the base the table holds ("census-2021"), or NULL when the
 * rule gives none; the table's own string. */
const char *eqm_poptable_base(const struct eqm_poptable *t);

/* The population of grp in area, or -1 when the table has no such row. */
int64_t eqm_poptable_get(const struct eqm_poptable *t, const char *area, const char *grp);

/* Rows in the table. */
size_t eqm_poptable_size(const struct eqm_poptable *t);

/* Frees *t and sets it to NULL; NULL-safe. */
void eqm_poptable_free(struct eqm_poptable **t);

#endif /* EQM_POPTABLE_H */
