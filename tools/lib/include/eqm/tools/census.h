/*
 * census.h - the Census ethnic group categories, as the population loader
 * reads them: the 18 of Census 2011 (ONS KS201EW) and the 19 of Census
 * 2021 (ONS TS021), each with its detailed group (the same name in both
 * censuses where the category is the same) and its broad group.
 *
 * The two censuses word their categories differently ("White:
 * English/Welsh/Scottish/Northern Irish/British" in 2011, "White: English,
 * Welsh, Scottish, Northern Irish or British" in 2021); a detailed group
 * names the category whatever the wording. Census 2021 adds Roma; in both
 * Chinese is an Asian category. Matching ignores ASCII case and
 * surrounding blanks.
 */
#ifndef EQM_TOOLS_CENSUS_H
#define EQM_TOOLS_CENSUS_H

#include <stdbool.h>
#include <stddef.h>

#include "eqm/ethnicity.h"

/* A file's layout: the census whose wording its categories use. */
enum eqm_census_layout {
    EQM_CENSUS_ANY = 0, /* not fixed yet: the file's first category decides */
    EQM_CENSUS_2011 = 2011,
    EQM_CENSUS_2021 = 2021,
};

/* What a row's census_category is. */
enum eqm_census_row {
    EQM_CENSUS_ROW_UNKNOWN = 0,
    EQM_CENSUS_ROW_CATEGORY,       /* one of the census's categories */
    EQM_CENSUS_ROW_TOTAL,          /* all usual residents of the area */
    EQM_CENSUS_ROW_DOES_NOT_APPLY, /* TS021's "Does not apply" (always 0) */
    EQM_CENSUS_ROW_BROAD,          /* a broad group's own name ("White"), no detail */
};

/* A detailed group: its broad group and the categories that are it. */
struct eqm_census_category {
    const char *detailed;        /* e.g. "asian_chinese" */
    enum eqm_ethnic_group broad; /* its broad group */
    const char *ks201ew;         /* its Census 2011 wording; NULL: none (Roma) */
    const char *ts021;           /* its Census 2021 wording */
};

/* Every detailed group: *n entries (19; 18 with a 2011 category). */
const struct eqm_census_category *eqm_census_categories(size_t *n);

/*
 * Classifies s (len bytes, not NUL-terminated) as a row's census_category.
 * For a category, *cat (if not NULL) is its detailed group. For a
 * category, a total or "Does not apply", *layout_of (if not NULL) is the
 * census whose wording it is, or EQM_CENSUS_ANY if both word it so. For a
 * broad group name, *broad (if not NULL) is the group.
 */
enum eqm_census_row eqm_census_classify(const char *s, size_t len,
                                        const struct eqm_census_category **cat,
                                        enum eqm_census_layout *layout_of,
                                        enum eqm_ethnic_group *broad);

/* "Census 2011 (KS201EW)", "Census 2021 (TS021)", or "either census". */
const char *eqm_census_layout_name(enum eqm_census_layout l);

#endif /* EQM_TOOLS_CENSUS_H */
