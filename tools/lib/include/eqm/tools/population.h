/*
 * population.h - the reference populations in PostgreSQL.
 *
 * Fills equality.population_district (one row per population base,
 * district and census category, with its detailed and broad group) from
 * the tidy Census CSV, Census 2011 (KS201EW) or Census 2021 (TS021)
 * wording, and
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

#include "eqm/tools/census.h"

/* The base eqm_population_load_csv() loads into (what it always loaded). */
#define EQM_POPULATION_DEFAULT_BASE "census-2021"

struct eqm_population_load_stats {
    size_t rows;                   /* data rows loaded */
    size_t checks;                 /* totals and "Does not apply" rows: checked, not loaded */
    size_t districts;              /* distinct area codes among them */
    int64_t population;            /* sum of population over the rows */
    enum eqm_census_layout layout; /* the wording the categories used (ANY: no clue) */
};

/*
 * Loads a Census tidy CSV read from fp (the caller's; path names it in
 * messages) into population base `base` (a row of equality.population_base)
 * whose header is exactly
 *
 *   area_code,area_name,census_category,population
 *
 * Each census_category is one of the Census 2011 or 2021 categories
 * (eqm/tools/census.h), all of one census's wording (the base's
 * census_layout, if it has one, says which), mapped to its detailed and
 * broad group; or a broad group's own name ("White", no detailed group);
 * or the area's total ("All usual residents", "Total: All usual
 * residents"), which must be the sum of its categories and is not loaded;
 * or TS021's "Does not apply", which must be 0. population is a
 * non-negative integer. In one transaction, every row of the base's
 * districts named in the file is deleted and the file's rows inserted
 * (streamed with COPY), so a district's figures are replaced as a whole
 * and districts not in the file, and other bases, are left as they were.
 *
 * Returns 0 and fills *st (if not NULL); or -1 with errstr, nothing
 * changed in the database: `path:line: message` for a bad row (the first
 * one found), a bad header, an unknown category or a (area_code,
 * census_category) pair given twice; `path: message` for an empty file or
 * a database error.
 */
int eqm_population_load_base(PGconn *conn, FILE *fp, const char *path, const char *base,
                             struct eqm_population_load_stats *st, char *errstr, size_t errstr_size)
    __attribute__((warn_unused_result));

/* eqm_population_load_base() into EQM_POPULATION_DEFAULT_BASE. */
int eqm_population_load_csv(PGconn *conn, FILE *fp, const char *path,
                            struct eqm_population_load_stats *st, char *errstr, size_t errstr_size)
    __attribute__((warn_unused_result));

/*
 * The loader's reading half, without PostgreSQL: reads and checks the
 * file as eqm_population_load_csv() does (same header, same row checks,
 * same path:line messages) and hands each good row to row() as one line
 * of COPY's text format, area_code TAB area_name TAB census_category TAB
 * detailed_group (\N for a broad group's row) TAB broad_group TAB
 * population LF (valid UTF-8, escaped as COPY needs); totals and "Does not
 * apply" are checked, not handed on. row() returns 0, or -1 with msg (the
 * read stops). Returns 0 and *st (if not NULL), or -1 with errstr. A
 * total that is not its area's sum is found only at the end of the file,
 * after its rows were handed on: the caller loads nothing until this
 * returns 0. eqm_population_read() takes either census's wording (the
 * first category worded as only one census words it fixes the file's);
 * eqm_population_read_layout() wants layout's (EQM_CENSUS_ANY: either).
 */
typedef int eqm_population_row_fn(void *arg, const char *line, size_t len, char *msg,
                                  size_t msg_size);
int eqm_population_read(FILE *fp, const char *path, eqm_population_row_fn *row, void *arg,
                        struct eqm_population_load_stats *st, char *errstr, size_t errstr_size)
    __attribute__((warn_unused_result));
int eqm_population_read_layout(FILE *fp, const char *path, enum eqm_census_layout layout,
                               eqm_population_row_fn *row, void *arg,
                               struct eqm_population_load_stats *st, char *errstr,
                               size_t errstr_size) __attribute__((warn_unused_result));

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
