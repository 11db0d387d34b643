/*
 * test_ethnicity.c - the label table, and the labels real data uses.
 *
 * The expected groups below are written out by hand, not taken from the
 * implementation, so a wrong row in either shows up as a failure.
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

#include "eqm/ethnicity.h"

#define CENSUS_CSV EQM_SHARED_DIR "/data/census-2021/ethnic-group-by-district.csv"
#define POLICE_CSV EQM_SHARED_DIR "/data/police-uk/2025-07-cambridgeshire-stop-and-search.csv"

struct case_ {
    const char *label;
    enum eqm_ethnic_group group;
};

static const struct case_ known[] = {
    /* police.uk self-defined, current wording */
    {"Asian/Asian British - Bangladeshi", EQM_ETH_ASIAN},
    {"Asian/Asian British - Chinese", EQM_ETH_ASIAN},
    {"Asian/Asian British - Indian", EQM_ETH_ASIAN},
    {"Asian/Asian British - Pakistani", EQM_ETH_ASIAN},
    {"Asian/Asian British - Any other Asian background", EQM_ETH_ASIAN},
    {"Black/African/Caribbean/Black British - African", EQM_ETH_BLACK},
    {"Black/African/Caribbean/Black British - Caribbean", EQM_ETH_BLACK},
    {"Black/African/Caribbean/Black British - Any other Black/African/Caribbean background",
     EQM_ETH_BLACK},
    {"Mixed/Multiple ethnic groups - White and Asian", EQM_ETH_MIXED},
    {"Mixed/Multiple ethnic groups - White and Black African", EQM_ETH_MIXED},
    {"Mixed/Multiple ethnic groups - White and Black Caribbean", EQM_ETH_MIXED},
    {"Mixed/Multiple ethnic groups - Any other Mixed/Multiple ethnic background", EQM_ETH_MIXED},
    {"White - English/Welsh/Scottish/Northern Irish/British", EQM_ETH_WHITE},
    {"White - Irish", EQM_ETH_WHITE},
    {"White - Gypsy or Irish Traveller", EQM_ETH_WHITE},
    {"White - Roma", EQM_ETH_WHITE},
    {"White - Any other White background", EQM_ETH_WHITE},
    {"Other ethnic group - Arab", EQM_ETH_OTHER},
    {"Other ethnic group - Any other ethnic group", EQM_ETH_OTHER},
    {"Other ethnic group - Not stated", EQM_ETH_NOT_STATED},
    /* police.uk self-defined, older coded */
    {"White - White British (W1)", EQM_ETH_WHITE},
    {"White - White Irish (W2)", EQM_ETH_WHITE},
    {"White - Any other White ethnic background (W9)", EQM_ETH_WHITE},
    {"Asian - Indian (A1)", EQM_ETH_ASIAN},
    {"Asian - Pakistani (A2)", EQM_ETH_ASIAN},
    {"Asian - Bangladeshi (A3)", EQM_ETH_ASIAN},
    {"Asian - Any other Asian ethnic background (A9)", EQM_ETH_ASIAN},
    {"Asian or Asian British - Indian (A1)", EQM_ETH_ASIAN},
    {"Asian or Asian British - Pakistani (A2)", EQM_ETH_ASIAN},
    {"Asian or Asian British - Bangladeshi (A3)", EQM_ETH_ASIAN},
    {"Asian or Asian British - Any other Asian ethnic background (A9)", EQM_ETH_ASIAN},
    {"Black - Caribbean (B1)", EQM_ETH_BLACK},
    {"Black - African (B2)", EQM_ETH_BLACK},
    {"Black - Any other Black ethnic background (B9)", EQM_ETH_BLACK},
    {"Black or Black British - Caribbean (B1)", EQM_ETH_BLACK},
    {"Black or Black British - African (B2)", EQM_ETH_BLACK},
    {"Black or Black British - Any other Black ethnic background (B9)", EQM_ETH_BLACK},
    {"Mixed - White and Black Caribbean (M1)", EQM_ETH_MIXED},
    {"Mixed - White and Black African (M2)", EQM_ETH_MIXED},
    {"Mixed - White and Asian (M3)", EQM_ETH_MIXED},
    {"Mixed - Any other Mixed ethnic background (M9)", EQM_ETH_MIXED},
    {"Chinese or other ethnic group - Chinese (O1)", EQM_ETH_ASIAN},
    {"Chinese or other ethnic group - Any other ethnic group (O9)", EQM_ETH_OTHER},
    {"Not stated (NS)", EQM_ETH_NOT_STATED},
    {"Not Stated (NS)", EQM_ETH_NOT_STATED},
    /* officer-defined */
    {"White", EQM_ETH_WHITE},
    {"Black", EQM_ETH_BLACK},
    {"Asian", EQM_ETH_ASIAN},
    {"Mixed", EQM_ETH_MIXED},
    {"Other", EQM_ETH_OTHER},
    /* Census 2021 TS021 */
    {"Asian, Asian British or Asian Welsh: Bangladeshi", EQM_ETH_ASIAN},
    {"Asian, Asian British or Asian Welsh: Chinese", EQM_ETH_ASIAN},
    {"Asian, Asian British or Asian Welsh: Indian", EQM_ETH_ASIAN},
    {"Asian, Asian British or Asian Welsh: Pakistani", EQM_ETH_ASIAN},
    {"Asian, Asian British or Asian Welsh: Other Asian", EQM_ETH_ASIAN},
    {"Black, Black British, Black Welsh, Caribbean or African: African", EQM_ETH_BLACK},
    {"Black, Black British, Black Welsh, Caribbean or African: Caribbean", EQM_ETH_BLACK},
    {"Black, Black British, Black Welsh, Caribbean or African: Other Black", EQM_ETH_BLACK},
    {"Mixed or Multiple ethnic groups: White and Asian", EQM_ETH_MIXED},
    {"Mixed or Multiple ethnic groups: White and Black African", EQM_ETH_MIXED},
    {"Mixed or Multiple ethnic groups: White and Black Caribbean", EQM_ETH_MIXED},
    {"Mixed or Multiple ethnic groups: Other Mixed or Multiple ethnic groups", EQM_ETH_MIXED},
    {"White: English, Welsh, Scottish, Northern Irish or British", EQM_ETH_WHITE},
    {"White: Irish", EQM_ETH_WHITE},
    {"White: Gypsy or Irish Traveller", EQM_ETH_WHITE},
    {"White: Roma", EQM_ETH_WHITE},
    {"White: Other White", EQM_ETH_WHITE},
    {"Other ethnic group: Arab", EQM_ETH_OTHER},
    {"Other ethnic group: Any other ethnic group", EQM_ETH_OTHER},
    {"Asian, Asian British or Asian Welsh", EQM_ETH_ASIAN},
    {"Black, Black British, Black Welsh, Caribbean or African", EQM_ETH_BLACK},
    {"Mixed or Multiple ethnic groups", EQM_ETH_MIXED},
    {"Other ethnic group", EQM_ETH_OTHER},
    /* broad groups */
    {"asian", EQM_ETH_ASIAN},
    {"black", EQM_ETH_BLACK},
    {"mixed", EQM_ETH_MIXED},
    {"white", EQM_ETH_WHITE},
    {"other", EQM_ETH_OTHER},
    {"not_stated", EQM_ETH_NOT_STATED},
    {"not stated", EQM_ETH_NOT_STATED},
    {"unknown", EQM_ETH_NOT_STATED},
    {"", EQM_ETH_NOT_STATED},
    /* not in the table: caught by the heading rule */
    {"White - Polish", EQM_ETH_WHITE},
    {"white:other european", EQM_ETH_WHITE},
    {"Asian/Asian British - Sri Lankan", EQM_ETH_ASIAN},
    {"Asian or Asian British - Sri Lankan (A4)", EQM_ETH_ASIAN},
    {"Asian, Asian British or Asian Welsh: Other South Asian", EQM_ETH_ASIAN},
    {"Black/African/Caribbean/Black British - Somali", EQM_ETH_BLACK},
    {"Black - Somali", EQM_ETH_BLACK},
    {"Mixed or Multiple ethnic groups: White and Arab", EQM_ETH_MIXED},
    {"Mixed/Multiple ethnic groups - Black and Asian", EQM_ETH_MIXED},
    {"Other ethnic group - Kurdish", EQM_ETH_OTHER},
    {"Other ethnic group : Latin American", EQM_ETH_OTHER},
};

/* Labels that must stay unrecognised (and so not stated). */
static const char *const unknown[] = {
    "Martian",
    "bme",
    "Whiteish",
    "White British",                              /* no separator: not a heading match */
    "White and Black Caribbean",                  /* a Mixed subcategory without its heading */
    "White/Black Caribbean",                      /* "/" after a short heading is not a separator */
    "Other - something",                          /* "Other" alone is not a heading */
    "Chinese or other ethnic group - Vietnamese", /* asian or other: do not guess */
};

static void test_known_labels(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        bool rec = false;
        enum eqm_ethnic_group g = eqm_ethnicity_map(known[i].label, strlen(known[i].label), &rec);
        if (g != known[i].group || !rec)
            fail_msg("\"%s\": got %s recognised=%d, want %s", known[i].label, eqm_ethnicity_name(g),
                     rec, eqm_ethnicity_name(known[i].group));
    }
}

static void test_unknown(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
        bool rec = true;
        enum eqm_ethnic_group g = eqm_ethnicity_map(unknown[i], strlen(unknown[i]), &rec);
        if (g != EQM_ETH_NOT_STATED || rec)
            fail_msg("\"%s\": got %s recognised=%d, want unrecognised", unknown[i],
                     eqm_ethnicity_name(g), rec);
    }
    /* A heading and a separator with nothing after still names the group. */
    bool rec = false;
    assert_int_equal(eqm_ethnicity_map("White -", 7, &rec), EQM_ETH_WHITE);
    assert_true(rec);
    /* recognised may be NULL. */
    assert_int_equal(eqm_ethnicity_map("Martian", 7, NULL), EQM_ETH_NOT_STATED);
    assert_int_equal(eqm_ethnicity_map("Black", 5, NULL), EQM_ETH_BLACK);
}

static void test_case_space_len(void **state) {
    bool rec = false;
    (void)state;

    assert_int_equal(eqm_ethnicity_map("  wHITE - iRISH \t\r\n", 20, &rec), EQM_ETH_WHITE);
    assert_true(rec);
    assert_int_equal(eqm_ethnicity_map("BLACK/AFRICAN/CARIBBEAN/BLACK BRITISH - AFRICAN", 47, &rec),
                     EQM_ETH_BLACK);
    assert_true(rec);
    assert_int_equal(eqm_ethnicity_map("\tNOT_STATED ", 12, &rec), EQM_ETH_NOT_STATED);
    assert_true(rec);

    /* Only len bytes count: the tail is not part of the label. */
    assert_int_equal(eqm_ethnicity_map("White - Irish, Black", 13, &rec), EQM_ETH_WHITE);
    assert_true(rec);
    assert_int_equal(eqm_ethnicity_map("Mixedup", 5, &rec), EQM_ETH_MIXED);
    assert_true(rec);
    /* ... and a prefix of a label is not that label. */
    assert_int_equal(eqm_ethnicity_map("White - Iris", 12, &rec), EQM_ETH_WHITE); /* heading */
    assert_int_equal(eqm_ethnicity_map("Asian/Asian Briti", 17, &rec), EQM_ETH_NOT_STATED);
    assert_false(rec);
    /* An embedded NUL is a byte of the label, not its end. */
    assert_int_equal(eqm_ethnicity_map("White\0xx", 8, &rec), EQM_ETH_NOT_STATED);
    assert_false(rec);

    /* Exactly sized heap buffer without a NUL: valgrind/ASan catch an over-read. */
    char *buf = malloc(5);
    assert_non_null(buf);
    memcpy(buf, "asian", 5);
    assert_int_equal(eqm_ethnicity_map(buf, 5, &rec), EQM_ETH_ASIAN);
    assert_true(rec);
    memcpy(buf, "Black", 5);
    assert_int_equal(eqm_ethnicity_map(buf, 5, &rec), EQM_ETH_BLACK);
    free(buf);

    /* NULL and blank are not stated, and recognised. */
    rec = false;
    assert_int_equal(eqm_ethnicity_map(NULL, 0, &rec), EQM_ETH_NOT_STATED);
    assert_true(rec);
    rec = false;
    assert_int_equal(eqm_ethnicity_map(NULL, 10, &rec), EQM_ETH_NOT_STATED);
    assert_true(rec);
    rec = false;
    assert_int_equal(eqm_ethnicity_map(" \t ", 3, &rec), EQM_ETH_NOT_STATED);
    assert_true(rec);
    rec = false;
    assert_int_equal(eqm_ethnicity_map("White", 0, &rec), EQM_ETH_NOT_STATED);
    assert_true(rec);
}

static void test_name_and_bme(void **state) {
    (void)state;
    assert_string_equal(eqm_ethnicity_name(EQM_ETH_ASIAN), "asian");
    assert_string_equal(eqm_ethnicity_name(EQM_ETH_BLACK), "black");
    assert_string_equal(eqm_ethnicity_name(EQM_ETH_MIXED), "mixed");
    assert_string_equal(eqm_ethnicity_name(EQM_ETH_WHITE), "white");
    assert_string_equal(eqm_ethnicity_name(EQM_ETH_OTHER), "other");
    assert_string_equal(eqm_ethnicity_name(EQM_ETH_NOT_STATED), "not_stated");
    assert_null(eqm_ethnicity_name(EQM_ETH__COUNT));
    assert_null(eqm_ethnicity_name((enum eqm_ethnic_group) - 1));

    /* Every name maps back to its group. */
    for (int g = 0; g < EQM_ETH__COUNT; g++) {
        const char *name = eqm_ethnicity_name((enum eqm_ethnic_group)g);
        bool rec = false;
        assert_non_null(name);
        assert_int_equal(eqm_ethnicity_map(name, strlen(name), &rec), g);
        assert_true(rec);
    }

    assert_true(eqm_ethnicity_is_bme(EQM_ETH_ASIAN));
    assert_true(eqm_ethnicity_is_bme(EQM_ETH_BLACK));
    assert_true(eqm_ethnicity_is_bme(EQM_ETH_MIXED));
    assert_true(eqm_ethnicity_is_bme(EQM_ETH_OTHER));
    assert_false(eqm_ethnicity_is_bme(EQM_ETH_WHITE));
    assert_false(eqm_ethnicity_is_bme(EQM_ETH_NOT_STATED));
    assert_false(eqm_ethnicity_is_bme(EQM_ETH__COUNT));
    assert_string_equal(EQM_ETH_BME_NAME, "bme");
}

/*
 * Splits one CSV record (RFC 4180: fields may be quoted, "" is a quote
 * inside quotes) in place into at most max fields; strips a trailing
 * CR/LF. Records spanning lines are not needed for these files. Returns
 * the number of fields.
 */
static size_t csv_split(char *line, char **fields, size_t max) {
    size_t n = 0;
    char *r = line;
    size_t len = strlen(line);

    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        line[--len] = '\0';
    for (;;) {
        char *w = r;
        if (n == max)
            return n;
        fields[n++] = w;
        if (*r == '"') {
            r++;
            for (;;) {
                if (*r == '\0')
                    break;
                if (*r == '"' && r[1] == '"') {
                    *w++ = '"';
                    r += 2;
                } else if (*r == '"') {
                    r++;
                    break;
                } else {
                    *w++ = *r++;
                }
            }
        }
        while (*r != '\0' && *r != ',')
            *w++ = *r++;
        if (*r == '\0') {
            *w = '\0';
            return n;
        }
        *w = '\0'; /* w <= r: unquoting only ever shortens a field */
        r++;
    }
}

static void test_csv_split(void **state) {
    char line[] = "a,\"b, \"\"c\"\"\",,\"\",d\r\n";
    char *f[8];
    (void)state;

    assert_int_equal(csv_split(line, f, 8), 5);
    assert_string_equal(f[0], "a");
    assert_string_equal(f[1], "b, \"c\"");
    assert_string_equal(f[2], "");
    assert_string_equal(f[3], "");
    assert_string_equal(f[4], "d");
}

static int column(char **fields, size_t n, const char *name) {
    for (size_t i = 0; i < n; i++) {
        if (strcmp(fields[i], name) == 0)
            return (int)i;
    }
    fail_msg("no column \"%s\"", name);
    return -1;
}

static void test_census_csv(void **state) {
    static const char *const cambs[] = {"E06000031", "E07000008", "E07000009",
                                        "E07000010", "E07000011", "E07000012"};
    int64_t cambs_sum[EQM_ETH__COUNT] = {0};
    int64_t all_sum = 0;
    char *categories[32] = {0};
    size_t ncat = 0, rows = 0;
    char *line = NULL;
    size_t cap = 0;
    char *f[8];
    FILE *fp;
    (void)state;

    fp = fopen(CENSUS_CSV, "r");
    if (fp == NULL)
        fail_msg("cannot open %s", CENSUS_CSV);
    assert_true(getline(&line, &cap, fp) > 0);
    size_t nf = csv_split(line, f, 8);
    int c_area = column(f, nf, "area_code");
    int c_cat = column(f, nf, "census_category");
    int c_pop = column(f, nf, "population");

    while (getline(&line, &cap, fp) > 0) {
        bool rec = false;
        char *end;
        nf = csv_split(line, f, 8);
        assert_int_equal(nf, 4);
        rows++;

        enum eqm_ethnic_group g = eqm_ethnicity_map(f[c_cat], strlen(f[c_cat]), &rec);
        if (!rec || g == EQM_ETH_NOT_STATED)
            fail_msg("census category \"%s\": %s recognised=%d", f[c_cat], eqm_ethnicity_name(g),
                     rec);

        long long pop = strtoll(f[c_pop], &end, 10);
        assert_true(end != f[c_pop] && *end == '\0' && pop >= 0);
        all_sum += pop;
        for (size_t i = 0; i < sizeof(cambs) / sizeof(cambs[0]); i++) {
            if (strcmp(f[c_area], cambs[i]) == 0)
                cambs_sum[g] += pop;
        }

        size_t k = 0;
        while (k < ncat && strcmp(categories[k], f[c_cat]) != 0)
            k++;
        if (k == ncat) {
            assert_true(ncat < sizeof(categories) / sizeof(categories[0]));
            categories[ncat] = strdup(f[c_cat]);
            assert_non_null(categories[ncat]);
            ncat++;
        }
    }
    fclose(fp);
    free(line);
    for (size_t k = 0; k < ncat; k++)
        free(categories[k]);

    /* data README: 331 districts x 19 categories, 59,597,578 people. */
    assert_int_equal(ncat, 19);
    assert_int_equal(rows, 331 * 19);
    assert_int_equal(all_sum, 59597578);
    /* Cambridgeshire force area, published totals. */
    assert_int_equal(cambs_sum[EQM_ETH_WHITE], 763744);
    assert_int_equal(cambs_sum[EQM_ETH_ASIAN], 70491);
    assert_int_equal(cambs_sum[EQM_ETH_BLACK], 18496);
    assert_int_equal(cambs_sum[EQM_ETH_MIXED], 26970);
    assert_int_equal(cambs_sum[EQM_ETH_OTHER], 14816);
    assert_int_equal(cambs_sum[EQM_ETH_NOT_STATED], 0);
    assert_int_equal(cambs_sum[EQM_ETH_WHITE] + cambs_sum[EQM_ETH_ASIAN] +
                         cambs_sum[EQM_ETH_BLACK] + cambs_sum[EQM_ETH_MIXED] +
                         cambs_sum[EQM_ETH_OTHER],
                     894517);
}

static void test_police_csv(void **state) {
    int self[EQM_ETH__COUNT] = {0}, officer[EQM_ETH__COUNT] = {0};
    int self_blank = 0, officer_blank = 0, rows = 0;
    char *line = NULL;
    size_t cap = 0;
    char *f[32];
    FILE *fp;
    (void)state;

    fp = fopen(POLICE_CSV, "r");
    if (fp == NULL)
        fail_msg("cannot open %s", POLICE_CSV);
    assert_true(getline(&line, &cap, fp) > 0);
    size_t nf = csv_split(line, f, 32);
    assert_int_equal(nf, 15);
    int c_self = column(f, nf, "Self-defined ethnicity");
    int c_officer = column(f, nf, "Officer-defined ethnicity");

    while (getline(&line, &cap, fp) > 0) {
        bool rec = false;
        enum eqm_ethnic_group g;
        assert_int_equal(csv_split(line, f, 32), 15);
        rows++;

        g = eqm_ethnicity_map(f[c_self], strlen(f[c_self]), &rec);
        if (!rec)
            fail_msg("self-defined \"%s\" not recognised", f[c_self]);
        self[g]++;
        self_blank += f[c_self][0] == '\0';

        g = eqm_ethnicity_map(f[c_officer], strlen(f[c_officer]), &rec);
        if (!rec)
            fail_msg("officer-defined \"%s\" not recognised", f[c_officer]);
        officer[g]++;
        officer_blank += f[c_officer][0] == '\0';
    }
    fclose(fp);
    free(line);

    /* Counted from the file by hand (grouping each label on its heading). */
    assert_int_equal(rows, 218);
    assert_int_equal(self[EQM_ETH_WHITE], 124);
    assert_int_equal(self[EQM_ETH_ASIAN], 20);
    assert_int_equal(self[EQM_ETH_BLACK], 17);
    assert_int_equal(self[EQM_ETH_MIXED], 7);
    assert_int_equal(self[EQM_ETH_OTHER], 4);
    assert_int_equal(self[EQM_ETH_NOT_STATED], 46); /* 32 "Not stated" + 14 blank */
    assert_int_equal(self_blank, 14);
    assert_int_equal(officer[EQM_ETH_WHITE], 143);
    assert_int_equal(officer[EQM_ETH_BLACK], 27);
    assert_int_equal(officer[EQM_ETH_ASIAN], 24);
    assert_int_equal(officer[EQM_ETH_MIXED], 0);
    assert_int_equal(officer[EQM_ETH_OTHER], 6);
    assert_int_equal(officer[EQM_ETH_NOT_STATED], 18);
    assert_int_equal(officer_blank, 18);
}

/* The 19 categories of Census 2021 TS021 (ONS), each once, with its
 * heading; the 18 of 2011 are the same without Roma. */
static void test_census_categories(void **state) {
    static const char *const want[] = {"white_british",
                                       "white_irish",
                                       "white_gypsy_irish_traveller",
                                       "white_roma",
                                       "white_other",
                                       "mixed_white_black_caribbean",
                                       "mixed_white_black_african",
                                       "mixed_white_asian",
                                       "mixed_other",
                                       "asian_indian",
                                       "asian_pakistani",
                                       "asian_bangladeshi",
                                       "asian_chinese",
                                       "asian_other",
                                       "black_african",
                                       "black_caribbean",
                                       "black_other",
                                       "other_arab",
                                       "other_any"};
    int seen[EQM_ETH_CENSUS_CATEGORIES] = {0};
    (void)state;
    assert_int_equal(EQM_ETH_CENSUS_CATEGORIES, sizeof(want) / sizeof(want[0]));
    for (int i = 0; i < EQM_ETH_CENSUS_CATEGORIES; i++) {
        const char *c = eqm_ethnicity_census_category(i);
        enum eqm_ethnic_group broad = EQM_ETH_NOT_STATED;
        int j;
        assert_non_null(c);
        for (j = 0; j < EQM_ETH_CENSUS_CATEGORIES && strcmp(want[j], c); j++)
            ;
        if (j == EQM_ETH_CENSUS_CATEGORIES)
            fail_msg("\"%s\" is not a Census category", c);
        seen[j]++;
        assert_true(eqm_ethnicity_detailed_broad(c, &broad));
        /* the heading is the name's first word */
        assert_int_equal(strncmp(c, eqm_ethnicity_name(broad), strlen(eqm_ethnicity_name(broad))),
                         0);
    }
    for (int j = 0; j < EQM_ETH_CENSUS_CATEGORIES; j++)
        assert_int_equal(seen[j], 1);
    assert_null(eqm_ethnicity_census_category(-1));
    assert_null(eqm_ethnicity_census_category(EQM_ETH_CENSUS_CATEGORIES));
}

EQM_UNIT_MAIN(test_known_labels, test_unknown, test_case_space_len, test_name_and_bme,
              test_csv_split, test_census_csv, test_police_csv, test_census_categories)
