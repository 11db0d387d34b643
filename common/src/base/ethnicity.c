/*
 * ethnicity.c - ethnicity labels onto the broad groups.
 *
 * One table of every label we know, with its broad and its detailed group,
 * compared case-insensitively after trimming; a second, short table of
 * group headings catches subcategories the first does not list yet (their
 * detail is unknown: the broad group's *_unspecified). Both are scanned linearly: about a hundred
 * short strings, each rejected on its length first, is cheaper than any
 * index we would have to build and keep in step.
 */
#include "eqm/ethnicity.h"

#include <string.h>

struct eth_label {
    const char *label;
    enum eqm_ethnic_group group;
    const char *detailed; /* its detailed group; NULL: the broad group's *_unspecified */
};

#define A  EQM_ETH_ASIAN
#define B  EQM_ETH_BLACK
#define M  EQM_ETH_MIXED
#define W  EQM_ETH_WHITE
#define O  EQM_ETH_OTHER
#define NS EQM_ETH_NOT_STATED

/*
 * Chinese: in the 2001 16+1 scheme (the police.uk "(O1)" labels) Chinese
 * sat in "Chinese or other ethnic group"; since the 2011 Census it is an
 * Asian subcategory, and Census 2021 TS021 counts it under Asian. Rates
 * divide by the Census 2021 population, so a Chinese person searched must
 * land in the group whose denominator counts them: asian, in every scheme.
 */
static const struct eth_label labels[] = {
    /* police.uk self-defined, 18+1 wording (2011 Census; "Roma" from 2021). */
    {"Asian/Asian British - Bangladeshi", A, "asian_bangladeshi"},
    {"Asian/Asian British - Chinese", A, "asian_chinese"},
    {"Asian/Asian British - Indian", A, "asian_indian"},
    {"Asian/Asian British - Pakistani", A, "asian_pakistani"},
    {"Asian/Asian British - Any other Asian background", A, "asian_other"},
    {"Black/African/Caribbean/Black British - African", B, "black_african"},
    {"Black/African/Caribbean/Black British - Caribbean", B, "black_caribbean"},
    {"Black/African/Caribbean/Black British - Any other Black/African/Caribbean background", B,
     "black_other"},
    {"Mixed/Multiple ethnic groups - White and Asian", M, "mixed_white_asian"},
    {"Mixed/Multiple ethnic groups - White and Black African", M, "mixed_white_black_african"},
    {"Mixed/Multiple ethnic groups - White and Black Caribbean", M, "mixed_white_black_caribbean"},
    {"Mixed/Multiple ethnic groups - Any other Mixed/Multiple ethnic background", M, "mixed_other"},
    {"White - English/Welsh/Scottish/Northern Irish/British", W, "white_british"},
    {"White - Irish", W, "white_irish"},
    {"White - Gypsy or Irish Traveller", W, "white_gypsy_irish_traveller"},
    {"White - Roma", W, "white_roma"},
    {"White - Any other White background", W, "white_other"},
    {"Other ethnic group - Arab", O, "other_arab"},
    {"Other ethnic group - Any other ethnic group", O, "other_any"},
    {"Other ethnic group - Not stated", NS, "not_stated"},

    /*
     * police.uk self-defined, older 16+1 coded labels. Both heading forms
     * are listed: "Asian - ..." and the "Asian or Asian British - ..." that
     * the API returned for the same codes.
     */
    {"White - White British (W1)", W, "white_british"},
    {"White - White Irish (W2)", W, "white_irish"},
    {"White - Any other White ethnic background (W9)", W, "white_other"},
    {"Mixed - White and Black Caribbean (M1)", M, "mixed_white_black_caribbean"},
    {"Mixed - White and Black African (M2)", M, "mixed_white_black_african"},
    {"Mixed - White and Asian (M3)", M, "mixed_white_asian"},
    {"Mixed - Any other Mixed ethnic background (M9)", M, "mixed_other"},
    {"Asian - Indian (A1)", A, "asian_indian"},
    {"Asian - Pakistani (A2)", A, "asian_pakistani"},
    {"Asian - Bangladeshi (A3)", A, "asian_bangladeshi"},
    {"Asian - Any other Asian ethnic background (A9)", A, "asian_other"},
    {"Asian or Asian British - Indian (A1)", A, "asian_indian"},
    {"Asian or Asian British - Pakistani (A2)", A, "asian_pakistani"},
    {"Asian or Asian British - Bangladeshi (A3)", A, "asian_bangladeshi"},
    {"Asian or Asian British - Any other Asian ethnic background (A9)", A, "asian_other"},
    {"Black - Caribbean (B1)", B, "black_caribbean"},
    {"Black - African (B2)", B, "black_african"},
    {"Black - Any other Black ethnic background (B9)", B, "black_other"},
    {"Black or Black British - Caribbean (B1)", B, "black_caribbean"},
    {"Black or Black British - African (B2)", B, "black_african"},
    {"Black or Black British - Any other Black ethnic background (B9)", B, "black_other"},
    {"Chinese or other ethnic group - Chinese (O1)", A, "asian_chinese"}, /* see above */
    {"Chinese or other ethnic group - Any other ethnic group (O9)", O, "other_any"},
    {"Not stated (NS)", NS, "not_stated"},

    /*
     * Census 2021 TS021 category names, then its five headings. Officer-
     * defined values ("White", "Black", "Asian", "Mixed", "Other") are the
     * broad group names below, matched case-insensitively.
     */
    {"Asian, Asian British or Asian Welsh: Bangladeshi", A, "asian_bangladeshi"},
    {"Asian, Asian British or Asian Welsh: Chinese", A, "asian_chinese"},
    {"Asian, Asian British or Asian Welsh: Indian", A, "asian_indian"},
    {"Asian, Asian British or Asian Welsh: Pakistani", A, "asian_pakistani"},
    {"Asian, Asian British or Asian Welsh: Other Asian", A, "asian_other"},
    {"Black, Black British, Black Welsh, Caribbean or African: African", B, "black_african"},
    {"Black, Black British, Black Welsh, Caribbean or African: Caribbean", B, "black_caribbean"},
    {"Black, Black British, Black Welsh, Caribbean or African: Other Black", B, "black_other"},
    {"Mixed or Multiple ethnic groups: White and Asian", M, "mixed_white_asian"},
    {"Mixed or Multiple ethnic groups: White and Black African", M, "mixed_white_black_african"},
    {"Mixed or Multiple ethnic groups: White and Black Caribbean", M,
     "mixed_white_black_caribbean"},
    {"Mixed or Multiple ethnic groups: Other Mixed or Multiple ethnic groups", M, "mixed_other"},
    {"White: English, Welsh, Scottish, Northern Irish or British", W, "white_british"},
    {"White: Irish", W, "white_irish"},
    {"White: Gypsy or Irish Traveller", W, "white_gypsy_irish_traveller"},
    {"White: Roma", W, "white_roma"},
    {"White: Other White", W, "white_other"},
    {"Other ethnic group: Arab", O, "other_arab"},
    {"Other ethnic group: Any other ethnic group", O, "other_any"},
    /* Census 2011 KS201EW category names (five are worded as in TS021
     * above: White: Irish, Gypsy or Irish Traveller, Other White, and the
     * two Other ethnic group ones). */
    {"White: English/Welsh/Scottish/Northern Irish/British", W, "white_british"},
    {"Mixed/multiple ethnic group: White and Black Caribbean", M, "mixed_white_black_caribbean"},
    {"Mixed/multiple ethnic group: White and Black African", M, "mixed_white_black_african"},
    {"Mixed/multiple ethnic group: White and Asian", M, "mixed_white_asian"},
    {"Mixed/multiple ethnic group: Other Mixed", M, "mixed_other"},
    {"Asian/Asian British: Indian", A, "asian_indian"},
    {"Asian/Asian British: Pakistani", A, "asian_pakistani"},
    {"Asian/Asian British: Bangladeshi", A, "asian_bangladeshi"},
    {"Asian/Asian British: Chinese", A, "asian_chinese"},
    {"Asian/Asian British: Other Asian", A, "asian_other"},
    {"Black/African/Caribbean/Black British: African", B, "black_african"},
    {"Black/African/Caribbean/Black British: Caribbean", B, "black_caribbean"},
    {"Black/African/Caribbean/Black British: Other Black", B, "black_other"},

    /* TS021's headings: a broad group only. */
    {"Asian, Asian British or Asian Welsh", A, NULL},
    {"Black, Black British, Black Welsh, Caribbean or African", B, NULL},
    {"Mixed or Multiple ethnic groups", M, NULL},
    {"Other ethnic group", O, NULL},

    /* Broad groups (our own names) and the officer-defined values. */
    {"asian", A, NULL},
    {"black", B, NULL},
    {"mixed", M, NULL},
    {"white", W, NULL},
    {"other", O, NULL},
    {"not_stated", NS, "not_stated"},
    {"not stated", NS, "not_stated"},
    {"unknown", NS, "not_stated"},
};

/*
 * Group headings for the fallback: a heading, optional blanks, then "-" or
 * ":" and a subcategory, so "White - Polish" or "Other ethnic group: Kurdish"
 * still count. The slash forms are whole headings, not a "/" separator after
 * "White" etc., so "White/Black Caribbean"-like labels are not taken as
 * white. "Chinese or other ethnic group" is deliberately absent: an unknown
 * subcategory of it may be Chinese (asian) or not (other), so it stays
 * unrecognised rather than guessed.
 */
static const struct eth_label headings[] = {
    {"Asian", A, NULL},
    {"Asian/Asian British", A, NULL},
    {"Asian or Asian British", A, NULL},
    {"Asian, Asian British or Asian Welsh", A, NULL},
    {"Black", B, NULL},
    {"Black/African/Caribbean/Black British", B, NULL},
    {"Black or Black British", B, NULL},
    {"Black, Black British, Black Welsh, Caribbean or African", B, NULL},
    {"Mixed", M, NULL},
    {"Mixed/Multiple ethnic groups", M, NULL},
    {"Mixed or Multiple ethnic groups", M, NULL},
    {"White", W, NULL},
    {"Other ethnic group", O, NULL},
};

#undef A
#undef B
#undef M
#undef W
#undef O
#undef NS

/*
 * The detailed groups: Census 2011 and 2021's categories (the names of
 * equality.census_categories), then one per broad group for a label that
 * names only the broad group. Chinese is asian_chinese, an Asian group.
 */
static const struct {
    const char *name;
    enum eqm_ethnic_group group;
} detailed_groups[] = {
    {"white_british", EQM_ETH_WHITE},
    {"white_irish", EQM_ETH_WHITE},
    {"white_gypsy_irish_traveller", EQM_ETH_WHITE},
    {"white_roma", EQM_ETH_WHITE},
    {"white_other", EQM_ETH_WHITE},
    {"mixed_white_black_caribbean", EQM_ETH_MIXED},
    {"mixed_white_black_african", EQM_ETH_MIXED},
    {"mixed_white_asian", EQM_ETH_MIXED},
    {"mixed_other", EQM_ETH_MIXED},
    {"asian_indian", EQM_ETH_ASIAN},
    {"asian_pakistani", EQM_ETH_ASIAN},
    {"asian_bangladeshi", EQM_ETH_ASIAN},
    {"asian_chinese", EQM_ETH_ASIAN},
    {"asian_other", EQM_ETH_ASIAN},
    {"black_african", EQM_ETH_BLACK},
    {"black_caribbean", EQM_ETH_BLACK},
    {"black_other", EQM_ETH_BLACK},
    {"other_arab", EQM_ETH_OTHER},
    {"other_any", EQM_ETH_OTHER},
    {"asian_unspecified", EQM_ETH_ASIAN},
    {"black_unspecified", EQM_ETH_BLACK},
    {"mixed_unspecified", EQM_ETH_MIXED},
    {"white_unspecified", EQM_ETH_WHITE},
    {"other_unspecified", EQM_ETH_OTHER},
    {"not_stated", EQM_ETH_NOT_STATED},
};

static const char *const unspecified[EQM_ETH__COUNT] = {
    [EQM_ETH_NOT_STATED] = "not_stated",   [EQM_ETH_ASIAN] = "asian_unspecified",
    [EQM_ETH_BLACK] = "black_unspecified", [EQM_ETH_MIXED] = "mixed_unspecified",
    [EQM_ETH_WHITE] = "white_unspecified", [EQM_ETH_OTHER] = "other_unspecified",
};

static const char *const group_names[EQM_ETH__COUNT] = {
    [EQM_ETH_NOT_STATED] = "not_stated", [EQM_ETH_ASIAN] = "asian", [EQM_ETH_BLACK] = "black",
    [EQM_ETH_MIXED] = "mixed",           [EQM_ETH_WHITE] = "white", [EQM_ETH_OTHER] = "other",
};

/* ASCII only: tolower() would follow whatever locale the process set. */
static int lower(int c) {
    return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

static bool blank(int c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

/* True when the n bytes at s equal the first n bytes of label, ignoring case. */
static bool same_prefix(const char *s, const char *label, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (lower((unsigned char)s[i]) != lower((unsigned char)label[i]))
            return false;
    }
    return true;
}

static const struct eth_label *find_label(const char *s, size_t len) {
    for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++) {
        if (strlen(labels[i].label) == len && same_prefix(s, labels[i].label, len))
            return &labels[i];
    }
    return NULL;
}

static const struct eth_label *find_heading(const char *s, size_t len) {
    for (size_t i = 0; i < sizeof(headings) / sizeof(headings[0]); i++) {
        size_t n = strlen(headings[i].label);
        if (n >= len || !same_prefix(s, headings[i].label, n))
            continue;
        while (n < len && blank((unsigned char)s[n]))
            n++;
        if (n < len && (s[n] == '-' || s[n] == ':'))
            return &headings[i];
    }
    return NULL;
}

/* The label s names, after trimming; NULL for blank or unknown (*blank_out
 * says which). */
static const struct eth_label *lookup(const char *s, size_t len, bool *blank_out) {
    const struct eth_label *hit;

    if (s == NULL)
        len = 0;
    while (len > 0 && blank((unsigned char)s[0])) {
        s++;
        len--;
    }
    while (len > 0 && blank((unsigned char)s[len - 1]))
        len--;

    /* Blank is how police.uk writes "not recorded" (vehicle-only searches). */
    *blank_out = len == 0;
    if (len == 0)
        return NULL;
    hit = find_label(s, len);
    if (hit == NULL)
        hit = find_heading(s, len);
    return hit;
}

enum eqm_ethnic_group eqm_ethnicity_map(const char *s, size_t len, bool *recognised) {
    bool is_blank;
    const struct eth_label *hit = lookup(s, len, &is_blank);

    if (recognised != NULL)
        *recognised = hit != NULL || is_blank;
    return hit != NULL ? hit->group : EQM_ETH_NOT_STATED;
}

const char *eqm_ethnicity_detailed(const char *s, size_t len, enum eqm_ethnic_group *broad,
                                   bool *recognised) {
    bool is_blank;
    const struct eth_label *hit = lookup(s, len, &is_blank);
    enum eqm_ethnic_group g = hit != NULL ? hit->group : EQM_ETH_NOT_STATED;

    if (recognised != NULL)
        *recognised = hit != NULL || is_blank;
    if (broad != NULL)
        *broad = g;
    if (hit != NULL && hit->detailed != NULL)
        return hit->detailed;
    return unspecified[g];
}

const char *eqm_ethnicity_census_category(int i) {
    /* detailed_groups[] opens with the Census categories. */
    return i >= 0 && i < EQM_ETH_CENSUS_CATEGORIES ? detailed_groups[i].name : NULL;
}

bool eqm_ethnicity_detailed_broad(const char *detailed, enum eqm_ethnic_group *broad) {
    for (size_t i = 0; i < sizeof(detailed_groups) / sizeof(detailed_groups[0]); i++) {
        if (!strcmp(detailed, detailed_groups[i].name)) {
            if (broad != NULL)
                *broad = detailed_groups[i].group;
            return true;
        }
    }
    return false;
}

const char *eqm_ethnicity_name(enum eqm_ethnic_group g) {
    if ((int)g < 0 || g >= EQM_ETH__COUNT)
        return NULL;
    return group_names[g];
}

bool eqm_ethnicity_is_bme(enum eqm_ethnic_group g) {
    return g == EQM_ETH_ASIAN || g == EQM_ETH_BLACK || g == EQM_ETH_MIXED || g == EQM_ETH_OTHER;
}
