/*
 * census.c - the Census 2011 and 2021 ethnic group categories.
 *
 * Written out by hand from the ONS category lists of KS201EW (2011, 18
 * categories) and TS021 (2021, 19 categories, plus its "Does not apply"
 * and the total). A linear scan: 37 short strings, each rejected on its
 * length first.
 */
#include "eqm/tools/census.h"

#include <string.h>

#define A EQM_ETH_ASIAN
#define B EQM_ETH_BLACK
#define M EQM_ETH_MIXED
#define W EQM_ETH_WHITE
#define O EQM_ETH_OTHER

static const struct eqm_census_category categories[] = {
    /* Census 2011, KS201EW. */
    {EQM_CENSUS_2011, "White: English/Welsh/Scottish/Northern Irish/British", "white_british", W},
    {EQM_CENSUS_2011, "White: Irish", "white_irish", W},
    {EQM_CENSUS_2011, "White: Gypsy or Irish Traveller", "white_gypsy_irish_traveller", W},
    {EQM_CENSUS_2011, "White: Other White", "white_other", W},
    {EQM_CENSUS_2011, "Mixed/multiple ethnic group: White and Black Caribbean",
     "mixed_white_black_caribbean", M},
    {EQM_CENSUS_2011, "Mixed/multiple ethnic group: White and Black African",
     "mixed_white_black_african", M},
    {EQM_CENSUS_2011, "Mixed/multiple ethnic group: White and Asian", "mixed_white_asian", M},
    {EQM_CENSUS_2011, "Mixed/multiple ethnic group: Other Mixed", "mixed_other", M},
    {EQM_CENSUS_2011, "Asian/Asian British: Indian", "asian_indian", A},
    {EQM_CENSUS_2011, "Asian/Asian British: Pakistani", "asian_pakistani", A},
    {EQM_CENSUS_2011, "Asian/Asian British: Bangladeshi", "asian_bangladeshi", A},
    {EQM_CENSUS_2011, "Asian/Asian British: Chinese", "asian_chinese", A},
    {EQM_CENSUS_2011, "Asian/Asian British: Other Asian", "asian_other", A},
    {EQM_CENSUS_2011, "Black/African/Caribbean/Black British: African", "black_african", B},
    {EQM_CENSUS_2011, "Black/African/Caribbean/Black British: Caribbean", "black_caribbean", B},
    {EQM_CENSUS_2011, "Black/African/Caribbean/Black British: Other Black", "black_other", B},
    {EQM_CENSUS_2011, "Other ethnic group: Arab", "other_arab", O},
    {EQM_CENSUS_2011, "Other ethnic group: Any other ethnic group", "other_any", O},

    /* Census 2021, TS021. */
    {EQM_CENSUS_2021, "Asian, Asian British or Asian Welsh: Bangladeshi", "asian_bangladeshi", A},
    {EQM_CENSUS_2021, "Asian, Asian British or Asian Welsh: Chinese", "asian_chinese", A},
    {EQM_CENSUS_2021, "Asian, Asian British or Asian Welsh: Indian", "asian_indian", A},
    {EQM_CENSUS_2021, "Asian, Asian British or Asian Welsh: Pakistani", "asian_pakistani", A},
    {EQM_CENSUS_2021, "Asian, Asian British or Asian Welsh: Other Asian", "asian_other", A},
    {EQM_CENSUS_2021, "Black, Black British, Black Welsh, Caribbean or African: African",
     "black_african", B},
    {EQM_CENSUS_2021, "Black, Black British, Black Welsh, Caribbean or African: Caribbean",
     "black_caribbean", B},
    {EQM_CENSUS_2021, "Black, Black British, Black Welsh, Caribbean or African: Other Black",
     "black_other", B},
    {EQM_CENSUS_2021, "Mixed or Multiple ethnic groups: White and Asian", "mixed_white_asian", M},
    {EQM_CENSUS_2021, "Mixed or Multiple ethnic groups: White and Black African",
     "mixed_white_black_african", M},
    {EQM_CENSUS_2021, "Mixed or Multiple ethnic groups: White and Black Caribbean",
     "mixed_white_black_caribbean", M},
    {EQM_CENSUS_2021, "Mixed or Multiple ethnic groups: Other Mixed or Multiple ethnic groups",
     "mixed_other", M},
    {EQM_CENSUS_2021, "White: English, Welsh, Scottish, Northern Irish or British",
     "white_british", W},
    {EQM_CENSUS_2021, "White: Irish", "white_irish", W},
    {EQM_CENSUS_2021, "White: Gypsy or Irish Traveller", "white_gypsy_irish_traveller", W},
    {EQM_CENSUS_2021, "White: Roma", "white_roma", W},
    {EQM_CENSUS_2021, "White: Other White", "white_other", W},
    {EQM_CENSUS_2021, "Other ethnic group: Arab", "other_arab", O},
    {EQM_CENSUS_2021, "Other ethnic group: Any other ethnic group", "other_any", O},
};

#undef A
#undef B
#undef M
#undef W
#undef O

struct label_layout {
    const char *label;
    enum eqm_census_layout census;
};

/* The area's total: KS201EW's two wordings, TS021's. */
static const struct label_layout totals[] = {
    {"All usual residents", EQM_CENSUS_2011},
    {"All categories: Ethnic group", EQM_CENSUS_2011},
    {"Total: All usual residents", EQM_CENSUS_2021},
};

/* Broad groups by their own names, for files that give no detail. */
static const struct {
    const char *label;
    enum eqm_ethnic_group g;
} broad_names[] = {
    {"Asian", EQM_ETH_ASIAN}, {"Black", EQM_ETH_BLACK}, {"Mixed", EQM_ETH_MIXED},
    {"White", EQM_ETH_WHITE}, {"Other", EQM_ETH_OTHER},
};

static int lower(int c) {
    return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

static bool same(const char *s, size_t len, const char *label) {
    if (strlen(label) != len)
        return false;
    for (size_t i = 0; i < len; i++)
        if (lower((unsigned char)s[i]) != lower((unsigned char)label[i]))
            return false;
    return true;
}

const struct eqm_census_category *eqm_census_categories(size_t *n) {
    *n = sizeof(categories) / sizeof(categories[0]);
    return categories;
}

enum eqm_census_row eqm_census_classify(const char *s, size_t len,
                                        const struct eqm_census_category **cat,
                                        enum eqm_census_layout *layout_of,
                                        enum eqm_ethnic_group *broad) {
    if (!s)
        return EQM_CENSUS_ROW_UNKNOWN;
    while (len && (*s == ' ' || *s == '\t')) {
        s++;
        len--;
    }
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    /* Five labels are worded alike in both censuses ("White: Irish"): the
     * same detailed and broad group, and no clue to the file's layout. */
    {
        const struct eqm_census_category *hit = NULL;
        int censuses = 0;
        for (size_t i = 0; i < sizeof(categories) / sizeof(categories[0]); i++)
            if (same(s, len, categories[i].label)) {
                if (!hit)
                    hit = &categories[i];
                censuses++;
            }
        if (hit) {
            if (cat)
                *cat = hit;
            if (layout_of)
                *layout_of = censuses > 1 ? EQM_CENSUS_ANY : hit->census;
            return EQM_CENSUS_ROW_CATEGORY;
        }
    }
    for (size_t i = 0; i < sizeof(totals) / sizeof(totals[0]); i++)
        if (same(s, len, totals[i].label)) {
            if (layout_of)
                *layout_of = totals[i].census;
            return EQM_CENSUS_ROW_TOTAL;
        }
    if (same(s, len, "Does not apply")) {
        if (layout_of)
            *layout_of = EQM_CENSUS_2021;
        return EQM_CENSUS_ROW_DOES_NOT_APPLY;
    }
    for (size_t i = 0; i < sizeof(broad_names) / sizeof(broad_names[0]); i++)
        if (same(s, len, broad_names[i].label)) {
            if (broad)
                *broad = broad_names[i].g;
            return EQM_CENSUS_ROW_BROAD;
        }
    return EQM_CENSUS_ROW_UNKNOWN;
}

const char *eqm_census_layout_name(enum eqm_census_layout l) {
    switch (l) {
    case EQM_CENSUS_2011:
        return "Census 2011 (KS201EW)";
    case EQM_CENSUS_2021:
        return "Census 2021 (TS021)";
    default:
        return "either census";
    }
}
