/*
 * ethnicity.c - ethnicity labels onto the broad groups.
 *
 * One table of every label we know, compared case-insensitively after
 * trimming; a second, short table of group headings catches subcategories
 * the first does not list yet. Both are scanned linearly: about a hundred
 * short strings, each rejected on its length first, is cheaper than any
 * index we would have to build and keep in step.
 */
#include "eqm/ethnicity.h"

#include <string.h>

struct eth_label {
    const char *label;
    enum eqm_ethnic_group group;
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
    {"Asian/Asian British - Bangladeshi", A},
    {"Asian/Asian British - Chinese", A},
    {"Asian/Asian British - Indian", A},
    {"Asian/Asian British - Pakistani", A},
    {"Asian/Asian British - Any other Asian background", A},
    {"Black/African/Caribbean/Black British - African", B},
    {"Black/African/Caribbean/Black British - Caribbean", B},
    {"Black/African/Caribbean/Black British - Any other Black/African/Caribbean background", B},
    {"Mixed/Multiple ethnic groups - White and Asian", M},
    {"Mixed/Multiple ethnic groups - White and Black African", M},
    {"Mixed/Multiple ethnic groups - White and Black Caribbean", M},
    {"Mixed/Multiple ethnic groups - Any other Mixed/Multiple ethnic background", M},
    {"White - English/Welsh/Scottish/Northern Irish/British", W},
    {"White - Irish", W},
    {"White - Gypsy or Irish Traveller", W},
    {"White - Roma", W},
    {"White - Any other White background", W},
    {"Other ethnic group - Arab", O},
    {"Other ethnic group - Any other ethnic group", O},
    {"Other ethnic group - Not stated", NS},

    /*
     * police.uk self-defined, older 16+1 coded labels. Both heading forms
     * are listed: "Asian - ..." and the "Asian or Asian British - ..." that
     * the API returned for the same codes.
     */
    {"White - White British (W1)", W},
    {"White - White Irish (W2)", W},
    {"White - Any other White ethnic background (W9)", W},
    {"Mixed - White and Black Caribbean (M1)", M},
    {"Mixed - White and Black African (M2)", M},
    {"Mixed - White and Asian (M3)", M},
    {"Mixed - Any other Mixed ethnic background (M9)", M},
    {"Asian - Indian (A1)", A},
    {"Asian - Pakistani (A2)", A},
    {"Asian - Bangladeshi (A3)", A},
    {"Asian - Any other Asian ethnic background (A9)", A},
    {"Asian or Asian British - Indian (A1)", A},
    {"Asian or Asian British - Pakistani (A2)", A},
    {"Asian or Asian British - Bangladeshi (A3)", A},
    {"Asian or Asian British - Any other Asian ethnic background (A9)", A},
    {"Black - Caribbean (B1)", B},
    {"Black - African (B2)", B},
    {"Black - Any other Black ethnic background (B9)", B},
    {"Black or Black British - Caribbean (B1)", B},
    {"Black or Black British - African (B2)", B},
    {"Black or Black British - Any other Black ethnic background (B9)", B},
    {"Chinese or other ethnic group - Chinese (O1)", A}, /* see above */
    {"Chinese or other ethnic group - Any other ethnic group (O9)", O},
    {"Not stated (NS)", NS},

    /*
     * Census 2021 TS021 category names, then its five headings. Officer-
     * defined values ("White", "Black", "Asian", "Mixed", "Other") are the
     * broad group names below, matched case-insensitively.
     */
    {"Asian, Asian British or Asian Welsh: Bangladeshi", A},
    {"Asian, Asian British or Asian Welsh: Chinese", A},
    {"Asian, Asian British or Asian Welsh: Indian", A},
    {"Asian, Asian British or Asian Welsh: Pakistani", A},
    {"Asian, Asian British or Asian Welsh: Other Asian", A},
    {"Black, Black British, Black Welsh, Caribbean or African: African", B},
    {"Black, Black British, Black Welsh, Caribbean or African: Caribbean", B},
    {"Black, Black British, Black Welsh, Caribbean or African: Other Black", B},
    {"Mixed or Multiple ethnic groups: White and Asian", M},
    {"Mixed or Multiple ethnic groups: White and Black African", M},
    {"Mixed or Multiple ethnic groups: White and Black Caribbean", M},
    {"Mixed or Multiple ethnic groups: Other Mixed or Multiple ethnic groups", M},
    {"White: English, Welsh, Scottish, Northern Irish or British", W},
    {"White: Irish", W},
    {"White: Gypsy or Irish Traveller", W},
    {"White: Roma", W},
    {"White: Other White", W},
    {"Other ethnic group: Arab", O},
    {"Other ethnic group: Any other ethnic group", O},
    {"Asian, Asian British or Asian Welsh", A},
    {"Black, Black British, Black Welsh, Caribbean or African", B},
    {"Mixed or Multiple ethnic groups", M},
    {"Other ethnic group", O},

    /* Broad groups (our own names) and the officer-defined values. */
    {"asian", A},
    {"black", B},
    {"mixed", M},
    {"white", W},
    {"other", O},
    {"not_stated", NS},
    {"not stated", NS},
    {"unknown", NS},
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
    {"Asian", A},
    {"Asian/Asian British", A},
    {"Asian or Asian British", A},
    {"Asian, Asian British or Asian Welsh", A},
    {"Black", B},
    {"Black/African/Caribbean/Black British", B},
    {"Black or Black British", B},
    {"Black, Black British, Black Welsh, Caribbean or African", B},
    {"Mixed", M},
    {"Mixed/Multiple ethnic groups", M},
    {"Mixed or Multiple ethnic groups", M},
    {"White", W},
    {"Other ethnic group", O},
};

#undef A
#undef B
#undef M
#undef W
#undef O
#undef NS

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

enum eqm_ethnic_group eqm_ethnicity_map(const char *s, size_t len, bool *recognised) {
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
    if (len == 0) {
        if (recognised != NULL)
            *recognised = true;
        return EQM_ETH_NOT_STATED;
    }

    hit = find_label(s, len);
    if (hit == NULL)
        hit = find_heading(s, len);
    if (recognised != NULL)
        *recognised = hit != NULL;
    return hit != NULL ? hit->group : EQM_ETH_NOT_STATED;
}

const char *eqm_ethnicity_name(enum eqm_ethnic_group g) {
    if ((int)g < 0 || g >= EQM_ETH__COUNT)
        return NULL;
    return group_names[g];
}

bool eqm_ethnicity_is_bme(enum eqm_ethnic_group g) {
    return g == EQM_ETH_ASIAN || g == EQM_ETH_BLACK || g == EQM_ETH_MIXED || g == EQM_ETH_OTHER;
}
