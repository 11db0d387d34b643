/*
 * test_census.c - the Census categories (eqm/tools/census.h) and the
 * population loader's reading half (eqm_population_read_layout()).
 *
 * The expected lists are written out here by hand from the ONS category
 * lists: KS201EW (Census 2011) has 18 ethnic group categories, TS021
 * (Census 2021) 19, plus "Does not apply" (20 with it); each is given its
 * detailed and broad group independently of the loader's table.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eqm/tools/census.h"
#include "eqm/tools/population.h"

/* "label|detailed group|broad group", KS201EW in the ONS order. */
static const char *const ks201ew[] = {
    "White: English/Welsh/Scottish/Northern Irish/British|white_british|white",
    "White: Irish|white_irish|white",
    "White: Gypsy or Irish Traveller|white_gypsy_irish_traveller|white",
    "White: Other White|white_other|white",
    "Mixed/multiple ethnic group: White and Black Caribbean|mixed_white_black_caribbean|mixed",
    "Mixed/multiple ethnic group: White and Black African|mixed_white_black_african|mixed",
    "Mixed/multiple ethnic group: White and Asian|mixed_white_asian|mixed",
    "Mixed/multiple ethnic group: Other Mixed|mixed_other|mixed",
    "Asian/Asian British: Indian|asian_indian|asian",
    "Asian/Asian British: Pakistani|asian_pakistani|asian",
    "Asian/Asian British: Bangladeshi|asian_bangladeshi|asian",
    "Asian/Asian British: Chinese|asian_chinese|asian",
    "Asian/Asian British: Other Asian|asian_other|asian",
    "Black/African/Caribbean/Black British: African|black_african|black",
    "Black/African/Caribbean/Black British: Caribbean|black_caribbean|black",
    "Black/African/Caribbean/Black British: Other Black|black_other|black",
    "Other ethnic group: Arab|other_arab|other",
    "Other ethnic group: Any other ethnic group|other_any|other",
};

/* TS021, in the ONS order. */
static const char *const ts021[] = {
    "Asian, Asian British or Asian Welsh: Bangladeshi|asian_bangladeshi|asian",
    "Asian, Asian British or Asian Welsh: Chinese|asian_chinese|asian",
    "Asian, Asian British or Asian Welsh: Indian|asian_indian|asian",
    "Asian, Asian British or Asian Welsh: Pakistani|asian_pakistani|asian",
    "Asian, Asian British or Asian Welsh: Other Asian|asian_other|asian",
    "Black, Black British, Black Welsh, Caribbean or African: African|black_african|black",
    "Black, Black British, Black Welsh, Caribbean or African: Caribbean|black_caribbean|black",
    "Black, Black British, Black Welsh, Caribbean or African: Other Black|black_other|black",
    "Mixed or Multiple ethnic groups: White and Asian|mixed_white_asian|mixed",
    "Mixed or Multiple ethnic groups: White and Black African|mixed_white_black_african|mixed",
    "Mixed or Multiple ethnic groups: White and Black Caribbean|mixed_white_black_caribbean|mixed",
    "Mixed or Multiple ethnic groups: Other Mixed or Multiple ethnic groups|mixed_other|mixed",
    "White: English, Welsh, Scottish, Northern Irish or British|white_british|white",
    "White: Irish|white_irish|white",
    "White: Gypsy or Irish Traveller|white_gypsy_irish_traveller|white",
    "White: Roma|white_roma|white",
    "White: Other White|white_other|white",
    "Other ethnic group: Arab|other_arab|other",
    "Other ethnic group: Any other ethnic group|other_any|other",
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Splits "a|b|c" into its three parts (in buf). */
static void split(const char *row, char *buf, size_t sz, const char **label, const char **detailed,
                  const char **broad) {
    char *bar;
    snprintf(buf, sz, "%s", row);
    *label = buf;
    bar = strchr(buf, '|');
    assert_non_null(bar);
    *bar = '\0';
    *detailed = bar + 1;
    bar = strchr(bar + 1, '|');
    assert_non_null(bar);
    *bar = '\0';
    *broad = bar + 1;
}

static void check_list(const char *const *rows, size_t n, enum eqm_census_layout census) {
    for (size_t i = 0; i < n; i++) {
        const struct eqm_census_category *c = NULL;
        enum eqm_census_layout layout = EQM_CENSUS_ANY;
        const char *label, *detailed, *broad;
        char buf[256];

        split(rows[i], buf, sizeof(buf), &label, &detailed, &broad);
        if (eqm_census_classify(label, strlen(label), &c, &layout, NULL) !=
                EQM_CENSUS_ROW_CATEGORY ||
            !c)
            fail_msg("not a category: %s", label);
        assert_string_equal(c->detailed, detailed);
        assert_string_equal(eqm_ethnicity_name(c->broad), broad);
        assert_string_equal(census == EQM_CENSUS_2011 ? c->ks201ew : c->ts021, label);
        /* Worded alike in both censuses, or this census's own wording. */
        if (layout != census)
            assert_string_equal(c->ks201ew, c->ts021);
    }
}

static void test_every_category_maps(void **state) {
    const struct eqm_census_category *all;
    size_t n, n2011 = 0;

    (void)state;
    assert_int_equal(N(ks201ew), 18);
    assert_int_equal(N(ts021), 19);
    check_list(ks201ew, N(ks201ew), EQM_CENSUS_2011);
    check_list(ts021, N(ts021), EQM_CENSUS_2021);
    /* The table has these and nothing else: 19 detailed groups, every one
     * a 2021 category, all but Roma a 2011 one. */
    all = eqm_census_categories(&n);
    assert_int_equal(n, 19);
    for (size_t i = 0; i < n; i++)
        n2011 += all[i].ks201ew != NULL;
    assert_int_equal(n2011, 18);
    /* TS021's 20th row. */
    assert_int_equal(eqm_census_classify("Does not apply", 14, NULL, NULL, NULL),
                     EQM_CENSUS_ROW_DOES_NOT_APPLY);
}

static void test_detailed_groups(void **state) {
    (void)state;
    /* Every 2011 category's detailed group is that of a 2021 category with
     * the same broad group; 2021 adds only Roma. */
    for (size_t i = 0; i < N(ks201ew); i++) {
        const char *l1, *d1, *b1, *l2 = NULL, *d2 = NULL, *b2 = NULL;
        char buf1[256], buf2[256];
        size_t j;

        split(ks201ew[i], buf1, sizeof(buf1), &l1, &d1, &b1);
        for (j = 0; j < N(ts021); j++) {
            split(ts021[j], buf2, sizeof(buf2), &l2, &d2, &b2);
            if (!strcmp(d1, d2))
                break;
        }
        assert_true(j < N(ts021));
        assert_string_equal(b1, b2);
    }
}

static void test_other_rows(void **state) {
    enum eqm_census_layout l = EQM_CENSUS_ANY;
    enum eqm_ethnic_group g = EQM_ETH_NOT_STATED;
    const struct eqm_census_category *c = NULL;

    (void)state;
    assert_int_equal(eqm_census_classify("  all usual residents ", 22, NULL, &l, NULL),
                     EQM_CENSUS_ROW_TOTAL);
    assert_int_equal(l, EQM_CENSUS_2011);
    assert_int_equal(eqm_census_classify("Total: All usual residents", 26, NULL, &l, NULL),
                     EQM_CENSUS_ROW_TOTAL);
    assert_int_equal(l, EQM_CENSUS_2021);
    assert_int_equal(eqm_census_classify("White", 5, NULL, NULL, &g), EQM_CENSUS_ROW_BROAD);
    assert_int_equal(g, EQM_ETH_WHITE);
    assert_int_equal(eqm_census_classify("WHITE: IRISH", 12, &c, &l, NULL),
                     EQM_CENSUS_ROW_CATEGORY);
    assert_int_equal(l, EQM_CENSUS_ANY);
    /* A heading (a subtotal) and a made-up subcategory are not categories. */
    assert_int_equal(
        eqm_census_classify("Asian, Asian British or Asian Welsh", 35, NULL, NULL, NULL),
        EQM_CENSUS_ROW_UNKNOWN);
    assert_int_equal(eqm_census_classify("White: Polish", 13, NULL, NULL, NULL),
                     EQM_CENSUS_ROW_UNKNOWN);
    assert_int_equal(eqm_census_classify("not_stated", 10, NULL, NULL, NULL),
                     EQM_CENSUS_ROW_UNKNOWN);
}

/* The reading half over a string: rows handed on are collected. */
struct rows {
    char text[4096];
    size_t len, n;
};

static int collect(void *arg, const char *line, size_t len, char *msg, size_t sz) {
    struct rows *r = arg;
    (void)msg;
    (void)sz;
    if (r->len + len >= sizeof(r->text))
        return -1;
    memcpy(r->text + r->len, line, len);
    r->len += len;
    r->text[r->len] = '\0';
    r->n++;
    return 0;
}

static int read_str(const char *csv, enum eqm_census_layout layout, struct rows *r,
                    struct eqm_population_load_stats *st, char *err, size_t errsz) {
    FILE *fp = fmemopen((void *)csv, strlen(csv), "r");
    int rc;
    assert_non_null(fp);
    memset(r, 0, sizeof(*r));
    rc = eqm_population_read_layout(fp, "p.csv", layout, collect, r, st, err, errsz);
    fclose(fp);
    return rc;
}

#define HEAD "area_code,area_name,census_category,population\n"

static void test_read_2011(void **state) {
    struct eqm_population_load_stats st;
    struct rows r;
    char err[512];

    (void)state;
    assert_int_equal(read_str(HEAD "E23000023,Cambs,Asian/Asian British: Chinese,7595\n"
                                   "E23000023,Cambs,White: Irish,6165\n"
                                   "E23000023,Cambs,All usual residents,13760\n",
                              EQM_CENSUS_2011, &r, &st, err, sizeof(err)),
                     0);
    assert_int_equal(st.rows, 2);
    assert_int_equal(st.checks, 1);
    assert_int_equal(st.population, 7595 + 6165);
    assert_int_equal(st.layout, EQM_CENSUS_2011);
    assert_string_equal(
        r.text, "E23000023\tCambs\tAsian/Asian British: Chinese\tasian_chinese\tasian\t7595\n"
                "E23000023\tCambs\tWhite: Irish\twhite_irish\twhite\t6165\n");
}

static void test_read_errors(void **state) {
    static const struct {
        const char *csv;
        enum eqm_census_layout layout;
        const char *says;
    } bad[] = {
        /* A 2021 category in a file the base wants in 2011 wording. */
        {HEAD "E1,A,White: Irish,1\nE1,A,White: Roma,2\n", EQM_CENSUS_2011,
         "p.csv:3: census_category \"White: Roma\" is worded as in Census 2021 (TS021)"},
        /* Either wording, but not both in one file: the first fixes it. */
        {HEAD "E1,A,Asian/Asian British: Indian,1\nE1,A,White: Irish,1\n"
              "E1,A,\"Asian, Asian British or Asian Welsh: Indian\",2\n",
         EQM_CENSUS_ANY, "p.csv:4: census_category"},
        /* A total that is not the sum of its area's rows names its line. */
        {HEAD "E1,A,Total: All usual residents,10\nE1,A,White: Roma,4\nE1,A,White: Irish,5\n",
         EQM_CENSUS_ANY, "p.csv:2: the total of E1, 10, is not the sum of its categories, 9"},
        {HEAD "E1,A,Does not apply,3\n", EQM_CENSUS_ANY, "p.csv:2: \"Does not apply\" counts 3"},
        {HEAD "E1,A,White: Polish,3\n", EQM_CENSUS_ANY,
         "p.csv:2: unknown census_category \"White: Polish\""},
    };
    struct rows r;
    char err[512];

    (void)state;
    for (size_t i = 0; i < N(bad); i++) {
        assert_int_equal(read_str(bad[i].csv, bad[i].layout, &r, NULL, err, sizeof(err)), -1);
        if (!strstr(err, bad[i].says))
            fail_msg("case %zu: \"%s\" does not say \"%s\"", i, err, bad[i].says);
    }
}

static void test_read_broad_names(void **state) {
    struct eqm_population_load_stats st;
    struct rows r;
    char err[512];

    (void)state;
    /* A file of broad groups only (as the tests' synthetic ones): no detail. */
    assert_int_equal(
        read_str(HEAD "E1,A,White,100\nE1,A,Black,7\n", EQM_CENSUS_2021, &r, &st, err, sizeof(err)),
        0);
    assert_int_equal(st.layout, EQM_CENSUS_2021);
    assert_string_equal(r.text, "E1\tA\tWhite\t\\N\twhite\t100\nE1\tA\tBlack\t\\N\tblack\t7\n");
}

EQM_UNIT_MAIN(test_every_category_maps, test_detailed_groups, test_other_rows, test_read_2011,
              test_read_errors, test_read_broad_names)
