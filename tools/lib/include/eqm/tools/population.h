/*
 * population.h - the Census 2021 reference population in PostgreSQL.
 *
 * Fills equality.population_district (one row per district and census
 * category, with its broad group) from the tidy Census CSV, and
 * equality.area_districts (named areas made of districts), which the
 * equality.area_population view sums into the rate denominators.
 *
 * Both functions run their own transaction on conn, which must be idle
 * (not inside a transaction), and leave it idle whatever happens.
 */
#ifndef EQM_POPULATION_H
#define EQM_POPULATION_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <libpq-fe.h>

struct eqm_population_load_stats {
    size_t rows;        /* data rows loaded */
    size_t districts;   /* distinct area codes among them */
    int64_t population; /* sum of population over the rows */
};

/*
 * Loads a Census tidy CSV read from fp (the caller's; path names it in
 * messages) whose header is exactly
 *
 *   area_code,area_name,census_category,population
 *
 * Each census_category must map onto a broad group (eqm_ethnicity_map);
 * population is a non-negative integer. In one transaction, every row of
 * the districts named in the file is deleted and the file's rows inserted
 * (streamed with COPY), so a district's figures are replaced as a whole
 * and districts not in the file are left as they were.
 *
 * Returns 0 and fills *st (if not NULL); or -1 with errstr, nothing
 * changed in the database: `path:line: message` for a bad row (the first
 * one found), a bad header, an unknown category or a (area_code,
 * census_category) pair given twice; `path: message` for an empty file or
 * a database error.
 */
int eqm_population_load_csv(PGconn *conn, FILE *fp, const char *path,
                            struct eqm_population_load_stats *st, char *errstr, size_t errstr_size)
    __attribute__((warn_unused_result));

/*
 * The loader's reading half, without PostgreSQL: reads and checks the
 * file as eqm_population_load_csv() does (same header, same row checks,
 * same path:line messages) and hands each good row to row() as one line
 * of COPY's text format, area_code TAB area_name TAB census_category TAB
 * broad_group TAB population LF (valid UTF-8, escaped as COPY needs).
 * row() returns 0, or -1 with msg (the read stops). Returns 0 and *st
 * (if not NULL), or -1 with errstr.
 */
typedef int eqm_population_row_fn(void *arg, const char *line, size_t len, char *msg,
                                  size_t msg_size);
int eqm_population_read(FILE *fp, const char *path, eqm_population_row_fn *row, void *arg,
                        struct eqm_population_load_stats *st, char *errstr, size_t errstr_size)
    __attribute__((warn_unused_result));

/*
 * Makes area (1-64 bytes, not blank) the set of the ncodes district codes
 * (ncodes >= 1; repeats count once), replacing any earlier definition, in
 * one transaction. Every code must already be in
 * equality.population_district: otherwise nothing changes and errstr lists
 * the missing codes. Returns 0, or -1 with errstr.
 */
int eqm_population_define_area(PGconn *conn, const char *area, const char *const *codes,
                               size_t ncodes, char *errstr, size_t errstr_size)
    __attribute__((warn_unused_result));

#endif /* EQM_POPULATION_H */
