/*
 * ethnicity.h - maps ethnicity labels onto the broad groups.
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

/* True for asian, black, mixed and other: the groups that make up "bme". */
bool eqm_ethnicity_is_bme(enum eqm_ethnic_group g);

#endif /* EQM_ETHNICITY_H */
