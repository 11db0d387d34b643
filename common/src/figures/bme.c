#include "eqm/bme.h"

#include <string.h>

/* The white minorities, by their detailed names (equality.census_categories). */
static const char *const white_minorities[] = {"white_irish", "white_gypsy_irish_traveller",
                                               "white_roma", "white_other"};

static bool white_minority(const char *grp) {
    for (size_t i = 0; i < sizeof(white_minorities) / sizeof(white_minorities[0]); i++)
        if (!strcmp(grp, white_minorities[i]))
            return true;
    return false;
}

/* A detailed group (not a broad one) whose broad group is in bme. */
static bool detailed_bme(const char *grp) {
    enum eqm_ethnic_group g;
    return eqm_ethnicity_detailed_broad(grp, &g) && eqm_ethnicity_is_bme(g);
}

bool eqm_bme_member(const char *grp) {
    /* The enum is the definition: the names of its bme groups, exactly. */
    for (int g = 0; g < EQM_ETH__COUNT; g++)
        if (eqm_ethnicity_is_bme((enum eqm_ethnic_group)g) &&
            !strcmp(grp, eqm_ethnicity_name((enum eqm_ethnic_group)g)))
            return true;
    return detailed_bme(grp);
}

int eqm_bme_add(const char *grp, const int64_t *counts, int n, int64_t *sum) {
    return eqm_aggregate_add(EQM_AGG_BME, grp, counts, n, sum);
}

const char *eqm_aggregate_name(enum eqm_aggregate a) {
    switch (a) {
    case EQM_AGG_BME:
        return EQM_BME_NAME;
    case EQM_AGG_WHITE_MINORITY:
        return EQM_WHITE_MINORITY_NAME;
    case EQM_AGG_ALL_MINORITY:
        return EQM_ALL_MINORITY_NAME;
    default:
        return NULL;
    }
}

bool eqm_aggregate_member(enum eqm_aggregate a, const char *grp) {
    switch (a) {
    case EQM_AGG_BME:
        return eqm_bme_member(grp);
    case EQM_AGG_WHITE_MINORITY:
        return white_minority(grp);
    case EQM_AGG_ALL_MINORITY:
        return white_minority(grp) || detailed_bme(grp);
    default:
        return false;
    }
}

int eqm_aggregate_add(enum eqm_aggregate a, const char *grp, const int64_t *counts, int n,
                      int64_t *sum) {
    if (!eqm_aggregate_member(a, grp))
        return 0;
    for (int i = 0; i < n; i++)
        sum[i] += counts[i];
    return 1;
}
