/*
 * ethnicity.h - maps ethnicity labels onto the broad groups and the
 * detailed (Census category) groups.
 *
 * Accepts police.uk self-defined labels (the current "Asian/Asian British -
 * Indian" wording and the older coded labels such as "White - White British
 * (W1)"), officer-defined values, the Census 2021 TS021 category names and
 * headings, and the broad group names themselves. Matching ignores ASCII
 * case and surrounding white space; inner spacing must match.
 *
 * Chinese maps to asian in every scheme, including the old "Chinese or
 * other ethnic group - Chinese (O1)", so that counts agree with the Census
 * 2021 denominator, where Chinese is an Asian category.
 */
#ifndef EQM_ETHNICITY_H
#define EQM_ETHNICITY_H

#include <stdbool.h>
#include <stddef.h>

enum eqm_ethnic_group {
    EQM_ETH_NOT_STATED = 0,
    EQM_ETH_ASIAN,
    EQM_ETH_BLACK,
    EQM_ETH_MIXED,
    EQM_ETH_WHITE,
    EQM_ETH_OTHER,
    EQM_ETH__COUNT
};

/* Name of the aggregate of stated groups other than white. */
#define EQM_ETH_BME_NAME "bme"

/*
 * Maps s (len bytes, not necessarily NUL-terminated; only those bytes are
 * read; NULL or blank means not stated) to its broad group. A label not in
 * the table but made of a known group heading, "-" or ":" and a
 * subcategory ("White - Polish", "Other ethnic group: Kurdish") takes the
 * heading's group. *recognised (if not NULL) is set to true for a table or
 * heading match and for NULL/blank, false otherwise; an unrecognised label
 * maps to EQM_ETH_NOT_STATED, as do "not stated" labels (recognised true).
 */
enum eqm_ethnic_group eqm_ethnicity_map(const char *s, size_t len, bool *recognised);

/*
 * "asian", "black", "mixed", "white", "other", "not_stated": static
 * strings, each mapped back to g by eqm_ethnicity_map. NULL for a value
 * outside the enum.
 */
const char *eqm_ethnicity_name(enum eqm_ethnic_group g);

/*
 * Maps s as eqm_ethnicity_map does (same labels, same *recognised), to its
 * detailed group: a static string, never NULL. The detailed groups are the
 * Census categories, named as in equality.census_categories
 * ("white_british", "white_irish", "white_gypsy_irish_traveller",
 * "white_roma", "white_other", "mixed_white_black_caribbean", ...,
 * "asian_chinese", ..., "other_arab", "other_any"), for the police.uk
 * 18+1 labels, the Census 2011 (KS201EW) and 2021 (TS021) wordings and the
 * old coded labels alike ("(W2)" is white_irish, "(O1)" asian_chinese).
 * A label that names only a broad group (officer-defined "Asian", a bare
 * Census heading, a heading with a subcategory the table does not list,
 * such as "White - Polish") gives "<broad>_unspecified"
 * ("asian_unspecified", ..., "white_unspecified"): its detail is not known,
 * so it is neither white_british nor a white minority. Not stated, blank
 * and unrecognised labels give "not_stated". *broad (if not NULL) is set to
 * what eqm_ethnicity_map returns for s.
 */
const char *eqm_ethnicity_detailed(const char *s, size_t len, enum eqm_ethnic_group *broad,
                                   bool *recognised);

/*
 * True when detailed (NUL-terminated, not NULL) is one of the names
 * eqm_ethnicity_detailed returns, with *broad (if not NULL) set to its
 * broad group (not_stated: EQM_ETH_NOT_STATED); false otherwise, *broad
 * untouched.
 */
bool eqm_ethnicity_detailed_broad(const char *detailed, enum eqm_ethnic_group *broad);

/*
 * The Census categories among the detailed groups (the names of
 * equality.census_categories): i from 0 to EQM_ETH_CENSUS_CATEGORIES - 1
 * gives "white_british", "white_irish", ...,
 * "other_any" (white_roma is counted by Census 2021 only); NULL outside.
 * The "*_unspecified" groups and not_stated are not among them.
 */
#define EQM_ETH_CENSUS_CATEGORIES 19
const char *eqm_ethnicity_census_category(int i);

/* True for asian, black, mixed and other: the groups that make up "bme". */
bool eqm_ethnicity_is_bme(enum eqm_ethnic_group g);

#endif /* EQM_ETHNICITY_H */
