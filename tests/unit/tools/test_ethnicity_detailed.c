/*
 * test_ethnicity_detailed.c - the detailed groups (eqm_ethnicity_detailed
 * in eqm/ethnicity.h) and the aggregates beside bme (eqm/bme.h).
 *
 * Every Census 2011 (KS201EW) and 2021 (TS021) wording of the loader's
 * table (eqm/tools/census.h) maps to that table's detailed group and to
 * its broad group, and each detailed group's broad group agrees with
 * eqm_ethnicity_map; the police.uk 18+1 labels and the old coded labels are
 * written out here by hand.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit.h"

#include <string.h>

#include "eqm/bme.h"
#include "eqm/ethnicity.h"
#include "eqm/tools/census.h"

static void expect(const char *label, const char *detailed) {
    bool recognised = false;
    enum eqm_ethnic_group broad = EQM_ETH__COUNT, of_detailed = EQM_ETH__COUNT;
    const char *got = eqm_ethnicity_detailed(label, strlen(label), &broad, &recognised);

    if (strcmp(got, detailed))
        fail_msg("\"%s\": %s, expected %s", label, got, detailed);
    assert_true(recognised);
    assert_int_equal(broad, eqm_ethnicity_map(label, strlen(label), NULL));
    assert_true(eqm_ethnicity_detailed_broad(got, &of_detailed));
    assert_int_equal(of_detailed, broad);
}

static void test_census_wordings(void **state) {
    size_t n, n2011 = 0;
    const struct eqm_census_category *c = eqm_census_categories(&n);
    (void)state;

    assert_int_equal(n, 19);
    for (size_t i = 0; i < n; i++) {
        enum eqm_ethnic_group g;
        const char *w[2] = {c[i].ks201ew, c[i].ts021};
        assert_true(eqm_ethnicity_detailed_broad(c[i].detailed, &g));
        assert_int_equal(g, c[i].broad);
        for (int k = 0; k < 2; k++) {
            if (!w[k])
                continue;
            n2011 += k == 0;
            expect(w[k], c[i].detailed);
            assert_int_equal(eqm_ethnicity_map(w[k], strlen(w[k]), NULL), c[i].broad);
        }
    }
    assert_int_equal(n2011, 18);
}

static void test_policeuk_labels(void **state) {
    (void)state;
    /* The 18+1 self-defined labels. */
    expect("Asian/Asian British - Bangladeshi", "asian_bangladeshi");
    expect("Asian/Asian British - Chinese", "asian_chinese");
    expect("Asian/Asian British - Indian", "asian_indian");
    expect("Asian/Asian British - Pakistani", "asian_pakistani");
    expect("Asian/Asian British - Any other Asian background", "asian_other");
    expect("Black/African/Caribbean/Black British - African", "black_african");
    expect("Black/African/Caribbean/Black British - Caribbean", "black_caribbean");
    expect("Black/African/Caribbean/Black British - Any other Black/African/Caribbean background",
           "black_other");
    expect("Mixed/Multiple ethnic groups - White and Asian", "mixed_white_asian");
    expect("Mixed/Multiple ethnic groups - White and Black African", "mixed_white_black_african");
    expect("Mixed/Multiple ethnic groups - White and Black Caribbean",
           "mixed_white_black_caribbean");
    expect("Mixed/Multiple ethnic groups - Any other Mixed/Multiple ethnic background",
           "mixed_other");
    expect("White - English/Welsh/Scottish/Northern Irish/British", "white_british");
    expect("White - Irish", "white_irish");
    expect("White - Gypsy or Irish Traveller", "white_gypsy_irish_traveller");
    expect("White - Roma", "white_roma");
    expect("White - Any other White background", "white_other");
    expect("Other ethnic group - Arab", "other_arab");
    expect("Other ethnic group - Any other ethnic group", "other_any");
    expect("Other ethnic group - Not stated", "not_stated");
    /* Old coded labels. */
    expect("White - White British (W1)", "white_british");
    expect("White - White Irish (W2)", "white_irish");
    expect("White - Any other White ethnic background (W9)", "white_other");
    expect("Mixed - White and Black Caribbean (M1)", "mixed_white_black_caribbean");
    expect("Asian or Asian British - Pakistani (A2)", "asian_pakistani");
    expect("Black - Any other Black ethnic background (B9)", "black_other");
    expect("Chinese or other ethnic group - Chinese (O1)", "asian_chinese");
    expect("Chinese or other ethnic group - Any other ethnic group (O9)", "other_any");
    expect("Not stated (NS)", "not_stated");
    /* Only a broad group. */
    expect("Asian", "asian_unspecified");
    expect("white", "white_unspecified");
    expect("Other ethnic group", "other_unspecified");
    expect("White - Polish", "white_unspecified");
    expect("", "not_stated");
}

static void test_aggregates(void **state) {
    /* searches per detailed group, and the sums by hand:
     * white_minority = irish 3 + gypsy 2 + roma 1 + other 4 = 10;
     * bme = indian 5 + chinese 7 + asian_unspecified 1 + black_african 6 = 19;
     * all_minority = 29. white_british 50, white_unspecified 8, not_stated 9:
     * in none. */
    static const char *const grp[] = {
        "white_british", "white_irish",   "white_gypsy_irish_traveller",
        "white_roma",    "white_other",   "white_unspecified",
        "asian_indian",  "asian_chinese", "asian_unspecified",
        "black_african", "not_stated"};
    static const int64_t n[] = {50, 3, 2, 1, 4, 8, 5, 7, 1, 6, 9};
    int64_t sum[EQM_AGG__COUNT] = {0};
    (void)state;

    for (size_t i = 0; i < sizeof(n) / sizeof(n[0]); i++)
        for (int a = 0; a < EQM_AGG__COUNT; a++)
            (void)eqm_aggregate_add((enum eqm_aggregate)a, grp[i], &n[i], 1, &sum[a]);
    assert_int_equal(sum[EQM_AGG_WHITE_MINORITY], 10);
    assert_int_equal(sum[EQM_AGG_BME], 19);
    assert_int_equal(sum[EQM_AGG_ALL_MINORITY], 29);
    assert_string_equal(eqm_aggregate_name(EQM_AGG_WHITE_MINORITY), "white_minority");
    assert_string_equal(eqm_aggregate_name(EQM_AGG_ALL_MINORITY), "all_minority");
    /* Broad groups: bme only. */
    assert_true(eqm_aggregate_member(EQM_AGG_BME, "asian"));
    assert_false(eqm_aggregate_member(EQM_AGG_ALL_MINORITY, "asian"));
    assert_false(eqm_aggregate_member(EQM_AGG_WHITE_MINORITY, "white"));
}

EQM_UNIT_MAIN(test_census_wordings, test_policeuk_labels, test_aggregates)
