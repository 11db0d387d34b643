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

/* One row per detailed group: its broad group, then its KS201EW and TS021
 * wording (Roma is a category of 2021 only). */
static const struct eqm_census_category categories[] = {
    {"white_british", W, "White: English/Welsh/Scottish/Northern Irish/British",
     "White: English, Welsh, Scottish, Northern Irish or British"},
    {"white_irish", W, "White: Irish", "White: Irish"},
    {"white_gypsy_irish_traveller", W, "White: Gypsy or Irish Traveller",
     "White: Gypsy or Irish Traveller"},
    {"white_roma", W, NULL, "White: Roma"},
    {"white_other", W, "White: Other White", "White: Other White"},
    {"mixed_white_black_caribbean", M, "Mixed/multiple ethnic group: White and Black Caribbean",
     "Mixed or Multiple ethnic groups: White and Black Caribbean"},
    {"mixed_white_black_african", M, "Mixed/multiple ethnic group: White and Black African",
     "Mixed or Multiple ethnic groups: White and Black African"},
    {"mixed_white_asian", M, "Mixed/multiple ethnic group: White and Asian",
     "Mixed or Multiple ethnic groups: White and Asian"},
    {"mixed_other", M, "Mixed/multiple ethnic group: Other Mixed",
     "Mixed or Multiple ethnic groups: Other Mixed or Multiple ethnic groups"},
    {"asian_indian", A, "Asian/Asian British: Indian",
     "Asian, Asian British or Asian Welsh: Indian"},
    {"asian_pakistani", A, "Asian/Asian British: Pakistani",
     "Asian, Asian British or Asian Welsh: Pakistani"},
    {"asian_bangladeshi", A, "Asian/Asian British: Bangladeshi",
     "Asian, Asian British or Asian Welsh: Bangladeshi"},
    {"asian_chinese", A, "Asian/Asian British: Chinese",
     "Asian, Asian British or Asian Welsh: Chinese"},
    {"asian_other", A, "Asian/Asian British: Other Asian",
     "Asian, Asian British or Asian Welsh: Other Asian"},
    {"black_african", B, "Black/African/Caribbean/Black British: African",
     "Black, Black British, Black Welsh, Caribbean or African: African"},
    {"black_caribbean", B, "Black/African/Caribbean/Black British: Caribbean",
     "Black, Black British, Black Welsh, Caribbean or African: Caribbean"},
    {"black_other", B, "Black/African/Caribbean/Black British: Other Black",
     "Black, Black British, Black Welsh, Caribbean or African: Other Black"},
    {"other_arab", O, "Other ethnic group: Arab", "Other ethnic group: Arab"},
    {"other_any", O, "Other ethnic group: Any other ethnic group",
     "Other ethnic group: Any other ethnic group"},
};

/* The rows that are not categories: the area's total (KS201EW's two
 * wordings, TS021's), TS021's "Does not apply", and the broad groups by
 * their own names, for files that give no detail. */
static const struct {
    const char *label;
    enum eqm_census_row kind;
    enum eqm_census_layout census;
    enum eqm_ethnic_group g;
} others[] = {
    {"All usual residents", EQM_CENSUS_ROW_TOTAL, EQM_CENSUS_2011, EQM_ETH_NOT_STATED},
    {"All categories: Ethnic group", EQM_CENSUS_ROW_TOTAL, EQM_CENSUS_2011, EQM_ETH_NOT_STATED},
    {"Total: All usual residents", EQM_CENSUS_ROW_TOTAL, EQM_CENSUS_2021, EQM_ETH_NOT_STATED},
    {"Does not apply", EQM_CENSUS_ROW_DOES_NOT_APPLY, EQM_CENSUS_2021, EQM_ETH_NOT_STATED},
    {"Asian", EQM_CENSUS_ROW_BROAD, EQM_CENSUS_ANY, A},
    {"Black", EQM_CENSUS_ROW_BROAD, EQM_CENSUS_ANY, B},
    {"Mixed", EQM_CENSUS_ROW_BROAD, EQM_CENSUS_ANY, M},
    {"White", EQM_CENSUS_ROW_BROAD, EQM_CENSUS_ANY, W},
    {"Other", EQM_CENSUS_ROW_BROAD, EQM_CENSUS_ANY, O},
};

#undef A
#undef B
#undef M
#undef W
#undef O

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
    for (size_t i = 0; i < sizeof(categories) / sizeof(categories[0]); i++) {
        const struct eqm_census_category *c = &categories[i];
        bool in2011 = c->ks201ew && same(s, len, c->ks201ew), in2021 = same(s, len, c->ts021);
        if (!in2011 && !in2021)
            continue;
        if (cat)
            *cat = c;
        /* Five categories are worded alike in both ("White: Irish"). */
        if (layout_of)
            *layout_of = in2011 && in2021 ? EQM_CENSUS_ANY
                         : in2011         ? EQM_CENSUS_2011
                                          : EQM_CENSUS_2021;
        return EQM_CENSUS_ROW_CATEGORY;
    }
    for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
        if (!same(s, len, others[i].label))
            continue;
        if (layout_of)
            *layout_of = others[i].census;
        if (broad)
            *broad = others[i].g;
        return others[i].kind;
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
